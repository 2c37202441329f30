"""From a table to the checked long frame: duplicates, gaps, limits, short series, known-ahead columns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from modeling.data.series import (
    MAX_SERIES,
    SeriesPreparation,
    check_horizon,
    frequency_from_alias,
    future_frame,
    prepare_series,
    propose_series,
)
from modeling.errors import DataError
from tests.unit.forecast.conftest import seasonal_panel


def test_the_long_frame_has_nixtlas_columns_and_types(monthly):
    long = monthly.long
    assert list(long.columns) == ["unique_id", "ds", "y", "promo"]
    assert long["ds"].dtype == "datetime64[ns]" and long["y"].dtype == np.float64
    assert pd.api.types.is_string_dtype(long["unique_id"])
    assert long.groupby("unique_id").size().eq(60).all()
    prep = monthly.preparation
    assert (
        prep.sentence()
        == "'units' per 'shop', 4 series, monthly (the first day of each month), 2019-01-01 to 2023-12-01"
    )
    assert prep.frequency == "MS" and prep.season_length == 12


def test_known_ahead_and_not_known_ahead_columns_are_said(monthly):
    prep = monthly.preparation
    assert prep.known_ahead_columns == ["promo"]
    assert prep.left_out["temperature"].startswith("not known ahead")
    sentence = prep.known_ahead_sentence()
    assert "'promo' is known ahead" in sentence
    assert "'temperature' is left out: not known ahead" in sentence


def test_preparation_round_trips_through_json(monthly):
    data = json.loads(json.dumps(monthly.preparation.to_dict()))
    assert SeriesPreparation.from_dict({**data, "from_a_newer_version": 1}) == monthly.preparation


def test_duplicates_are_summed_or_refused_with_rows():
    table = seasonal_panel(series=2, periods=20)
    doubled = pd.concat([table, table.iloc[[3]]], ignore_index=True)
    summed = prepare_series(doubled, "date", "units", ["shop"])
    row = summed.long[(summed.long["unique_id"] == "shop 0") & (summed.long["ds"] == table["date"].iloc[3])]
    assert row["y"].item() == pytest.approx(2 * table["units"].iloc[3])
    assert summed.preparation.duplicate_dates == 1 and "added up" in summed.preparation.notes[0]
    with pytest.raises(DataError, match=r"rows 4 and 41 are all 'shop 0' on 2019-04-01"):
        prepare_series(doubled, "date", "units", ["shop"], duplicates="refuse")


def test_gaps_are_reported_and_filled_only_when_asked():
    table = seasonal_panel(series=2, periods=30).drop(index=[5, 6, 40])
    kept = prepare_series(table, "date", "units", ["shop"])
    assert kept.preparation.gaps_found == 3 and kept.preparation.gap_series == ["shop 0", "shop 1"]
    assert len(kept.long) == 57 and "3 months are missing" in kept.preparation.notes[0]
    zero = prepare_series(table, "date", "units", ["shop"], fill_gaps="zero")
    assert len(zero.long) == 60 and (zero.long["y"] == 0).sum() == 3
    line = prepare_series(table, "date", "units", ["shop"], fill_gaps="interpolate").long
    shop0 = line[line["unique_id"] == "shop 0"].reset_index(drop=True)
    original = seasonal_panel(series=1, periods=30)["units"]
    assert shop0.loc[5, "y"] == pytest.approx(original[4] + (original[7] - original[4]) / 3)


def test_empty_targets_become_gaps():
    table = seasonal_panel(series=1, periods=20)
    table.loc[4, "units"] = np.nan
    prepared = prepare_series(table, "date", "units")
    assert prepared.preparation.missing_targets == 1 and prepared.preparation.gaps_found == 1


def test_text_in_the_target_names_the_rows():
    table = seasonal_panel(series=1, periods=12)
    table["units"] = table["units"].astype(str)
    table.loc[[3, 8], "units"] = ["n/a", "twelve"]
    with pytest.raises(DataError, match=r"'units' has text in rows 4 and 9 \('n/a', 'twelve'\)"):
        prepare_series(table, "date", "units")


def test_thousands_separators_and_currency_are_numbers():
    table = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=10, freq="MS"),
            "sales": ["$1,200", "1,300", "900"] + ["1,000"] * 7,
        }
    )
    assert list(prepare_series(table, "date", "sales").long["y"][:3]) == [1200.0, 1300.0, 900.0]


def test_a_single_series_of_six_points_is_refused():
    table = seasonal_panel(series=1, periods=6)
    with pytest.raises(DataError, match=r"The series has 6 dated values; a forecast needs at least 8"):
        prepare_series(table, "date", "units")


def test_short_series_are_left_out_and_named_and_short_seasons_flagged():
    long_one = seasonal_panel(series=1, periods=30)
    short = seasonal_panel(series=2, periods=30).query("shop == 'shop 1'").tail(5)
    medium = seasonal_panel(series=3, periods=30).query("shop == 'shop 2'").tail(15)
    prepared = prepare_series(pd.concat([long_one, short, medium]), "date", "units", ["shop"])
    prep = prepared.preparation
    assert prep.series_left_out == {"shop 1": "only 5 dated values (at least 8 needed)"}
    assert prep.short_for_season == ["shop 2"]
    assert prep.started_late == 1 and "start later than 2019-01-01" in " ".join(prep.notes)


def test_series_that_stop_early_are_left_out_or_padded_with_zero():
    table = seasonal_panel(series=3, periods=24)
    table = table.drop(index=table.index[(table["shop"] == "shop 2")][-4:])
    prepared = prepare_series(table, "date", "units", ["shop"])
    assert "shop 2" in prepared.preparation.series_left_out
    assert prepared.long["unique_id"].nunique() == 2
    padded = prepare_series(table, "date", "units", ["shop"], fill_gaps="zero")
    assert padded.long.groupby("unique_id").size().eq(24).all()


def test_the_series_limit_is_a_number():
    dates = pd.date_range("2020-01-01", periods=2, freq="MS")
    ids = np.repeat(np.arange(MAX_SERIES + 1), 2)
    table = pd.DataFrame({"date": np.tile(dates, MAX_SERIES + 1), "sku": ids.astype(str), "units": 1.0})
    with pytest.raises(DataError, match=r"'sku' make 10,001 series; ModelDeck forecasts at most 10,000"):
        prepare_series(table, "date", "units", ["sku"])


def test_horizon_checks(monthly):
    frequency = frequency_from_alias("MS")
    check_horizon(monthly.long, 12, frequency)
    with pytest.raises(DataError, match="horizon of 61 months is longer than the history"):
        check_horizon(monthly.long, 61, frequency)
    with pytest.raises(DataError, match="at least 1"):
        check_horizon(monthly.long, 0, frequency)


def test_future_frame_uses_defaults_and_planned_values(monthly):
    future = future_frame(monthly.long, monthly.preparation, 3)
    assert len(future) == 12 and future["ds"].min() == pd.Timestamp("2024-01-01")
    assert (future["promo"] == 0).all()
    planned = pd.DataFrame({"unique_id": ["shop 1"], "ds": ["2024-02-01"], "promo": ["yes"]})
    what_if = future_frame(monthly.long, monthly.preparation, 3, planned)
    assert what_if["promo"].sum() == 1
    assert what_if.loc[(what_if["unique_id"] == "shop 1") & (what_if["ds"] == "2024-02-01"), "promo"].item() == 1
    with pytest.raises(DataError, match="not one of the forecast dates"):
        future_frame(monthly.long, monthly.preparation, 3, planned.assign(ds=["2030-01-01"]))


def test_roles_are_checked():
    table = seasonal_panel(series=1, periods=12)
    with pytest.raises(DataError, match="no column 'sales'"):
        prepare_series(table, "date", "sales")
    with pytest.raises(DataError, match="two roles"):
        prepare_series(table, "date", "units", ["units"])
    with pytest.raises(DataError, match="A column known ahead must be a number"):
        prepare_series(table.assign(promo="big"), "date", "units", known_ahead_columns=["promo"])


def test_propose_recognises_a_series_and_says_it():
    proposal = propose_series(seasonal_panel(series=3, periods=30, freq="W-MON"))
    assert proposal is not None and proposal.problem is None
    assert proposal.sentence == "'units' per 'shop', 3 series, weekly on Mondays, 2021-01-04 to 2021-07-26"
    assert proposal.known_ahead_columns == ["promo"]
    assert "'temperature' is left out" in proposal.outside


def test_propose_returns_none_for_tables_that_are_not_series():
    houses = pd.DataFrame(
        {"sold": ["2010-01", "2010-01", "2010-02", "2010-02"] * 5, "price": np.arange(20.0), "beds": [1, 2] * 10}
    )
    assert propose_series(houses) is None
    assert propose_series(pd.DataFrame({"text": ["a"] * 20, "label": [1.0] * 20})) is None


def test_propose_reports_a_problem_instead_of_failing():
    table = seasonal_panel(series=1, periods=12)
    table["units"] = table["units"].astype(str)
    table.loc[2, "units"] = "lots"
    proposal = propose_series(table.drop(columns=["temperature"]))
    assert proposal is None or (proposal.problem and "text in row 3" in proposal.problem)


def test_the_built_in_sample_is_recognised():
    from tests.conftest import REPO_ROOT

    proposal = propose_series(pd.read_csv(REPO_ROOT / "sample_data" / "chicago_rides.csv"))
    assert proposal.sentence == "'rides' per 'station', 20 series, weekly on Mondays, 2013-09-02 to 2016-08-22"
    assert proposal.known_ahead_columns == ["home_games", "holiday"]
