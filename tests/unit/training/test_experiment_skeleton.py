"""The one experiment skeleton: a settings file without a template trains for every task, every family fails
the same way (out of memory, divergence, NaN answers, an interrupted server), and the trainer names its unit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from modeling.config import ExperimentConfig, default_config
from modeling.data.dataset import Dataset
from modeling.errors import DIVERGED_MESSAGE, ConfigError, ModelDeckError, TrainingDiverged
from modeling.evaluation.probabilities import DIVERGED_HINT
from modeling.runs.store import RunStore
from modeling.training.experiment import FAILED_HINT, OUT_OF_MEMORY, OUT_OF_MEMORY_HINT, run_experiment
from modeling.training.progress import Progress
from tests.conftest import make_image_dataset, make_text_dataset
from tests.unit.training.table_data import frame_dataset


def _chinese(n: int = 80) -> Dataset:
    """Short Chinese reviews: Automatic's rule picks the keyword template over characters, with its reason."""
    good = ["这个东西很好用", "质量非常好喜欢", "很满意会再买"]
    bad = ["质量太差了不好", "用了一天就坏了", "非常失望不推荐"]
    texts = [(good if i % 2 else bad)[i % 3] + "。" * (i % 4) for i in range(n)]
    return Dataset(kind="text", name="zh", labels=np.arange(n) % 2, class_names=["neg", "pos"], texts=np.array(texts))


def _settings_file(task: str, **settings) -> ExperimentConfig:
    """A settings file as a person writes it: data, task and a few settings, no template."""
    lines = ["data: {source: 'session:test'}", f"task: {task}"]
    if settings:
        lines.append("settings: {" + ", ".join(f"{k}: {v}" for k, v in settings.items()) + "}")
    return ExperimentConfig.from_yaml("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("task", "dataset", "settings", "template", "unit"),
    [
        ("text_classification", _chinese, {}, "ngram_nb", "steps"),
        ("image_classification", lambda: make_image_dataset(60), {"epochs": 1}, "small_cnn", "epochs"),
        (
            "tabular_classification",
            lambda: frame_dataset(150, regression=False),
            {"max_rounds": 30},
            "boosted_trees",
            "rounds",
        ),
        ("tabular_regression", lambda: frame_dataset(150), {"max_rounds": 30}, "boosted_trees", "rounds"),
    ],
    ids=["texts", "images", "table classes", "table numbers"],
)
def test_a_settings_file_without_template_trains_for_every_task(tmp_path, task, dataset, settings, template, unit):
    config = _settings_file(task, **settings)
    assert config.template_left_open
    progress = Progress()
    store = RunStore(tmp_path, starters=None)
    run_dir = run_experiment(config, dataset(), store=store, progress=progress)
    run = store.load(run_dir.name)
    assert run.info.status == "finished" and run.info.usable
    assert run.config.template == template
    for name, value in settings.items():  # what the file named is kept, the template's defaults fill the rest
        assert getattr(run.config.settings, name) == value
    assert run.meta["epoch_unit"] == unit == progress.snapshot()["unit"]
    reason = run.meta.get("template_reason")
    if task == "text_classification":  # the data chose the template (Automatic's rule), and the run says why
        assert "Chinese, Japanese or Korean" in reason
        assert any(reason in note for note in progress.snapshot()["notes"])
    else:
        assert reason is None


def test_a_named_template_is_kept_and_no_reason_is_recorded(tmp_path):
    config = default_config("text_classification", "session:test", template="ngram_nb")
    assert not config.template_left_open
    store = RunStore(tmp_path, starters=None)
    run_dir = run_experiment(config, _chinese(), store=store)
    assert store.load(run_dir.name).config.template == "ngram_nb"
    assert "template_reason" not in json.loads((run_dir / "run.json").read_text())


def test_a_task_that_does_not_match_the_data_names_both(tmp_path):
    config = default_config("tabular_classification", "session:test", template="linear")
    with pytest.raises(ConfigError, match="does not match the data") as info:
        run_experiment(config, frame_dataset(60), store=RunStore(tmp_path, starters=None))
    assert "Table classification" in str(info.value) and "tabular_regression" in str(info.value)


def test_too_few_rows_are_refused_with_the_task_noun(tmp_path):
    config = default_config("tabular_regression", "session:test", template="linear")
    with pytest.raises(ConfigError, match="too few rows"):
        run_experiment(config, frame_dataset(6), store=RunStore(tmp_path, starters=None))


# ---- one failure path for every family -------------------------------------------------------------------------
def _keras_case():
    config = default_config("image_classification", "session:test", template="dense")
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"epochs": 1})})
    return config, make_image_dataset(45), "modeling.training.fit.train_model"


def _table_case():
    config = default_config("tabular_regression", "session:test", template="boosted_trees")
    return config, frame_dataset(80), "modeling.training.table.fit.fit"


def _raise(error: BaseException):
    def fail(*args, **kwargs):
        raise error

    return fail


@pytest.mark.parametrize("case", [_keras_case, _table_case], ids=["keras", "table"])
@pytest.mark.parametrize(
    ("error", "reason", "hint"),
    [
        (MemoryError(), OUT_OF_MEMORY, OUT_OF_MEMORY_HINT),
        (RuntimeError("OOM when allocating tensor"), OUT_OF_MEMORY, OUT_OF_MEMORY_HINT),
        (TrainingDiverged(DIVERGED_MESSAGE), DIVERGED_MESSAGE, DIVERGED_HINT),
        (ValueError("a bug"), "Training stopped with an error (ValueError): a bug", FAILED_HINT),
    ],
    ids=["memory", "oom message", "diverged", "bug"],
)
def test_every_family_records_a_failure_the_same_way(tmp_path, monkeypatch, case, error, reason, hint):
    config, dataset, target = case()
    monkeypatch.setattr(target, _raise(error))
    store = RunStore(tmp_path, starters=None)
    progress = Progress()
    with pytest.raises(ModelDeckError) as info:
        run_experiment(config, dataset, store=store, progress=progress)
    assert str(info.value) == f"{reason} {hint}"
    (run,) = store.list_runs()
    assert (run.status, run.error, run.hint) == ("failed", reason, hint)
    snap = progress.snapshot()
    assert (snap["state"], snap["error"], snap["hint"]) == ("failed", reason, hint)


def test_nan_answers_of_a_table_model_fail_as_divergence(tmp_path, monkeypatch):
    from modeling.templates.tabular.model import TableModel

    monkeypatch.setattr(TableModel, "predict", lambda self, frame: np.full(len(frame), np.nan))
    config, dataset, _ = _table_case()
    store = RunStore(tmp_path, starters=None)
    with pytest.raises(ModelDeckError, match="Lower the learning rate"):
        run_experiment(config, dataset, store=store)
    (run,) = store.list_runs()
    assert (run.status, run.error, run.hint) == ("failed", DIVERGED_MESSAGE, DIVERGED_HINT)
    assert not (run.path / "table_model").exists()


@pytest.mark.parametrize("case", [_keras_case, _table_case], ids=["keras", "table"])
def test_an_interrupted_server_is_recorded_then_the_interrupt_goes_on(tmp_path, monkeypatch, case):
    config, dataset, target = case()
    monkeypatch.setattr(target, _raise(KeyboardInterrupt()))
    store = RunStore(tmp_path, starters=None)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(config, dataset, store=store)
    (run,) = store.list_runs()
    assert run.status == "failed" and "shutting down" in run.error


def test_the_trainer_names_its_unit(tmp_path):
    """Keras counts epochs, a model fitted in one go steps (boosted trees count rounds: above)."""
    store = RunStore(tmp_path, starters=None)
    text = default_config("text_classification", "session:test", template="ngram_bag")
    text = text.model_copy(update={"settings": text.settings.model_copy(update={"epochs": 2})})
    run_experiment(text, make_text_dataset(60), store=store)
    linear = default_config("tabular_classification", "session:test", template="linear")
    run_experiment(linear, frame_dataset(80, regression=False), store=store)
    units = {info.template: store.load(info.run_id).meta["epoch_unit"] for info in store.list_runs()}
    assert units == {"ngram_bag": "epochs", "linear": "steps"}
