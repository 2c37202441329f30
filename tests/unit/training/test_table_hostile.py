"""Hostile tables on the model side: thousands of columns, a category with a huge number of values, blanks."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from modeling.config import default_config
from modeling.data.dataset import Dataset
from modeling.evaluation.importance import permutation_importance
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from modeling.training.experiment import run_experiment


@pytest.mark.slow
def test_two_thousand_columns_train_and_explain_in_reasonable_time(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 2000)), columns=[f"c{i}" for i in range(2000)])
    labels = 3 * frame["c7"].to_numpy() + rng.normal(0, 0.1, 300)
    ds = Dataset(kind="table", name="wide", labels=labels, class_names=[], frame=frame, target_column="y")
    began = time.monotonic()
    store = RunStore(tmp_path)
    run_dir = run_experiment(default_config(ds.task, "s", "boosted_trees"), ds, store=store)
    assert time.monotonic() - began < 240
    ev = store.load(run_dir.name).evaluation
    assert ev["importance"]["screened"] and ev["importance"]["columns"][0]["column"] == "c7"


def test_a_category_with_a_huge_number_of_values_is_capped_not_fatal(tmp_path):
    rng = np.random.default_rng(1)
    n = 3000
    frame = pd.DataFrame(
        {
            "customer_note": pd.Series([f"note {i}" for i in range(n)], dtype="str"),  # every value distinct
            "plan": pd.Series(rng.choice(["basic", "pro"], n), dtype="str"),
            "usage": rng.gamma(2, 10, n),
        }
    )
    labels = (frame["plan"].to_numpy() == "pro").astype(int) ^ (rng.random(n) < 0.1)
    ds = Dataset(kind="table", name="cards", labels=labels, class_names=["stay", "leave"], frame=frame)
    store = RunStore(tmp_path)
    run = store.load(run_experiment(default_config(ds.task, "s", "neural_network"), ds, store=store).name)
    assert run.evaluation["model"]["accuracy"] > 0.8
    predictor = load_predictor(run)
    width = len(predictor.model.encoder.dense_names())
    assert width < 120  # one-hot capped: unseen or rare notes read as missing, not as 3,000 columns
    scored, report = predictor.score_table(frame.head(20).assign(customer_note="brand new note"))
    assert len(scored) == 20 and report.unseen.get("customer_note") == 20


def test_importance_screens_wide_tables_by_association():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(rng.normal(size=(200, 500)), columns=[f"x{i}" for i in range(500)])

    def predict(f: pd.DataFrame) -> np.ndarray:
        return 2 * f["x42"].to_numpy()

    result = permutation_importance(predict, frame, predict(frame), regression=True, repeats=2)
    assert result["screened"] and result["columns"][0]["column"] == "x42"
