"""The command line for tables: train from YAML, evaluate with scikit-learn's metric names, predict, report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score, root_mean_squared_error

from tests.conftest import REPO_ROOT
from tests.unit.training.table_data import raw_houses


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MODELDECK_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "modeling", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_regression_table_through_the_command_line(tmp_path: Path):
    data = tmp_path / "houses.csv"
    raw_houses(300).to_csv(data, index=False)
    config = tmp_path / "houses.yaml"
    config.write_text(
        f"data:\n  source: {data}\n  target_column: price\ntask: tabular_regression\ntemplate: boosted_trees\n"
    )
    home = tmp_path / "ws"
    trained = _cli("train", str(config), home=home)
    assert trained.returncode == 0, trained.stderr[-2000:]
    run_dir = Path(trained.stdout.strip().splitlines()[-1])
    assert (run_dir / "table_model" / "bundle.json").is_file()

    fresh = tmp_path / "fresh.csv"
    new = raw_houses(80, seed=9)
    new.to_csv(fresh, index=False)
    evaluated = _cli("evaluate", run_dir.name, str(fresh), home=home)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    metrics = json.loads(evaluated.stdout)
    assert {"rmse", "mae", "r2", "mape", "n"} <= set(metrics) and metrics["n"] == 80

    unlabelled = tmp_path / "to_score.csv"
    new.drop(columns=["price"]).assign(extra="x").to_csv(unlabelled, index=False)
    out = tmp_path / "scored.csv"
    predicted = _cli("predict", run_dir.name, str(unlabelled), "-o", str(out), home=home)
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    scored = pd.read_csv(out)
    assert {"predicted_price", "low_90", "high_90"} <= set(scored.columns)
    assert "extra" in predicted.stderr  # the ignored column is named
    # The CLI's metrics are scikit-learn's own on the predictions it writes.
    truth = new["price"].to_numpy(dtype=float)
    assert metrics["rmse"] == pytest.approx(root_mean_squared_error(truth, scored["predicted_price"]), rel=1e-9)
    assert metrics["r2"] == pytest.approx(r2_score(truth, scored["predicted_price"]), rel=1e-9)

    report = _cli("report", run_dir.name, "--out", str(tmp_path / "report.html"), home=home)
    assert report.returncode == 0, report.stderr[-2000:]
    html = (tmp_path / "report.html").read_text()
    assert "Prediction ranges" in html and "Which columns matter" in html

    missing = tmp_path / "missing.csv"
    new.drop(columns=["city", "price"]).to_csv(missing, index=False)
    refused = _cli("predict", run_dir.name, str(missing), home=home)
    assert refused.returncode == 2 and "city" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.slow
def test_classification_table_evaluate_names_metrics_like_scikit_learn(tmp_path: Path):
    raw = raw_houses(300)
    raw["expensive"] = np.where(raw["price"] > raw["price"].median(), "yes", "no")
    data = tmp_path / "houses.csv"
    raw.drop(columns=["price"]).to_csv(data, index=False)
    config = tmp_path / "c.yaml"
    config.write_text(
        f"data:\n  source: {data}\n  target_column: expensive\ntask: tabular_classification\ntemplate: linear\n"
    )
    home = tmp_path / "ws"
    trained = _cli("train", str(config), home=home)
    assert trained.returncode == 0, trained.stderr[-2000:]
    run_dir = Path(trained.stdout.strip().splitlines()[-1])
    evaluated = _cli("evaluate", run_dir.name, str(data), home=home)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    metrics = json.loads(evaluated.stdout)
    assert {"accuracy", "roc_auc", "log_loss", "f1_macro", "balanced_accuracy"} <= set(metrics)
    assert 0.5 < metrics["roc_auc"] <= 1.0
