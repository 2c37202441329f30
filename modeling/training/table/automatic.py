"""The ``automatic`` table template: diverse models bagged in k folds, stacked on their out-of-fold answers.

What closes the gap between a tuned single model and AutoML tools such as AutoGluon is mostly two things
(AutoGluon's ``TabularPredictor`` docs; Erickson et al., 2020): **k-fold bagging** (every model learns from
all the rows, and every row gets an honest answer from a model that did not see it) and **stacking** on
those out-of-fold answers. So, within the time budget the person agreed to wait:

1. the training and validation rows are pooled and cut into k folds (:mod:`~modeling.training.table.bagging`);
2. diverse members are bagged one after the other, most promising first: gradient-boosted trees with several
   settings (one reading categories in their natural order, one grown by depth), the linear model, extra
   trees, the Keras network (for a positive regression target the trees first learn whether the logarithm
   helps). After each member the blend is re-chosen by greedy ensemble selection over all out-of-fold answers
   (:mod:`~modeling.training.table.stacking`: weights never negative, summing to 1). Once every kind of
   model has had its turn, the search **stops early** when three members in a row did not improve the
   blend's out-of-fold score, and says so (before that, a kind that errs differently, such as the network,
   may still help: on churn it did);
3. a member is started only when its folds (and any final retraining) still fit the budget, and
   abandoned after a fold when the rest would not;
4. the members the blend uses answer with their k fold models together (``final_models="fold_models"``, the
   default, as AutoGluon's bagged models do): on the benchmark tables this erred 2 to 11% less than one
   model per member retrained on all rows (benchmarks/RESULTS.md), and it needs no time at the end. With
   ``final_models="retrained"`` each member is instead **retrained once on all the rows** with the rounds or
   epochs its folds found (one model per member: about k times quicker to answer, smaller files); without
   time for that (or after Stop), a member keeps its k fold models: what finished is never thrown away.

The blended out-of-fold answers of the validation rows are returned beside the model
(``TableOutcome.validation_answers``), so calibration and conformal ranges are learned on answers the model
never trained on. A table too small to cut into folds, or a budget too short to bag at least three models,
falls back to training each candidate once (:mod:`~modeling.training.table.holdout`) and says which ran.
:func:`fit` is the registry's ``fit`` of the ``automatic`` template; *Find the best model* for tables
(:mod:`modeling.training.table.search`) runs it as a whole run and lists its members.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.dataset import Dataset
from modeling.errors import DataError, RunError
from modeling.templates.tabular.encoding import TableEncoder
from modeling.templates.tabular.model import TableModel
from modeling.training.progress import Progress
from modeling.training.table.bagging import REFIT_FACTOR, Bag, Plan, fit_bag, fold_count, folds, refit
from modeling.training.table.fit import TableFitResult, TableOutcome, start_fit
from modeling.training.table.holdout import Candidate, ensemble_weights, fit_holdout
from modeling.training.table.stacking import blend, greedy_weights
from modeling.training.table.target import target_for

__all__ = ["PLAN", "Candidate", "ensemble_weights", "fit", "fit_automatic"]

LOG_PROBE = "trees (defaults, log target)"
#: Boosted trees that read each category as its code in natural order (a number), not as a set of values:
#: graded categories ("A1" ... "G5") then share splits with their neighbours, so a rare grade is learned from
#: the grades beside it (on the loans table 0.057 RMSE against 0.165 for the same trees reading categories).
#: It learns the target as it is; for a positive target its twin learns the logarithm, since the probe of the
#: defaults' choice did not carry over (loans: the log helped the defaults and hurt these).
ORDERED_TREES = "trees (categories in order)"
ORDERED_LOG = "trees (categories in order, log target)"
#: Leaves per tree of a forest at most: 300 trees of 1,000 leaves stay near 50 MB, whatever the table's size
#: (a forest grown to two rows a leaf on 50,000 rows would need about 1 GB: more than a small server has).
FOREST_LEAVES = 1000
#: The members, most promising first (Grinsztajn et al. 2022: trees first; then models that err differently).
PLAN: tuple[Plan, ...] = (
    Plan("trees (defaults)", "boosted_trees", {}, False),
    Plan("linear model", "linear"),
    Plan(ORDERED_TREES, "boosted_trees", {"categorical_features": None}, False),
    Plan("extra trees", "extra_trees", {"max_leaf_nodes": FOREST_LEAVES}),
    # Grown by depth, not leaf by leaf (as XGBoost grows them): up to 8 levels, so deep interactions on large
    # tables; on diamonds it took the largest weight and moved the blend from 523 to 519 RMSE.
    Plan(
        "trees (depth 8)",
        "boosted_trees",
        {"learning_rate": 0.1, "max_depth": 8, "max_leaf_nodes": 256, "min_samples_leaf": 3, "l2_regularization": 1.0},
    ),
    Plan(
        "trees (31 leaves)",
        "boosted_trees",
        {"learning_rate": 0.05, "max_leaf_nodes": 31, "min_samples_leaf": 20, "max_features": 0.7},
    ),
    Plan("neural network", "neural_network"),
    Plan(
        "trees (63 leaves, slow)",
        "boosted_trees",
        {"learning_rate": 0.03, "max_leaf_nodes": 63, "min_samples_leaf": 30, "max_features": 0.5},
    ),
    Plan(
        "trees (7 leaves)",
        "boosted_trees",
        {"learning_rate": 0.05, "max_leaf_nodes": 7, "min_samples_leaf": 5, "max_features": 0.8},
    ),
    Plan(
        "trees (fast, no L2)",
        "boosted_trees",
        {"learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20, "l2_regularization": 0.0},
    ),
    Plan(
        "trees (slow, 31 leaves)",
        "boosted_trees",
        {"learning_rate": 0.02, "max_leaf_nodes": 31, "min_samples_leaf": 10, "max_features": 0.6},
    ),
    Plan(
        "extra trees (every column)",
        "extra_trees",
        {"max_features": 1.0, "min_samples_leaf": 1, "max_leaf_nodes": FOREST_LEAVES},
    ),
    Plan(
        "trees (127 leaves)",
        "boosted_trees",
        {"learning_rate": 0.05, "max_leaf_nodes": 127, "min_samples_leaf": 40, "max_features": 0.4},
    ),
    Plan(
        "trees (smooth)",
        "boosted_trees",
        {"learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 50, "l2_regularization": 10.0},
    ),
    Plan(
        "trees (fast, 63 leaves)",
        "boosted_trees",
        {"learning_rate": 0.1, "max_leaf_nodes": 63, "min_samples_leaf": 10, "max_features": 0.5},
    ),
)
#: The network joins only from this many rows (fewer: it rarely beats the trees and costs the most time).
NETWORK_ROWS = 200
#: Early stop: members in a row that improve the blend's out-of-fold score by less than MIN_GAIN (relative).
PATIENCE = 3
MIN_GAIN = 5e-4
MIN_MEMBERS = 4
#: Bag only if the budget holds at least this many bagged members of the first one's cost; else fall back.
MIN_BAGGED = 3
#: The final retraining may run this share of the budget past it rather than keep the fold models.
GRACE = 0.05


def fit(
    config: Any,
    train: Dataset,
    validation: Dataset,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> TableFitResult:
    """The registry's ``fit`` of the ``automatic`` template: the blend, within ``time_budget_s`` from now."""
    progress, cancel, _, deadline = start_fit(config, train, progress, cancel)
    return fit_automatic(config, train, validation, progress, cancel, deadline)


def fit_automatic(
    config: Any,
    train: Dataset,
    validation: Dataset,
    progress: Progress,
    cancel: threading.Event,
    deadline: float,
) -> TableFitResult:
    """Bag and stack the members that fit the budget (or fall back to one fit each); see the module docstring."""
    if validation is None or len(validation) < 10:
        raise DataError("The automatic template needs at least 10 validation rows to compare models; add rows.")
    regression = target_for(train).regression
    pooled = np.concatenate([train.labels, validation.labels])
    k = fold_count(pooled, regression)
    if k < 2:
        note = (
            f"The {len(pooled):,} training and validation rows are too few to cut into folds (or a class has a "
            "single row), so each model was trained once on the training rows and blended on the validation rows."
        )
        return fit_holdout(config, train, validation, progress, cancel, deadline, [note])
    return _BaggedBlend(config, train, validation, progress, cancel, deadline, k).run()


class _BaggedBlend:
    """One automatic run: the pooled rows, the folds, the members bagged so far and the blend's weights."""

    def __init__(self, config: Any, train: Dataset, validation: Dataset, progress: Progress, cancel, deadline, k):
        self.config, self.settings = config, config.settings
        self.train, self.validation = train, validation
        self.target = target_for(train)
        self.regression = self.target.regression
        self.n_classes = len(train.class_names)
        self.progress, self.cancel, self.deadline, self.k = progress, cancel, deadline, k
        self.started = time.monotonic()
        self.budget = max(deadline - self.started, 1e-3)
        self.y = np.concatenate([train.labels, validation.labels])
        progress.update(phase="Learning the columns (numbers, categories, blanks)")
        frame = pd.concat([train.frame, validation.frame], ignore_index=True)
        self.encoder = TableEncoder.fit(frame)
        self.inputs = {"codes": self.encoder.codes(frame), "dense": self.encoder.dense(frame)}
        self.held_out = folds(self.y, self.regression, k, self.settings.seed)
        self.bags: list[Bag] = []
        self.weights: list[float] = []
        self.scores: list[float] = []
        self.notes: list[str] = []
        self.skipped: list[str] = []
        self.log_target = False
        self.slow_note = ""

    # ---- the search -----------------------------------------------------------------------------------------
    def run(self) -> TableFitResult:
        plan = self.plan()
        self.progress.update(epochs=len(plan), steps=0, step=0, unit="candidates")
        best, stale = math.inf, 0
        for i, item in enumerate(plan, start=1):
            if self.cancel.is_set():
                self.notes.append(f"The run was stopped; the blend uses the {len(self.bags)} models finished so far.")
                break
            if not self.fits_budget(item):
                self.skipped.append(item.name)
                continue
            bag = self.bag(item, i, len(plan))
            if bag is None:
                if not self.bags and not self.cancel.is_set():
                    return self.fall_back()
                if not self.cancel.is_set():
                    self.skipped.append(item.name)
                continue
            score = self.add(bag)
            if item.name == LOG_PROBE:  # did learning the log beat the raw target (out of fold)?
                self.log_target = bag.score < self.bags[-2].score
            improved = not math.isfinite(best) or score < best - MIN_GAIN * abs(best)
            if improved:
                best, stale = score, 0
            else:
                stale += 1
            every_kind = {p.template for p in plan[:i]} >= {p.template for p in plan}
            if stale >= PATIENCE and len(self.bags) >= MIN_MEMBERS and every_kind and i < len(plan):
                self.notes.append(
                    f"Stopped adding models after {len(self.bags)}, at {fmt.seconds(self.elapsed())} of "
                    f"{fmt.seconds(self.budget)}: the last {PATIENCE} did not improve the blend's out-of-fold "
                    f"{self.metric_name()} by {MIN_GAIN:.2%} or more."
                )
                break
        if not self.bags:
            if self.cancel.is_set():
                raise RunError("The run was stopped before its first model finished; there is nothing to keep.")
            raise RunError("No model finished within the time budget; give the automatic template more time.")
        return self.finish()

    def plan(self) -> list[Plan]:
        positive = self.regression and float(np.min(self.y)) >= 0
        items = list(PLAN)
        if positive:  # learn first whether the logarithm of the target helps (and for categories in order, too)
            items.insert(1, Plan(LOG_PROBE, "boosted_trees", {}, True))
            ordered = next((i for i, p in enumerate(items) if p.name == ORDERED_TREES), None)
            if ordered is not None:
                items.insert(ordered + 1, Plan(ORDERED_LOG, "boosted_trees", {"categorical_features": None}, True))
        if len(self.y) < NETWORK_ROWS:
            items = [p for p in items if p.template != "neural_network"]
        if not self.encoder.categorical_mask.any():  # without categories it would repeat the defaults
            items = [p for p in items if p.name not in (ORDERED_TREES, ORDERED_LOG)]
        return items

    def bag(self, item: Plan, i: int, n: int) -> Bag | None:
        log_target = self.log_target if item.log_target is None else item.log_target
        phase = f"Training model {i} of {n}: {item.name}"
        self.progress.update(phase=f"{phase} (fold 1 of {self.k})")

        def on_fold(done: int, spent: float) -> bool:
            keep = self.keep_going(item, done, spent)
            if keep:
                self.progress.update(phase=f"{phase} (fold {done + 1} of {self.k})")
            return keep

        def fold_deadline(done: int) -> float:  # this fold's fair share of what is left, after the reserve
            left = self.deadline - time.monotonic() - self.reserve()
            return time.monotonic() + max(left, 0.0) / (self.k - done + REFIT_FACTOR)

        try:
            return fit_bag(
                item, log_target, self.encoder, self.inputs, self.y, self.held_out, self.settings, self.regression,
                self.n_classes, self.target.validation_score, self.cancel, self.deadline, on_fold, fold_deadline,
            )  # fmt: skip
        except Exception as exc:  # one failing member must not end the run
            self.notes.append(f"{item.name} could not be trained ({type(exc).__name__}).")
            return None

    def add(self, bag: Bag) -> float:
        """Keep a finished member, re-choose the blend on every out-of-fold answer; the blend's score."""
        self.bags.append(bag)
        answers = [b.oof for b in self.bags]
        self.weights = greedy_weights(answers, self.y, self.target.validation_score)
        score = self.target.validation_score(self.y, blend(answers, self.weights, self.regression))
        self.scores.append(score)
        self.progress.add_epoch({"val_loss": score})
        # One row per finished member, for the live table of the Train page and of "Find the best model".
        self.progress.update(candidates=[self.row(b, w) for b, w in zip(self.bags, self.weights, strict=True)])
        return score

    # ---- the budget -----------------------------------------------------------------------------------------
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def retrains(self) -> bool:
        """Whether the blend's members are retrained on all rows at the end (else their fold models answer)."""
        return getattr(self.settings, "final_models", "fold_models") == "retrained"

    def reserve(self) -> float:
        """Seconds to keep for retraining the members the blend uses now on all rows (none for fold models)."""
        if not self.retrains:
            return 0.0
        return sum(b.refit_estimate() for b, w in zip(self.bags, self.weights, strict=True) if w > 0)

    def fits_budget(self, item: Plan) -> bool:
        """Whether ``item``'s folds and retraining should fit, judged on the same template's earlier folds."""
        same = [b for b in self.bags if b.plan.template == item.template]
        left = self.deadline - time.monotonic() - self.reserve()
        if not same:
            return left > 0.05 * self.budget or not self.bags
        per_fold = float(np.mean([s for b in same for s in b.fold_seconds]))
        return per_fold * (self.k + REFIT_FACTOR) <= left

    def keep_going(self, item: Plan, done: int, spent: float) -> bool:
        """After ``done`` folds: can the rest of this member (and its retraining) still fit the budget?"""
        per_fold = spent / done
        left = self.deadline - time.monotonic() - self.reserve()
        if not self.bags and done == 1:  # the first member's first fold says whether bagging is affordable
            need = per_fold * ((self.k + REFIT_FACTOR) * MIN_BAGGED - 1)
            if need > left:
                self.slow_note = (
                    f"The time budget of {fmt.seconds(self.budget)} is too short to train each model in "
                    f"{self.k} folds (one fold of {item.name} took {fmt.seconds(per_fold)}), so each model was "
                    "trained once on the training rows and blended on the validation rows."
                )
                return False
        return per_fold * (self.k - done + REFIT_FACTOR) <= left

    def fall_back(self) -> TableFitResult:
        note = self.slow_note or (
            "The first model could not be trained in folds within the time budget, so each model was trained once "
            "on the training rows and blended on the validation rows."
        )
        return fit_holdout(self.config, self.train, self.validation, self.progress, self.cancel, self.deadline, [note])

    # ---- the final model ------------------------------------------------------------------------------------
    def finish(self) -> TableFitResult:
        """Retrain the blend's members on all rows (or keep their fold models) and describe what happened."""
        chosen = sorted(
            (j for j, w in enumerate(self.weights) if w > 0), key=lambda j: (-self.weights[j], j)
        )  # largest weight first: retrained first
        members, refitted, folded = [], [], []
        limit = self.deadline + GRACE * self.budget
        for j in chosen:
            bag, weight = self.bags[j], self.weights[j]
            member = None
            if self.retrains and not self.cancel.is_set() and time.monotonic() + bag.refit_estimate() <= limit:
                self.progress.update(phase=f"Retraining {bag.name} on all {len(self.y):,} rows")
                try:
                    member = refit(
                        bag, self.encoder, self.inputs, self.y, self.settings, self.regression, self.n_classes,
                        self.cancel, limit,
                    )  # fmt: skip
                except Exception as exc:  # the fold models are a complete answer already
                    self.notes.append(f"{bag.name} could not be retrained on all rows ({type(exc).__name__}).")
            if member is None:
                members.extend(bag.fold_members(weight))
                folded.append(bag.name)
            else:
                member.weight = weight
                members.append(member)
                refitted.append(bag.name)
        model = TableModel(self.config.task, self.train.class_names, self.encoder, members, "automatic")
        n_train = len(self.train)
        held = [self.bags[j].oof[n_train:] for j in chosen]
        outcome = TableOutcome(
            history={"val_loss": list(self.scores)},
            stopped_by_user=self.cancel.is_set(),
            best_epoch=int(np.argmin(self.scores)) + 1,
            epochs_run=len(self.bags),
            notes=self.summary(chosen, refitted, folded) + self.notes,
        )
        outcome.validation_answers = blend(held, [self.weights[j] for j in chosen], self.regression)
        outcome.candidates = [
            {**self.row(b, w), "settings": b.refit_settings(), "folds": self.k}
            for b, w in zip(self.bags, self.weights, strict=True)
        ] + [
            {
                "name": "blend",
                "kind": "blend",
                "validation_score": self.scores[-1],
                "metric": self.target.metric,
                "weight": 1.0,
                "seconds": round(self.elapsed(), 3),
            }
        ]
        return TableFitResult(model, outcome)

    def summary(self, chosen: list[int], refitted: list[str], folded: list[str]) -> list[str]:
        lines = [
            f"Each model was trained {self.k} times, each time on {self.k - 1} of {self.k} folds of the "
            f"{len(self.y):,} training and validation rows, and judged on the fold it did not see; the blend weighs "
            f"{len(chosen)} of the {len(self.bags)} models ({', '.join(b.name for b in self.bags)}) on those "
            f"out-of-fold answers."
        ]
        if refitted:
            lines.append(f"Retrained once on all {len(self.y):,} rows: {', '.join(refitted)}.")
        if folded and not self.retrains:
            lines.append(
                f"Each model answers with its {self.k} fold models together (the average of their answers): "
                f"{', '.join(folded)}. For a model about {self.k} times smaller and quicker to answer, a little "
                "less accurate, train again with the setting final_models = retrained."
            )
        elif folded:
            lines.append(f"Kept as {self.k} fold models each (no time to retrain on all rows): {', '.join(folded)}.")
        if self.skipped:
            lines.append(f"Left out to stay within the time budget: {', '.join(self.skipped)}.")
        lines.append(f"It used {fmt.seconds(self.elapsed())} of its {fmt.seconds(self.budget)} budget.")
        return lines

    def row(self, bag: Bag, weight: float) -> dict[str, Any]:
        return {
            "name": bag.name,
            "kind": bag.kind,
            "validation_score": bag.score,
            "metric": self.target.metric,
            "seconds": round(bag.seconds, 3),
            "weight": float(weight),
        }

    def metric_name(self) -> str:
        return "RMSE" if self.target.metric == "rmse" else "log loss"
