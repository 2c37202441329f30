"""Read a column of dates the way its writer meant them, and say how it was read.

``03/04/2021`` is the 3rd of April in Europe and the 4th of March in the USA. The order is decided by
evidence, never silently: a first number above 12 can only be a day (day-first), a second number above 12 can
only be a day (month-first), and when no value decides it both readings are tried and the one whose dates are
evenly spaced wins ("monthly on the 1st" rather than "twelve days in January, then a gap"). Only when both
readings are equally regular is a default taken, and the reason says so. A column that mixes ways of writing
dates, or holds values that are no date at all, is refused with the rows named, because guessing there would
move sales to the wrong month without anyone noticing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.series.limits import SHOWN
from modeling.errors import DataError

DateOrder = Literal["auto", "day_first", "month_first", "iso"]
DATE_ORDERS: tuple[str, ...] = ("auto", "day_first", "month_first", "iso")

_ISO = re.compile(r"^\d{4}[-/]\d{1,2}([-/]\d{1,2})?([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})( \d{1,2}:\d{2}(:\d{2})?)?$")
_MONTH_NAMES = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
_NAMED = re.compile(rf"({_MONTH_NAMES})[a-z]*\.?|\bq[1-4]\b|\d{{4}}\s*-?\s*q[1-4]", re.IGNORECASE)
_YEAR = re.compile(r"\b\d{4}\b|\b\d{2}$")
_KIND_WORDS = {
    "iso": "year first (like 2021-03-04)",
    "numeric": "day and month first (like 04/03/2021)",
    "named": "with a month name or quarter (like 'Mar 2021' or '2021 Q1')",
    "other": "in no date format",
}


@dataclass(frozen=True)
class DateReading:
    """Parsed dates (midnight timestamps, same index as the input) and how they were read."""

    dates: pd.Series
    #: ``"dates"`` (the column already held dates), ``"iso"``, ``"day_first"``, ``"month_first"`` or ``"named"``.
    order: str
    #: Why this reading: a sentence for the person ("'25/01/2021' in row 3 can only be day first").
    reason: str


def rows_text(positions: np.ndarray | list[int], limit: int = SHOWN) -> str:
    """``'rows 3, 17 and 42'`` (1-based, counting the first row under the header as row 1), at most ``limit``."""
    numbers = [int(p) + 1 for p in list(positions)[:limit]]
    more = len(positions) - len(numbers)
    listed = ", ".join(f"{n:,}" for n in numbers)
    if more > 0:
        return f"rows {listed} and {fmt.plural(more, 'more row')}"
    if len(numbers) == 1:
        return f"row {listed}"
    head, _, last = listed.rpartition(", ")
    return f"rows {head} and {last}"


def date_kind(value: str) -> str:
    """How a date is written: ``iso`` (2021-03-04), ``numeric`` (04/03/2021), ``named`` (Mar 2021) or ``other``."""
    if _ISO.match(value):
        return "iso"
    if _NUMERIC.match(value):
        return "numeric"
    if _NAMED.search(value) and _YEAR.search(value):
        return "named"
    return "other"


def parse_dates(values: pd.Series, order: str = "auto", column: str = "date") -> DateReading:
    """Dates from a column of dates or text; ``order`` forces ``day_first``, ``month_first`` or ``iso``.

    Raises :class:`DataError` naming the rows for missing dates, values that are no date, a column that mixes
    ways of writing dates, a day-first value next to a month-first one, and times of day (ModelDeck forecasts
    daily or coarser series: sum the rows per day first).
    """
    if order not in DATE_ORDERS:
        raise DataError(f"The date order '{order}' is not one of {', '.join(DATE_ORDERS)}.")
    missing = np.flatnonzero(values.isna().to_numpy())
    if len(missing):
        raise DataError(
            f"'{column}' has no date in {rows_text(missing)}. Every row needs a date: fill them in or delete "
            "those rows, and upload again."
        )
    if pd.api.types.is_datetime64_any_dtype(values):
        dates = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
        reading = DateReading(dates.astype("datetime64[ns]"), "dates", f"'{column}' already holds dates.")
    elif pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise DataError(
            f"'{column}' holds numbers, not dates. Choose the column that holds the dates (like 2024-06-24), "
            "or write the dates out in full."
        )
    else:
        reading = _parse_text(values.astype(str).str.strip(), order, column)
    _refuse_times(reading.dates, column)
    return DateReading(reading.dates.dt.normalize(), reading.order, reading.reason)


def _parse_text(text: pd.Series, order: str, column: str) -> DateReading:
    kinds = text.map(date_kind)
    counts = kinds.value_counts()
    if "other" in counts.index:
        bad = np.flatnonzero((kinds == "other").to_numpy())
        examples = ", ".join(f"'{fmt.clip(v, 25)}'" for v in text.iloc[bad[:3]])
        raise DataError(
            f"'{column}' has values that are not dates in {rows_text(bad)} ({examples}). Write them as dates "
            "(for example 2024-06-24) or delete those rows, and upload again."
        )
    if len(counts) > 1:
        main = str(counts.index[0])
        odd = np.flatnonzero((kinds != main).to_numpy())
        raise DataError(
            f"'{column}' writes dates in more than one way: most are {_KIND_WORDS[main]}, but "
            f"{rows_text(odd)} {'is' if len(odd) == 1 else 'are'} written "
            f"{_KIND_WORDS[str(kinds.iloc[odd[0]])]} ('{fmt.clip(text.iloc[odd[0]], 25)}'). Write every date the "
            "same way (for example 2024-06-24) and upload again, so no month is mistaken for a day."
        )
    kind = str(counts.index[0])
    if kind == "iso":
        reason = f"'{column}' writes dates year first (ISO, like 2021-03-04)."
        return _parse_with(text, "ISO8601", column, "iso", reason)
    if kind == "named":
        reason = f"'{column}' names the months or quarters, so no order had to be guessed."
        return _parse_with(_quarters_as_dates(text), "mixed", column, "named", reason)
    if order == "iso":
        raise DataError(f"'{column}' does not write dates year first (like 2021-03-04), so it cannot be read as ISO.")
    return _parse_numeric(text, order, column)


def _quarters_as_dates(text: pd.Series) -> pd.Series:
    """'1998 Q2' / 'Q2 1998' / '1998-Q2' as '1998-04-01' (pandas reads no quarters); other text unchanged."""
    year_first = text.str.extract(r"^(\d{4})\s*-?\s*[Qq]([1-4])$")
    quarter_first = text.str.extract(r"^[Qq]([1-4])\s*-?\s*(\d{4})$")
    year = year_first[0].fillna(quarter_first[1])
    quarter = year_first[1].fillna(quarter_first[0])
    found = year.notna() & quarter.notna()
    if not found.any():
        return text
    month = (quarter[found].astype(int) - 1) * 3 + 1
    dates = year[found] + "-" + month.map(lambda m: f"{m:02d}") + "-01"
    return text.where(~found, dates)


def _parse_with(text: pd.Series, format_: str, column: str, order: str, reason: str) -> DateReading:
    parsed = pd.to_datetime(text, format=format_, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        raise DataError(
            f"'{column}' has impossible dates in {rows_text(bad)} (like '{fmt.clip(text.iloc[bad[0]], 25)}'). "
            "Correct or delete those rows, and upload again."
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return DateReading(parsed.astype("datetime64[ns]"), order, reason)


def _parse_numeric(text: pd.Series, order: str, column: str) -> DateReading:
    parts = text.str.extract(_NUMERIC)
    first, second, year = parts[0].astype(int), parts[1].astype(int), parts[2]
    day_first_rows = np.flatnonzero((first > 12).to_numpy())
    month_first_rows = np.flatnonzero((second > 12).to_numpy())
    if len(day_first_rows) and len(month_first_rows):
        raise DataError(
            f"'{column}' mixes day-first and month-first dates: {rows_text(day_first_rows, 3)} can only be day "
            f"first ('{text.iloc[day_first_rows[0]]}') and {rows_text(month_first_rows, 3)} only month first "
            f"('{text.iloc[month_first_rows[0]]}'). Write every date the same way (for example 2024-06-24)."
        )
    for forced, conflicting, name in (("day_first", month_first_rows, "day"), ("month_first", day_first_rows, "month")):
        if order == forced and len(conflicting):
            raise DataError(
                f"'{column}' cannot be read {name} first: {rows_text(conflicting, 3)} "
                f"('{text.iloc[conflicting[0]]}') would have a month above 12. Choose the other order."
            )
    normalised = parts[0] + "/" + parts[1] + "/" + year
    year_code = "%Y" if year.str.len().iloc[0] == 4 else "%y"
    readings = {
        name: pd.to_datetime(normalised, format=f"{fmt_}/{year_code}", errors="coerce")
        for name, fmt_ in (("day_first", "%d/%m"), ("month_first", "%m/%d"))
    }
    if order != "auto":
        chosen, reason = order, f"'{column}' was read {order.replace('_', '-')} as asked."
    elif len(day_first_rows) or len(month_first_rows):
        chosen = "day_first" if len(day_first_rows) else "month_first"
        row = (day_first_rows if len(day_first_rows) else month_first_rows)[0]
        way = chosen.replace("_", " ")
        reason = f"'{column}' is read {way}: '{text.iloc[row]}' (row {row + 1:,}) can only be {way}."
    else:
        chosen, reason = _by_regularity(readings, column)
    parsed = readings[chosen]
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        raise DataError(
            f"'{column}' has impossible dates in {rows_text(bad)} (like '{text.iloc[bad[0]]}' read "
            f"{chosen.replace('_', '-')}). Correct or delete those rows, and upload again."
        )
    return DateReading(parsed.astype("datetime64[ns]"), chosen, reason)


def regularity(dates: pd.Series) -> float:
    """How evenly the distinct dates fill their span at their most common step (1.0: no step missing).

    Twelve days in January and then nothing for a year has a common step of one day but fills 24 of ~380 days
    (0.06); the same values read as the first of each month fill every month (1.0).
    """
    distinct = np.sort(dates.dropna().unique())
    if len(distinct) < 3:
        return 1.0
    steps = np.diff(distinct).astype("timedelta64[D]").astype(np.int64)
    # a month is 28 to 31 days, a quarter 89 to 92: group steps that are the same calendar step
    buckets = np.select([steps <= 7, steps <= 31, steps <= 92], [steps, 30, 91], 365)
    values, counts = np.unique(buckets, return_counts=True)
    common = int(values[np.argmax(counts)])
    span = int(steps.sum())
    return float(min(1.0, len(distinct) / (span / common + 1)))


def _by_regularity(readings: dict[str, pd.Series], column: str) -> tuple[str, str]:
    valid = {name: dates for name, dates in readings.items() if not dates.isna().any()}
    if len(valid) == 1:
        name = next(iter(valid))
        return name, f"'{column}' is read {name.replace('_', '-')}: the other order gives impossible dates."
    day, month = regularity(valid["day_first"]), regularity(valid["month_first"])
    if abs(day - month) > 0.05:
        name = "day_first" if day > month else "month_first"
        return name, (
            f"No value in '{column}' has a number above 12, so either order is possible; it is read "
            f"{name.replace('_', '-')} because that spaces the dates evenly ({fmt.share(max(day, month))} of the "
            f"steps alike, against {fmt.share(min(day, month))}). Choose the other order if that is wrong."
        )
    return "month_first", (
        f"No value in '{column}' has a number above 12 and both orders space the dates evenly, so it is read "
        "month first (the US order, and what spreadsheets assume). Choose day first if that is wrong."
    )


def _refuse_times(dates: pd.Series, column: str) -> None:
    """Refuse several times of day (hourly data); one fixed time (daily values stamped 09:00) is just a date."""
    times = dates - dates.dt.normalize()
    if times.nunique() > 1:
        odd = np.flatnonzero((times != times.iloc[0]).to_numpy())
        raise DataError(
            f"'{column}' holds several times of day ({rows_text(odd, 3)}, like {dates.iloc[odd[0]]}). "
            "ModelDeck forecasts daily or coarser series: add the rows up per day first, and upload again."
        )
