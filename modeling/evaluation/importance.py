"""Which columns matter: permutation importance on the test rows (with intervals) and partial dependence.

Permutation importance asks the trained model, not its internals: scramble one column across the test rows
(breaking its link with the target while keeping its values), and measure how much worse the answers get.
A column the model ignores costs nothing when scrambled; one it relies on costs a lot. Repeating the
scramble ``repeats`` times (seeded) gives a mean and a 95% interval (Student's t over the repeats).

The error is RMSE for regression (so importance is in the target's units) and log loss for classification
(a smooth score that moves even when the answer does not flip). The model comes in as a function from a
frame to predictions, so this module needs no model code and works for every template and blend.

Partial dependence shows *how* a top column matters: set it to each value of a grid on every sampled row
and average the answers (the mean prediction, or for classes each class's mean probability).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt

Predict = Callable[[pd.DataFrame], np.ndarray]
#: Rows used for importance and partial dependence (a seeded sample beyond this keeps it to seconds).
MAX_ROWS = 2000
#: With more columns than this, only those most associated with the answers are screened (one predict per column
#: would otherwise take minutes on a table with thousands of columns).
MAX_SCREENED_COLUMNS = 100
#: With more columns than this, a quick screening pass (one repeat, fewer rows) picks the ones to measure fully.
MAX_FULL_COLUMNS = 30


def error(y: np.ndarray, predicted: np.ndarray, regression: bool) -> float:
    """RMSE (regression) or log loss (classification; ``predicted`` holds N x K probabilities)."""
    if regression:
        return float(math.sqrt(np.mean((np.asarray(predicted, dtype=np.float64) - y) ** 2)))
    p = np.clip(np.asarray(predicted, dtype=np.float64), 1e-12, 1.0)
    return float(-np.mean(np.log(p[np.arange(len(y)), y.astype(int)])))


def _sample(frame: pd.DataFrame, y: np.ndarray, rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    if len(frame) <= rows:
        return frame.reset_index(drop=True), y
    index = np.sort(np.random.default_rng(seed).choice(len(frame), rows, replace=False))
    return frame.iloc[index].reset_index(drop=True), y[index]


def _scores(
    predict: Predict,
    frame: pd.DataFrame,
    y: np.ndarray,
    columns: Sequence[str],
    repeats: int,
    seed: int,
    regression: bool,
) -> dict[str, list[float]]:
    """Error increase for each column and repeat (one batched prediction per column)."""
    base = error(y, predict(frame), regression)
    rng = np.random.default_rng(seed)
    out: dict[str, list[float]] = {}
    n = len(frame)
    for column in columns:
        stacked = pd.concat([frame] * repeats, ignore_index=True)
        original = frame[column].to_numpy()
        stacked[column] = np.concatenate([original[rng.permutation(n)] for _ in range(repeats)])
        predicted = predict(stacked)
        out[column] = [error(y, predicted[r * n : (r + 1) * n], regression) - base for r in range(repeats)]
    return out


def _strongest_associations(frame: pd.DataFrame, predicted: np.ndarray, columns: list[str], keep: int) -> list[str]:
    """The ``keep`` columns whose values go most with the model's answers (|correlation| or correlation ratio)."""
    answer = np.asarray(predicted, dtype=np.float64)
    answer = answer if answer.ndim == 1 else answer[:, -1]
    scores = {}
    for column in columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values):
            x = values.to_numpy(dtype=np.float64, na_value=np.nan)
            ok = np.isfinite(x)
            if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(answer[ok]) == 0:
                scores[column] = 0.0
                continue
            scores[column] = abs(float(np.corrcoef(x[ok], answer[ok])[0, 1]))
        else:
            groups = pd.Series(answer).groupby(values.astype("string").fillna("(blank)").to_numpy())
            total = float(np.var(answer)) * len(answer)
            between = float((groups.count() * (groups.mean() - answer.mean()) ** 2).sum())
            scores[column] = between / total if total > 0 else 0.0
    return sorted(columns, key=lambda c: -scores[c])[:keep]


def permutation_importance(
    predict: Predict,
    frame: pd.DataFrame,
    y_true: Any,
    regression: bool,
    repeats: int = 5,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> dict[str, Any]:
    """Each column's importance with a 95% interval, most important first.

    Returns ``{"metric": "rmse"|"log_loss", "base": error, "n": rows, "repeats": r, "columns": [{"column",
    "importance", "low", "high", "relative"}]}``; ``relative`` is the increase as a share of the base error.
    """
    from scipy import stats

    y = np.asarray(y_true, dtype=np.float64 if regression else np.int64).reshape(-1)
    data, y = _sample(frame, y, max_rows, seed)
    columns = [str(c) for c in data.columns]
    base = error(y, predict(data), regression)
    screened = False
    if len(columns) > MAX_SCREENED_COLUMNS:  # very wide tables: first keep the columns the answers move with
        columns = _strongest_associations(data, predict(data), columns, MAX_SCREENED_COLUMNS)
        screened = True
    if len(columns) > MAX_FULL_COLUMNS:
        quick_frame, quick_y = _sample(data, y, min(500, len(data)), seed + 1)
        quick = _scores(predict, quick_frame, quick_y, columns, 1, seed, regression)
        columns = sorted(columns, key=lambda c: -quick[c][0])[:MAX_FULL_COLUMNS]
        screened = True
    scores = _scores(predict, data, y, columns, repeats, seed, regression)
    t = float(stats.t.ppf(0.975, repeats - 1)) if repeats > 1 else 0.0
    rows = []
    for column, values in scores.items():
        mean = float(np.mean(values))
        half = t * float(np.std(values, ddof=1)) / math.sqrt(repeats) if repeats > 1 else 0.0
        rows.append(
            {
                "column": column,
                "importance": mean,
                "low": mean - half,
                "high": mean + half,
                "relative": mean / base if base > 0 else None,
            }
        )
    rows.sort(key=lambda r: -r["importance"])
    return {
        "metric": "rmse" if regression else "log_loss",
        "base": base,
        "n": len(y),
        "repeats": repeats,
        "screened": screened,
        "columns": rows,
    }


def partial_dependence(
    predict: Predict,
    frame: pd.DataFrame,
    columns: Sequence[str],
    numeric: Sequence[bool],
    points: int = 15,
    max_rows: int = 500,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """For each column: the grid of values and the average answer at each (``values``: list per grid point)."""
    data, _ = _sample(frame, np.zeros(len(frame)), max_rows, seed)
    out = []
    for column, is_number in zip(columns, numeric, strict=True):
        values = data[column]
        if is_number:
            finite = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            finite = finite[np.isfinite(finite)]
            if not len(finite):
                continue
            grid: list[Any] = sorted({float(v) for v in np.quantile(finite, np.linspace(0.05, 0.95, points))})
        else:
            counts = values.dropna().astype(str).value_counts()
            grid = [str(v) for v in counts.index[:12]]
        if len(grid) < 2:
            continue
        n = len(data)
        stacked = pd.concat([data] * len(grid), ignore_index=True)
        stacked[column] = np.repeat(np.asarray(grid, dtype=object if not is_number else np.float64), n)
        if not is_number:
            stacked[column] = stacked[column].astype("str")
        predicted = np.asarray(predict(stacked), dtype=np.float64)
        averages = [predicted[i * n : (i + 1) * n].mean(axis=0) for i in range(len(grid))]
        out.append(
            {
                "column": str(column),
                "kind": "number" if is_number else "category",
                "grid": grid,
                "average": [np.round(a, 6).tolist() for a in averages],
            }
        )
    return out


def describe_importance(
    importance: dict[str, Any] | None, target: str = "the target", top: int = 3, currency: str = ""
) -> str:
    """Plain words: which columns the answers rest on, how much, and which ones it ignores."""
    if not importance or not importance.get("columns"):
        return "Which columns matter was not measured for this run."
    rows = importance["columns"]
    clear = [r for r in rows if r["low"] > 0]
    if not clear:
        return (
            "No single column clearly matters: scrambling any one of them leaves the answers about as good, so "
            "the model either leans on several columns together or has learned little."
        )
    parts = []
    for r in clear[:top]:
        name = fmt.md_name(r["column"])
        if importance["metric"] == "rmse":
            value = float(r["importance"])
            amount = (
                fmt.money(value, currency) if currency else (f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}")
            )
            parts.append(f"'{name}' (scrambling it adds about {amount} to the typical error)")
        else:
            parts.append(f"'{name}' (scrambling it raises the error by {fmt.share(max(r['relative'] or 0.0, 0.0))})")
    sentence = f"Its answers about {fmt.md_name(target)} rest most on " + _join(parts) + "."
    idle = [r["column"] for r in rows if r["high"] <= 0]
    if idle:
        shown = ", ".join(f"'{fmt.md_name(c)}'" for c in idle[:5]) + (" and others" if len(idle) > 5 else "")
        sentence += f" It makes no measurable use of {shown}."
    return sentence


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
