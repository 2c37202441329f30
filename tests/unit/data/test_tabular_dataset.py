"""Business tables: a table and a target -> a Dataset, and the preparation that reads later tables the same way."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.data.samples import TABLE_SAMPLES, load_sample, sample_table
from modeling.data.sources import dataset_for_config, load_source
from modeling.data.tabular import (
    OTHER,
    REGRESSION,
    TablePreparation,
    apply_roles,
    dataset_from_table,
    infer_columns,
    read_labels,
)
from modeling.errors import DataError
from tests.unit.data.test_tabular_inference import customers


@pytest.fixture(scope="module")
def churn() -> Dataset:
    return dataset_from_table(customers(400), "churn", name="customers", source="customers.csv")


def test_a_table_becomes_a_typed_feature_frame(churn):
    assert churn.kind == "table" and churn.task == "tabular_classification"
    assert churn.class_names == ["No", "Yes"] and len(churn) == 400
    frame = churn.frame
    assert list(frame.columns) == churn.preparation.feature_names
    assert "customer_id" not in frame and "notes" not in frame and "churn" not in frame
    assert frame["spend"].dtype == np.float64 and frame["spend"].iloc[1] > 0
    assert frame["active"].isin([0.0, 1.0]).all()
    assert {"signup_year", "signup_month", "signup_weekday", "signup_day", "signup_hour", "signup_days_since"} <= set(
        frame.columns
    )
    assert frame["signup_days_since"].min() == 0.0
    assert churn.preparation.categorical_features == ["plan"]
    assert set(frame["plan"].dropna()) <= set(churn.preparation.categories["plan"]) | {OTHER}
    assert any("read as missing" in n or "treated as missing" in n for n in churn.notes)
    assert any("not used" in n and "customer_id" in n for n in churn.notes)
    roles = {c.name: c.role for c in churn.columns}
    assert roles["churn"] == "target" and roles["customer_id"] == "ignore"


def test_prediction_reads_a_new_table_exactly_as_training_did(churn):
    preparation = TablePreparation.from_json(churn.preparation.to_json())
    raw = customers(400)
    assert preparation.transform(raw).equals(churn.frame)
    shuffled = raw[list(reversed(raw.columns))].drop(columns=["churn"])
    assert preparation.transform(shuffled).equals(churn.frame)


def test_prediction_counts_what_it_handles_and_names_missing_columns(churn):
    preparation = churn.preparation
    new = customers(5).drop(columns=["churn"])
    new["plan"] = ["gold", "basic", None, "pro", "platinum"]
    new["spend"] = ["$10", "", "lots", "$5", "$1"]
    new["extra"] = 1
    prepared = preparation.prepare(new)
    assert prepared.unseen == {"plan": 2} and prepared.frame["plan"].tolist()[0] == OTHER
    assert prepared.blanks["plan"] == 1 and prepared.blanks["spend"] == 1
    assert prepared.unreadable == {"age": 1, "spend": 1}  # row 0's age is "unknown"
    # the ID left out in training is listed as not used, like a column the model never saw
    assert {"customer_id", "extra"} <= set(prepared.extra_columns)
    notes = " ".join(prepared.notes)
    assert "'extra'" in notes and "never saw" in notes and "could not be read" in notes
    with pytest.raises(DataError, match="lacks 2 columns the model needs: 'age', 'plan'"):
        preparation.prepare(new.drop(columns=["age", "plan"]))
    loose = new.rename(columns={"plan": "Plan "})
    assert preparation.prepare(loose).renamed == {"Plan ": "plan"}


def test_a_typical_row_goes_through_the_preparation(churn):
    typical = churn.preparation.typical_row()
    assert set(typical) == set(churn.preparation.input_columns)
    frame = churn.preparation.transform(pd.DataFrame([typical]))
    assert frame.shape == (1, len(churn.preparation.feature_names))
    assert frame[churn.preparation.numeric_features].notna().all(axis=None)


def test_roles_switch_columns_on_and_off_and_typos_are_refused():
    df = customers(200)
    ds = dataset_from_table(df, "churn", roles={"customer_id": "use", "plan": "ignore"})
    assert "customer_id" in ds.frame and "plan" not in ds.frame
    with pytest.raises(DataError, match="does not have"):
        dataset_from_table(df, "churn", roles={"customr_id": "ignore"})
    with pytest.raises(DataError, match="empty in every row"):
        apply_roles(infer_columns(df), {"empty": "use"})
    with pytest.raises(DataError, match="No column is left"):
        dataset_from_table(df, "churn", roles={c: "ignore" for c in df.columns if c != "churn"})


def test_the_task_can_be_overridden_and_regression_keeps_the_numbers():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=100), "stars": rng.integers(1, 6, 100)})
    assert dataset_from_table(df, "stars").task == "tabular_classification"
    ds = dataset_from_table(df, "stars", task=REGRESSION)
    assert ds.is_regression and ds.class_names == [] and ds.labels.dtype == np.float64
    assert np.array_equal(ds.labels, df["stars"].to_numpy(dtype=float))
    with pytest.raises(DataError, match="not one for tables"):
        dataset_from_table(df, "stars", task="text_classification")
    with pytest.raises(DataError, match="not in the table"):
        dataset_from_table(df, "price")


def test_read_labels_scores_a_new_table_with_the_training_classes(churn):
    info = next(c for c in churn.columns if c.name == "churn")
    series = pd.Series(["Yes", "No", None, "Maybe"], name="churn")
    target = read_labels(series, info, churn.task, churn.class_names)
    assert target.labels.tolist() == [1, 0] and target.keep.tolist() == [True, True, False, False]
    assert any("never saw" in n for n in target.notes) and any("without a value" in n for n in target.notes)


def test_a_table_dataset_survives_npz_and_subsets(tmp_path, churn):
    path = tmp_path / "table.npz"
    churn.save_npz(str(path))
    again = Dataset.load_npz(str(path))
    assert again.frame.equals(churn.frame) and again.target_column == "churn"
    assert again.preparation.to_dict() == churn.preparation.to_dict()
    assert [c.to_dict() for c in again.columns] == [c.to_dict() for c in churn.columns]
    part = churn.subset(np.arange(10))
    assert len(part.frame) == 10 and part.preparation is churn.preparation
    assert json.loads(churn.preparation.to_json())["version"] == 1


# ---- samples, sources and the config ------------------------------------------------------------------------
@pytest.mark.parametrize("key", sorted(TABLE_SAMPLES))
def test_the_table_samples_load_offline_with_categories_and_missing_values(key):
    ds = load_sample(key)
    df, target = sample_table(key)
    assert ds.kind == "table" and ds.target_column == target and len(ds) >= 1000
    assert ds.task == ("tabular_classification" if key == "churn" else "tabular_regression")
    assert ds.preparation.categorical_features, "a sample needs categories"
    assert df.drop(columns=[target]).isna().any().any(), "a sample needs real missing values"
    assert (ds.frame.isna().sum().sum()) > 0


def test_a_config_trains_a_table_from_the_command_line(tmp_path):
    path = tmp_path / "houses.csv"
    df, _ = sample_table("house_prices")
    df.head(300).to_csv(path, index=False)
    config = ExperimentConfig.from_yaml(
        f"data:\n  source: {path}\n  target_column: price\n  columns:\n    parcel: use\n    zoning: ignore\n"
    )
    assert config.data.target_column == "price" and config.data.columns == {"parcel": "use", "zoning": "ignore"}
    ds = dataset_for_config(config)
    assert ds.kind == "table" and ds.is_regression and "zoning" not in ds.frame and "parcel" in ds.frame
    guessed = load_source(str(path), task="tabular_regression")
    assert guessed.target_column == "price" and "guessed" in guessed.notes[0]
    assert load_source("sample:churn", task="tabular_classification").target_column == "churn"
    assert load_source("sample:reviews").kind == "text"


def test_a_class_seen_once_is_left_out_and_too_many_classes_are_refused():
    rng = np.random.default_rng(0)
    outcome = rng.choice(["won", "lost"], 200).astype(object)
    outcome[7] = "merged"
    df = pd.DataFrame({"x": rng.normal(size=200), "outcome": outcome})
    ds = dataset_from_table(df, "outcome")
    assert ds.class_names == ["lost", "won"] and len(ds) == 199
    assert any("seen in a single row ('merged')" in n for n in ds.notes)
    many = pd.DataFrame({"x": rng.normal(size=1000), "code": [f"k{i % 150}" for i in range(1000)]})
    with pytest.raises(DataError, match="150 different values; ModelDeck predicts at most 100 classes"):
        dataset_from_table(many, "code", task="tabular_classification")


def test_a_batch_written_differently_from_training_is_still_read():
    df = customers(200)
    df["balance"] = np.linspace(10.5, 5000.5, 200)
    preparation = dataset_from_table(df, "churn").preparation
    new = customers(3).drop(columns=["churn"])
    new["balance"] = ["$1,200", "3,000.5", "x"]
    new["plan"] = ["Basic", "PRO ", "gold"]
    prepared = preparation.prepare(new)
    assert prepared.frame["balance"].tolist()[:2] == [1200.0, 3000.5]
    assert prepared.unreadable["balance"] == 1
    assert prepared.frame["plan"].tolist() == ["basic", "pro", OTHER] and prepared.unseen == {"plan": 1}
