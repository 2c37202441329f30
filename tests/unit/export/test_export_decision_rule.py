"""The exported ZIP's predict.py applies the decision rule saved with the run, like the app.

The shipped ``decision_rule.py`` is checked against ModelDeck's own rule on random probabilities (fast); then a
text export (Keras) and a table export (ONNX) of runs with a saved rule answer a file exactly as the run's
predictor does: the same labels under the threshold, the same ``needs_review`` and reasons (slow: trains and
exports).
"""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modeling.evaluation.decisions import Decision
from modeling.export.artefacts import SHIPPED
from modeling.export.bundle import build_export
from modeling.runs.answers import class_answers
from modeling.runs.decision_rules import save_decision
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from tests.conftest import make_text_dataset
from tests.unit.serving.helpers import TABLE_ROWS, table_run


def _shipped_rule():
    spec = importlib.util.spec_from_file_location("shipped_decision_rule", SHIPPED / "decision_rule.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RULES = [
    Decision(),
    Decision(min_confidence=0.7),
    Decision(threshold=0.3, positive_class="b"),
    Decision(threshold=0.8, min_confidence=0.65),
    Decision(cost_matrix=[[0, 1, 5], [1, 0, 1], [10, 1, 0]], min_confidence=0.5),
]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: ",".join(k for k, v in r.model_dump().items() if v))
def test_the_shipped_rule_answers_like_modeldeck(rule):
    shipped = _shipped_rule()
    rng = np.random.default_rng(3)
    k = 3 if rule.cost_matrix else 2
    names = ["a", "b", "c"][:k]
    probs = rng.dirichlet(np.ones(k), size=500).astype(np.float32)
    probs[:5] = np.float32(1.0 / k)  # ties
    if rule.threshold is not None:
        probs[5, :] = [1 - rule.threshold, rule.threshold]  # exactly at the threshold
    chosen, flagged, reasons = shipped.decide(probs, names, rule.model_dump(mode="json"))
    want_chosen, want_flagged, want_reasons = class_answers(probs, names, rule)
    assert chosen.tolist() == want_chosen.tolist()
    assert flagged.tolist() == want_flagged.tolist() and reasons == want_reasons


def _unzipped(run, fmt: str, folder: Path) -> Path:
    result = build_export(run, fmt, "# card", out_dir=folder)
    with zipfile.ZipFile(result.zip_path) as archive:
        archive.extractall(folder)  # our own ZIP
    return folder / result.zip_path.stem


def _run_predict(export: Path, source: Path, out: Path) -> list[dict[str, str]]:
    done = subprocess.run(
        [sys.executable, "-I", str(export / "predict.py"), str(source), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with out.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow
def test_a_text_export_answers_under_the_saved_threshold_and_flags_like_the_app(tmp_path):
    from modeling.config import default_config
    from modeling.training.experiment import run_experiment

    store = RunStore(tmp_path / "home", starters=None)
    config = default_config("text_classification", "synthetic reviews", "ngram_bag")
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"epochs": 3})})
    run_dir = run_experiment(config, make_text_dataset(300), store=store)
    save_decision(run_dir, Decision(threshold=0.8, positive_class="positive", min_confidence=0.85))
    run = store.load(run_dir.name)
    export = _unzipped(run, "keras", tmp_path)
    texts = ["love it great perfect", "awful broken refund", "the box was delivered", "great but broken", "item"]
    source = tmp_path / "texts.csv"
    pd.DataFrame({"text": texts}).to_csv(source, index=False)
    rows = _run_predict(export, source, tmp_path / "answers.csv")
    local = load_predictor(run).score_frame(pd.DataFrame({"text": texts})).frame
    assert [r["predicted_label"] for r in rows] == local["predicted_label"].tolist()
    assert [r["needs_review"] == "True" for r in rows] == local["needs_review"].tolist()
    assert [r["review_reason"] for r in rows] == local["review_reason"].tolist()
    assert np.allclose([float(r["confidence"]) for r in rows], local["confidence"], atol=1e-4)
    assert local["needs_review"].any(), "the rule should flag some of these texts"
    assert "decision.json" in (export / "README.md").read_text() and (export / "decision_rule.py").is_file()


@pytest.mark.slow
def test_a_table_export_adds_needs_review_like_the_app(tmp_path):
    run = table_run(tmp_path / "home")
    export = _unzipped(run, "onnx", tmp_path)
    source = tmp_path / "rows.csv"
    pd.DataFrame(TABLE_ROWS * 4).to_csv(source, index=False)
    rows = _run_predict(export, source, tmp_path / "scored.csv")
    from modeling.data.readers.tables import read_table

    local = load_predictor(run).score_frame(read_table(source.read_bytes(), source.name)).frame
    assert [r["predicted_label"] for r in rows] == local["predicted_label"].tolist()
    assert [r["needs_review"] == "True" for r in rows] == local["needs_review"].tolist()
    assert [r["review_reason"] for r in rows] == local["review_reason"].tolist()
