"""Training for the table templates: boosted trees round by round, the linear model, the neural network.

This is the registry's ``fit`` for ``boosted_trees``, ``linear`` and ``neural_network`` (``fit(config, train,
validation, progress, cancel) -> TableFitResult``); the ``automatic`` template's blend
(:mod:`modeling.training.table.automatic`) trains its candidates with :func:`fit_member`. Every template
learns on the same :class:`TableEncoder` (fitted on the training rows only) and reports to the same
:class:`~modeling.training.progress.Progress`:

* **trees** grow in chunks of rounds (scikit-learn's ``warm_start``), so after each chunk the validation
  loss of every new round reaches the live curve, Stop is honoured and the time budget is checked.
  Early stopping watches the validation rows (``n_iter_no_change`` rounds without improvement);
* the **neural network** trains through :func:`modeling.training.fit.fit_with_controls` like every other
  Keras template (progress per batch, Stop, best weights, divergence detection), with a squared-error,
  absolute-error or Huber loss on a standardised target for regression;
* the **linear** model fits in one go (seconds at most).

A positive, heavy-tailed regression target (prices, revenue) is learned as ``log(1 + y)`` when
``log_target`` says so, and answered in the user's units.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modeling.errors import ConfigError, DataError
from modeling.templates.tabular.builders import make_extra_trees, make_network, make_trees
from modeling.templates.tabular.encoding import TableEncoder
from modeling.templates.tabular.model import Member, TableModel
from modeling.training.progress import Progress
from modeling.training.table.estimators import fit_linear_model, thread_limit
from modeling.training.table.target import target_for

#: A chunk of boosting rounds should take about this long: short enough for a live curve and a quick Stop,
#: long enough that re-starting scikit-learn's fit between chunks costs little.
CHUNK_SECONDS = 2.0
#: Fewest rounds per chunk, and how much work (rows x columns x rounds) the first chunk may hold: about two
#: seconds on one core of the 2-core development machine (measured: ~1e8 per second). A table of a few
#: thousand rows trains in one chunk, so it pays no restart cost.
FIRST_CHUNK = 20
FIRST_CHUNK_WORK = 200e6
#: Rounds without validation improvement before the trees stop (per unit of the ``patience`` setting).
ROUNDS_PER_PATIENCE = 5
#: ``log_target: auto`` learns the log when the target is positive and its top 1% is this many times its median.
HEAVY_TAIL_RATIO = 4.0


@dataclass
class TableOutcome:
    """How training went, in the fields ``run_experiment`` reads from a Keras ``TrainingOutcome``."""

    history: dict[str, list[float]] = field(default_factory=dict)
    stopped_by_user: bool = False
    best_epoch: int = 0
    epochs_run: int = 0
    notes: list[str] = field(default_factory=list)
    #: The automatic template: every candidate with its validation score and weight in the blend.
    candidates: list[dict[str, Any]] = field(default_factory=list)
    #: The validation rows' answers from models that never trained on them, when the model itself did (the
    #: automatic template's bagged blend: its out-of-fold answers). Calibration and ranges are learned on these.
    validation_answers: np.ndarray | None = None


@dataclass
class TableFitResult:
    """A trained table model and how training went."""

    model: TableModel
    outcome: TableOutcome


def use_log_target(y: np.ndarray, choice: str) -> bool:
    """Whether to learn ``log(1 + y)``: 'yes' (needs y >= 0), 'no', or 'auto' (positive and heavy-tailed)."""
    if choice == "no" or len(y) == 0:
        return False
    if choice == "yes":
        if float(np.min(y)) < 0:
            raise ConfigError(
                f"settings.log_target = 'yes' needs a target that is never negative; its smallest value is "
                f"{float(np.min(y)):,.4g}. Use 'no' or 'auto'."
            )
        return True
    if float(np.min(y)) <= 0:
        return False
    median = float(np.median(y))
    return median > 0 and float(np.quantile(y, 0.99)) / median >= HEAVY_TAIL_RATIO


def check_target(y: np.ndarray, regression: bool) -> None:
    if regression and not np.isfinite(y).all():
        bad = int((~np.isfinite(y)).sum())
        raise DataError(f"The target holds {bad:,} values that are not numbers (blank, text or infinite); drop them.")


# ---- trees ----------------------------------------------------------------------------------------------------
def fit_boosted_trees(
    encoder: TableEncoder,
    x: np.ndarray,
    y: np.ndarray,
    x_val: np.ndarray | None,
    y_val: np.ndarray | None,
    settings: Any,
    regression: bool,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    deadline: float | None = None,
    **overrides: Any,
) -> tuple[Any, TableOutcome]:
    """Grow HistGradientBoosting in time-sized chunks of rounds; returns (fitted estimator, outcome)."""
    has_val = x_val is not None and len(x_val) > 0 and len(np.unique(y_val)) > (0 if regression else 1)
    patience = max(10, ROUNDS_PER_PATIENCE * max(settings.patience, 2))
    model = make_trees(
        settings,
        regression,
        encoder.categorical_mask,
        warm_start=True,
        early_stopping=has_val,
        n_iter_no_change=patience,
        scoring="loss",
        **overrides,
    )
    target = int(model.get_params()["max_iter"])
    outcome = TableOutcome()
    cancel = cancel or threading.Event()
    began = time.monotonic()
    size = min(target, max(FIRST_CHUNK, int(FIRST_CHUNK_WORK / max(1, x.size))))
    reported = 0
    if progress is not None:
        progress.update(epochs=target, steps=0, step=0, unit="rounds")
    fit_args = {"X_val": x_val, "y_val": y_val} if has_val else {}
    while True:
        model.set_params(max_iter=min(target, reported + size))
        with thread_limit():
            model.fit(x, y, **fit_args)
        done = int(model.n_iter_)
        reported = _report_rounds(model, reported, done, progress, outcome, has_val)
        if progress is not None:
            progress.update(phase=f"Growing trees: {done:,} rounds (at most {target:,})")
        early = done < int(model.get_params()["max_iter"])
        if early or done >= target:
            break
        if cancel.is_set():
            outcome.stopped_by_user = True
            break
        if deadline is not None and time.monotonic() >= deadline:
            outcome.notes.append(f"Stopped adding trees at the time budget, after {done:,} rounds.")
            break
        rate = done / max(time.monotonic() - began, 1e-3)
        size = max(FIRST_CHUNK, int(rate * CHUNK_SECONDS))
        if deadline is not None:
            size = max(1, min(size, int(rate * max(deadline - time.monotonic(), 0.0)) + 1))
    outcome.epochs_run = reported
    val_loss = outcome.history.get("val_loss") or []
    outcome.best_epoch = int(np.argmin(val_loss)) + 1 if val_loss else reported
    return model, outcome


def _report_rounds(
    model: Any, reported: int, done: int, progress: Progress | None, outcome: TableOutcome, val: bool
) -> int:
    """Append rounds ``reported+1..done`` to the curves (scikit-learn keeps scores as negative losses)."""
    train = np.asarray(getattr(model, "train_score_", []), dtype=np.float64)
    valid = np.asarray(getattr(model, "validation_score_", []), dtype=np.float64)
    for i in range(reported + 1, done + 1):
        logs: dict[str, float] = {}
        if i < len(train):
            logs["loss"] = float(-train[i])
        if val and i < len(valid):
            logs["val_loss"] = float(-valid[i])
        for key, value in logs.items():
            outcome.history.setdefault(key, []).append(value)
        if progress is not None and logs:
            progress.add_epoch(logs)
    return done


# ---- neural network -------------------------------------------------------------------------------------------
def fit_network(
    x: np.ndarray,
    y: np.ndarray,
    x_val: np.ndarray | None,
    y_val: np.ndarray | None,
    settings: Any,
    regression: bool,
    outputs: int,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> tuple[Any, TableOutcome, float, float]:
    """Train the MLP; returns (model, outcome, y_mean, y_std): regression learns ``(y - mean) / std``."""
    import keras

    from modeling.training.fit import fit_with_controls

    y_mean, y_std = 0.0, 1.0
    if regression:
        y_mean = float(np.mean(y))
        y_std = float(np.std(y)) or 1.0
        y = (y - y_mean) / y_std
        y_val = None if y_val is None else (y_val - y_mean) / y_std
    model = make_network(settings, x.shape[1], outputs, regression)
    has_val = x_val is not None and len(x_val) > 0
    y_fit = y.astype("float32") if regression else y.astype("int64")

    def data(batch_size: int) -> tuple[dict[str, Any], Any]:
        fit_data = {"x": x, "y": y_fit, "batch_size": batch_size, "shuffle": True}
        val = (x_val, (y_val.astype("float32") if regression else y_val)) if has_val else None
        return fit_data, val

    losses = {"squared_error": "mean_squared_error", "absolute_error": "mean_absolute_error"}
    loss = (
        (keras.losses.Huber() if settings.regression_loss == "huber" else losses[settings.regression_loss])
        if regression
        else "sparse_categorical_crossentropy"
    )
    result = fit_with_controls(
        model, len(x), has_val, data, settings, progress, cancel, loss=loss, metrics=[] if regression else None
    )
    outcome = TableOutcome(
        history=result.history,
        stopped_by_user=result.stopped_by_user,
        best_epoch=result.best_epoch,
        epochs_run=result.epochs_run,
    )
    return model, outcome, y_mean, y_std


# ---- the registry's fit ---------------------------------------------------------------------------------------
def start_fit(
    config: Any, train: Any, progress: Progress | None, cancel: threading.Event | None
) -> tuple[Progress, threading.Event, bool, float]:
    """What every table template's ``fit`` does first: default progress and Stop, a checked target, the deadline.

    Returns the progress, the Stop event, whether the target is a number, and when ``time_budget_s`` runs out.
    """
    settings = config.settings
    progress = progress or Progress(settings.max_rounds)
    cancel = cancel or threading.Event()
    regression = target_for(train).regression
    check_target(train.labels, regression)
    return progress, cancel, regression, time.monotonic() + settings.time_budget_s


def fit(
    config: Any,
    train: Any,
    validation: Any,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> TableFitResult:
    """Train the table template named in ``config`` on ``train`` (watching ``validation``)."""
    settings = config.settings
    progress, cancel, regression, deadline = start_fit(config, train, progress, cancel)
    progress.update(phase="Learning the columns (numbers, categories, blanks)")
    encoder = TableEncoder.fit(train.frame)
    log_target = regression and use_log_target(train.labels, settings.log_target)
    member = fit_member(config.template, encoder, train, validation, settings, log_target, progress, cancel, deadline)
    model = TableModel(config.task, train.class_names, encoder, [member[0]], config.template)
    outcome = member[1]
    if log_target:
        outcome.notes.append(
            "It learned the logarithm of the target (positive and heavy-tailed) and answers in its units."
        )
    return TableFitResult(model, outcome)


def fit_member(
    template: str,
    encoder: TableEncoder,
    train: Any,
    validation: Any,
    settings: Any,
    log_target: bool,
    progress: Progress | None,
    cancel: threading.Event | None,
    deadline: float | None,
    inputs: dict[str, Any] | None = None,
    **overrides: Any,
) -> tuple[Member, TableOutcome]:
    """One fitted :class:`Member` of kind ``template`` ('boosted_trees', 'linear' or 'neural_network').

    ``inputs`` may hold the encodings already computed (``codes``/``dense`` for ``train`` and ``validation``),
    so a search encodes each split once.
    """
    regression = target_for(train).regression
    y = np.log1p(train.labels) if log_target else train.labels
    y_val = None
    has_val = validation is not None and len(validation) > 0
    if has_val:
        y_val = np.log1p(validation.labels) if log_target else validation.labels
    inputs = inputs if inputs is not None else encode_splits(encoder, train, validation)
    if template == "boosted_trees":
        estimator, outcome = fit_boosted_trees(
            encoder,
            inputs["codes"],
            y,
            inputs.get("val_codes"),
            y_val,
            settings,
            regression,
            progress,
            cancel,
            deadline,
            **overrides,
        )
        return Member("trees", estimator, log_target=log_target, settings=dict(overrides)), outcome
    if template == "linear":
        if progress is not None:
            progress.update(phase="Fitting the linear model", epochs=1, unit="steps")
        estimator = fit_linear_model(inputs["dense"], y, settings, regression)
        outcome = TableOutcome(epochs_run=1, best_epoch=1)
        if progress is not None:
            progress.add_epoch({})
        return Member("linear", estimator, log_target=log_target), outcome
    if template == "extra_trees":
        if progress is not None:
            progress.update(phase="Growing a forest of extra trees")
        estimator = make_extra_trees(settings, regression, **overrides)
        with thread_limit():
            estimator.fit(inputs["codes"], y)
        return Member("extra_trees", estimator, log_target=log_target), TableOutcome(epochs_run=1, best_epoch=1)
    if template == "neural_network":
        outputs = 1 if regression else len(train.class_names)
        model, outcome, y_mean, y_std = fit_network(
            inputs["dense"], y, inputs.get("val_dense"), y_val, settings, regression, outputs, progress, cancel
        )
        return Member("neural_network", model, log_target=log_target, y_mean=y_mean, y_std=y_std), outcome
    raise ConfigError(
        f"template '{template}' is not one this trainer fits (boosted_trees, linear, extra_trees, neural_network)."
    )


def encode_splits(encoder: TableEncoder, train: Any, validation: Any) -> dict[str, Any]:
    """Tree codes and dense inputs of the training and validation rows, computed once."""
    has_val = validation is not None and len(validation) > 0
    out = {"codes": encoder.codes(train.frame), "dense": encoder.dense(train.frame)}
    if has_val:
        out["val_codes"] = encoder.codes(validation.frame)
        out["val_dense"] = encoder.dense(validation.frame)
    return out
