"""What a table run saves for acting on its scores: gains, errors by decile and segment, the ranked rows with their
reasons, fairness for the settings' sensitive columns, and the training profile every scored batch is compared with."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from modeling.config import default_config
from modeling.data.dataset import Dataset
from modeling.data.tabular import dataset_from_table
from modeling.evaluation import gains
from modeling.runs.store import RunStore
from modeling.runs.table.ranked import TEST_REASONS, load_test_reasons
from modeling.training.experiment import run_experiment
from tests.unit.training.table_data import raw_customers, raw_houses


def _run(store: RunStore, ds: Dataset, template: str = "boosted_trees", **data):
    config = default_config(ds.task, "session:test", template)
    config = config.model_copy(
        update={
            "settings": config.settings.model_copy(update={"max_rounds": 25, "time_budget_s": 30}),
            "data": config.data.model_copy(update=data),
        }
    )
    return store.load(run_experiment(config, ds, store=store).name)


@pytest.fixture(scope="module")
def churn_run(tmp_path_factory):
    ds = dataset_from_table(raw_customers(500), "churn", roles={"gender": "ignore"}, name="customers")
    return _run(RunStore(tmp_path_factory.mktemp("churn")), ds, sensitive_columns=["gender", "customer_id", "tenure"])


@pytest.fixture(scope="module")
def houses_run(tmp_path_factory):
    ds = dataset_from_table(raw_houses(400), "price", name="houses")
    return _run(RunStore(tmp_path_factory.mktemp("houses")), ds, "linear", sensitive_columns=["garden"])


def test_a_churn_run_saves_gains_that_match_its_saved_test_answers(churn_run):
    ev = churn_run.evaluation
    g = ev["gains"]
    assert g["positive"] == "Yes" and isinstance(g["summary"], str) and "reaches" in g["summary"]
    assert len(g["curve"]["share"]) == len(g["curve"]["reached"]) == 101
    assert [d["decile"] for d in g["deciles"]] == list(range(1, 11)) and g["deciles"][-1]["reached"] == 1.0
    top = g["top_decile_lift"]
    assert top["low"] <= top["value"] <= top["high"] and top["value"] > 1.2  # a model that ranks, with its interval
    # The same figures from the saved test probabilities: nothing was computed on other rows.
    from modeling.runs.predictions import load_predictions

    saved = load_predictions(churn_run)
    again = gains.gains((saved.test_labels == 1).astype(int), saved.test_probs[:, 1], seed=42)
    assert again["top_decile_lift"]["value"] == pytest.approx(top["value"])
    json.dumps(ev)  # plain JSON all the way down


def test_the_ranked_rows_carry_ids_scores_and_reasons_about_input_columns(churn_run):
    block = churn_run.evaluation["explained_rows"]
    assert block["score"] == "chance of Yes"
    rows = block["rows"]
    assert [r["rank"] for r in rows] == list(range(1, 11))
    assert all(a["score"] >= b["score"] for a, b in itertools.pairwise(rows))
    assert set(rows[0]["ids"]) == {"customer_id", "gender"} and rows[0]["ids"]["customer_id"].startswith("C-")
    reasons = [text for r in rows for text in r["reasons"]]
    assert reasons and all(" (typical " in text and "the chance of '" in text for text in reasons)
    assert not any("signup_year" in text or "signup_month" in text for text in reasons)  # the date, not its parts
    saved = load_test_reasons(churn_run.path)
    test = churn_run.load_test()
    assert (churn_run.path / TEST_REASONS).is_file() and len(saved) == len(test)
    assert list(saved.columns) == ["reason_1", "reason_2", "reason_3"]


def test_fairness_for_the_settings_columns_is_saved_even_for_a_column_left_out(churn_run):
    audits = {a["column"]: a for a in churn_run.evaluation["fairness"]}
    gender = audits["gender"]  # the model never read it
    assert {g["group"] for g in gender["groups"]} == {"Female", "Male"}
    assert sum(g["n"] for g in gender["groups"]) == len(churn_run.load_test())
    assert 0.0 <= gender["demographic_parity_difference"] <= 1.0 and isinstance(gender["summary"], str)
    assert "different values" in audits["customer_id"]["error"]  # hundreds of values: a sentence, not a crash
    assert audits["tenure"]["bands"] is True and len(audits["tenure"]["groups"]) == 4  # a number, banded


def test_the_test_split_keeps_the_left_out_columns_as_written(churn_run):
    test = churn_run.load_test()
    assert test.left_out is not None and list(test.left_out.columns) == ["customer_id", "gender"]
    assert len(test.left_out) == len(test) and "gender" not in test.frame.columns


def test_the_bundle_keeps_the_training_profile_by_input_column(churn_run):
    bundle = json.loads((churn_run.path / "table_model" / "bundle.json").read_text())
    profile = bundle["profile"]
    assert set(profile["columns"]) == {"tenure", "contract", "monthly_charges", "senior", "signup"}
    assert profile["columns"]["signup"]["type"] == "number"  # a date as days since training's earliest
    assert profile["rows"] == 500


def test_a_regression_run_saves_deciles_error_segments_and_reasons(houses_run):
    ev = houses_run.evaluation
    deciles = ev["prediction_deciles"]
    assert len(deciles) == 10 and sum(d["n"] for d in deciles) == ev["model"]["n"]
    assert [d["mean_predicted"] for d in deciles] == sorted(d["mean_predicted"] for d in deciles)
    segments = ev["error_segments"]
    assert isinstance(segments["summary"], str) and all(
        {"column", "segment", "clear"} <= set(s) for s in segments["segments"]
    )
    assert {s["column"] for s in segments["segments"]} <= {"size", "city", "garden", "noise"}
    rows = ev["explained_rows"]["rows"]
    assert ev["explained_rows"]["score"] == "estimate" and rows[0]["score"] >= rows[-1]["score"]
    assert any("the predicted price by" in text for r in rows for text in r["reasons"])
    (garden,) = ev["fairness"]
    assert {g["group"] for g in garden["groups"]} == {"yes", "no"} and "mean_error" in garden["groups"][0]
    assert "gains" not in ev


def test_a_test_split_without_the_class_to_find_says_so(tmp_path):
    from modeling.training.table.actions import gains_entry

    ds = dataset_from_table(raw_customers(120), "churn")
    none = ds.subset(np.flatnonzero(ds.labels == 0))
    entry = gains_entry(none, np.c_[np.full(len(none), 0.6), np.full(len(none), 0.4)], seed=0)
    assert entry["positive"] == "Yes" and "None of these rows" in entry["summary"] and "curve" not in entry


def test_left_out_values_survive_the_npz_round_trip(tmp_path):
    ds = dataset_from_table(raw_customers(60), "churn", roles={"gender": "ignore"})
    path = tmp_path / "d.npz"
    ds.subset(np.arange(10, 30)).save_npz(str(path))
    back = Dataset.load_npz(str(path))
    pd.testing.assert_frame_equal(back.left_out, ds.left_out.iloc[10:30].reset_index(drop=True))
