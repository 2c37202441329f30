"""Recognise a time series in a table: the date column, the number to forecast, the series and known-ahead columns.

The Data page asks "is this a forecasting table?" of every upload. :func:`propose_series` answers with a
:class:`SeriesProposal` ("'units' per 'shop', 12 series, weekly on Mondays, 2021-01-04 to 2024-06-24") or
``None``. A table whose rows are records with a date (house sales: many rows per month) is not a series: when
even the best series columns leave most dates repeated, the answer is ``None``. Roles come from the values
first and from names second: a column of dates, a numeric column that is not a 0/1 flag or a row number, the
text columns that make each (series, date) pair unique, and 0/1 columns named like a promotion or holiday
(or a price, or a count of games) proposed as known ahead; the person confirms or changes every one.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from modeling.data.series.dates import date_kind
from modeling.data.series.limits import MAX_SERIES, MIN_POINTS
from modeling.data.series.preparation import SeriesPreparation
from modeling.data.series.prepare import prepare_series
from modeling.errors import DataError

DATE_HINTS = re.compile(r"date|day|week|month|quarter|year|period|time|^ds$|datum|fecha", re.IGNORECASE)
TARGET_HINTS = re.compile(
    r"sales|units|demand|quantit|qty|revenue|amount|orders|volume|count|visit|sign.?ups|rides|ridership|"
    r"passengers|calls|^y$|value|total|sold",
    re.IGNORECASE,
)
SERIES_HINTS = re.compile(r"store|shop|product|item|sku|region|state|country|station|series|branch|site|categ")
KNOWN_AHEAD_HINTS = re.compile(r"promo|holiday|event|discount|campaign|deal|game|launch|closed|feature", re.IGNORECASE)
PRICE_HINTS = re.compile(r"price", re.IGNORECASE)
ID_NAMES = re.compile(r"^(rownames|row|index|id|unnamed.*|#)$", re.IGNORECASE)
#: Share of rows whose (series, date) repeats above which a table is records with a date, not a time series.
MAX_REPEATED_SHARE = 0.5


@dataclass
class SeriesProposal:
    """The roles ModelDeck proposes for a forecasting table, the sentence that shows them and any problem."""

    date_column: str
    target_column: str
    series_columns: list[str] = field(default_factory=list)
    known_ahead_columns: list[str] = field(default_factory=list)
    #: "'units' per 'shop', 12 series, weekly on Mondays, 2021-01-04 to 2024-06-24"
    sentence: str = ""
    #: Known-ahead and left-out columns, in words.
    outside: str = ""
    #: The sentence of the :class:`DataError` these roles run into (text in the target, ...), for the page.
    problem: str | None = None
    preparation: SeriesPreparation | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["preparation"] = self.preparation.to_dict() if self.preparation else None
        return data


def _looks_like_dates(values: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    sample = values.dropna().astype(str).str.strip().head(200)
    if len(sample) < 2:
        return False
    return bool((sample.map(date_kind) != "other").mean() >= 0.9)


def _is_row_number(values: pd.Series) -> bool:
    if not pd.api.types.is_integer_dtype(values):
        return False
    diffs = np.diff(values.to_numpy())
    return len(diffs) > 0 and bool((diffs == 1).all())


def _is_flag(values: pd.Series) -> bool:
    present = values.dropna()
    return len(present) > 0 and bool(present.isin([0, 1]).all())


def _repeated_share(df: pd.DataFrame, columns: list[str], date_column: str) -> float:
    return float(df.duplicated([*columns, date_column]).mean())


def _series_columns(df: pd.DataFrame, date_column: str, exclude: set[str]) -> list[str]:
    if _repeated_share(df, [], date_column) == 0:
        return []
    rows = len(df)
    candidates = []
    for column in df.columns:
        if column in exclude or column == date_column:
            continue
        values = df[column]
        textual = not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values))
        hinted_number = pd.api.types.is_integer_dtype(values) and bool(SERIES_HINTS.search(str(column).lower()))
        distinct = values.nunique()
        if (textual or hinted_number) and 2 <= distinct <= min(MAX_SERIES, rows // 2):
            candidates.append((not bool(SERIES_HINTS.search(str(column).lower())), distinct, str(column)))
    ordered = [name for _, _, name in sorted(candidates)][:6]
    best: tuple[float, list[str]] = (_repeated_share(df, [], date_column), [])
    for size in (1, 2, 3):
        for combo in combinations(ordered, size):
            share = _repeated_share(df, list(combo), date_column)
            if share <= 0.01:
                return list(combo)
            if share < best[0] - 0.05:
                best = (share, list(combo))
    return best[1]


def propose_series(df: pd.DataFrame) -> SeriesProposal | None:
    """Roles for a forecasting table, or ``None`` when ``df`` is not a time series (no dates, no number, records)."""
    if df.empty or len(df) < MIN_POINTS:
        return None
    dates = [str(c) for c in df.columns if _looks_like_dates(df[c])]
    if not dates:
        return None
    date_column = sorted(dates, key=lambda c: (not DATE_HINTS.search(c), dates.index(c)))[0]
    numeric = [
        str(c)
        for c in df.columns
        if str(c) != date_column
        and pd.api.types.is_numeric_dtype(df[c])
        and not pd.api.types.is_bool_dtype(df[c])
        and not ID_NAMES.match(str(c))
        and not _is_row_number(df[c])
    ]
    flags = [c for c in numeric if _is_flag(df[c])]
    known = [c for c in numeric if KNOWN_AHEAD_HINTS.search(c) or PRICE_HINTS.search(c)]
    targets = [c for c in numeric if c not in flags and c not in known]
    if not targets:
        return None
    target = next((c for c in targets if TARGET_HINTS.search(c)), targets[0])
    series = _series_columns(df, date_column, {target, *known})
    if _repeated_share(df, series, date_column) > MAX_REPEATED_SHARE:
        return None
    proposal = SeriesProposal(date_column, target, series, known)
    try:
        prepared = prepare_series(df, date_column, target, series, known)
    except DataError as error:
        proposal.problem = str(error)
        return proposal
    proposal.preparation = prepared.preparation
    proposal.sentence = prepared.preparation.sentence()
    proposal.outside = prepared.preparation.known_ahead_sentence()
    return proposal
