"""Dates read by evidence: day-first or month-first decided by values above 12 or by regular spacing."""

from __future__ import annotations

import pandas as pd
import pytest

from modeling.data.series import parse_dates
from modeling.errors import DataError


def test_a_day_above_12_in_first_position_reads_day_first():
    reading = parse_dates(pd.Series(["03/01/2021", "10/01/2021", "17/01/2021", "24/01/2021"]), column="week")
    assert reading.order == "day_first"
    assert "'17/01/2021' (row 3) can only be day first" in reading.reason
    assert list(reading.dates.dt.day) == [3, 10, 17, 24]


def test_a_day_above_12_in_second_position_reads_month_first():
    reading = parse_dates(pd.Series(["01/03/2021", "01/10/2021", "01/17/2021", "01/24/2021"]))
    assert reading.order == "month_first"
    assert list(reading.dates.dt.month) == [1, 1, 1, 1]


def test_ambiguous_dates_choose_the_reading_that_spaces_them_evenly_and_say_so():
    # monthly on the 1st written day-first: month-first would give 1 to 12 January, then a year's gap
    values = pd.Series([f"01/{m:02d}/{y}" for y in (2021, 2022) for m in range(1, 13)])
    reading = parse_dates(values, column="month")
    assert reading.order == "day_first"
    assert "No value in 'month' has a number above 12" in reading.reason
    assert "spaces the dates evenly" in reading.reason
    assert reading.dates.dt.day.eq(1).all()


def test_equally_regular_readings_fall_back_to_month_first_with_the_reason():
    reading = parse_dates(pd.Series(["01/01/2021", "02/02/2021", "03/03/2021"]))
    assert reading.order == "month_first"
    assert "Choose day first if that is wrong" in reading.reason


def test_a_forced_order_that_the_values_contradict_names_the_rows():
    with pytest.raises(DataError, match=r"cannot be read month first: row 2 \('25/01/2021'\)"):
        parse_dates(pd.Series(["01/01/2021", "25/01/2021"]), order="month_first")


def test_day_first_and_month_first_values_together_are_refused_with_rows():
    with pytest.raises(DataError, match=r"mixes day-first and month-first dates: row 2 .* and row 3"):
        parse_dates(pd.Series(["01/01/2021", "25/01/2021", "01/25/2021"]))


def test_mixed_formats_name_the_odd_rows():
    values = pd.Series(["2021-01-04", "2021-01-11", "18/01/2021", "2021-01-25", "01/02/2021"])
    with pytest.raises(DataError) as error:
        parse_dates(values, column="week")
    message = str(error.value)
    assert "rows 3 and 5" in message and "year first" in message and "'18/01/2021'" in message


def test_values_that_are_no_dates_are_named():
    with pytest.raises(DataError, match=r"not dates in row 2 \('soon'\)"):
        parse_dates(pd.Series(["2021-01-04", "soon", "2021-01-18"]))


def test_missing_dates_are_named():
    with pytest.raises(DataError, match="no date in row 2"):
        parse_dates(pd.Series(["2021-01-04", None, "2021-01-18"]))


def test_impossible_iso_dates_are_named():
    with pytest.raises(DataError, match=r"impossible dates in row 2 \(like '2021-02-30'\)"):
        parse_dates(pd.Series(["2021-02-01", "2021-02-30"]))


def test_several_times_of_day_are_refused_but_one_fixed_time_is_a_date():
    with pytest.raises(DataError, match="several times of day"):
        parse_dates(pd.Series(["2021-01-04 09:00", "2021-01-04 10:00"]))
    stamped = parse_dates(pd.Series(["2021-01-04 09:00", "2021-01-05 09:00"]))
    assert list(stamped.dates.dt.hour) == [0, 0]


def test_month_names_and_quarters_need_no_order():
    assert parse_dates(pd.Series(["1998 Q1", "1998 Q2"])).order == "named"
    months = parse_dates(pd.Series(["Jan 2020", "Feb 2020"])).dates
    assert list(months.dt.month) == [1, 2]


def test_real_dates_and_numbers():
    assert parse_dates(pd.Series(pd.to_datetime(["2021-01-04", "2021-01-11"]))).order == "dates"
    with pytest.raises(DataError, match="holds numbers, not dates"):
        parse_dates(pd.Series([2019, 2020]), column="year")
