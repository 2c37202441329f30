"""Table runs end to end: split, trees round by round (progress, Stop, budget), the automatic search, jobs."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from modeling.config import default_config
from modeling.errors import ConfigError
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from modeling.templates.tabular.encoding import TableEncoder
from modeling.training.experiment import run_experiment
from modeling.training.jobs import JobManager
from modeling.training.progress import Progress
from modeling.training.splits import split as split_table
from modeling.training.table.automatic import ensemble_weights
from modeling.training.table.fit import fit_boosted_trees
from modeling.training.table.search import find_best_table_model
from modeling.training.table.target import Numbers
from tests.unit.training.table_data import frame_dataset


def _config(ds, template: str, **settings):
    config = default_config(ds.task, "session:synthetic", template)
    values = {"epochs": 3, "time_budget_s": 30, **settings}
    return config.model_copy(update={"settings": config.settings.model_copy(update=values)})


def test_split_is_stratified_for_classes_and_plain_for_numbers():
    cls = frame_dataset(400, regression=False)
    _train, _validation, test = split_table(cls, _config(cls, "linear"))
    assert len(test) == 80 and abs(test.labels.mean() - cls.labels.mean()) < 0.02
    reg = frame_dataset(400)
    parts = split_table(reg, _config(reg, "linear"))
    assert sum(len(p) for p in parts) == 400


@pytest.mark.parametrize("regression", [True, False])
def test_a_table_run_saves_a_complete_folder(tmp_path, regression):
    ds = frame_dataset(300, regression=regression)
    store = RunStore(tmp_path)
    run_dir = run_experiment(_config(ds, "boosted_trees", max_rounds=80), ds, store=store)
    names = {p.name for p in run_dir.iterdir()}
    assert {"run.json", "config.yaml", "evaluation.json", "history.json", "test.npz", "table_model"} <= names
    run = store.load(run_dir.name)
    assert run.info.usable and run.info.status == "finished"
    ev = run.evaluation
    assert ev["importance"]["columns"][0]["column"] == "size"  # the column the target is made from
    if regression:
        assert ev["kind"] == "regression" and set(ev["baselines"]) == {"mean", "linear"}
        assert ev["error_reduction"]["mean"] > 0.5
        assert set(ev["prediction_intervals"]["levels"]) == {"0.8", "0.9"}
        assert run.meta["rmse"] == pytest.approx(ev["model"]["rmse"])
    else:
        assert ev["model"]["accuracy"] > 0.8 and "calibration" in ev and ev["lift"]["majority"] > 20
    # The saved model, reloaded as the app loads it, reproduces the saved test figure exactly.
    predictor = load_predictor(run)
    test = run.load_test()
    answers = predictor.predict(test.frame, prepared=True, calibrated=False)
    if regression:
        assert float(np.sqrt(np.mean((answers - test.labels) ** 2))) == ev["model"]["rmse"]
    else:
        assert float(np.mean(answers.argmax(axis=1) == test.labels)) == ev["model"]["accuracy"]


def test_task_must_match_the_data(tmp_path):
    ds = frame_dataset(100)
    config = default_config("tabular_classification", "s", "linear")
    with pytest.raises(ConfigError, match="does not match the data"):
        run_experiment(config, ds, store=RunStore(tmp_path))


def _tree_inputs(n=2000):
    ds = frame_dataset(n)
    config = _config(ds, "boosted_trees", max_rounds=3000, tree_learning_rate=0.01, patience=100)
    train, validation, _ = split_table(ds, config)
    enc = TableEncoder.fit(train.frame)
    return enc, enc.codes(train.frame), train.labels, enc.codes(validation.frame), validation.labels, config.settings


def test_trees_report_validation_loss_per_round_and_stop_early():
    enc, x, y, xv, yv, settings = _tree_inputs(600)
    settings = settings.model_copy(update={"tree_learning_rate": 0.2, "patience": 2})
    progress = Progress(1)
    model, outcome = fit_boosted_trees(enc, x, y, xv, yv, settings, True, progress)
    rounds = int(model.n_iter_)
    assert rounds < settings.max_rounds  # early stopping on the validation rows
    snap = progress.snapshot()
    assert len(snap["history"]["val_loss"]) == rounds == snap["epoch"]
    assert outcome.best_epoch == int(np.argmin(outcome.history["val_loss"])) + 1


def test_trees_honour_stop_and_the_time_budget(monkeypatch):
    import modeling.training.table.fit as table_fit

    monkeypatch.setattr(table_fit, "FIRST_CHUNK_WORK", 1)  # force small chunks
    enc, x, y, xv, yv, settings = _tree_inputs()
    cancel = threading.Event()
    cancel.set()
    model, outcome = fit_boosted_trees(enc, x, y, xv, yv, settings, True, None, cancel)
    assert outcome.stopped_by_user and model.n_iter_ == table_fit.FIRST_CHUNK
    model, outcome = fit_boosted_trees(enc, x, y, xv, yv, settings, True, None, None, deadline=time.monotonic())
    assert model.n_iter_ == table_fit.FIRST_CHUNK and "time budget" in outcome.notes[0]


def test_ensemble_weights_prefer_the_better_candidates():
    from modeling.training.table.automatic import Candidate

    y = np.linspace(0, 10, 200)
    good = Candidate("good", None, y + 0.5, 0.5, 0.0)
    other = Candidate("other", None, y - 0.5, 0.5, 0.0)
    bad = Candidate("bad", None, y + 5, 5.0, 0.0)
    weights = ensemble_weights([good, other, bad], y, Numbers())
    assert weights[2] == 0 and weights[0] == pytest.approx(0.5) and weights[1] == pytest.approx(0.5)


def test_find_best_table_model_blends_and_adopts(tmp_path):
    ds = frame_dataset(400)
    store = RunStore(tmp_path)
    updates = []
    board = find_best_table_model(ds, budget_s=20, seed=1, progress_cb=updates.append, store=store)
    kinds = {r["kind"] for r in board.rows}
    assert {"trees", "linear", "blend"} <= kinds
    assert board.metric == "rmse" and board.table()[0]["model"] == board.ranked[0]["name"]
    blend = next(r for r in board.rows if r["kind"] == "blend")
    best_single = min(r["validation_score"] for r in board.rows if r["kind"] != "blend")
    assert blend["validation_score"] <= best_single + 1e-9  # the greedy blend starts from the best one
    run_id = board.keep("blend", store)
    run = store.load(run_id)
    assert run.config.template == "automatic" and run.info.usable
    assert json.loads((run.path / "table_model" / "bundle.json").read_text())["template"] == "automatic"


def test_table_search_runs_as_a_background_job(tmp_path):
    manager = JobManager(max_concurrent=1)
    ds = frame_dataset(300, regression=False)
    search = manager.start_search(ds, budget_s=15, seed=3, store=RunStore(tmp_path))
    search.thread.join(timeout=300)
    assert search.state == "finished", search.error
    assert search.board.metric == "log_loss" and search.board.run_path.is_dir()


def test_a_fresh_process_reproduces_the_saved_evaluation(tmp_path):
    """Load the run in a new Python process, as the CLI would, and recompute the saved figures exactly."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    ds = frame_dataset(300)
    store = RunStore(tmp_path)
    run_dir = run_experiment(_config(ds, "automatic", time_budget_s=15), ds, store=store)
    script = (
        "import json, sys, numpy as np\n"
        "from sklearn.metrics import root_mean_squared_error, r2_score\n"
        "from modeling.runs.store import RunStore\n"
        "from modeling.runs.loading import load_predictor\n"
        "store = RunStore(sys.argv[1])\n"
        "run = store.load(sys.argv[2])\n"
        "test = run.load_test()\n"
        "pred = load_predictor(run).predict(test.frame, prepared=True)\n"
        "saved = run.evaluation['model']\n"
        "assert root_mean_squared_error(test.labels, pred) == saved['rmse'], 'rmse differs'\n"
        "assert r2_score(test.labels, pred) == saved['r2'], 'r2 differs'\n"
        "print('reproduced')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), run_dir.name],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "reproduced" in done.stdout
