"""k-fold bagging for the automatic table template: every member trained k times, each row answered out of fold.

The rows a table model may learn from (training + validation) are cut into k folds (stratified by class for
classes, shuffled for numbers, seeded). A member is trained k times, each time on k - 1 folds, and answers
the fold it did not see: so every row gets an answer from a model that never saw it (out of fold, *OOF*),
which is what the stacker (:mod:`modeling.training.table.stacking`) weighs and what the blend is judged on.
As in AutoGluon, the held-out fold is also what a fold's trees and network watch to stop early: its answers
are very slightly optimistic, and no row is lost to a separate early-stopping split.

After the blend is chosen, each member it uses answers with its k fold models, each with a k-th of the
member's weight (:meth:`Bag.fold_members`), the default; or, when the person asks for
``final_models="retrained"``, it is trained once more on all the rows (:func:`refit`) with the number of
boosting rounds or epochs its folds found, so the saved model is one file per member (quicker to answer,
small enough for a 1 GB server, one ONNX file per member).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modeling.templates.tabular.builders import make_extra_trees
from modeling.templates.tabular.encoding import TableEncoder
from modeling.templates.tabular.model import FOLD_SUFFIX, Member
from modeling.training.table.estimators import fit_linear_model, thread_limit
from modeling.training.table.fit import fit_boosted_trees, fit_network

#: Folds per member: 5, as AutoGluon's best quality and most AutoML tools (80% of the rows per fold model).
FOLDS = 5
#: A forest's trees per fold model: the k fold forests together hold as many trees as the refitted one.
FOREST_TREES = 300
#: Refitting on all rows takes about this many times one fold's time (k / (k - 1) of the rows, plus margin).
REFIT_FACTOR = 1.4
TEMPLATES = ("boosted_trees", "linear", "extra_trees", "neural_network")


@dataclass
class Plan:
    """One member the automatic template may train: its name, template, settings and target scale."""

    name: str
    template: str
    overrides: dict[str, Any] = field(default_factory=dict)
    #: Learn log(1 + y): True / False, or None for "as the probe of the defaults decided".
    log_target: bool | None = None


@dataclass
class Bag:
    """A member trained on every fold: its fold models, out-of-fold answers and score."""

    plan: Plan
    log_target: bool
    models: list[Member]
    oof: np.ndarray
    score: float
    seconds: float
    fold_seconds: list[float]
    #: Trees: boosting rounds each fold model kept; network: its best epoch; 0 for the others.
    rounds: list[int]

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def kind(self) -> str:
        return self.models[0].kind

    def refit_estimate(self) -> float:
        """Seconds a refit on all rows should take (from the folds' own times)."""
        return REFIT_FACTOR * float(np.mean(self.fold_seconds))

    def refit_settings(self) -> dict[str, Any]:
        """The member's own settings for the refit and the saved bundle: the rounds the folds found."""
        settings = dict(self.plan.overrides)
        if self.plan.template == "boosted_trees":
            settings["max_iter"] = max(1, round(float(np.mean(self.rounds))))
        return settings

    def fold_members(self, weight: float) -> list[Member]:
        """The k fold models as members of the final model, sharing ``weight`` equally (the no-refit answer)."""
        out = []
        for i, model in enumerate(self.models, start=1):
            model.weight = weight / len(self.models)
            model.name = f"{self.name}{FOLD_SUFFIX}{i}"
            out.append(model)
        return out


def folds(y: np.ndarray, regression: bool, k: int, seed: int) -> list[np.ndarray]:
    """The held-out rows of each of ``k`` folds (seeded; stratified by class for classes)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = (
        KFold(n_splits=k, shuffle=True, random_state=seed)
        if regression
        else StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    )
    rows = np.zeros((len(y), 1))
    return [held for _, held in splitter.split(rows, y if not regression else None)]


def fold_count(y: np.ndarray, regression: bool, wanted: int = FOLDS) -> int:
    """How many folds the rows allow: ``wanted``, fewer when a class is rare, 0 when bagging makes no sense."""
    if len(y) < 10 * wanted:
        return 0
    if regression:
        return wanted
    present = np.bincount(y.astype(int))
    smallest = int(present[present > 0].min()) if (present > 0).any() else 0
    return min(wanted, smallest) if smallest >= 2 else 0


def fit_on_rows(
    plan: Plan,
    log_target: bool,
    encoder: TableEncoder,
    inputs: dict[str, np.ndarray],
    y: np.ndarray,
    rows: np.ndarray,
    watch: np.ndarray | None,
    settings: Any,
    regression: bool,
    n_classes: int,
    cancel: threading.Event,
    deadline: float | None,
    seed: int,
    **overrides: Any,
) -> tuple[Member, int, bool]:
    """Train ``plan``'s template on ``rows`` (watching ``watch`` to stop early): (member, rounds, cut short)."""
    target = np.log1p(y) if log_target else y
    x = {key: value[rows] for key, value in inputs.items()}
    xv = {key: value[watch] for key, value in inputs.items()} if watch is not None else {}
    yv = target[watch] if watch is not None else None
    params = {**plan.overrides, **overrides}
    template = plan.template
    if template == "boosted_trees":
        params.setdefault("random_state", seed)
        model, outcome = fit_boosted_trees(
            encoder, x["codes"], target[rows], xv.get("codes"), yv, settings, regression, None, cancel, deadline,
            **params,
        )  # fmt: skip
        cut = outcome.stopped_by_user or any("time budget" in note for note in outcome.notes)
        member = Member("trees", model, log_target=log_target, settings=dict(plan.overrides))
        return member, int(model.n_iter_), cut
    if template == "linear":
        model = fit_linear_model(x["dense"], target[rows], settings, regression)
        return Member("linear", model, log_target=log_target), 0, False
    if template == "extra_trees":
        params.setdefault("random_state", seed)
        model = make_extra_trees(settings, regression, **params)
        with thread_limit():
            model.fit(x["codes"], target[rows])
        return Member("extra_trees", model, log_target=log_target, settings=dict(plan.overrides)), 0, False
    if template == "neural_network":
        import keras

        keras.utils.set_random_seed(seed)
        if "epochs" in params:
            settings = settings.model_copy(update={"epochs": int(params["epochs"])})
        with _until(deadline, cancel) as stop:
            model, outcome, y_mean, y_std = fit_network(
                x["dense"], target[rows], xv.get("dense"), yv, settings, regression, 1 if regression else n_classes,
                None, stop,
            )  # fmt: skip
            cut = stop.is_set()
        member = Member("neural_network", model, log_target=log_target, y_mean=y_mean, y_std=y_std)
        return member, int(outcome.best_epoch), cut
    raise ValueError(f"The automatic template cannot bag template '{template}'; it knows {', '.join(TEMPLATES)}.")


def fit_bag(
    plan: Plan,
    log_target: bool,
    encoder: TableEncoder,
    inputs: dict[str, np.ndarray],
    y: np.ndarray,
    held_out: list[np.ndarray],
    settings: Any,
    regression: bool,
    n_classes: int,
    score: Callable[[np.ndarray, np.ndarray], float],
    cancel: threading.Event,
    deadline: float,
    on_fold: Callable[[int, float], bool] | None = None,
    fold_deadline: Callable[[int], float] | None = None,
) -> Bag | None:
    """Train ``plan`` on each fold and answer its held-out rows; ``None`` when stopped, cut short or abandoned.

    ``on_fold(done, seconds)`` is called after each fold with the folds done and their seconds so far; it
    returns False to abandon the member (the time left cannot hold the remaining folds). ``fold_deadline(i)``
    is when fold ``i`` must be done (default ``deadline``): a fold that overruns it is cut and the member
    abandoned, so a model far slower than expected costs one fold's share of the time, not the budget.
    """
    began = time.monotonic()
    every = np.arange(len(y))
    oof = np.zeros(len(y)) if regression else np.zeros((len(y), n_classes))
    models, times, rounds = [], [], []
    extra = {"n_estimators": max(10, FOREST_TREES // len(held_out))} if plan.template == "extra_trees" else {}
    for i, held in enumerate(held_out):
        if cancel.is_set():
            return None
        started = time.monotonic()
        rows = np.setdiff1d(every, held, assume_unique=True)
        until = min(deadline, fold_deadline(i)) if fold_deadline is not None else deadline
        member, kept, cut = fit_on_rows(
            plan, log_target, encoder, inputs, y, rows, held, settings, regression, n_classes, cancel, until,
            settings.seed + i, **extra,
        )  # fmt: skip
        if cut:
            return None
        with thread_limit():
            oof[held] = member.answer({k: v[held] for k, v in inputs.items()}, regression, n_classes)
        models.append(member)
        times.append(time.monotonic() - started)
        rounds.append(kept)
        if on_fold is not None and i + 1 < len(held_out) and not on_fold(i + 1, sum(times)):
            return None
    if not np.isfinite(oof).all():
        return None
    return Bag(plan, log_target, models, oof, score(y, oof), time.monotonic() - began, times, rounds)


def refit(
    bag: Bag,
    encoder: TableEncoder,
    inputs: dict[str, np.ndarray],
    y: np.ndarray,
    settings: Any,
    regression: bool,
    n_classes: int,
    cancel: threading.Event,
    deadline: float | None,
) -> Member | None:
    """``bag``'s member trained once on all rows with the rounds (or epochs) its folds found; ``None`` if cut."""
    every = np.arange(len(y))
    extra: dict[str, Any] = {}
    if bag.plan.template == "boosted_trees":
        extra["max_iter"] = bag.refit_settings()["max_iter"]
    if bag.plan.template == "neural_network":
        extra["epochs"] = max(1, round(float(np.mean(bag.rounds))))
    member, _, cut = fit_on_rows(
        bag.plan, bag.log_target, encoder, inputs, y, every, None, settings, regression, n_classes, cancel, deadline,
        settings.seed, **extra,
    )  # fmt: skip
    if cut:
        return None
    member.settings = bag.refit_settings()
    member.name = bag.name
    return member


class _until:
    """A cancel event for one Keras fit that is also set at ``deadline`` (the network has no budget of its own)."""

    def __init__(self, deadline: float | None, cancel: threading.Event) -> None:
        self.deadline, self.cancel = deadline, cancel
        self.event, self.done = threading.Event(), threading.Event()

    def __enter__(self) -> threading.Event:
        threading.Thread(target=self._watch, name="automatic-deadline", daemon=True).start()
        return self.event

    def __exit__(self, *exc: object) -> None:
        self.done.set()

    def _watch(self) -> None:
        while not self.done.is_set():
            if self.cancel.is_set() or (self.deadline is not None and time.monotonic() >= self.deadline):
                self.event.set()
                return
            self.done.wait(0.2)
