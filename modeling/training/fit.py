"""Fit a model with everything a low-code user expects and no per-batch UI work.

Callbacks report progress into a thread-safe :class:`~modeling.training.progress.Progress`,
check a cancel event after every batch (so Stop takes effect within one batch),
keep the best weights seen on the validation split, and stop early when the
validation loss stops improving. The device is detected in :mod:`modeling.device`.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from modeling.config import TrainingSettings
from modeling.data.dataset import Dataset
from modeling.errors import DIVERGED_MESSAGE, TrainingDiverged
from modeling.templates.inference import as_inputs
from modeling.training.progress import Progress


def make_optimizer(settings: TrainingSettings, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """The optimizer and learning-rate schedule named in the settings."""
    total = max(1, steps_per_epoch * settings.epochs)
    lr: Any = settings.learning_rate
    if settings.schedule == "exponential":
        lr = keras.optimizers.schedules.ExponentialDecay(lr, decay_steps=max(1, steps_per_epoch), decay_rate=0.9)
    elif settings.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(lr, decay_steps=total, alpha=0.01)
    elif settings.schedule == "warmup_cosine":
        warmup = max(1, min(total // 10, 5 * steps_per_epoch))
        lr = keras.optimizers.schedules.CosineDecay(
            0.0,
            decay_steps=max(1, total - warmup),
            alpha=0.01,
            warmup_target=settings.learning_rate,
            warmup_steps=warmup,
        )
    if settings.optimizer == "adamw":
        return keras.optimizers.AdamW(learning_rate=lr, weight_decay=1e-4)
    if settings.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=0.9, nesterov=True)
    if settings.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=lr)
    return keras.optimizers.Adam(learning_rate=lr)


#: Inputs the model is asked about at the end of every epoch to check that its answers are still numbers.
PROBE_ROWS = 64


class _ProgressAndControl(keras.callbacks.Callback):
    """Reports progress, honours Stop, keeps the best weights and catches divergence.

    Progress is written at most every few batches and at epoch ends into a plain
    object; the page reads it on its own schedule, so training never waits for the UI.

    Divergence is judged from what the model *is* and *does*, not only from the logged loss: on some
    CPUs TensorFlow's fused oneDNN kernels (matmul + ReLU) turn a NaN into 0, so the loss can stay finite
    while the weights hold NaN and the model answers NaN. At every epoch end the weights and the answers
    on a few probe inputs (``probe``) must be finite, or the run stops and no weights of it are kept.

    ``async_safe``: the batch hook only writes to the thread-safe ``Progress`` and sets flags, so Keras may
    run it on its callback thread (it does so on the backends it marks thread-safe: JAX, not TensorFlow,
    where nothing changes). Otherwise Keras calls it in the training loop and turns each batch's
    loss into a Python float there, which makes the loop wait for the accelerator after every batch (on an
    H100 that made an epoch of the MiniLM fine-tune 2.4x slower than a plain ``fit``). Keras waits for
    pending batch hooks before ``on_epoch_end``, so a NaN loss still stops the epoch it happened in.
    """

    async_safe = True

    def __init__(self, progress: Progress, cancel: threading.Event, monitor: str, probe: Any = None) -> None:
        super().__init__()
        self.progress = progress
        self.cancel = cancel
        self.monitor = monitor
        self.probe = probe
        self.best = math.inf
        self.best_weights: list[np.ndarray] | None = None
        self.best_epoch = -1
        self.cancelled = False
        self.diverged = False

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if batch % 4 == 0:
            self.progress.update(step=batch + 1)
        if self.cancel.is_set():
            self.cancelled = True
            self.model.stop_training = True
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.diverged = True
            self.model.stop_training = True

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.progress.update(step=0, phase=f"Training epoch {epoch + 1}")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        finite_logs = all(math.isfinite(float(v)) for v in logs.values())
        weights = self.model.get_weights() if finite_logs and not self.diverged else []
        if not finite_logs or self.diverged or not self._model_is_finite(weights):
            self.diverged = True
            self.model.stop_training = True
            return
        self.progress.add_epoch(logs)
        value = float(logs.get(self.monitor, logs.get("loss", math.inf)))
        if value < self.best:
            self.best, self.best_epoch = value, epoch
            self.best_weights = weights  # already a host copy: the weights travel from the device once

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.best_weights is not None and not self.diverged:
            self.model.set_weights(self.best_weights)

    def _model_is_finite(self, weights: list[np.ndarray]) -> bool:
        """Every floating-point weight (``weights``: the host copy) and every probe answer is a finite number."""
        return _arrays_are_finite(weights) and answers_are_finite(self.model, self.probe)


def weights_are_finite(model: keras.Model) -> bool:
    """True when no floating-point variable of ``model`` holds NaN or infinity."""
    return _arrays_are_finite(model.get_weights())


def _arrays_are_finite(arrays: list[np.ndarray]) -> bool:
    """True when no floating-point array holds NaN or infinity (integer counters and seeds cannot)."""
    # by name, so that bfloat16 (an ml_dtypes type, not a NumPy floating subclass) is checked too
    return all(np.isfinite(a).all() for a in arrays if "float" in str(np.asarray(a).dtype))


def answers_are_finite(model: keras.Model, inputs: Any) -> bool:
    """True when the model's answers on ``inputs`` (inference mode) are all finite; ``None`` checks nothing."""
    if inputs is None:
        return True
    answers = keras.ops.convert_to_numpy(model(inputs, training=False))
    return bool(np.isfinite(answers).all())


def probe_inputs(fit_data: dict[str, Any], val_data: Any, rows: int = PROBE_ROWS) -> Any:
    """A few inputs to ask the model about after each epoch: validation rows when there are some, else training.

    Accepts what ``fit`` accepts here: an ``(x, y)`` pair of arrays, a ``tf.data`` dataset of ``(x, y)``
    batches, or ``fit``'s keyword arguments (``x`` an array or such a dataset).
    """
    source = val_data if val_data is not None else fit_data.get("x")
    if source is None:
        return None
    if isinstance(source, tuple | list):
        source = source[0]
    if hasattr(source, "unbatch"):  # a tf.data pipeline of (x, y) batches
        for x, _ in source.unbatch().take(rows).batch(rows).take(1):
            return x
        return None
    return np.asarray(source)[:rows]


@dataclass
class TrainingOutcome:
    history: dict[str, list[float]]
    stopped_by_user: bool
    best_epoch: int
    epochs_run: int


def make_tf_dataset(data: Dataset, batch_size: int, shuffle: bool, seed: int):
    """Text goes through tf.data (Keras 3 ``fit`` refuses NumPy arrays of strings)."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((as_inputs(data), data.labels))
    if shuffle:
        ds = ds.shuffle(min(len(data), 10_000), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def train_model(
    model: keras.Model,
    train: Dataset,
    validation: Dataset | None,
    settings: TrainingSettings,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    extra_callbacks: list[keras.callbacks.Callback] | None = None,
) -> TrainingOutcome:
    """Compile and fit ``model``; return its history. Raises TrainingDiverged on NaN loss.

    ``extra_callbacks`` are for measurements (the benchmarks time epochs with one).
    """
    has_val = validation is not None and len(validation) > 0

    inputs = as_inputs(train)
    # Keras 3's fit refuses NumPy arrays of strings, so texts travel through tf.data; pixels as arrays.
    strings = inputs.dtype.kind in "US"

    def data(batch_size: int) -> tuple[dict[str, Any], Any]:
        if strings:
            fit_data: dict[str, Any] = {"x": make_tf_dataset(train, batch_size, True, settings.seed), "shuffle": False}
            val_data = make_tf_dataset(validation, batch_size, False, settings.seed) if has_val else None
        else:
            fit_data = {"x": inputs, "y": train.labels, "batch_size": batch_size, "shuffle": True}
            val_data = (as_inputs(validation), validation.labels) if has_val else None  # type: ignore[arg-type]
        return fit_data, val_data

    return fit_with_controls(model, len(train), has_val, data, settings, progress, cancel, extra_callbacks)


def fit_with_controls(
    model: keras.Model,
    rows: int,
    has_validation: bool,
    data: Any,
    settings: TrainingSettings,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    extra_callbacks: list[keras.callbacks.Callback] | None = None,
    loss: Any = "sparse_categorical_crossentropy",
    metrics: list[Any] | None = None,
) -> TrainingOutcome:
    """The one place that compiles and fits: progress, Stop, best weights, early stopping, NaN detection.

    ``data(batch_size)`` returns ``(fit keyword arguments, validation_data)``, so the caller decides how
    its inputs travel (tf.data for text, arrays for images or precomputed embeddings). ``loss`` and
    ``metrics`` default to classification's; table regression passes a squared-error or Huber loss.
    """
    progress = progress or Progress(settings.epochs)
    cancel = cancel or threading.Event()
    batch_size = min(settings.batch_size, max(1, rows))
    steps = math.ceil(rows / batch_size)
    progress.update(epochs=settings.epochs, steps=steps, step=0)
    model.compile(
        optimizer=make_optimizer(settings, steps),
        loss=loss,
        metrics=["accuracy"] if metrics is None else metrics,
    )
    if cancel.is_set():
        return TrainingOutcome({}, True, -1, 0)
    fit_data, val_data = data(batch_size)
    probe = probe_inputs(fit_data, val_data)
    control = _ProgressAndControl(progress, cancel, "val_loss" if has_validation else "loss", probe)
    callbacks: list[keras.callbacks.Callback] = [control, *(extra_callbacks or [])]
    if settings.patience > 0 and has_validation:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=settings.patience))
    model.fit(**fit_data, validation_data=val_data, epochs=settings.epochs, callbacks=callbacks, verbose=0)
    if control.diverged:
        raise TrainingDiverged(DIVERGED_MESSAGE)
    return TrainingOutcome(
        history=progress.snapshot()["history"],
        stopped_by_user=control.cancelled,
        best_epoch=control.best_epoch + 1,
        epochs_run=progress.epoch,
    )
