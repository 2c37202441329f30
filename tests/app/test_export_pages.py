"""The Export box and "Show the code" on the Evaluate, Saved runs and Model pages, through AppTest.

Texts and tables: a table run's box offers ONNX (and says why not the other formats), checks it and shows
the pandas + scikit-learn script; a new ZIP goes to the tracked MLflow run, and tracking never blocks it.
"""

from __future__ import annotations

import pytest

from modeling.errors import RunError
from modeling.runs.store import RunStore
from tests.app.helpers import app, goto, texts
from tests.conftest import REPO_ROOT
from tests.fake_runs import copy_starter


def test_evaluate_page_exports_onnx_with_its_check(local_home):
    at = goto(app(), "pages/evaluate.py")
    at.selectbox(key="run_picker").set_value("starter-digits").run()
    assert not at.exception
    assert "Take the model with you" in [h.value for h in at.subheader]
    next(b for b in at.button if b.label == "Prepare the ONNX export").click().run()
    assert not at.exception, [e.value for e in at.exception]
    n = len(RunStore(local_home).load("starter-digits").load_test())
    assert f"ONNX: {n:,} of {n:,} answers identical" in texts(at)
    assert at.download_button(key="download_starter-digits_onnx").label.startswith("Download starter-digits-onnx.zip")
    code = at.download_button(key="code_starter-digits")
    assert code.label == "Download train.py"


@pytest.mark.slow
def test_the_sentiment_starter_exports_to_keras_and_says_why_not_the_others(local_home):
    """The starter (encoder in 8 bits + keywords): Keras is offered and checked; the other three say why not."""
    run = RunStore(local_home, starters=REPO_ROOT / "starters").load("starter-reviews")
    if run.config.template != "minilm_ngrams":
        pytest.skip("the sentiment starter was trained without the encoder here")
    at = goto(app(), "pages/evaluate.py")
    at.selectbox(key="run_picker").set_value("starter-reviews").run()
    assert not at.exception
    said = texts(at)
    assert "stored in 8 bits" in said and "TensorFlow Text" in said  # SavedModel; ONNX and LiteRT
    assert [b.label for b in at.button if b.label.startswith("Prepare the")] == ["Prepare the Keras export"]
    next(b for b in at.button if b.label == "Prepare the Keras export").click().run()
    assert not at.exception, [e.value for e in at.exception]
    n = len(run.load_test())
    assert f"Keras: {n:,} of {n:,} answers identical" in texts(at)
    assert at.download_button(key="download_starter-reviews_keras").label.startswith("Download starter-reviews-keras")
    assert any("this run as a plain Keras + scikit-learn script" in e.label for e in at.expander)
    assert any("def fit_keywords" in c.value and "def choose_share" in c.value for c in at.code)


def test_saved_runs_page_shows_the_code_and_the_export_box(local_home):
    _table_run(local_home, "neural_network")
    at = goto(app(), "pages/runs.py")
    assert not at.exception
    assert any("def build_network" in c.value and "def fit_preparation" in c.value for c in at.code)
    assert "Prepare the LiteRT (TFLite) export" in [b.label for b in at.button]


def test_an_export_of_another_sessions_run_is_refused_like_a_missing_run(tmp_path):
    from ui.export_view import prepare_export

    store = RunStore(tmp_path, starters=REPO_ROOT / "starters")
    run_id = "20990101-000000-ngram_bag-aaaaaa"
    copy_starter(tmp_path, run_id, 0.03, "Reviews")
    meta = store.runs_dir / run_id / "run.json"
    meta.write_text(meta.read_text().replace('"owner": null', '"owner": "alice"'))
    with pytest.raises(RunError, match=f"No run called '{run_id}' was found"):
        prepare_export(run_id, "onnx", store=store, owner="mallory")
    assert not (store.runs_dir / run_id / "exports").exists()


def _table_run(home, template: str = "boosted_trees"):
    """A small finished table run (a price band from a raw houses table) in ``home``'s workspace."""
    import numpy as np

    from modeling.config import default_config
    from modeling.data.tabular import dataset_from_table
    from modeling.training.experiment import run_experiment
    from tests.unit.training.table_data import raw_houses

    raw = raw_houses(300, seed=4)
    raw["band"] = np.where(raw["price"] > raw["price"].median(), "high", "low")
    dataset = dataset_from_table(raw.drop(columns=["price"]), "band", name="houses", task="tabular_classification")
    config = default_config(dataset.task, "session:houses", template)
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"max_rounds": 30})})
    store = RunStore(home)
    return store.load(run_experiment(config, dataset, store=store).name)


def test_a_table_run_exports_onnx_and_shows_its_code(local_home):
    run = _table_run(local_home)
    at = goto(app(), "pages/evaluate.py")
    assert at.selectbox(key="run_picker").value == run.info.run_id
    said = texts(at)
    assert "Not offered: LiteRT has no operations for decision trees" in said
    assert "Not offered: Gradient" in said and "use the ONNX export" in said
    assert "cannot export" not in said
    next(b for b in at.button if b.label == "Prepare the ONNX export").click().run()
    assert not at.exception, [e.value for e in at.exception]
    n = len(run.load_test())
    assert f"ONNX: {n} of {n} answers identical" in texts(at)
    assert at.download_button(key=f"download_{run.info.run_id}_onnx").label.startswith(
        f"Download {run.info.run_id}-onnx.zip"
    )
    assert any("def fit_preparation" in c.value and "HistGradientBoostingClassifier" in c.value for c in at.code)


def test_a_new_export_is_added_to_the_tracked_run_and_tracking_never_blocks_it(tmp_path, monkeypatch):
    import shutil

    from modeling import settings
    from ui import export_view

    store = RunStore(tmp_path, starters=None)
    run_id = _table_run(tmp_path).info.run_id
    logged = []
    monkeypatch.setattr(settings, "mlflow_uri", lambda: "sqlite:///mlflow.db")
    monkeypatch.setattr(export_view, "log_file", lambda run_dir, path: logged.append((run_dir, path)) or True)
    first = export_view.prepare_export(run_id, "onnx", store=store, owner=None)
    assert logged == [(store.runs_dir / run_id, first.zip_path)]
    export_view.prepare_export(run_id, "onnx", store=store, owner=None)  # kept: not logged twice
    assert len(logged) == 1

    def broken(run_dir, path):
        raise RuntimeError("tracking server down")

    monkeypatch.setattr(export_view, "log_file", broken)
    shutil.rmtree(store.runs_dir / run_id / "exports")  # no kept export: a new ZIP, and tracking fails
    again = export_view.prepare_export(run_id, "onnx", store=store, owner=None)
    assert again.check.passed and again.zip_path.is_file()
