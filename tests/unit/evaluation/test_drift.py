"""Drift: PSI of identical and shifted data, KS, new and vanished categories, the profile as JSON, the summary."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from modeling.data.tabular import dataset_from_table
from modeling.errors import DataError
from modeling.evaluation import drift


def customers(n: int, seed: int = 0, shift: float = 0.0, plans: tuple[str, ...] = ("basic", "plus", "pro")):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "tenure": rng.gamma(2.0, 12.0, n) + shift,
            "charges": rng.normal(70, 20, n),
            "plan": pd.Series(rng.choice(plans, n), dtype="str"),
        }
    )


def test_identical_distributions_have_a_psi_near_zero_and_no_drift():
    train = customers(20_000)
    profile = drift.profile_table(train)
    same = drift.compare(profile, customers(5000, seed=1))
    assert all(c["psi"] < 0.01 and c["severity"] == "none" for c in same["columns"])
    assert same["drifted"] == [] and same["summary"].startswith("This file looks like the training data")
    tenure = next(c for c in same["columns"] if c["column"] == "tenure")
    assert tenure["ks"] < 0.03 and tenure["p_value"] > 0.01
    assert drift.compare(profile, train)["columns"][0]["psi"] == pytest.approx(0.0, abs=1e-6)  # itself: exactly 0


def test_psi_matches_the_formula_by_hand():
    train = pd.DataFrame({"x": np.repeat([1.0, 2.0, 3.0, 4.0], 250)})
    profile = drift.profile_table(train)
    batch = pd.DataFrame({"x": np.repeat([1.0, 2.0, 3.0, 4.0], [400, 300, 200, 100])})
    expected = sum((b - 0.25) * np.log(b / 0.25) for b in (0.4, 0.3, 0.2, 0.1))
    column = drift.compare(profile, batch)["columns"][0]
    assert column["psi"] == pytest.approx(expected, abs=1e-4)  # ~0.23: 'some'
    assert column["severity"] == "some" and column["ks"] == pytest.approx(0.2)  # 70% vs 50% at or below 2


def test_shifted_numbers_and_a_vanished_category_are_major():
    profile = drift.profile_table(customers(10_000))
    batch = customers(3000, seed=2, shift=15.0, plans=("basic", "plus", "gold"))
    report = drift.compare(profile, batch)
    columns = {c["column"]: c for c in report["columns"]}
    assert columns["tenure"]["psi"] > 0.25 and columns["tenure"]["severity"] == "major"
    assert columns["tenure"]["p_value"] < 1e-6
    assert columns["charges"]["severity"] == "none"
    plan = columns["plan"]
    assert plan["severity"] == "major" and plan["vanished"] == ["pro"]
    assert plan["new"] == {"gold": int((batch["plan"] == "gold").sum())} and plan["new_complete"]
    assert report["drifted"] == ["plan", "tenure"] or report["drifted"] == ["tenure", "plan"]


def test_the_summary_weighs_columns_by_importance():
    profile = drift.profile_table(customers(10_000))
    batch = customers(3000, seed=3, shift=15.0)
    leaning = drift.compare(profile, batch, importance={"tenure": 0.3, "charges": 0.1, "plan": 0.0})
    assert leaning["summary"] == (
        "1 column drifted; 'tenure', which the model leans on most, shifted a lot — scores on this file may be off."
    )
    assert next(c for c in leaning["columns"] if c["column"] == "tenure")["importance"] == pytest.approx(0.75)
    wide = customers(10_000).assign(a=np.arange(10_000) % 7, b=np.arange(10_000) % 5)
    ignored = drift.compare(
        drift.profile_table(wide),
        batch.assign(a=np.arange(3000) % 7, b=np.arange(3000) % 5),
        importance={"charges": 0.3, "plan": 0.2, "a": 0.1, "b": 0.1, "tenure": 0.01},
    )
    assert ignored["drifted"] == ["tenure"] and ignored["summary"] == (
        "1 column drifted; 'tenure', the model's 5th most important column, shifted a lot — the columns the model "
        "leans on most look stable, so the scores should hold."
    )


def test_every_column_drifted_and_missing_columns_are_named():
    profile = drift.profile_table(customers(5000))
    batch = customers(2000, seed=4, shift=40.0, plans=("gold", "silver"))
    batch["charges"] = batch["charges"] * 3
    report = drift.compare(profile, batch)
    assert "every column drifted" in report["summary"].lower() and "should not be trusted" in report["summary"]
    lacking = drift.compare(profile, batch.drop(columns=["tenure"]), importance={"tenure": 1.0, "plan": 0.1})
    assert lacking["missing_columns"] == ["tenure"]
    assert lacking["summary"].startswith("'tenure' is missing from this file, 'tenure' among the columns the model")


def test_a_small_file_does_not_raise_an_alarm_by_chance():
    profile = drift.profile_table(customers(10_000))
    report = drift.compare(profile, customers(25, seed=5))
    assert report["drifted"] == []
    chance = [c for c in report["columns"] if c["chance"]]
    assert all(c["severity"] != "none" for c in chance)
    if chance:
        assert "could show that by chance" in report["summary"]


def test_profile_round_trips_through_json_and_is_small():
    train = customers(50_000)
    train.loc[::7, "charges"] = np.nan
    profile = drift.profile_table(train)
    text = json.dumps(profile)
    assert len(text) < 20_000  # small enough to save with every run
    back = json.loads(text)
    assert back == profile
    assert back["rows"] == 50_000 and back["columns"]["charges"]["missing"] == pytest.approx(1 / 7, abs=1e-3)
    later = customers(1000, seed=6)
    later.loc[::7, "charges"] = np.nan
    assert max(c["psi"] for c in drift.compare(back, later)["columns"]) < 0.05
    with pytest.raises(DataError, match="train again"):
        drift.compare({"version": 99}, train)


def test_missing_share_change_and_all_blank_columns():
    train = pd.DataFrame({"x": np.r_[np.arange(900.0), np.full(100, np.nan)]})
    profile = drift.profile_table(train)
    blank = drift.compare(profile, pd.DataFrame({"x": np.full(500, np.nan)}))["columns"][0]
    assert blank["missing_batch"] == 1.0 and blank["missing_train"] == pytest.approx(0.1)
    assert blank["severity"] == "major" and blank["ks"] is None
    empty = drift.profile_table(pd.DataFrame({"x": np.full(10, np.nan)}))
    assert drift.compare(empty, pd.DataFrame({"x": [1.0, 2.0]}))["columns"][0]["severity"] == "major"


def test_dates_are_compared_under_their_own_name():
    raw = pd.DataFrame(
        {
            "signup": pd.date_range("2020-01-01", periods=400, freq="D").strftime("%Y-%m-%d"),
            "plan": ["a", "b"] * 200,
            "churn": ["yes", "no", "no", "no"] * 100,
        }
    )
    ds = dataset_from_table(raw, "churn")
    frame = drift.comparable(ds.frame, ds.preparation)
    assert list(frame.columns) == ["signup", "plan"]
    profile = drift.profile_table(frame)
    later = raw.assign(signup=pd.date_range("2022-01-01", periods=400, freq="D").strftime("%Y-%m-%d"))
    report = drift.compare(profile, drift.comparable(ds.preparation.transform(later), ds.preparation))
    assert report["drifted"] == ["signup"]
