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


#: Inputs the model is asked about at the end of every epoch when there is no validation split.
PROBE_ROWS = 64


class _ProgressAndControl(keras.callbacks.Callback):
    """Reports progress, honours Stop, keeps the best weights and catches divergence.

    Progress is written at most every few batches and at epoch ends into a plain
    object; the page reads it on its own schedule, so training never waits for the UI.

    Divergence is judged from what the model *is* and *does*, not only from the logged loss: on some
    CPUs TensorFlow's fused oneDNN kernels (matmul + ReLU) turn a NaN into 0, so the loss can stay finite
    while the weights hold NaN and the model answers NaN. At every epoch end every floating-point weight
    must be finite (one compiled reduction on the device: a single number travels to the host), and so
    must the answers in inference mode: the validation loss Keras computed (a NaN answer makes it NaN) or,
    without a validation split, the answers on a few training inputs (``probe``, one compiled forward pass).
    Otherwise the run stops and no weights of it are kept. The best weights are copied on the device
    (no host copy of millions of weights per epoch) and restored when training ends.

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
        self.best_values: list[Any] | None = None
        self.best_epoch = -1
        self.cancelled = False
        self.diverged = False
        self._finite: Any = None
        self._forward: Any = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        from modeling.templates.inference import compiled_forward

        self._finite = finite_check()
        self._forward = compiled_forward(self.model) if self.probe is not None else None

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
        if not finite_logs or self.diverged or not self._model_is_finite():
            self.diverged = True
            self.model.stop_training = True
            return
        self.progress.add_epoch(logs)
        value = float(logs.get(self.monitor, logs.get("loss", math.inf)))
        if value < self.best:
            self.best, self.best_epoch = value, epoch
            self.best_values = device_copies(self.model.weights)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.best_values is not None and not self.diverged:
            for variable, value in zip(self.model.weights, self.best_values, strict=True):
                variable.assign(value)

    def _model_is_finite(self) -> bool:
        """Every floating-point weight and every probe answer is a finite number."""
        return weights_are_finite(self.model, self._finite) and answers_are_finite(
            self.model, self.probe, self._forward
        )


def _all_finite(values: list[Any]) -> Any:
    ops = keras.ops
    flags = [ops.all(ops.isfinite(value)) for value in values]
    return ops.all(ops.stack(flags)) if flags else ops.convert_to_tensor(True)


def finite_check() -> Any:
    """``check(values) -> bool tensor``: whether every value is finite, compiled once for the active backend."""
    from modeling.templates.inference import compiled_function

    return compiled_function(_all_finite)


def _float_values(model: keras.Model) -> list[Any]:
    # by name, so that bfloat16 (an ml_dtypes type) is checked too; integer counters and seeds cannot be NaN
    return [v.value for v in model.weights if "float" in str(v.dtype)]


def weights_are_finite(model: keras.Model, check: Any = None) -> bool:
    """True when no floating-point variable of ``model`` holds NaN or infinity (computed on the device)."""
    values = _float_values(model)
    if not values:
        return True
    return bool(keras.ops.convert_to_numpy((check or finite_check())(values)))


def device_copies(variables: list[Any]) -> list[Any]:
    """A copy of each variable's value where it lives (the accelerator): kept as the best weights."""
    if keras.backend.backend() == "torch":
        return [v.value.detach().clone() for v in variables]
    return [keras.ops.copy(v.value) for v in variables]


def answers_are_finite(model: keras.Model, inputs: Any, forward: Any = None) -> bool:
    """True when the model's answers on ``inputs`` (inference mode) are all finite; ``None`` checks nothing."""
    if inputs is None:
        return True
    answers = (forward or (lambda x: model(x, training=False)))(inputs)
    return bool(np.isfinite(keras.ops.convert_to_numpy(answers)).all())


def _first_rows(x: Any, rows: int) -> Any:
    if isinstance(x, dict):
        return {name: _first_rows(value, rows) for name, value in x.items()}
    x = x[:rows]
    return np.asarray(x.toarray() if hasattr(x, "toarray") else x)


def probe_inputs(fit_data: dict[str, Any], val_data: Any, rows: int = PROBE_ROWS) -> Any:
    """A few inputs to ask the model about after each epoch: validation rows when there are some, else training.

    Accepts what ``fit`` accepts here: an ``(x, y)`` pair, a :class:`Batches` sequence of ``(x, y)`` batches,
    or ``fit``'s keyword arguments (``x`` arrays, a dict of arrays, or such a sequence).
    """
    source = val_data if val_data is not None else fit_data.get("x")
    if source is None:
        return None
    if isinstance(source, Batches):
        source = source.x
    elif isinstance(source, tuple | list):
        source = source[0]
    return _first_rows(source, rows)


@dataclass
class TrainingOutcome:
    history: dict[str, list[float]]
    stopped_by_user: bool
    best_epoch: int
    epochs_run: int


class Batches(keras.utils.PyDataset):
    """Batches of ``(x, y)`` for ``fit`` from arrays, SciPy sparse rows (made dense one batch at a time) or a dict
    of either (a model with several inputs), shuffled anew each epoch with ``seed``; the same on every backend."""

    def __init__(self, x: Any, y: np.ndarray, batch_size: int, shuffle: bool, seed: int) -> None:
        super().__init__()
        self.x, self.y = x, np.asarray(y)
        self.batch_size = max(1, int(batch_size))
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self.order = self._rng.permutation(len(self.y)) if shuffle else np.arange(len(self.y))

    def __len__(self) -> int:
        return math.ceil(len(self.y) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[Any, np.ndarray]:
        rows = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
        return _take(self.x, rows), self.y[rows]

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self.order = self._rng.permutation(len(self.y))


def _take(x: Any, rows: np.ndarray) -> Any:
    if isinstance(x, dict):
        return {name: _take(value, rows) for name, value in x.items()}
    part = x[rows]
    return part.toarray().astype(np.float32) if hasattr(part, "toarray") else part


def _is_sparse(x: Any) -> bool:
    return any(_is_sparse(v) for v in x.values()) if isinstance(x, dict) else hasattr(x, "toarray")


def model_inputs(model: keras.Model, data: Dataset) -> Any:
    """What ``model`` reads for ``data``: its text preparation applied to the texts (training form), or the pixels."""
    from modeling.templates.text_prep import preparation_of

    preparation = preparation_of(model)
    if preparation is None:
        return as_inputs(data)
    return preparation.training_inputs([str(t) for t in data.texts])


def fit_inputs(x: Any, y: np.ndarray, batch_size: int, shuffle: bool, seed: int) -> dict[str, Any]:
    """``fit``'s keyword arguments for ``x`` and ``y``: arrays as they are, sparse rows through :class:`Batches`."""
    if _is_sparse(x):
        return {"x": Batches(x, y, batch_size, shuffle, seed)}
    return {"x": x, "y": y, "batch_size": batch_size, "shuffle": shuffle}


def validation_inputs(x: Any, y: np.ndarray, batch_size: int, seed: int) -> Any:
    """``fit``'s ``validation_data`` for ``x`` and ``y`` (see :func:`fit_inputs`)."""
    return Batches(x, y, batch_size, False, seed) if _is_sparse(x) else (x, y)


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

    A text model's attached preparation turns the texts into its numbers once, before the first epoch.
    ``extra_callbacks`` are for measurements (the benchmarks time epochs with one).
    """
    has_val = validation is not None and len(validation) > 0
    x = model_inputs(model, train)
    x_val = model_inputs(model, validation) if has_val else None

    def data(batch_size: int) -> tuple[dict[str, Any], Any]:
        fit_data = fit_inputs(x, train.labels, batch_size, True, settings.seed)
        val_data = validation_inputs(x_val, validation.labels, batch_size, settings.seed) if has_val else None
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
    its inputs travel (arrays, or :class:`Batches` for sparse term rows; see :func:`fit_inputs`). ``loss`` and
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
    probe = probe_inputs(fit_data, None) if val_data is None else None  # with validation, val_loss tells
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
