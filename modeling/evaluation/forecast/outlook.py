"""The forecast added up over every series: the total per date with its ranges, and the facts a summary states.

A manager reads a forecast as "how much in total, how sure, compared with last year, and when is the peak".
:func:`total_ranges` calibrates ranges for the *total* on the backtest errors of the total (the series' errors
partly cancel when added, so summing each series' range would be far too wide); :func:`total_forecast` gives
the total per date with those ranges; :func:`outlook` the figures of the summary sentence: the horizon's total
and its 80%/90% range, the same dates a year earlier, and the peak.

The range of the horizon's total adds up the per-date half-widths: exact if every date erred the same way,
wider than needed otherwise, so "80% range" here means *at least* 80% (the per-date ranges are the calibrated
ones). Plain data in, plain data out; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.series.frequency import MONTH_NAMES, Frequency
from modeling.evaluation.forecast.ranges import LEVELS, Ranges, calibrate, key

#: Steps back to "the same dates a year earlier", per unit (days: 52 weeks, so weekdays match).
YEAR_BACK = {"day": 364, "week": 52, "month": 12, "quarter": 4, "year": 1}
TOTAL_ID = "total"


def _bounds_columns(levels: Sequence[float]) -> list[str]:
    return [f"{side}_{key(level)}" for level in levels for side in ("low", "high")]


def total_errors(backtest: pd.DataFrame, column: str = "automatic") -> pd.DataFrame:
    """The backtest of the total over series: one row per (cutoff, date) with ``y`` and ``forecast`` summed.

    Only rows where ``column`` has a forecast count (Automatic's walk-forward forecast leaves its first window
    empty: those dates were never forecast honestly).
    """
    rows = backtest.dropna(subset=[column])
    if rows.empty:
        return pd.DataFrame(columns=["unique_id", "cutoff", "ds", "step", "y", "forecast", "scale"])
    grouped = rows.groupby(["cutoff", "ds"], sort=True)
    errors = grouped.agg(y=("y", "sum"), forecast=(column, "sum"), step=("step", "first")).reset_index()
    errors.insert(0, "unique_id", TOTAL_ID)
    errors["scale"] = np.nan
    return errors


def total_ranges(backtest: pd.DataFrame, horizon: int, levels: Sequence[float] = LEVELS) -> Ranges | None:
    """Ranges for the total over series, calibrated on the backtest of the total; ``None`` without a backtest."""
    errors = total_errors(backtest)
    if errors.empty:
        return None
    nonnegative = bool(backtest["y"].min() >= 0)
    return calibrate(errors, horizon, list(levels), scaled=False, nonnegative=nonnegative)


def total_forecast(forecast: pd.DataFrame, ranges: Ranges | None) -> pd.DataFrame:
    """``ds``, ``step``, ``forecast`` and the total's ``low_80``... per date of a per-series forecast frame."""
    total = forecast.groupby("ds", sort=True).agg(forecast=("forecast", "sum"), step=("step", "max")).reset_index()
    if ranges is None:
        for column in _bounds_columns(LEVELS):
            total[column] = np.nan
        return total
    bounds = ranges.bounds(total["forecast"].to_numpy(), total["step"].to_numpy(), np.ones(len(total)))
    for column, values in bounds.items():
        total[column] = values
    return total


def total_history(history: pd.DataFrame) -> pd.DataFrame:
    """``ds`` and ``y`` summed over series, for the dates every series of the panel has."""
    return history.groupby("ds", sort=True)["y"].sum().reset_index()


def period_words(day: pd.Timestamp, unit: str, with_year: bool = True) -> str:
    """How people name the period starting ``day``: "the week of 23 November 2016", "November 2016", "Q4 2016"."""
    day = pd.Timestamp(day)
    month = MONTH_NAMES[day.month - 1]
    year = f" {day.year}" if with_year else ""
    if unit == "week":
        return f"the week of {day.day} {month}{year}"
    if unit == "day":
        return f"{day.day} {month}{year}"
    if unit == "month":
        return f"{month} {day.year}"
    if unit == "quarter":
        return f"Q{day.quarter} {day.year}"
    return str(day.year)


def _year_earlier(history: pd.DataFrame, forecast: pd.DataFrame, frequency: Frequency) -> float | None:
    """The history's total on the same dates a year before the forecast's, when every one of them is known."""
    back = YEAR_BACK.get(frequency.unit)
    if back is None:
        return None
    wanted = forecast[["unique_id"]].copy()
    wanted["step"] = frequency.steps(forecast["ds"]) - back
    have = history[["unique_id", "y"]].copy()
    have["step"] = frequency.steps(history["ds"])
    merged = wanted.merge(have, on=["unique_id", "step"], how="left")
    if merged["y"].isna().any():
        return None
    return float(merged["y"].sum())


def outlook(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    ranges: Ranges | None,
    frequency: Frequency,
    levels: Sequence[float] = LEVELS,
) -> dict[str, Any]:
    """The figures behind "Over the next 12 weeks ... should total 84,000 (80% range ...), 3% below ...".

    ``history`` and ``forecast`` are per-series frames (``unique_id``, ``ds``, ``y`` / ``forecast``, ``step``).
    """
    total = total_forecast(forecast, ranges)
    horizon = int(forecast["step"].max()) if len(forecast) else 0
    out: dict[str, Any] = {
        "first_date": f"{total['ds'].min():%Y-%m-%d}",
        "last_date": f"{total['ds'].max():%Y-%m-%d}",
        "horizon_words": frequency.span(horizon),
        "series": int(forecast["unique_id"].nunique()),
        "total": float(total["forecast"].sum()),
    }
    for level in levels:
        for side in ("low", "high"):
            column = f"{side}_{key(level)}"
            values = total[column].to_numpy(dtype=np.float64) if column in total else np.array([np.nan])
            out[column] = float(values.sum()) if np.isfinite(values).all() else None
    last_year = _year_earlier(history, forecast, frequency)
    out["last_year"] = last_year
    out["change"] = (out["total"] / last_year - 1.0) if last_year else None
    peak = total.loc[total["forecast"].idxmax()]
    one_year = total["ds"].dt.year.nunique() == 1
    out["peak_date"] = f"{peak['ds']:%Y-%m-%d}"
    out["peak_words"] = period_words(peak["ds"], frequency.unit, with_year=not one_year)
    out["peak_value"] = float(peak["forecast"])
    return out


def rounded(value: float) -> str:
    """A total as a sentence says it: three significant digits from 1,000 up (83,712 -> "83,700")."""
    if not np.isfinite(value):
        return "—"
    if abs(value) >= 1000:
        digits = int(np.floor(np.log10(abs(value)))) - 2
        return fmt.count(int(round(value, -digits)))
    return fmt.amount(value)
