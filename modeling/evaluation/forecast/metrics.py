"""Forecast errors a finance person and a forecaster both read: WAPE, MASE and bias, with lift over a baseline.

* **WAPE** (weighted absolute percentage error) = sum |actual - forecast| / sum |actual|: "8% off" over all
  series and dates together, so big series weigh more, as they do in the business. Unlike MAPE it survives
  weeks with zero sales.
* **MASE** (mean absolute scaled error, Hyndman & Koehler 2006) = the mean absolute error divided by the mean
  absolute error the seasonal naive (the same period one season ago) makes *inside the history*; below 1 beats
  that naive rule. Scale-free, so series of 10 and 10,000 units count alike; the panel's MASE is the mean over
  series (and backtest windows), as in the M4 competition.
* **Bias** = mean (forecast - actual) / mean actual: +5% means over-forecasting by 5% (too much stock).
* **Lift** of a model over the baseline = 1 - its error / the baseline's error: +12% means 12% less error.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def _arrays(actual: object, forecast: object) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(actual, dtype=np.float64).reshape(-1)
    f = np.asarray(forecast, dtype=np.float64).reshape(-1)
    if y.shape != f.shape:
        raise ValueError(f"actual has {len(y)} values but forecast has {len(f)}")
    keep = np.isfinite(y) & np.isfinite(f)
    return y[keep], f[keep]


def wape(actual: object, forecast: object) -> float | None:
    """sum |actual - forecast| / sum |actual|; ``None`` when every actual is 0 (nothing to be off from).

    >>> wape([10, 20, 30], [12, 18, 30])
    0.06666666666666667
    """
    y, f = _arrays(actual, forecast)
    total = float(np.abs(y).sum())
    return float(np.abs(y - f).sum() / total) if total > 0 else None


def bias(actual: object, forecast: object) -> float | None:
    """mean (forecast - actual) / |mean actual|: positive means over-forecasting; ``None`` when the mean is 0.

    >>> bias([10, 20, 30], [12, 22, 32])
    0.1
    """
    y, f = _arrays(actual, forecast)
    level = abs(float(y.mean())) if len(y) else 0.0
    return float((f - y).mean() / level) if level > 0 else None


def seasonal_naive_scale(history: object, season_length: int) -> float | None:
    """Mean |y_t - y_(t-m)| inside ``history`` (the MASE denominator); lag 1 when shorter than a season + 1.

    ``None`` when the history is constant (a naive rule makes no error, so no error can be scaled by it).

    >>> seasonal_naive_scale([1, 2, 3, 1, 2, 4], 3)
    0.3333333333333333
    """
    y = np.asarray(history, dtype=np.float64)
    y = y[np.isfinite(y)]
    lag = season_length if season_length >= 1 and len(y) > season_length else 1
    if len(y) <= lag:
        return None
    scale = float(np.abs(y[lag:] - y[:-lag]).mean())
    return scale if scale > 0 else None


def mase(actual: object, forecast: object, scale: float | None) -> float | None:
    """mean |actual - forecast| / ``scale`` (see :func:`seasonal_naive_scale`); ``None`` without a scale.

    >>> mase([10, 20], [11, 18], 2.0)
    0.75
    """
    y, f = _arrays(actual, forecast)
    if not scale or not len(y):
        return None
    return float(np.abs(y - f).mean() / scale)


def panel_mase(frame: pd.DataFrame, column: str) -> float | None:
    """The mean per-series MASE over the (series, cutoff) groups of a backtest frame (``y``, ``scale``, ``column``)."""
    valid = frame[frame["scale"].notna() & (frame["scale"] > 0)]
    if valid.empty:
        return None
    errors = (valid["y"] - valid[column]).abs() / valid["scale"]
    per_group = errors.groupby([valid["unique_id"], valid["cutoff"]], sort=False).mean()
    return float(per_group.mean())


def lift(error: float | None, baseline_error: float | None) -> float | None:
    """1 - error / baseline error (+0.12: 12% less error than the baseline); ``None`` when either is unknown.

    >>> lift(0.08, 0.10)
    0.19999999999999996
    """
    if error is None or baseline_error is None or not math.isfinite(baseline_error) or baseline_error <= 0:
        return None
    return 1.0 - error / baseline_error
