"""Frequency inference on every supported frequency, within series, with gaps; refusals say what was seen."""

from __future__ import annotations

import pandas as pd
import pytest

from modeling.data.series import frequency_from_alias, infer_frequency
from modeling.data.series.frequency import WEEKDAYS
from modeling.errors import DataError


def _infer(dates: pd.DatetimeIndex, ids=None):
    return infer_frequency(pd.Series(dates), None if ids is None else pd.Series(ids))


@pytest.mark.parametrize("weekday", WEEKDAYS)
def test_weekly_on_each_weekday(weekday):
    freq = _infer(pd.date_range("2021-01-01", periods=30, freq=f"W-{weekday}"))
    assert freq.alias == f"W-{weekday}"
    assert freq.words.startswith("weekly on ") and freq.season_length == 52


@pytest.mark.parametrize(
    ("alias", "words", "season"),
    [
        ("D", "daily", 7),
        ("MS", "first day of each month", 12),
        ("ME", "last day of each month", 12),
        ("QS-JAN", "quarters starting in Jan, Apr, Jul, Oct", 4),
        ("QS-FEB", "quarters starting in Feb, May, Aug, Nov", 4),
        ("QS-MAR", "quarters starting in Mar, Jun, Sep, Dec", 4),
        ("QE-DEC", "quarters ending in Mar, Jun, Sep, Dec", 4),
        ("YS-JAN", "yearly", 1),
    ],
)
def test_every_supported_frequency(alias, words, season):
    freq = _infer(pd.date_range("2015-01-01", periods=24, freq=alias))
    assert freq.alias == alias and words in freq.words and freq.season_length == season


def test_gaps_and_late_starting_series_do_not_change_the_answer():
    weeks = pd.date_range("2021-01-04", periods=40, freq="W-MON")
    dates = weeks.delete([5, 6, 20]).append(weeks[10:])
    ids = ["a"] * 37 + ["b"] * 30
    assert _infer(dates, ids).alias == "W-MON"


def test_mid_month_dates_stand_for_their_month():
    freq = _infer(pd.date_range("2020-01-15", periods=12, freq="MS") + pd.Timedelta(days=14))
    assert freq.alias == "MS" and "day 15" in freq.words


def test_a_weekday_among_mondays_is_refused_with_what_was_seen():
    dates = pd.date_range("2021-01-04", periods=20, freq="W-MON").append(pd.DatetimeIndex(["2021-06-01"]))
    with pytest.raises(DataError, match=r"Monday \(20 dates\), Tuesday \(1 date\)"):
        _infer(dates)


def test_irregular_dates_are_refused_with_the_steps_seen():
    dates = pd.DatetimeIndex(pd.to_datetime("2021-01-01") + pd.to_timedelta([0, 3, 8, 11, 16, 19, 24], unit="D"))
    with pytest.raises(DataError, match=r"not daily, weekly, monthly, quarterly or yearly: the steps between them are"):
        _infer(dates)


def test_a_single_date_per_series_is_refused():
    with pytest.raises(DataError, match="single date"):
        _infer(pd.DatetimeIndex(["2021-01-04", "2021-01-04"]), ["a", "b"])


def test_unknown_alias_lists_the_supported_ones():
    with pytest.raises(DataError, match="W-MON to W-SUN"):
        frequency_from_alias("H")


def test_steps_and_future_follow_the_calendar():
    freq = frequency_from_alias("ME")
    steps = freq.steps(pd.DatetimeIndex(["2024-01-31", "2024-02-29", "2024-04-30"]))
    assert list(steps - steps[0]) == [0, 1, 3]
    assert list(freq.future(pd.Timestamp("2024-01-31"), 2)) == [pd.Timestamp("2024-02-29"), pd.Timestamp("2024-03-31")]
