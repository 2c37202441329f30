"""A diverged model is caught from what it is and does, on any CPU, and nothing downstream crashes on NaN.

On some CPUs (AMD EPYC) TensorFlow's fused oneDNN kernels turn a NaN into 0 inside ``matmul + relu``, so the
loss stays finite while the weights or the answers are NaN. These tests make the model produce NaN answers
with a finite loss on purpose, so they fail on every CPU if the detection relies on the loss; the last test
runs the divergence tests again in fresh processes with oneDNN switched off and on.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from modeling.config import TrainingSettings
from modeling.errors import InvalidPredictions, ModelDeckError
from modeling.runs.store import RunStore
from modeling.training.progress import Progress
from tests.conftest import REPO_ROOT, make_image_dataset

ROOT = REPO_ROOT


def _nan_at_inference_model(n_features: int = 4, n_classes: int = 3):
    """Identity while training (finite loss, finite weights), NaN answers in inference mode: the AMD symptom."""
    import keras

    class NaNAtInference(keras.layers.Layer):
        def call(self, inputs, training=None):
            if training:
                return inputs
            return inputs * float("nan")

    inputs = keras.Input(shape=(n_features,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    logits = keras.layers.Dense(n_classes)(NaNAtInference()(hidden))
    return keras.Model(inputs, keras.layers.Softmax()(logits))


def _arrays(n: int = 48, n_features: int = 4, n_classes: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_features)).astype("float32"), (np.arange(n) % n_classes).astype("int64")


def test_nan_answers_with_a_finite_training_loss_stop_training_after_the_first_epoch():
    from modeling.training.fit import TrainingDiverged, fit_with_controls

    x, y = _arrays()
    model = _nan_at_inference_model()
    settings = TrainingSettings(epochs=5, batch_size=16, patience=0)
    progress = Progress(5)
    losses: list[float] = []

    import keras

    class RecordLoss(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            losses.append(float((logs or {})["loss"]))

    def data(batch_size):
        return {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}, None  # no validation: probe training rows

    with pytest.raises(TrainingDiverged, match="NaN"):
        fit_with_controls(model, len(x), False, data, settings, progress, extra_callbacks=[RecordLoss()])
    assert losses and all(np.isfinite(losses)), "the loss must stay finite, as with oneDNN's fused kernels"
    assert len(losses) == 3  # one epoch of 48 rows in batches of 16: stopped at its end
    assert progress.epoch == 0  # a diverged epoch is never recorded as progress


def test_nan_validation_answers_are_caught_too():
    from modeling.training.fit import TrainingDiverged, fit_with_controls

    x, y = _arrays()
    model = _nan_at_inference_model()
    settings = TrainingSettings(epochs=3, batch_size=16, patience=0)

    def data(batch_size):
        return {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}, (x[:10], y[:10])

    with pytest.raises(TrainingDiverged):
        fit_with_controls(model, len(x), True, data, settings, Progress(3))


def test_probe_inputs_come_from_validation_rows_or_else_training_rows():
    import scipy.sparse as sp

    from modeling.training.fit import Batches, probe_inputs

    x, y = _arrays(n=100)
    assert probe_inputs({"x": x}, None, rows=7).shape == (7, 4)
    np.testing.assert_array_equal(probe_inputs({"x": x}, (x[50:], y[50:]), rows=5), x[50:55])
    counts = sp.csr_matrix(np.eye(3, dtype=np.float32))  # term rows of three texts, dense only when asked
    probe = probe_inputs({"x": Batches(counts, np.array([0, 1, 0]), 2, True, 0)}, None, rows=64)
    np.testing.assert_array_equal(probe, np.eye(3))
    both = probe_inputs({"x": {"ids": np.arange(6).reshape(3, 2), "counts": counts}}, None, rows=2)
    assert both["ids"].shape == (2, 2) and both["counts"].shape == (2, 3)
    assert probe_inputs({}, None) is None


def test_the_finite_check_and_the_best_weights_stay_on_the_device():
    """One compiled reduction says whether every weight is finite; the best weights are device copies."""
    import keras

    from modeling.training.fit import device_copies, finite_check, weights_are_finite

    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, keras.layers.Dense(3, name="out")(inputs))
    check = finite_check()
    assert weights_are_finite(model, check)
    kept = device_copies(model.weights)
    assert not any(isinstance(value, np.ndarray) for value in kept)  # backend tensors, not host arrays
    before = keras.ops.convert_to_numpy(model.get_layer("out").kernel)
    model.get_layer("out").kernel.assign(np.full((4, 3), np.inf, dtype="float32"))
    assert not weights_are_finite(model, check)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(kept[0]), before)  # the copy did not follow


def test_a_run_whose_model_answers_nan_at_evaluation_fails_with_the_hint_and_saves_no_model(tmp_path, monkeypatch):
    """Even if the per-epoch check were fooled, NaN test probabilities never reach calibration or metrics."""
    import modeling.templates.inference as inference
    from modeling.config import default_config
    from modeling.training.experiment import run_experiment

    def nan_probabilities(model, data, batch_size=256, call=None):
        return np.full((len(data), 3), np.nan, dtype="float32")

    monkeypatch.setattr(inference, "predict_probabilities", nan_probabilities)
    base = default_config("image_classification", source="test")
    settings = TrainingSettings(**{**base.settings.model_dump(), "epochs": 1, "batch_size": 16})
    cfg = base.model_copy(update={"template": "dense", "settings": settings})
    store = RunStore(tmp_path, starters=None)
    progress = Progress()
    with pytest.raises(ModelDeckError, match="Lower the learning rate") as info:
        run_experiment(cfg, make_image_dataset(60), store=store, progress=progress)
    assert "NaN" in str(info.value)
    (run,) = store.list_runs()
    assert run.status == "failed" and "NaN" in run.error and "learning rate" in run.hint
    assert not (run.path / "model.keras").exists()
    assert not (run.path / "evaluation.json").exists()
    assert progress.snapshot()["state"] == "failed"


def test_the_best_weights_kept_are_never_from_a_diverged_epoch():
    """Epoch 1 is fine, epoch 2 poisons a weight: training stops and the model does not get NaN weights back."""
    import keras

    from modeling.training.fit import TrainingDiverged, fit_with_controls, weights_are_finite

    x, y = _arrays()
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="out")(inputs))

    class PoisonAtSecondEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                kernel = self.model.get_layer("out").kernel.numpy().copy()
                kernel[0, 0] = np.nan
                self.model.get_layer("out").kernel.assign(kernel)

    def data(batch_size):
        return {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}, (x[:10], y[:10])

    progress = Progress(4)
    with pytest.raises(TrainingDiverged):
        fit_with_controls(
            model, len(x), True, data, TrainingSettings(epochs=4, batch_size=16, patience=0), progress,
            extra_callbacks=[PoisonAtSecondEpoch()],
        )  # fmt: skip
    assert progress.epoch == 1  # the good first epoch counts, the diverged second does not
    assert not weights_are_finite(model)  # the run fails: nothing of it is saved or restored as "best"


# ---- every function that receives probabilities refuses NaN in one sentence -------------------------------------
def _bad_probs() -> np.ndarray:
    p = np.full((6, 2), 0.5)
    p[2] = np.nan
    p[4, 1] = np.inf
    return p


def _receivers():
    from modeling.evaluation import calibration, decisions, intervals
    from modeling.evaluation import metrics as evaluation
    from modeling.reporting import charts

    y = np.array([0, 1, 0, 1, 0, 1])
    rule = decisions.Decision(threshold=0.3, min_confidence=0.7)
    values = decisions.OutcomeValues(tp=10, fp=-1, fn=-10, tn=0)
    names = ["no", "yes"]
    return {
        "compute_metrics": lambda p: evaluation.compute_metrics(y, p, names),
        "evaluate_predictions": lambda p: evaluation.evaluate_predictions(y, p, names, None),
        "misclassified": lambda p: evaluation.misclassified(y, p, names),
        "calibration_report": lambda p: calibration.calibration_report(y, p, y, p),
        "reliability": lambda p: calibration.reliability(y, p),
        "expected_calibration_error": lambda p: calibration.expected_calibration_error(y, p),
        "chance_ece": lambda p: calibration.chance_ece(p),
        "fit_temperature": lambda p: calibration.fit_temperature(y, p),
        "apply_temperature": lambda p: calibration.apply_temperature(p, 2.0),
        "headline_intervals": lambda p: intervals.headline_intervals(y, p, {"f1_macro": 0.5}),
        "bootstrap": lambda p: intervals.bootstrap(y, p),
        "decide": lambda p: decisions.decide(p, names, rule),
        "needs_review": lambda p: decisions.needs_review(p, rule),
        "coverage_at": lambda p: decisions.coverage_at(y, p, 0.8),
        "coverage_curve": lambda p: decisions.coverage_curve(y, p),
        "value_curve": lambda p: decisions.value_curve(y, p, values),
        "min_cost_decisions": lambda p: decisions.min_cost_decisions(p, decisions.default_cost_matrix(2)),
        "cost_comparison": lambda p: decisions.cost_comparison(y, p, decisions.default_cost_matrix(2)),
        "confidence_histogram": lambda p: charts.confidence_histogram(y, p),
        "probability_bars": lambda p: charts.probability_bars(p[2], names),
    }


@pytest.mark.parametrize("name", sorted(_receivers()))
def test_each_function_that_receives_probabilities_refuses_nan_with_a_sentence(name):
    receive = _receivers()[name]
    receive(np.full((6, 2), 0.5))  # finite input works
    with pytest.raises(InvalidPredictions, match=r"NaN or infinity.*training diverged.*learning rate"):
        receive(_bad_probs())


def test_the_message_counts_the_bad_examples():
    from modeling.evaluation.probabilities import probability_matrix

    with pytest.raises(InvalidPredictions, match="for 2 of 6 examples"):
        probability_matrix(_bad_probs())


def test_the_summary_refuses_an_evaluation_whose_accuracy_is_not_a_number():
    from modeling.reporting.summary import business_summary

    evaluation = {"model": {"n": 10, "accuracy": float("nan")}, "baselines": {}}
    with pytest.raises(InvalidPredictions, match="not a number"):
        business_summary(evaluation, ["a", "b"], "text_classification")


def test_a_saved_model_that_answers_nan_is_refused_by_the_predictor():
    from modeling.runs.keras_predictor import KerasPredictor

    model = _nan_at_inference_model(n_features=28 * 28, n_classes=2)
    import keras

    image_model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), model])
    predictor = KerasPredictor(image_model, ["a", "b"], "image_classification")
    with pytest.raises(InvalidPredictions, match="This model produced invalid probabilities"):
        predictor.predict_one(np.zeros((28, 28, 1), dtype="uint8"))


# ---- the same tests with oneDNN's kernels off and on, each in a fresh process -----------------------------------
DIVERGENCE_TESTS = [
    "tests/unit/training/test_divergence.py::test_nan_answers_with_a_finite_training_loss_stop_training_after_the_first_epoch",
    "tests/unit/training/test_divergence.py::test_a_run_whose_model_answers_nan_at_evaluation_fails_with_the_hint_and_saves_no_model",
    "tests/unit/training/test_fit.py::test_diverging_training_is_marked_failed_with_a_hint",
    "tests/unit/training/test_fit.py::test_poisoned_weights_make_the_loss_nan_and_training_stops_at_once",
]


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("MODELDECK_IN_ONEDNN_SUBPROCESS") == "1", reason="already the subprocess")
@pytest.mark.parametrize("onednn", ["0", "1"])
def test_divergence_is_caught_with_onednn_kernels_off_and_on(onednn):
    """TF reads TF_ENABLE_ONEDNN_OPTS once at import, so each setting needs its own process."""
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": onednn, "MODELDECK_IN_ONEDNN_SUBPROCESS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *DIVERGENCE_TESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout


def test_the_trainer_callback_lets_keras_run_batch_hooks_off_the_training_loop():
    """Keras only skips the per-batch wait for the device when every batch hook is ``async_safe``."""
    import threading

    import keras

    from modeling.training.fit import _ProgressAndControl

    control = _ProgressAndControl(Progress(1), threading.Event(), "loss")
    callbacks = keras.callbacks.CallbackList([control], model=keras.Sequential([keras.layers.Dense(1)]))
    assert control.async_safe
    from keras.src import backend  # Keras dispatches off-thread only on backends it marks thread-safe (JAX)

    assert callbacks._async_train == backend.IS_THREAD_SAFE
