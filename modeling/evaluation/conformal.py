"""Prediction intervals with a guarantee: split conformal on the validation rows, coverage measured on the test.

Split conformal needs no assumption about the model: take the absolute errors on rows the model did not
learn from (the validation split), and the ``ceil((n + 1) * level) / n`` quantile of them is a half-width
``q`` such that ``[prediction - q, prediction + q]`` holds the true value for at least ``level`` of new rows
(on average over splits). The coverage actually reached on the test rows is measured and saved beside the
nominal level, with a Wilson interval, so "9 in 10 actual prices fall inside its 90% range" is a fact
checked on data, not a promise.

For a positive target learned on the log scale (prices), errors grow with the value; the score is then the
error of ``log(1 + y)`` (``scale="log"``) and the interval is multiplicative: narrow for cheap houses,
wide for expensive ones, with the same guarantee.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from modeling.evaluation.intervals import wilson

LEVELS = (0.8, 0.9)


def _scores(y: np.ndarray, predicted: np.ndarray, scale: str) -> np.ndarray:
    if scale == "log":
        return np.abs(np.log1p(np.maximum(y, 0.0)) - np.log1p(np.maximum(predicted, 0.0)))
    return np.abs(y - predicted)


def half_widths(
    y_validation: Any, predicted_validation: Any, levels: Iterable[float] = LEVELS, scale: str = "absolute"
) -> dict[str, float | None]:
    """``{"0.8": q, "0.9": q}``: the conformal half-width per level (``None`` when too few validation rows)."""
    y = np.asarray(y_validation, dtype=np.float64).reshape(-1)
    p = np.asarray(predicted_validation, dtype=np.float64).reshape(-1)
    scores = np.sort(_scores(y, p, scale))
    n = len(scores)
    out: dict[str, float | None] = {}
    for level in levels:
        rank = math.ceil((n + 1) * float(level))
        out[key(level)] = float(scores[rank - 1]) if 0 < rank <= n else None
    return out


def key(level: float) -> str:
    return f"{float(level):g}"


def bounds(predicted: Any, half_width: float, scale: str = "absolute") -> tuple[np.ndarray, np.ndarray]:
    """(low, high) around each prediction."""
    p = np.asarray(predicted, dtype=np.float64).reshape(-1)
    if scale == "log":
        centre = np.log1p(np.maximum(p, 0.0))
        return np.expm1(centre - half_width), np.expm1(np.minimum(centre + half_width, 50.0))
    return p - half_width, p + half_width


def interval_report(
    y_validation: Any,
    predicted_validation: Any,
    y_test: Any,
    predicted_test: Any,
    levels: Iterable[float] = LEVELS,
    scale: str = "absolute",
) -> dict[str, Any]:
    """Half-widths from the validation rows, and the coverage and mean width reached on the test rows."""
    widths = half_widths(y_validation, predicted_validation, levels, scale)
    y = np.asarray(y_test, dtype=np.float64).reshape(-1)
    p = np.asarray(predicted_test, dtype=np.float64).reshape(-1)
    out: dict[str, Any] = {
        "method": "split conformal",
        "scale": scale,
        "validation_n": len(np.asarray(y_validation).reshape(-1)),
        "levels": {},
    }
    for level in levels:
        q = widths[key(level)]
        if q is None:
            out["levels"][key(level)] = {"level": float(level), "half_width": None, "coverage": None, "n": len(y)}
            continue
        low, high = bounds(p, q, scale)
        inside = int(((y >= low) & (y <= high)).sum())
        c_low, c_high = wilson(inside, len(y)) if len(y) else (None, None)
        out["levels"][key(level)] = {
            "level": float(level),
            "half_width": q,
            "coverage": inside / len(y) if len(y) else None,
            "coverage_low": c_low,
            "coverage_high": c_high,
            "mean_width": float(np.mean(high - low)) if len(y) else None,
            "n": len(y),
        }
    return out
