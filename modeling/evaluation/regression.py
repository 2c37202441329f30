"""How good is a number-predicting model: errors with 95% intervals, baselines, residuals, misses, segments.

Every figure is computed with scikit-learn's own functions (``mean_absolute_error``,
``root_mean_squared_error``, ``r2_score``, ``mean_absolute_percentage_error``) so it matches what a data
scientist gets by hand, and carries a seeded bootstrap 95% interval and its test size ``n``. MAPE is left
out (``None``) when the target holds a zero, where it is undefined. Results are plain JSON values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from modeling.errors import DataError, InvalidPredictions
from modeling.evaluation.intervals import RESAMPLES, entry

#: Largest block (resamples x rows) of bootstrap weights held in memory at once.
_BLOCK = 2_000_000
#: Points kept for the predicted-vs-actual and residual charts (seeded sample beyond this).
MAX_POINTS = 2000
METRICS = ("mae", "rmse", "r2", "mape")


def check_values(y_true: Any, predicted: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both as float64 vectors of one length; predictions must be finite numbers."""
    y = np.asarray(y_true, dtype=np.float64).reshape(-1)
    p = np.asarray(predicted, dtype=np.float64).reshape(-1)
    if len(y) != len(p):
        raise DataError(f"There are {len(y):,} true values but {len(p):,} predictions; each row needs one of each.")
    if len(y) == 0:
        raise DataError("The test set is empty, so there is nothing to evaluate; use a larger test share.")
    if not np.isfinite(y).all():
        raise DataError("Some true values are blank or not numbers; drop those rows before evaluating.")
    if not np.isfinite(p).all():
        bad = int((~np.isfinite(p)).sum())
        raise InvalidPredictions(
            f"The model produced {bad:,} predictions that are not numbers (NaN or infinity), which usually means "
            "training diverged. Lower the learning rate or use the trees."
        )
    return y, p


def regression_metrics(y_true: Any, predicted: Any) -> dict[str, Any]:
    """n, MAE, RMSE, R², MAPE (None when the target has a zero), mean error (bias) and median absolute error."""
    from sklearn.metrics import (
        mean_absolute_error,
        mean_absolute_percentage_error,
        median_absolute_error,
        r2_score,
        root_mean_squared_error,
    )

    y, p = check_values(y_true, predicted)
    r2 = float(r2_score(y, p)) if len(y) > 1 and np.ptp(y) > 0 else None
    return {
        "n": len(y),
        "mae": float(mean_absolute_error(y, p)),
        "rmse": float(root_mean_squared_error(y, p)),
        "r2": r2,
        "mape": float(mean_absolute_percentage_error(y, p)) if (y != 0).all() else None,
        "mean_error": float(np.mean(p - y)),
        "median_absolute_error": float(median_absolute_error(y, p)),
    }


def _weights(n: int, resamples: int, rng: np.random.Generator):
    step = max(1, _BLOCK // max(n, 1))
    for start in range(0, resamples, step):
        rows = min(step, resamples - start)
        draws = rng.integers(0, n, size=(rows, n))
        flat = (draws + np.arange(rows)[:, None] * n).ravel()
        yield np.bincount(flat, minlength=rows * n).reshape(rows, n).astype(np.float64)


def bootstrap_intervals(y_true: Any, predicted: Any, resamples: int = RESAMPLES, seed: int = 0) -> dict[str, Any]:
    """95% percentile intervals of MAE, RMSE, R² and MAPE by resampling the test rows (vectorised, seeded)."""
    y, p = check_values(y_true, predicted)
    n = len(y)
    err = p - y
    abs_err, sq_err = np.abs(err), err**2
    pct = np.abs(err / y) if (y != 0).all() else None
    samples: dict[str, list[np.ndarray]] = {name: [] for name in METRICS}
    for w in _weights(n, resamples, np.random.default_rng(seed)):
        samples["mae"].append(w @ abs_err / n)
        samples["rmse"].append(np.sqrt(w @ sq_err / n))
        mean_y = (w @ y) / n
        total = (w * (y[None, :] - mean_y[:, None]) ** 2).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            samples["r2"].append(np.where(total > 0, 1.0 - (w @ sq_err) / total, np.nan))
        if pct is not None:
            samples["mape"].append(w @ pct / n)
    metrics = regression_metrics(y, p)
    out = {}
    for name in METRICS:
        values = np.concatenate(samples[name]) if samples[name] else np.zeros(0)
        values = values[np.isfinite(values)]
        low, high = (
            (float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))) if len(values) else (None, None)
        )
        if metrics.get(name) is None:
            low = high = None
        out[name] = entry(metrics.get(name), low, high, n, "bootstrap")
    return out


def baseline_entry(
    title: str, description: str, y_true: Any, predicted: Any, train_seconds: float = 0.0
) -> dict[str, Any]:
    """A baseline's metrics on the same test rows, with what it is in words."""
    out = regression_metrics(y_true, predicted)
    out.update(title=title, description=description, train_seconds=round(float(train_seconds), 4))
    return out


def error_reduction(model: dict[str, Any], baseline: dict[str, Any], metric: str = "rmse") -> float | None:
    """How much smaller the model's error is than the baseline's, as a share (0.35 = 35% smaller errors)."""
    ours, theirs = model.get(metric), baseline.get(metric)
    if ours is None or theirs is None or not theirs:
        return None
    return float(1.0 - float(ours) / float(theirs))


def chart_points(y_true: Any, predicted: Any, seed: int = 0, limit: int = MAX_POINTS) -> dict[str, list[float]]:
    """Actual and predicted values (a seeded sample of ``limit`` rows when larger), with test-row indices."""
    y, p = check_values(y_true, predicted)
    index = np.arange(len(y))
    if len(y) > limit:
        index = np.sort(np.random.default_rng(seed).choice(index, limit, replace=False))
    return {
        "index": [int(i) for i in index],
        "actual": [round(float(v), 6) for v in y[index]],
        "predicted": [round(float(v), 6) for v in p[index]],
    }


def residual_histogram(y_true: Any, predicted: Any, bins: int = 30) -> dict[str, list[float]]:
    """Counts of (predicted - actual) in equal bins, for the residual distribution chart."""
    y, p = check_values(y_true, predicted)
    counts, edges = np.histogram(p - y, bins=bins)
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def largest_misses(y_true: Any, predicted: Any, limit: int = 20) -> list[dict[str, Any]]:
    """The rows with the largest absolute error, largest first (``index`` is the test-row position)."""
    y, p = check_values(y_true, predicted)
    order = np.argsort(-np.abs(p - y), kind="stable")[: max(limit, 0)]
    return [
        {"index": int(i), "actual": float(y[i]), "predicted": float(p[i]), "error": float(p[i] - y[i])} for i in order
    ]


def error_by_segment(
    segments: Sequence[Any], y_true: Any, predicted: Any, max_segments: int = 12, min_rows: int = 5
) -> list[dict[str, Any]]:
    """MAE, RMSE and bias per value of one column (the most common ``max_segments`` with at least ``min_rows``)."""
    y, p = check_values(y_true, predicted)
    keys = np.asarray(["(blank)" if _blank(v) else str(v) for v in segments], dtype=object)
    if len(keys) != len(y):
        raise DataError("The segment column has a different number of rows than the predictions.")
    values, counts = np.unique(keys, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    out = []
    for i in order[:max_segments]:
        if counts[i] < min_rows:
            continue
        mask = keys == values[i]
        err = p[mask] - y[mask]
        out.append(
            {
                "segment": str(values[i]),
                "n": int(counts[i]),
                "mae": float(np.mean(np.abs(err))),
                "rmse": float(math.sqrt(np.mean(err**2))),
                "mean_error": float(np.mean(err)),
            }
        )
    return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("", "<NA>", "nan")
