"""How often a series is measured: infer it from the dates, name it in words, and step along it.

The frequency is a pandas offset alias (``D``, ``W-MON``, ``MS``, ``ME``, ``QS-JAN``, ``QE-DEC``, ``YS-JAN``)
because that is what pandas, statsforecast and the saved run all speak; ``words`` is what a person reads
("weekly on Mondays"). Inference looks at the steps between consecutive dates *within* each series (a panel's
series may start on different dates) and takes the most common one, so a gap (a week without a row) does not
change the answer; dates that break the pattern (a Tuesday among Mondays) are refused with what was seen,
because a model that assumes equal steps would silently learn the wrong season.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.errors import DataError

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_CODES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
#: Seasonal period per unit: a week in days, a year in weeks, months and quarters.
SEASON = {"day": 7, "week": 52, "month": 12, "quarter": 4, "year": 1}


@dataclass(frozen=True)
class Frequency:
    """A supported frequency: its pandas alias, words for people, season length and unit ("week")."""

    alias: str
    words: str
    season_length: int
    unit: str

    def steps(self, dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
        """An integer per date, one apart for consecutive steps (so gaps are differences above one)."""
        ds = pd.DatetimeIndex(dates)
        if self.unit == "day":
            return (ds.values.astype("datetime64[D]").astype(np.int64)).astype(np.int64)
        if self.unit == "week":
            return ds.values.astype("datetime64[D]").astype(np.int64) // 7
        months = ds.year.to_numpy().astype(np.int64) * 12 + ds.month.to_numpy() - 1
        if self.unit == "month":
            return months
        if self.unit == "quarter":
            return months // 3
        return ds.year.to_numpy().astype(np.int64)

    def future(self, last: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
        """The ``horizon`` dates after ``last``."""
        return pd.date_range(pd.Timestamp(last), periods=horizon + 1, freq=self.alias)[1:]

    def span(self, n: int) -> str:
        """``'12 weeks'``."""
        return fmt.plural(n, self.unit)


def frequency_from_alias(alias: str) -> Frequency:
    """The :class:`Frequency` of a supported alias; :class:`DataError` listing them otherwise."""
    alias = alias.strip().upper()
    if alias == "D":
        return Frequency("D", "daily", SEASON["day"], "day")
    if alias.startswith("W-") and alias[2:] in WEEKDAYS:
        name = WEEKDAY_NAMES[WEEKDAYS.index(alias[2:])]
        return Frequency(alias, f"weekly on {name}s", SEASON["week"], "week")
    if alias in ("MS", "ME"):
        where = "first" if alias == "MS" else "last"
        return Frequency(alias, f"monthly (the {where} day of each month)", SEASON["month"], "month")
    if alias[:3] in ("QS-", "QE-") and alias[3:] in MONTH_CODES:
        where = "starting" if alias.startswith("QS-") else "ending"
        words = f"quarterly (quarters {where} in {_quarter_months(alias)})"
        return Frequency(alias, words, SEASON["quarter"], "quarter")
    if alias in ("YS-JAN", "YE-DEC"):
        where = "1 January" if alias == "YS-JAN" else "31 December"
        return Frequency(alias, f"yearly (on {where})", SEASON["year"], "year")
    raise DataError(
        f"The frequency '{alias}' is not one ModelDeck forecasts. Use D (daily), W-MON to W-SUN (weekly on that day), "
        "MS or ME (monthly, first or last day), QS-JAN/FEB/MAR or QE-DEC/JAN/FEB (quarterly), YS-JAN or YE-DEC."
    )


def _quarter_months(alias: str) -> str:
    """``'Jan, Apr, Jul, Oct'``: the months a quarterly alias's dates fall in."""
    month = MONTH_CODES.index(alias[3:])
    return ", ".join(MONTH_NAMES[m][:3] for m in sorted((month + 3 * i) % 12 for i in range(4)))


def infer_frequency(dates: pd.Series, ids: pd.Series | None = None, column: str = "date") -> Frequency:
    """The frequency of ``dates`` (midnight timestamps), read within each series of ``ids``.

    Raises :class:`DataError` saying what was seen when no supported frequency fits.
    """
    frame = pd.DataFrame({"id": ids.to_numpy() if ids is not None else 0, "ds": dates.to_numpy()})
    frame = frame.drop_duplicates().sort_values(["id", "ds"])
    steps = frame.groupby("id", sort=False)["ds"].diff().dropna().dt.days.to_numpy()
    if len(steps) == 0:
        raise DataError(
            f"Every series has a single date in '{column}', so there is nothing to learn from. A forecast needs "
            "each series measured on many dates (for example one row per week)."
        )
    values, counts = np.unique(steps, return_counts=True)
    common = int(values[np.argmax(counts)])
    ds = pd.DatetimeIndex(frame["ds"])
    if common == 1:
        return frequency_from_alias("D")
    if common == 7:
        return _weekly(ds, column)
    if 28 <= common <= 31:
        return _monthly(ds, column)
    if 89 <= common <= 92:
        return _quarterly(ds, column)
    if 365 <= common <= 366:
        return _yearly(ds, column)
    seen = ", ".join(fmt.plural(int(v), "day") for v in values[np.argsort(-counts)][:4])
    raise DataError(
        f"The dates in '{column}' are not daily, weekly, monthly, quarterly or yearly: the steps between them are "
        f"{seen} (most often {fmt.plural(common, 'day')}). Check that '{column}' is the right date column and that "
        "each series has one row per period."
    )


def _only(values: np.ndarray, names: list[str], what: str, column: str) -> None:
    distinct, counts = np.unique(values, return_counts=True)
    if len(distinct) > 1:
        order = np.argsort(-counts)
        labels = [names[int(v)] if names else f"day {v}" for v in distinct]
        seen = ", ".join(f"{labels[i]} ({fmt.plural(int(counts[i]), 'date')})" for i in order[:4])
        raise DataError(
            f"The dates in '{column}' are {what} but do not all fall on the same day: {seen}. Move them to one day "
            "(for example each week's Monday) so every step is the same length, and upload again."
        )


def _weekly(ds: pd.DatetimeIndex, column: str) -> Frequency:
    weekday = ds.day_of_week.to_numpy()
    _only(weekday, list(WEEKDAY_NAMES), "a week apart", column)
    return frequency_from_alias(f"W-{WEEKDAYS[int(weekday[0])]}")


def _monthly(ds: pd.DatetimeIndex, column: str) -> Frequency:
    if (ds.day == 1).all():
        return frequency_from_alias("MS")
    if ds.is_month_end.all():
        return frequency_from_alias("ME")
    day = ds.day.to_numpy()
    _only(day, [], "a month apart", column)
    if day[0] > 28:
        raise DataError(
            f"The dates in '{column}' are a month apart on day {day[0]}, which not every month has. Use the first or "
            "the last day of each month, and upload again."
        )
    base = frequency_from_alias("MS")
    return Frequency("MS", f"monthly (dates on day {day[0]} stand for their month)", base.season_length, "month")


def _quarterly(ds: pd.DatetimeIndex, column: str) -> Frequency:
    cycle = (ds.month.to_numpy() - 1) % 3
    _only(cycle, ["Jan/Apr/Jul/Oct", "Feb/May/Aug/Nov", "Mar/Jun/Sep/Dec"], "about a quarter apart", column)
    if (ds.day == 1).all():
        return frequency_from_alias(f"QS-{MONTH_CODES[int(cycle[0])]}")
    if ds.is_month_end.all():
        last = int(cycle[0])  # 2: quarters end in Mar/Jun/Sep/Dec
        return frequency_from_alias({2: "QE-DEC", 0: "QE-JAN", 1: "QE-FEB"}[last])
    raise DataError(
        f"The dates in '{column}' are a quarter apart but not on the first or last day of a month. Use the first "
        "day of each quarter (for example 2024-04-01), and upload again."
    )


def _yearly(ds: pd.DatetimeIndex, column: str) -> Frequency:
    if ((ds.month == 1) & (ds.day == 1)).all():
        return frequency_from_alias("YS-JAN")
    if ((ds.month == 12) & (ds.day == 31)).all():
        return frequency_from_alias("YE-DEC")
    raise DataError(
        f"The dates in '{column}' are a year apart but not on 1 January or 31 December. Use one of those days "
        "for every year, and upload again."
    )


def anchor(dates: pd.Series, frequency: Frequency) -> pd.Series:
    """Dates moved onto the frequency's own days (mid-month dates to their month's first day); others unchanged."""
    if frequency.alias == "MS":
        return dates.dt.to_period("M").dt.start_time.astype("datetime64[ns]")
    return dates


def off_grid(dates: pd.Series, frequency: Frequency) -> np.ndarray:
    """Positions of dates that do not fall on ``frequency``'s days (a Tuesday in weekly-on-Mondays data)."""
    ds = pd.DatetimeIndex(dates)
    grid = pd.DatetimeIndex(pd.date_range(ds.min(), periods=1, freq=frequency.alias))
    if frequency.unit == "day":
        return np.array([], dtype=np.int64)
    if frequency.unit == "week":
        return np.flatnonzero(ds.day_of_week != grid[0].day_of_week)
    starts = frequency.alias == "MS" or frequency.alias.startswith(("QS", "YS"))
    on = ds.is_month_start if starts else ds.is_month_end
    if frequency.unit == "quarter":
        on = on & ((ds.month - grid[0].month) % 3 == 0)
    if frequency.unit == "year":
        on = on & (ds.month == grid[0].month)
    return np.flatnonzero(~np.asarray(on))
