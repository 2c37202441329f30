"""The command line trains, evaluates and predicts without Streamlit, in fresh processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from modeling.config import TrainingSettings, default_config
from tests.conftest import REPO_ROOT, make_text_dataset

ROOT = REPO_ROOT


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MODELDECK_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "modeling", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_train_evaluate_predict_round_trip(tmp_path):
    ds = make_text_dataset(200)
    data = tmp_path / "reviews.csv"
    pd.DataFrame({"review": ds.texts, "sentiment": [ds.class_names[i] for i in ds.labels]}).to_csv(data, index=False)
    cfg = default_config("text_classification", str(data), text_column="review", label_column="sentiment")
    cfg = cfg.model_copy(update={"settings": TrainingSettings(**{**cfg.settings.model_dump(), "epochs": 12})})
    config_path = tmp_path / "config.yaml"
    config_path.write_text(cfg.to_yaml())

    trained = _cli("train", str(config_path), home=tmp_path / "ws")
    assert trained.returncode == 0, trained.stderr
    run_dir = Path(trained.stdout.strip().splitlines()[-1])
    assert (run_dir / "model.keras").exists()

    evaluated = _cli("evaluate", run_dir.name, str(data), home=tmp_path / "ws")
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout)
    assert metrics["n"] == 200 and metrics["accuracy"] > 0.8

    predicted = _cli("predict", run_dir.name, str(data), "-o", str(tmp_path / "out.csv"), home=tmp_path / "ws")
    assert predicted.returncode == 0, predicted.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert {"predicted_label", "confidence", "probability_positive"} <= set(out.columns)
    assert len(out) == 200


def test_bad_config_gives_a_message_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: text_classification\nsettings:\n  learning_rate: 9\n")
    result = _cli("train", str(bad), home=tmp_path)
    assert result.returncode == 2
    assert "settings.learning_rate = 9" in result.stderr
    assert "Traceback" not in result.stderr
