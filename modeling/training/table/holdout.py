"""The automatic table template without bagging: each candidate trained once, the blend weighed on validation rows.

This is what :mod:`modeling.training.table.automatic` falls back to when the table is too small to cut into
folds or the time budget too short to train every model k times: a handful of tree settings with early
stopping, a differently-biased forest, the linear model and the network, each trained once on the training
rows and scored on the validation rows (log loss for classes, RMSE for numbers), most promising first while
the budget lasts; then greedy ensemble selection (:func:`~modeling.training.table.stacking.greedy_weights`) on
the validation rows' answers. For a positive regression target it first learns whether the logarithm helps.
The test rows are never used to choose.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modeling.data.dataset import Dataset
from modeling.errors import RunError
from modeling.templates.tabular.encoding import TableEncoder
from modeling.templates.tabular.model import Member, TableModel
from modeling.training.progress import Progress
from modeling.training.table.fit import TableFitResult, TableOutcome, encode_splits, fit_member
from modeling.training.table.stacking import ROUNDS, greedy_weights
from modeling.training.table.target import TableTarget, target_for

log = logging.getLogger(__name__)

#: Tree settings tried after the defaults, most promising first (overrides of the template's settings).
TREE_VARIANTS: tuple[dict[str, Any], ...] = (
    {},
    {"learning_rate": 0.05, "max_leaf_nodes": 31, "min_samples_leaf": 20, "max_features": 0.7},
    {"learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20, "l2_regularization": 0.0},
    {"learning_rate": 0.03, "max_leaf_nodes": 63, "min_samples_leaf": 30, "max_features": 0.5},
    {"learning_rate": 0.05, "max_leaf_nodes": 7, "min_samples_leaf": 5, "max_features": 0.8},
)
#: After the fixed plan, the best tree settings are drawn again with other seeds and a random 70% of the
#: columns per split, while the budget lasts: cheap variety that the blend turns into accuracy.
BAG = "_draw"
BAG_DRAWS = 6
BAG_FEATURES = 0.7
LOG_PROBE = "trees (defaults, log target)"


@dataclass
class Candidate:
    """One trained candidate of the search: its member, validation answers and score."""

    name: str
    member: Member
    validation: np.ndarray
    score: float
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    #: The template the member was trained as (``boosted_trees``, ``linear``, ``extra_trees``, ...).
    template: str = ""


def ensemble_weights(
    candidates: list[Candidate], y: np.ndarray, target: TableTarget, rounds: int = ROUNDS
) -> list[float]:
    """Greedy ensemble selection (Caruana et al.) on the candidates' validation answers: each one's weight."""
    return greedy_weights([c.validation for c in candidates], y, target.validation_score, rounds)


def fit_holdout(
    config: Any,
    train: Dataset,
    validation: Dataset,
    progress: Progress,
    cancel: threading.Event,
    deadline: float,
    notes: list[str] | None = None,
) -> TableFitResult:
    """Train the candidates that fit the budget on the training rows, blend the best on the validation rows."""
    target = target_for(train)
    settings = config.settings
    progress.update(phase="Learning the columns (numbers, categories, blanks)")
    encoder = TableEncoder.fit(train.frame)
    inputs = encode_splits(encoder, train, validation)
    y_val = validation.labels
    started = time.monotonic()
    plan = _plan(train, settings, target)
    progress.update(epochs=len(plan), steps=0, step=0, unit="candidates")
    candidates: list[Candidate] = []
    log_target = False
    notes = list(notes or [])
    for i, (name, template, log_choice, overrides) in enumerate(plan, start=1):
        remaining = deadline - time.monotonic()
        if cancel.is_set():
            notes.append("The search was stopped; the blend uses the candidates trained so far.")
            break
        spent = time.monotonic() - started
        typical = spent / max(len(candidates), 1) if candidates else 0.0
        if candidates and remaining < 0.5 * typical:
            notes.append(f"The time budget ran out after {len(candidates)} candidates.")
            break
        use_log = log_target if log_choice is None else log_choice
        if BAG in overrides:  # another draw of the best tree settings so far: seed diversity for the blend
            trees = [c for c in candidates if c.template == "boosted_trees"]
            if not trees:
                continue
            best = min(trees, key=lambda c: c.score)
            overrides = {**best.settings, "max_features": BAG_FEATURES, "random_state": int(overrides[BAG])}
        progress.update(phase=f"Training candidate {i} of {len(plan)}: {name}")
        began = time.monotonic()
        try:
            member, _ = fit_member(
                template, encoder, train, validation, settings, use_log, None, cancel, deadline, inputs=inputs,
                **overrides,
            )  # fmt: skip
        except Exception as exc:  # one failing candidate must not end the search
            log.warning("Candidate %s failed: %s", name, exc)
            notes.append(f"{name} could not be trained ({type(exc).__name__}).")
            continue
        member.name = name
        answers = member.answer(
            {"codes": inputs["val_codes"], "dense": inputs["val_dense"]}, target.regression, len(train.class_names)
        )
        if not np.isfinite(answers).all():
            notes.append(f"{name} gave answers that are not numbers and was left out.")
            continue
        score = target.validation_score(y_val, answers)
        seconds = time.monotonic() - began
        candidates.append(Candidate(name, member, answers, score, seconds, dict(overrides), template))
        progress.add_epoch({"val_loss": score})
        # The candidates so far, for the live leaderboard of "Find the best model" (read by its watcher).
        progress.update(candidates=[_live_row(c, target) for c in candidates])
        if name == LOG_PROBE and len(candidates) >= 2:
            log_target = candidates[-1].score < candidates[-2].score  # did learning the log beat the raw target?
    if not candidates:
        raise RunError("No candidate finished within the time budget; give the automatic template more time.")
    weights = ensemble_weights(candidates, y_val, target)
    progress.update(
        candidates=[{**_live_row(c, target), "weight": w} for c, w in zip(candidates, weights, strict=True)]
    )
    members = []
    for candidate, weight in zip(candidates, weights, strict=True):
        if weight > 0:
            candidate.member.weight = weight
            members.append(candidate.member)
    model = TableModel(config.task, train.class_names, encoder, members, "automatic")
    blend = target.validation_score(y_val, model.predict(validation.frame))
    ran = ", ".join(c.name for c in candidates)
    notes.append(f"Models that ran: {ran}; the blend weighs {len(members)} of them on the validation rows.")
    outcome = TableOutcome(
        history={"val_loss": [c.score for c in candidates]},
        stopped_by_user=cancel.is_set(),
        best_epoch=int(np.argmin([c.score for c in candidates])) + 1,
        epochs_run=len(candidates),
        notes=notes,
    )
    outcome.candidates = [
        {**_live_row(c, target), "weight": float(w), "settings": c.settings}
        for c, w in zip(candidates, weights, strict=True)
    ] + [{"name": "blend", "kind": "blend", "validation_score": blend, "metric": target.metric, "weight": 1.0}]
    return TableFitResult(model, outcome)


def _live_row(candidate: Candidate, target: TableTarget) -> dict[str, Any]:
    return {
        "name": candidate.name,
        "kind": candidate.member.kind,
        "validation_score": candidate.score,
        "metric": target.metric,
        "seconds": round(candidate.seconds, 3),
    }


def _plan(train: Dataset, settings: Any, target: TableTarget) -> list[tuple[str, str, bool | None, dict[str, Any]]]:
    """(name, template, log target or None = as learned, overrides) in the order to try them."""
    positive = target.regression and float(np.min(train.labels)) >= 0
    plan: list[tuple[str, str, bool | None, dict[str, Any]]] = [("trees (defaults)", "boosted_trees", False, {})]
    if positive:  # learn first whether the logarithm of the target helps
        plan.append((LOG_PROBE, "boosted_trees", True, {}))
    for i, variant in enumerate(TREE_VARIANTS[1:3], start=2):
        plan.append((f"trees (variant {i})", "boosted_trees", None, variant))
    plan.append(("linear model", "linear", None, {}))
    plan.append(("extra trees", "extra_trees", None, {}))
    if len(train) >= 200:
        plan.append(("neural network", "neural_network", None, {}))
    for i, variant in enumerate(TREE_VARIANTS[3:], start=4):
        plan.append((f"trees (variant {i})", "boosted_trees", None, variant))
    for draw in range(1, BAG_DRAWS + 1):
        plan.append((f"best trees, draw {draw}", "boosted_trees", None, {BAG: settings.seed + draw}))
    return plan
