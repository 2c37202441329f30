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


def test_the_digits_starter_evaluates_and_predicts_an_npz_and_prints_only_its_own_lines(tmp_path):
    """Issue 19: both failed for every image run ("The text column 'None' is not in the table")."""
    import numpy as np

    from modeling.data.dataset import Dataset

    test = Dataset.load_npz(str(ROOT / "starters" / "starter-digits" / "test.npz"))
    names = np.asarray([test.class_names[i] for i in test.labels[:80]])
    np.savez(tmp_path / "digits.npz", images=test.images[:80, ..., 0], labels=names)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}  # the command quiets TensorFlow itself
    env["MODELDECK_HOME"] = str(tmp_path / "ws")

    def cli(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "modeling", *args]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

    evaluated = cli("evaluate", "starter-digits", str(tmp_path / "digits.npz"))
    assert evaluated.returncode == 0, evaluated.stderr
    assert evaluated.stderr == ""  # no oneDNN, CUDA or absl start-up lines
    metrics = json.loads(evaluated.stdout)
    assert metrics["n"] == 80 and metrics["accuracy"] > 0.9
    predicted = cli("predict", "starter-digits", str(tmp_path / "digits.npz"), "-o", str(tmp_path / "out.csv"))
    assert predicted.returncode == 0 and predicted.stderr == "", predicted.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert len(out) == 80 and (out["predicted_label"] == out["label"]).mean() > 0.9
    assert "image" not in out.columns
    verbose = cli("--verbose", "evaluate", "starter-digits", str(tmp_path / "digits.npz"))
    assert verbose.returncode == 0 and json.loads(verbose.stdout) == metrics  # asking for the logs changes nothing else


def test_the_console_filter_drops_the_runtime_log_lines_and_keeps_everything_else():
    code = (
        "import os, sys\n"
        "from modeling import console\n"
        "with console.quiet_stderr():\n"
        "    os.write(2, b'I0000 00:00:1796427513.381658   23758 port.cc:153] oneDNN custom operations are on.\\n')\n"
        "    os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called go to STDERR\\n')\n"
        "    print('error: a sentence for the person', file=sys.stderr)\n"
        "    os.write(2, b'E0000 00:00:17.5  7 cuda_dnn.cc:8] Unable to register cuDNN factory\\n')\n"
        "    os.write(2, b'no newline at the end')\n"
        "print('', file=sys.stderr)\n"
        "print('after', file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stderr == "error: a sentence for the person\nno newline at the end\nafter\n"
