"""A trained run carries intervals, calibration, duplicates and saved predictions; its decision rule is obeyed
by the predictor, the batch export and the command line; runs saved before all this still work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modeling.config import TrainingSettings, default_config
from modeling.evaluation.decisions import Decision
from modeling.runs.decision_rules import load_decision, save_decision
from modeling.runs.loading import load_predictor
from modeling.runs.predictions import PREDICTIONS_FILE, complete_evaluation, load_predictions
from modeling.runs.store import RunStore
from tests.conftest import REPO_ROOT, make_text_dataset

ROOT = REPO_ROOT


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One small text run, trained once for this module, with a planted copy across the whole data."""
    from modeling.training.experiment import run_experiment

    home = tmp_path_factory.mktemp("ws")
    store = RunStore(home, starters=None)
    ds = make_text_dataset(200, seed=3)
    texts = ds.texts.copy()
    texts[1::2][:40] = texts[0::2][:40]  # 40 rows repeat another row's text: some will straddle the split
    ds.texts = texts
    cfg = default_config("text_classification", "sample:none")
    cfg = cfg.model_copy(update={"settings": TrainingSettings(**{**cfg.settings.model_dump(), "epochs": 6})})
    run_dir = run_experiment(cfg, ds, store=store)
    return store, store.load(run_dir.name)


def test_evaluation_holds_intervals_calibration_and_duplicates(trained):
    _, run = trained
    ev = run.evaluation
    acc = ev["intervals"]["accuracy"]
    assert acc["method"] == "wilson" and acc["n"] == ev["model"]["n"]
    assert acc["low"] <= ev["model"]["accuracy"] <= acc["high"]
    assert {"f1_macro", "auc"} <= set(ev["intervals"])
    cal = ev["calibration"]
    assert {"ece_before", "ece_after", "temperature", "verdict", "reliability"} <= set(cal)
    assert cal["validation_n"] > 0
    dup = ev["duplicates"]
    assert dup["checked"] and dup["exact"] > 0, dup  # the planted copies straddle the split
    assert dup["accuracy_without"] is not None and dup["n_without"] == ev["model"]["n"] - dup["exact"] - dup["near"]
    json.dumps(ev)


def test_saved_predictions_match_the_bundle_and_the_evaluation(trained):
    _, run = trained
    saved = load_predictions(run)
    assert saved.test_raw.dtype == np.float64 and saved.test_raw.shape == (run.evaluation["model"]["n"], 2)
    with np.load(run.path / PREDICTIONS_FILE, allow_pickle=False) as z:
        assert z["test_probs"].dtype == np.float32 and len(z["validation_labels"]) > 0
    predictor = load_predictor(run)
    assert predictor.temperature == pytest.approx(run.evaluation["calibration"]["temperature"])
    test = run.load_test()
    calibrated = predictor.predict(test.texts)
    assert np.allclose(calibrated, saved.test_probs, atol=2e-3)
    assert np.array_equal(calibrated.argmax(axis=1), saved.test_raw.argmax(axis=1))
    accuracy = float((calibrated.argmax(axis=1) == test.labels).mean())
    assert accuracy == pytest.approx(run.evaluation["model"]["accuracy"])


def test_decision_rule_changes_answers_and_flags_rows(trained):
    store, run = trained
    predictor = load_predictor(run)
    table = pd.DataFrame({"text": ["love it great perfect", "awful broken refund", "the box item"]})
    plain = predictor.score_texts(table, "text")
    assert not plain["needs_review"].any()
    # Everything is 'positive' at threshold 0, and nobody is sure enough at min_confidence 1.
    strict = predictor.using(Decision(threshold=0.0, positive_class="positive", min_confidence=1.0))
    scored = strict.score_texts(table, "text")
    assert scored["predicted_label"].tolist() == ["positive"] * 3
    assert scored["needs_review"].all()
    assert scored["review_reason"].str.contains("below the 100%").all()
    one = strict.predict_one("awful broken refund")
    assert (
        one.label == "positive" and one.needs_review and one.confidence == pytest.approx(one.probabilities["positive"])
    )
    # Saved with the run, the rule is what a freshly loaded predictor uses.
    save_decision(run.path, Decision(), threshold=0.0, positive_class="positive")
    try:
        again = load_predictor(store.load(run.info.run_id))
        assert again.decision.threshold == 0.0
        assert again.predict_one("awful broken refund").label == "positive"
    finally:
        (run.path / "decision.json").unlink()
    assert load_decision(run.path) == Decision()


def test_runs_saved_before_predictions_existed_still_get_everything(trained, tmp_path):
    import shutil

    store, run = trained
    old_dir = store.runs_dir / "old-run"
    shutil.copytree(run.path, old_dir)
    (old_dir / PREDICTIONS_FILE).unlink()
    old_eval = {k: v for k, v in run.evaluation.items() if k not in ("intervals", "calibration", "per_class_intervals")}
    (old_dir / "evaluation.json").write_text(json.dumps(old_eval))
    meta = json.loads((old_dir / "run.json").read_text())
    (old_dir / "run.json").write_text(json.dumps({**meta, "run_id": "old-run"}))
    old = store.load("old-run")
    saved = load_predictions(old)
    assert (old_dir / PREDICTIONS_FILE).exists()  # an own run keeps what was recomputed
    assert len(saved.validation_labels) == 0 and saved.temperature == 1.0
    full = complete_evaluation(old.evaluation, saved, old.class_names)
    assert full["intervals"]["accuracy"]["n"] == run.evaluation["model"]["n"]
    assert full["calibration"]["applied"] is False and "No validation" in full["calibration"]["reason"]
    assert "intervals" not in old.evaluation  # the saved dict is left alone


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MODELDECK_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "modeling", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_cli_predict_uses_the_saved_threshold_and_flags_rows(trained, tmp_path):
    store, run = trained
    data = tmp_path / "in.csv"
    pd.DataFrame({"text": ["love it great perfect", "awful broken refund", "the box item"]}).to_csv(data, index=False)
    home = store.root

    before = _cli("predict", run.info.run_id, str(data), "-o", str(tmp_path / "a.csv"), home=home)
    assert before.returncode == 0, before.stderr
    a = pd.read_csv(tmp_path / "a.csv")
    assert {"needs_review", "review_reason"} <= set(a.columns)
    assert "negative" in a["predicted_label"].tolist()

    save_decision(run.path, Decision(), threshold=0.0, positive_class="positive", min_confidence=0.999)
    try:
        after = _cli("predict", run.info.run_id, str(data), "-o", str(tmp_path / "b.csv"), home=home)
        assert after.returncode == 0, after.stderr
        b = pd.read_csv(tmp_path / "b.csv")
        assert b["predicted_label"].tolist() == ["positive"] * 3
        assert b["needs_review"].all()
        # A flag on the command line overrides the saved rule.
        override = _cli(
            "predict", run.info.run_id, str(data), "-o", str(tmp_path / "c.csv"), "--threshold", "100%", home=home
        )
        assert override.returncode == 0, override.stderr
        assert pd.read_csv(tmp_path / "c.csv")["predicted_label"].tolist() == ["negative"] * 3
    finally:
        (run.path / "decision.json").unlink()
    bad = _cli("predict", run.info.run_id, str(data), "--threshold", "1.7", home=home)
    assert bad.returncode == 2 and "outside 0..1" in bad.stderr and "Traceback" not in bad.stderr
