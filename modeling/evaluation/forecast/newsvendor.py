"""How much to stock: the quantity that covers q% of outcomes, and q from the costs of running short or over.

The newsvendor problem (Arrow, Harris & Marschak 1951): with a cost ``short`` for each unit of demand not
met (the lost margin, an unhappy customer) and a cost ``over`` for each unit left over (write-off, storage),
the stock that minimises the expected cost is the ``short / (short + over)`` quantile of demand. Demand's
distribution here is the forecast plus the errors the backtest measured at the same step ahead (the conformal
calibration's signed errors in :class:`~modeling.evaluation.forecast.ranges.Ranges`), so the quantity is as
honest as the ranges are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.errors import ConfigError
from modeling.evaluation.forecast.ranges import Ranges


def critical_ratio(short_cost: float, over_cost: float) -> float:
    """``short / (short + over)``: the share of outcomes the stock should cover.

    >>> critical_ratio(3.0, 1.0)
    0.75
    """
    if not (np.isfinite(short_cost) and np.isfinite(over_cost)) or short_cost <= 0 or over_cost <= 0:
        raise ConfigError(
            "Both costs must be positive amounts: what one unit too few costs (lost margin) and what one unit too "
            f"many costs (write-off, storage); got {fmt.amount(short_cost)} and {fmt.amount(over_cost)}."
        )
    return float(short_cost / (short_cost + over_cost))


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ConfigError(f"The share of outcomes to cover must lie between 0% and 100%, not {fmt.share(level)}.")


def stock_per_period(forecast: pd.DataFrame, ranges: Ranges, scale: pd.Series, level: float) -> pd.DataFrame:
    """Per series and date, the stock that covers ``level`` of outcomes (never below 0 when sales cannot be).

    ``forecast`` has ``unique_id``, ``ds``, ``step`` and ``forecast``; ``scale`` maps each series to its scale.
    """
    _check_level(level)
    steps = np.clip(forecast["step"].to_numpy(dtype=np.int64) - 1, 0, ranges.horizon - 1)
    table = np.asarray(ranges.error_quantiles, dtype=np.float64)
    grid = np.asarray(ranges.quantile_levels)
    error = np.array([np.interp(level, grid, table[s]) for s in steps])
    unit = ranges.unit(forecast["unique_id"].map(scale).to_numpy(dtype=np.float64))
    quantity = forecast["forecast"].to_numpy(dtype=np.float64) + error * unit
    out = forecast[["unique_id", "ds"]].copy()
    out["stock"] = np.maximum(quantity, 0.0) if ranges.nonnegative else quantity
    return out


def stock_for_horizon(forecast: pd.DataFrame, ranges: Ranges, scale: pd.Series, level: float) -> pd.DataFrame:
    """Per series, the stock for the whole horizon that covers ``level`` of outcomes (``forecast`` as above).

    Not the sum of the per-period quantities: errors of different weeks partly cancel, so covering the total
    90% of the time needs less than covering each week 90% of the time.
    """
    _check_level(level)
    totals = forecast.groupby("unique_id", sort=False)["forecast"].sum()
    error = float(np.interp(level, ranges.quantile_levels, ranges.total_quantiles))
    unit = ranges.unit(totals.index.map(scale).to_numpy(dtype=np.float64))
    quantity = totals.to_numpy() + error * unit
    return pd.DataFrame(
        {
            "unique_id": totals.index,
            "forecast": totals.to_numpy(),
            "stock": np.maximum(quantity, 0.0) if ranges.nonnegative else quantity,
        }
    )
