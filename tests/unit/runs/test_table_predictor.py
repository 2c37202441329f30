"""The table predictor: what-if rows with contributions, batch scoring with counts, the saved decision rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modeling.config import default_config
from modeling.data.tabular import dataset_from_table
from modeling.errors import DataError
from modeling.evaluation.decisions import Decision
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from modeling.runs.table.predictor import TablePredictor, describe_contribution
from modeling.training.experiment import run_experiment
from tests.unit.training.table_data import raw_houses


@pytest.fixture(scope="module")
def houses_run(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("houses"))
    ds = dataset_from_table(raw_houses(400), "price", name="houses")
    config = default_config(ds.task, "session:houses", "boosted_trees")
    run_dir = run_experiment(config, ds, store=store)
    return store.load(run_dir.name)


def test_what_if_row_gives_a_value_ranges_and_contributions(houses_run):
    predictor = load_predictor(houses_run)
    assert isinstance(predictor, TablePredictor) and predictor.predicts_number
    assert set(predictor.input_columns) >= {"size", "city", "garden"}
    typical = predictor.typical_row()
    answer = predictor.predict_row({**typical, "city": "Paris", "size": "300"})
    low80, high80 = answer.ranges["0.8"]
    low90, high90 = answer.ranges["0.9"]
    assert low90 <= low80 <= answer.value <= high80 <= high90
    assert answer.contributions[0].column in ("size", "city")  # the columns the price is made of
    cheaper = predictor.predict_row({**typical, "city": "Lyon", "size": "300"})
    assert cheaper.value < answer.value  # change one value, see the answer move
    first = answer.contributions[0]
    said = describe_contribution(first, "the predicted price", True, "$")
    assert said.startswith(f"{first.column} = {first.value} (typical {first.typical}) raises the predicted price by $")


def test_batch_names_missing_columns_and_counts_what_it_handled(houses_run):
    predictor = load_predictor(houses_run)
    table = raw_houses(30, seed=5).drop(columns=["price"])
    table.loc[0, "city"] = "Atlantis"
    table.loc[1, "size"] = ""
    table["comment"] = "x"
    scored, report = predictor.score_table(table)
    assert len(scored) == 30 and {"predicted_price", "low_80", "high_80", "low_90", "high_90"} <= set(scored.columns)
    assert (scored["low_90"] <= scored["predicted_price"]).all() and (
        scored["predicted_price"] <= scored["high_90"]
    ).all()
    assert report.extra_columns == ["comment"]
    assert report.unseen.get("city") == 1 and report.blanks.get("size", 0) >= 1
    assert any("comment" in note for note in report.notes)
    with pytest.raises(DataError, match="city"):
        predictor.score_table(table.drop(columns=["city"]))


def test_classification_follows_the_saved_decision_rule(tmp_path):
    raw = raw_houses(400)
    raw["expensive"] = np.where(raw["price"] > raw["price"].median(), "yes", "no")
    ds = dataset_from_table(raw.drop(columns=["price"]), "expensive", name="houses", task="tabular_classification")
    store = RunStore(tmp_path)
    run = store.load(run_experiment(default_config(ds.task, "s", "linear"), ds, store=store).name)
    predictor = load_predictor(run)
    rows = raw.drop(columns=["price", "expensive"]).head(50)
    probs = predictor.predict(rows)
    assert probs.shape == (50, 2) and np.allclose(probs.sum(axis=1), 1.0)
    strict = predictor.using(Decision(threshold=0.99, positive_class=predictor.class_names[1]))
    scored, _ = strict.score_table(rows)
    relaxed, _ = predictor.score_table(rows)
    positive = predictor.class_names[1]
    assert (scored["predicted_label"] == positive).sum() <= (relaxed["predicted_label"] == positive).sum()
    answer = predictor.predict_row(rows.iloc[0].to_dict())
    assert answer.label in predictor.class_names and pytest.approx(sum(answer.probabilities.values())) == 1.0
    assert answer.contributions and all(np.isfinite(c.change) for c in answer.contributions)


def test_an_empty_table_scores_to_an_empty_table(houses_run):
    predictor = load_predictor(houses_run)
    empty = pd.DataFrame({c: pd.Series([], dtype="str") for c in predictor.input_columns})
    scored, report = predictor.score_table(empty)
    assert len(scored) == 0 and report.rows == 0


def test_the_protocol_schema_scored_frame_with_reasons_and_metrics(houses_run):
    predictor = load_predictor(houses_run)
    schema = {column.name: column for column in predictor.input_schema()}
    assert list(schema) == predictor.input_columns
    assert schema["size"].type == "number" and schema["city"].type == "category"
    assert schema["garden"].type == "yes/no" and schema["city"].example in ("Paris", "Lyon", "Nice")
    assert not any(column.required for column in schema.values())  # the model handles blanks
    raw = raw_houses(40, seed=9)
    batch = predictor.score_frame(raw.drop(columns=["price"]))
    assert batch.answer_columns[:5] == ["predicted_price", "low_80", "high_80", "low_90", "high_90"]
    assert batch.answer_columns[-3:] == ["reason_1", "reason_2", "reason_3"]
    scored, _ = predictor.score_table(raw.drop(columns=["price"]))
    np.testing.assert_array_equal(batch.frame["predicted_price"], scored["predicted_price"])  # same answers
    first = predictor.predict_row(raw.drop(columns=["price"]).iloc[0].to_dict())
    strongest = first.contributions[0]
    assert batch.frame["reason_1"].iloc[0].startswith(f"{strongest.column} = ")  # the what-if's largest, worded
    assert batch.frame["reason_1"].iloc[0] == describe_contribution(strongest, "the predicted price", True)
    assert all(" the predicted price by " in reason for reason in batch.frame["reason_1"] if reason)
    assert batch.drift is not None and batch.drift["available"] and batch.drift["rows"] == 40
    metrics = predictor.evaluate_frame(raw)
    assert metrics["n"] == 40 and {"rmse", "mae", "r2"} <= set(metrics) and isinstance(metrics["notes"], list)
    with pytest.raises(DataError, match="price"):
        predictor.evaluate_frame(raw.drop(columns=["price"]))
