"""How much to stock per series: the quantity that covers q% of outcomes, from the share or from two costs.

The maths is :mod:`modeling.evaluation.forecast.newsvendor` (the forecast plus the backtest's errors at the same
step ahead); this module picks the share (given, or ``short / (short + over)`` from what a unit too few and a
unit too many cost), runs it on a forecast frame and says the answer in a sentence a planner acts on.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from modeling import format as fmt
from modeling.errors import ConfigError
from modeling.evaluation.forecast.newsvendor import critical_ratio, stock_for_horizon, stock_per_period
from modeling.evaluation.forecast.outlook import rounded
from modeling.evaluation.forecast.ranges import Ranges


@dataclass
class Stock:
    """The stock per series (and date, per period) that covers ``level`` of outcomes, and the sentence."""

    level: float
    #: ``series``, ``forecast``, ``stock`` (and ``date`` when per period).
    table: pd.DataFrame
    total: float
    forecast_total: float
    sentence: str
    #: How the share was chosen, in words ("from the costs: a unit short costs 3, a unit over costs 1").
    why: str = ""


def share_to_cover(level: float | None, short_cost: float | None, over_cost: float | None) -> tuple[float, str]:
    """The share of outcomes to cover and why; :class:`ConfigError` unless exactly one way is given."""
    if short_cost is not None or over_cost is not None:
        if short_cost is None or over_cost is None:
            raise ConfigError(
                "Give both costs: what one unit too few costs (lost margin) and what one unit too many costs "
                "(write-off, storage)."
            )
        share = critical_ratio(float(short_cost), float(over_cost))
        why = (
            f"a unit short costs {fmt.amount(short_cost)} and a unit left over {fmt.amount(over_cost)}, so the stock "
            f"that costs least on average covers {fmt.share(share)} of outcomes"
        )
        return share, why
    if level is None:
        raise ConfigError("Say which share of outcomes to cover (for example 90%), or give both costs.")
    return float(level), ""


def stock(
    forecast: pd.DataFrame,
    ranges: Ranges,
    scales: pd.Series,
    level: float,
    per_period: bool,
    target: str,
    span: str,
) -> Stock:
    """The newsvendor quantity for ``forecast`` (``unique_id``, ``ds``, ``step``, ``forecast``) at ``level``."""
    if per_period:
        answer = stock_per_period(forecast, ranges, scales, level)
        table = answer.merge(forecast[["unique_id", "ds", "forecast"]], on=["unique_id", "ds"])
        table = table.rename(columns={"unique_id": "series", "ds": "date"})[["series", "date", "forecast", "stock"]]
    else:
        answer = stock_for_horizon(forecast, ranges, scales, level)
        table = answer.rename(columns={"unique_id": "series"})[["series", "forecast", "stock"]]
    total, expected = float(table["stock"].sum()), float(table["forecast"].sum())
    what = "each period's stock" if per_period else "the stock for the whole period"
    gap = total - expected
    buffer = (
        f"{rounded(gap)} more, as a buffer against demand above the forecast"
        if gap >= 0
        else f"{rounded(-gap)} less: running short now and then costs less than the leftovers would"
    )
    sentence = (
        f"To cover {fmt.share(level)} of outcomes over the next {span}, {what} adds up to {rounded(total)} "
        f"{target} across {fmt.plural(len(table['series'].unique()), 'series', 'series')}, against a forecast of "
        f"{rounded(expected)}: {buffer}."
    )
    return Stock(level, table, total, expected, sentence)
