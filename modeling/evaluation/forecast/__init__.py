"""Forecast evaluation, with no model library and no I/O: backtest frames in, figures and ranges out.

``backtest`` (rolling origin, never peeks: the model is any ``forecast(train, future)`` callable), ``metrics``
(WAPE, MASE, bias, lift), ``scores`` (per model, per series, the worst series), ``selection`` (Automatic: the
best model or blend and the sentence saying why; an honest walk-forward score), ``ranges`` (conformal 80%/90%
ranges with measured coverage) and ``newsvendor`` (the stock that covers q% of outcomes).
"""

from __future__ import annotations

from modeling.evaluation.forecast.backtest import MIN_TRAIN, backtest, cutoffs, plan_windows, scales
from modeling.evaluation.forecast.metrics import bias, lift, mase, panel_mase, seasonal_naive_scale, wape
from modeling.evaluation.forecast.newsvendor import critical_ratio, stock_for_horizon, stock_per_period
from modeling.evaluation.forecast.ranges import LEVELS, Ranges, calibrate, coverage, fit_ranges
from modeling.evaluation.forecast.scores import BASELINE, model_scores, series_table, worst_series
from modeling.evaluation.forecast.selection import Choice, choose, walk_forward

__all__ = [
    "BASELINE",
    "LEVELS",
    "MIN_TRAIN",
    "Choice",
    "Ranges",
    "backtest",
    "bias",
    "calibrate",
    "choose",
    "coverage",
    "critical_ratio",
    "cutoffs",
    "fit_ranges",
    "lift",
    "mase",
    "model_scores",
    "panel_mase",
    "plan_windows",
    "scales",
    "seasonal_naive_scale",
    "series_table",
    "stock_for_horizon",
    "stock_per_period",
    "walk_forward",
    "wape",
    "worst_series",
]
