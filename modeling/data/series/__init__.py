"""Time series: from an uploaded table to a checked forecasting frame in Nixtla's long format.

A page (or notebook) does::

    proposal = propose_series(df)          # roles and "'units' per 'shop', 12 series, weekly on Mondays, ..."
    prepared = prepare_series(df, "week", "units", ["shop"], ["promo"], fill_gaps="zero")
    prepared.long                          # unique_id (str), ds (datetime64), y (float64), promo (float64)
    prepared.preparation                   # SeriesPreparation: every choice, JSON-serialisable
    check_horizon(prepared.long, 12, prepared.frequency)
    future = future_frame(prepared.long, prepared.preparation, 12, planned=None)

One job per module: ``dates`` (day-first or month-first, by evidence), ``frequency`` (inferred within
series, in words), ``values`` (numbers and flags from cells), ``prepare`` (duplicates, gaps, short and
stopped series), ``preparation`` (the record), ``propose`` (recognise a forecasting table), ``future`` (the
dates to forecast and their known-ahead values) and ``limits`` (the numbers errors quote).
"""

from __future__ import annotations

from modeling.data.series.dates import DATE_ORDERS, DateReading, parse_dates
from modeling.data.series.frequency import Frequency, frequency_from_alias, infer_frequency
from modeling.data.series.future import check_horizon, future_frame
from modeling.data.series.limits import MAX_HORIZON, MAX_SERIES, MIN_POINTS
from modeling.data.series.preparation import SINGLE_SERIES, SeriesPreparation
from modeling.data.series.prepare import DUPLICATES, FILLS, PreparedSeries, prepare_series
from modeling.data.series.propose import SeriesProposal, propose_series

__all__ = [
    "DATE_ORDERS",
    "DUPLICATES",
    "FILLS",
    "MAX_HORIZON",
    "MAX_SERIES",
    "MIN_POINTS",
    "SINGLE_SERIES",
    "DateReading",
    "Frequency",
    "PreparedSeries",
    "SeriesPreparation",
    "SeriesProposal",
    "check_horizon",
    "frequency_from_alias",
    "future_frame",
    "infer_frequency",
    "parse_dates",
    "prepare_series",
    "propose_series",
]
