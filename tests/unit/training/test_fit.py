"""Templates build and train; training reports progress, stops on request and saves complete runs."""

import threading

import numpy as np
import pytest

from modeling.config import TEMPLATES, ExperimentConfig, TrainingSettings, default_config
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from modeling.training.progress import Progress
from tests.conftest import make_image_dataset, make_text_dataset


def _config(task: str, template: str, **settings) -> ExperimentConfig:
    base = default_config(task, source="test")
    merged = {**base.settings.model_dump(), "epochs": 2, "batch_size": 16, **settings}
    return base.model_copy(update={"template": template, "settings": TrainingSettings(**merged)})


@pytest.mark.parametrize("template", list(TEMPLATES["image_classification"]))
def test_image_templates_build_and_train_a_step(template, image_dataset):
    from modeling.templates import build_model, parameter_summary
    from modeling.training.fit import train_model

    cfg = _config("image_classification", template, augment=True, epochs=1)
    model = build_model(cfg, image_dataset)
    assert model.output_shape == (None, 3)
    outcome = train_model(model, image_dataset, None, cfg.settings)
    assert len(outcome.history["loss"]) == 1
    assert np.isfinite(outcome.history["loss"][0])
    summary = parameter_summary(model)
    assert summary["parameters"] == model.count_params() > 0


@pytest.mark.parametrize("template", list(TEMPLATES["text_classification"]))
def test_text_templates_build_and_train_a_step(template, text_dataset):
    from modeling.templates import build_model
    from modeling.templates.inference import predict_probabilities
    from modeling.training.fit import train_model

    cfg = _config("text_classification", template, epochs=1, sequence_length=16)
    model = build_model(cfg, text_dataset)
    outcome = train_model(model, text_dataset, text_dataset.subset(np.arange(10)), cfg.settings)
    assert set(outcome.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    probs = predict_probabilities(model, text_dataset)
    assert probs.shape == (len(text_dataset), 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_ngram_template_learns_the_synthetic_reviews(text_dataset):
    from modeling.templates import build_model
    from modeling.templates.inference import predict_probabilities
    from modeling.training.fit import train_model

    cfg = _config("text_classification", "ngram_bag", epochs=15, batch_size=16)
    model = build_model(cfg, text_dataset)
    train_model(model, text_dataset, None, cfg.settings)
    accuracy = (predict_probabilities(model, text_dataset).argmax(1) == text_dataset.labels).mean()
    assert accuracy > 0.9


@pytest.mark.parametrize("schedule", ["constant", "exponential", "cosine", "warmup_cosine"])
@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "rmsprop"])
def test_every_optimizer_and_schedule_builds(optimizer, schedule):
    from modeling.training.fit import make_optimizer

    opt = make_optimizer(TrainingSettings(optimizer=optimizer, schedule=schedule, epochs=3), steps_per_epoch=10)
    lr = opt.learning_rate
    assert float(np.asarray(lr)) >= 0


def test_cancel_stops_within_a_batch_and_keeps_weights(image_dataset):
    from modeling.templates import build_model
    from modeling.training.fit import train_model

    cfg = _config("image_classification", "dense", epochs=50, batch_size=8)
    model = build_model(cfg, image_dataset)
    cancel = threading.Event()
    progress = Progress(50)

    original = progress.add_epoch

    def add_epoch_then_cancel(logs):
        original(logs)
        cancel.set()  # the user presses Stop during the first epoch's end

    progress.add_epoch = add_epoch_then_cancel  # type: ignore[method-assign]
    outcome = train_model(model, image_dataset, image_dataset, cfg.settings, progress, cancel)
    assert outcome.stopped_by_user
    assert outcome.epochs_run <= 2


def test_run_experiment_saves_a_complete_run_that_reloads_identically(tmp_path):
    from modeling.training.experiment import run_experiment

    store = RunStore(tmp_path, starters=None)
    ds = make_text_dataset(160)
    cfg = _config("text_classification", "ngram_bag", epochs=3)
    progress = Progress()
    run_dir = run_experiment(cfg, ds, store=store, progress=progress)
    for name in ("run.json", "config.yaml", "history.json", "evaluation.json", "model.keras", "test.npz"):
        assert (run_dir / name).exists(), name
    run = store.load(run_dir.name)
    assert run.info.status == "finished"
    assert run.info.usable
    assert progress.snapshot()["state"] == "finished"
    assert set(run.evaluation["baselines"]) == {"majority", "logistic"}
    # The saved bundle reproduces its own evaluation: same accuracy on the saved test split.
    test = run.load_test()
    probs = load_predictor(run).predict(test.texts)
    accuracy = float((probs.argmax(1) == test.labels).mean())
    assert accuracy == pytest.approx(run.evaluation["model"]["accuracy"])


def test_diverging_training_is_marked_failed_with_a_hint(tmp_path):
    from modeling.errors import ModelDeckError
    from modeling.training.experiment import run_experiment

    store = RunStore(tmp_path, starters=None)
    ds = make_image_dataset(60)
    ds.images[:] = 255  # huge constant inputs with a huge learning rate: the loss explodes
    cfg = _config(
        "image_classification", "dense", optimizer="sgd", learning_rate=1.0, epochs=5, hidden_units=512, dropout=0.0
    )
    progress = Progress()
    # Force divergence regardless of numerics by poisoning the pixels with a NaN-producing scale.
    ds.images = ds.images.astype("uint8")
    import keras

    original = keras.layers.Rescaling.call

    def nan_call(self, inputs):
        return original(self, inputs) * float("nan")

    keras.layers.Rescaling.call = nan_call
    try:
        with pytest.raises(ModelDeckError, match="Lower the learning rate"):
            run_experiment(cfg, ds, store=store, progress=progress)
    finally:
        keras.layers.Rescaling.call = original
    infos = store.list_runs()
    assert infos[0].status == "failed"
    assert "NaN" in infos[0].error
    assert progress.snapshot()["state"] == "failed"


# ---- issue 5: a failed run is recorded with a reason and a hint, and the server keeps serving ----------
class _FailingProgress(Progress):
    """Progress whose end-of-epoch hook (called from the training callback) raises ``error``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error_to_raise = error

    def add_epoch(self, logs):
        raise self.error_to_raise


def _tf_out_of_memory() -> BaseException:
    import tensorflow as tf

    return tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[4096,4096,256]")


@pytest.mark.parametrize(
    ("make_error", "reason", "hint"),
    [
        (
            lambda: RuntimeError("callback exploded"),
            "Training stopped with an error (RuntimeError): callback exploded",
            "Try the default settings",
        ),
        (lambda: MemoryError(), "The machine ran out of memory while training.", "Use a smaller batch size"),
        (_tf_out_of_memory, "The machine ran out of memory while training.", "Use a smaller batch size"),
    ],
)
def test_failure_inside_training_is_recorded_with_reason_and_hint(tmp_path, make_error, reason, hint):
    from modeling.errors import ModelDeckError
    from modeling.training.experiment import run_experiment

    store = RunStore(tmp_path, starters=None)
    progress = _FailingProgress(make_error())
    with pytest.raises(ModelDeckError) as info:
        run_experiment(
            _config("image_classification", "dense", epochs=3), make_image_dataset(60), store=store, progress=progress
        )
    assert reason in str(info.value) and hint in str(info.value)
    (run,) = store.list_runs()
    assert (run.status, run.error) == ("failed", reason)
    assert hint in run.hint
    snap = progress.snapshot()
    assert snap["state"] == "failed" and snap["error"] == reason and hint in snap["hint"]
    assert not (run.path / "model.keras").exists()


def test_poisoned_weights_make_the_loss_nan_and_training_stops_at_once(image_dataset):
    """Pixels cannot carry NaN (datasets hold uint8), so poison a weight: fit must stop within the first epoch."""
    from modeling.templates import build_model
    from modeling.training.fit import TrainingDiverged, train_model

    cfg = _config("image_classification", "dense", epochs=20, batch_size=8)
    model = build_model(cfg, image_dataset)
    layer = model.get_layer("hidden_1")
    kernel = layer.kernel.numpy()
    kernel[0, 0] = np.nan
    layer.kernel.assign(kernel)
    progress = Progress(20)
    with pytest.raises(TrainingDiverged, match="NaN"):
        train_model(model, image_dataset, image_dataset, cfg.settings, progress)
    assert progress.epoch == 0  # no epoch with a NaN loss is recorded as progress


def test_job_manager_keeps_serving_after_a_failed_job(tmp_path, monkeypatch):
    from modeling.training.fit import _ProgressAndControl
    from modeling.training.jobs import JobManager

    calls = {"n": 0}
    original = _ProgressAndControl.on_train_batch_end

    def explode_once(self, batch, logs=None):
        calls["n"] += 1
        if calls["n"] == 1:
            raise MemoryError
        return original(self, batch, logs)

    monkeypatch.setattr(_ProgressAndControl, "on_train_batch_end", explode_once)
    store = RunStore(tmp_path, starters=None)
    jobs = JobManager(max_concurrent=1)
    first = jobs.start(_config("image_classification", "dense", epochs=1), make_image_dataset(60), store)
    second = jobs.start(_config("image_classification", "dense", epochs=1), make_image_dataset(60), store)
    for job in (first, second):
        job.thread.join(timeout=120)
    assert first.snapshot()["state"] == "failed"
    assert first.snapshot()["error"] == "The machine ran out of memory while training."
    assert second.snapshot()["state"] == "finished", second.snapshot()
    statuses = sorted(i.status for i in store.list_runs())
    assert statuses == ["failed", "finished"]
