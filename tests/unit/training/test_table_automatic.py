"""The automatic table template: k-fold bagging, the stacker, the budget, Stop, saving and exporting the blend.

Each test trains on a tiny synthetic table with a short plan of cheap members (monkeypatched ``PLAN``), so the
whole file runs in seconds; the ONNX export of a saved blend is marked slow.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from modeling.config import default_config
from modeling.templates.tabular.encoding import TableEncoder
from modeling.training.progress import Progress
from modeling.training.splits import split
from modeling.training.table import automatic
from modeling.training.table.bagging import Plan, fit_bag, fold_count, folds
from modeling.training.table.stacking import blend, greedy_weights
from modeling.training.table.target import Classes, Numbers
from tests.unit.training.table_data import frame_dataset

CHEAP = (
    Plan("trees (defaults)", "boosted_trees", {"max_iter": 60}, False),
    Plan("linear model", "linear"),
    Plan("trees (7 leaves)", "boosted_trees", {"max_leaf_nodes": 7, "max_iter": 60}),
)


@pytest.fixture
def cheap_plan(monkeypatch):
    monkeypatch.setattr(automatic, "PLAN", CHEAP)


def _parts(regression: bool, n: int = 300, budget: int = 60):
    ds = frame_dataset(n, regression=regression)
    config = default_config(ds.task, "session:synthetic", "automatic")
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"time_budget_s": budget})})
    train, validation, test = split(ds, config)
    return config, train, validation, test


def _fit(config, train, validation, progress=None, cancel=None, seconds=None):
    deadline = time.monotonic() + (seconds if seconds is not None else config.settings.time_budget_s)
    return automatic.fit_automatic(
        config, train, validation, progress or Progress(1), cancel or threading.Event(), deadline
    )


# ---- folds and out-of-fold answers ----------------------------------------------------------------------------
@pytest.mark.parametrize("regression", [True, False])
def test_folds_cover_every_row_once_and_keep_the_classes(regression):
    y = np.random.default_rng(0).integers(0, 3, 200)
    held = folds(y.astype(float) if regression else y, regression, 5, seed=1)
    together = np.concatenate(held)
    assert len(held) == 5 and len(together) == 200 and len(np.unique(together)) == 200
    if not regression:  # stratified: every class in every fold
        assert all(len(np.unique(y[h])) == 3 for h in held)
    assert fold_count(np.array([0] * 60 + [1] * 3), regression=False) == 3  # a rare class limits the folds
    assert fold_count(np.array([0] * 60 + [1]), regression=False) == 0  # a single row cannot be cut
    assert fold_count(np.zeros(20), regression=True) == 0  # too few rows to bag


def test_out_of_fold_answers_never_come_from_a_model_that_saw_the_row():
    """Each fold's linear model equals a ridge fitted on the other folds only, and answers exactly its fold."""
    from sklearn.linear_model import Ridge

    _, train, _, _ = _parts(True)
    encoder = TableEncoder.fit(train.frame)
    inputs = {"codes": encoder.codes(train.frame), "dense": encoder.dense(train.frame)}
    held = folds(train.labels, True, 4, seed=0)
    config = default_config(train.task, "session:synthetic", "automatic")
    bag = fit_bag(
        Plan("linear model", "linear"), False, encoder, inputs, train.labels, held, config.settings, True, 0,
        Numbers().validation_score, threading.Event(), time.monotonic() + 60,
    )  # fmt: skip
    assert bag is not None and len(bag.models) == 4
    for fold, model in zip(held, bag.models, strict=True):
        seen = np.setdiff1d(np.arange(len(train)), fold)
        alone = Ridge(alpha=config.settings.regularization).fit(inputs["dense"][seen], train.labels[seen])
        assert np.allclose(model.estimator.coef_, alone.coef_)
        assert np.allclose(bag.oof[fold], alone.predict(inputs["dense"][fold]))
    assert bag.score == pytest.approx(Numbers().validation_score(train.labels, bag.oof))


# ---- the stacker ------------------------------------------------------------------------------------------------
def test_stacker_weights_are_non_negative_sum_to_one_and_never_lose_to_the_best_member():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    truth = np.eye(2)[y]
    answers = [np.clip(0.7 * truth + 0.3 * rng.dirichlet([1, 1], 300), 1e-6, 1) for _ in range(4)]
    answers.append(rng.dirichlet([1, 1], 300))  # pure noise
    score = Classes().validation_score
    weights = greedy_weights(answers, y, score)
    assert all(w >= 0 for w in weights) and sum(weights) == pytest.approx(1.0)
    assert score(y, blend(answers, weights, False)) <= min(score(y, a) for a in answers) + 1e-12
    assert weights[-1] == 0  # the noise gets nothing


def test_automatic_re_exports_the_holdout_weights_for_older_callers():
    y = np.linspace(0, 10, 200)
    good = automatic.Candidate("good", None, y + 0.5, 0.5, 0.0)
    bad = automatic.Candidate("bad", None, y + 5, 5.0, 0.0)
    assert automatic.ensemble_weights([good, bad], y, Numbers()) == [1.0, 0.0]


# ---- the run ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("regression", "final_models"), [(True, "fold_models"), (False, "fold_models"), (True, "retrained")]
)
def test_bagged_blend_answers_with_its_fold_models_and_returns_out_of_fold_validation_answers(
    cheap_plan, regression, final_models
):
    config, train, validation, test = _parts(regression)
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"final_models": final_models})})
    progress = Progress(1)
    result = _fit(config, train, validation, progress)
    rows = result.outcome.candidates
    members = [r for r in rows if r["kind"] != "blend"]
    blend_row = next(r for r in rows if r["kind"] == "blend")
    assert [r["name"] for r in members][:2] == ["trees (defaults)", "trees (defaults, log target)" if regression
                                                 else "linear model"]  # fmt: skip
    assert sum(r["weight"] for r in members) == pytest.approx(1.0) and all(r["weight"] >= 0 for r in members)
    assert all(r["folds"] == 5 for r in members)
    assert blend_row["validation_score"] <= min(r["validation_score"] for r in members) + 1e-9
    assert len(progress.candidates) == len(members)  # one live row per finished member
    used = [r for r in members if r["weight"] > 0]
    assert any(n.startswith("Each model was trained 5 times") for n in result.outcome.notes)
    if final_models == "retrained":  # one retrained member per positive weight, trained on all rows
        assert len(result.model.members) == len(used)
        assert not any("fold" in m.name for m in result.model.members)
        assert any(n.startswith("Retrained once on all") for n in result.outcome.notes)
    else:  # each used model answers with its 5 fold models, sharing its weight
        assert len(result.model.members) == 5 * len(used)
        for row in used:
            folds = [m for m in result.model.members if m.name.startswith(row["name"] + ", fold ")]
            assert len(folds) == 5 and sum(m.weight for m in folds) == pytest.approx(row["weight"])
        assert any(n.startswith("Each model answers with its 5 fold models") for n in result.outcome.notes)
        assert not any(n.startswith("Retrained once") for n in result.outcome.notes)
        assert result.model.describe().count("5 fold models") == len(used)
    # Calibration and ranges get answers the model never trained on: not the model's own answers.
    held = result.outcome.validation_answers
    assert held is not None and len(held) == len(validation)
    assert not np.allclose(held, result.model.predict(validation.frame))
    assert np.isfinite(result.model.predict(test.frame)).all()


def test_same_seed_same_blend(cheap_plan):
    config, train, validation, test = _parts(False)
    first = _fit(config, train, validation)
    second = _fit(config, train, validation)
    assert [r["weight"] for r in first.outcome.candidates] == [r["weight"] for r in second.outcome.candidates]
    assert np.array_equal(first.model.predict(test.frame), second.model.predict(test.frame))


def test_a_budget_too_small_for_bagging_falls_back_and_names_the_members_that_ran(cheap_plan):
    config, train, validation, test = _parts(True)
    result = _fit(config, train, validation, seconds=0.05)
    notes = " ".join(result.outcome.notes)
    assert "too short to train each model in 5 folds" in notes
    assert "Models that ran: trees (defaults)" in notes
    assert not any("fold" in m.name for m in result.model.members)
    assert result.outcome.validation_answers is None  # trained on the training rows only: its own answers are fine
    assert np.isfinite(result.model.predict(test.frame)).all()


def test_a_class_too_rare_to_cut_into_folds_falls_back_with_a_sentence(cheap_plan):
    from modeling.data.dataset import Dataset

    ds = frame_dataset(230, regression=False)  # under 200 training rows: the fallback leaves out the network
    labels = ds.labels.copy()
    labels[0] = 2  # one row of a third class: no fold split can hold it out and train on it
    ds = Dataset(kind="table", name="rare", labels=labels, class_names=["low", "high", "rare"], frame=ds.frame)
    config = default_config(ds.task, "session:rare", "automatic")
    train, validation = ds.subset(np.arange(180)), ds.subset(np.arange(180, 230))
    result = _fit(config, train, validation, seconds=4)
    assert "too few to cut into folds" in result.outcome.notes[0]
    assert result.model.predict(validation.frame).shape == (50, 3)


class _StopAfter(Progress):
    """A progress record that presses Stop once ``members`` members have finished."""

    def __init__(self, members: int, cancel: threading.Event) -> None:
        super().__init__(1)
        self.members, self.cancel = members, cancel

    def add_epoch(self, logs):
        super().add_epoch(logs)
        if self.epoch >= self.members:
            self.cancel.set()


def test_stop_keeps_the_finished_members_as_their_fold_models(cheap_plan):
    config, train, validation, test = _parts(False)
    cancel = threading.Event()
    result = _fit(config, train, validation, _StopAfter(2, cancel), cancel)
    members = [r for r in result.outcome.candidates if r["kind"] != "blend"]
    assert len(members) == 2 and result.outcome.stopped_by_user
    assert any("stopped" in n for n in result.outcome.notes)
    kept = [r for r in members if r["weight"] > 0]
    assert len(result.model.members) == 5 * len(kept)  # no time is spent retraining after Stop
    assert all(", fold " in m.name for m in result.model.members)
    assert sum(m.weight for m in result.model.members) == pytest.approx(1.0)
    assert np.isfinite(result.model.predict(test.frame)).all()


def test_it_stops_early_when_the_blend_stops_improving_and_says_so(monkeypatch):
    same = tuple(Plan(f"linear model {i}", "linear") for i in range(8))  # copies cannot improve the blend
    monkeypatch.setattr(automatic, "PLAN", same)
    config, train, validation, _ = _parts(False)
    result = _fit(config, train, validation)
    members = [r for r in result.outcome.candidates if r["kind"] != "blend"]
    assert len(members) == automatic.PATIENCE + 1 < len(same)
    assert any(n.startswith("Stopped adding models after") for n in result.outcome.notes)


def test_the_saved_blend_reloads_through_skops_and_answers_the_same(cheap_plan, tmp_path):
    from modeling.runs.table.bundle import load_table_model, save_table_model

    config, train, validation, test = _parts(True)
    result = _fit(config, train, validation)
    save_table_model(tmp_path, result.model)
    files = sorted(p.name for p in (tmp_path / "table_model").iterdir())
    assert files and all(name.endswith((".skops", ".json")) for name in files)  # nothing pickled
    loaded, bundle = load_table_model(tmp_path)
    assert np.array_equal(loaded.predict(test.frame), result.model.predict(test.frame))
    assert [m["settings"].get("max_iter") for m in bundle["members"] if m["kind"] == "trees"]  # the rounds refit used


# ---- the run end to end: saved, evaluated on out-of-fold answers, exported ------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(("stop_after", "final_models"), [(None, "fold_models"), (None, "retrained"), (2, "retrained")])
def test_a_bagged_run_exports_to_onnx_and_the_export_verifies(cheap_plan, tmp_path, stop_after, final_models):
    """Fold models (5 ONNX files a member), refitted members, or after Stop the fold models: the check passes."""
    import json
    import zipfile

    from modeling.data.tabular import dataset_from_table
    from modeling.export.bundle import build_export
    from modeling.runs.store import RunStore
    from modeling.training.experiment import run_experiment
    from tests.unit.training.table_data import raw_houses

    data = dataset_from_table(raw_houses(300, seed=2), "price", name="houses", task="tabular_regression")
    config = default_config("tabular_regression", "session:houses", "automatic")
    settings = config.settings.model_copy(update={"time_budget_s": 60, "final_models": final_models})
    config = config.model_copy(update={"settings": settings})
    store = RunStore(tmp_path / "runs", starters=None)
    cancel = threading.Event()
    progress = _StopAfter(stop_after, cancel) if stop_after else None
    run = store.load(run_experiment(config, data, store=store, progress=progress, cancel=cancel).name)
    bundle = json.loads((run.path / "table_model" / "bundle.json").read_text())
    folded = [m for m in bundle["members"] if ", fold " in m["name"]]
    assert bool(folded) == bool(stop_after or final_models == "fold_models")
    assert not folded or len(folded) % 5 == 0
    result = build_export(run, "onnx", "", out_dir=tmp_path)
    assert result.check.passed, result.check.reason
    with zipfile.ZipFile(result.zip_path) as archive:
        model = json.loads(archive.read(f"{result.zip_path.stem}/table_model.json"))
    assert len(model["members"]) == len(bundle["members"])
    assert sum(m["weight"] for m in model["members"]) == pytest.approx(1.0)


def test_the_train_page_gets_one_row_per_finished_member(cheap_plan):
    from ui.curves import finished_models

    config, train, validation, _ = _parts(True)
    progress = Progress(1)
    _fit(config, train, validation, progress)
    rows = progress.snapshot()["candidates"]
    assert [r["name"] for r in rows][:2] == ["trees (defaults)", "trees (defaults, log target)"]
    shown = finished_models(rows)
    assert shown[0]["score"].startswith("RMSE ") and shown[0]["weight in the blend"].endswith("%")
    assert sum(float(r["weight in the blend"].rstrip("%")) for r in shown) == pytest.approx(100, abs=len(rows))
