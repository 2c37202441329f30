"""Automatic model choice for tables: several tree settings, a forest, the linear model and the neural network
within a time budget, then a blend of the best, weighted on the validation rows.

Defaults alone trail AutoML tools by several percent on many tables; what closes the gap is cheap here:
a handful of tree settings with early stopping (each a few seconds), a differently-biased forest, and a
greedy ensemble selection (Caruana et al., 2004; what AutoGluon's ``WeightedEnsemble`` does): start from
the best candidate and repeatedly add (with replacement) the one that most improves the validation
score of the average. Candidates run most-promising first and the search stops starting new ones when
the budget is spent. For a positive regression target it first learns whether the logarithm helps.

Every candidate learns on the same training rows and is scored on the same validation rows (log loss for
classes, RMSE for numbers), so the leaderboard compares like with like; the test rows are never used to
choose. This is the ``fit`` of the ``automatic`` template (:func:`fit_automatic`); :func:`find_best_table_model`
runs it as "Find the best model" and returns a leaderboard for the background job interface.
"""

from __future__ import annotations

import logging
import math
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from modeling.config import DataConfig, ExperimentConfig, default_config
from modeling.data.dataset import Dataset
from modeling.errors import DataError, RunError
from modeling.runs.store import RunStore, default_store
from modeling.templates.tabular.encoding import TableEncoder
from modeling.templates.tabular.model import KIND_NAMES, Member, TableModel
from modeling.training.progress import Progress
from modeling.training.table_fit import TableFitResult, TableOutcome, encode_splits, fit_member

log = logging.getLogger(__name__)

#: Tree settings tried after the defaults, most promising first (overrides of the template's settings).
TREE_VARIANTS: tuple[dict[str, Any], ...] = (
    {},
    {"learning_rate": 0.05, "max_leaf_nodes": 31, "min_samples_leaf": 20, "max_features": 0.7},
    {"learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20, "l2_regularization": 0.0},
    {"learning_rate": 0.03, "max_leaf_nodes": 63, "min_samples_leaf": 30, "max_features": 0.5},
    {"learning_rate": 0.05, "max_leaf_nodes": 7, "min_samples_leaf": 5, "max_features": 0.8},
)
ENSEMBLE_ROUNDS = 25
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


def validation_score(y: np.ndarray, answers: np.ndarray, regression: bool) -> float:
    """RMSE for numbers, log loss for classes (lower is better)."""
    if regression:
        return float(math.sqrt(np.mean((answers - y) ** 2)))
    p = np.clip(answers, 1e-12, 1.0)
    return float(-np.mean(np.log(p[np.arange(len(y)), y.astype(int)])))


def ensemble_weights(
    candidates: list[Candidate], y: np.ndarray, regression: bool, rounds: int = ENSEMBLE_ROUNDS
) -> list[float]:
    """Greedy ensemble selection with replacement (Caruana et al.): the share of picks of each candidate.

    Every round adds the candidate that makes the running average best; all ``rounds`` are played (picking
    one again refines its weight) and the weights of the best-scoring round are kept.
    """
    counts = np.zeros(len(candidates))
    total = np.zeros_like(candidates[0].validation, dtype=np.float64)
    best_score, best_counts = math.inf, counts.copy()
    for r in range(1, rounds + 1):
        scores = [validation_score(y, (total + c.validation) / r, regression) for c in candidates]
        pick = int(np.argmin(scores))
        counts[pick] += 1
        total = total + candidates[pick].validation
        if scores[pick] < best_score - 1e-12:
            best_score, best_counts = scores[pick], counts.copy()
    return (best_counts / best_counts.sum()).tolist()


def fit_automatic(
    config: Any,
    train: Dataset,
    validation: Dataset,
    progress: Progress,
    cancel: threading.Event,
    deadline: float,
) -> TableFitResult:
    """Train the candidates that fit the budget, blend the best; the run saves the blend as one model."""
    if validation is None or len(validation) < 10:
        raise DataError("The automatic template needs at least 10 validation rows to compare models; add rows.")
    regression = train.is_regression
    settings = config.settings
    progress.update(phase="Learning the columns (numbers, categories, blanks)")
    encoder = TableEncoder.fit(train.frame)
    inputs = encode_splits(encoder, train, validation)
    y_val = validation.labels
    started = time.monotonic()
    plan = _plan(train, settings)
    progress.update(epochs=len(plan), steps=0, step=0)
    candidates: list[Candidate] = []
    log_target = False
    notes: list[str] = []
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
            trees = [c for c in candidates if c.member.kind == "trees"]
            if not trees:
                continue
            best = min(trees, key=lambda c: c.score)
            overrides = {**best.settings, "max_features": BAG_FEATURES, "random_state": int(overrides[BAG])}
        progress.update(phase=f"Training candidate {i} of {len(plan)}: {name}")
        began = time.monotonic()
        try:
            member, _ = fit_member(
                template,
                encoder,
                train,
                validation,
                settings,
                use_log,
                None,
                cancel,
                deadline,
                inputs=inputs,
                **overrides,
            )
        except Exception as exc:  # one failing candidate must not end the search
            log.warning("Candidate %s failed: %s", name, exc)
            notes.append(f"{name} could not be trained ({type(exc).__name__}).")
            continue
        member.name = name
        answers = member.answer(
            {"codes": inputs["val_codes"], "dense": inputs["val_dense"]}, regression, len(train.class_names)
        )
        if not np.isfinite(answers).all():
            notes.append(f"{name} gave answers that are not numbers and was left out.")
            continue
        score = validation_score(y_val, answers, regression)
        candidates.append(Candidate(name, member, answers, score, time.monotonic() - began, dict(overrides)))
        progress.add_epoch({"val_loss": score})
        # The candidates so far, for the live leaderboard of "Find the best model" (read by its watcher).
        progress.update(candidates=[_live_row(c, regression) for c in candidates])
        if name == LOG_PROBE and len(candidates) >= 2:
            log_target = candidates[-1].score < candidates[-2].score  # did learning the log beat the raw target?
    if not candidates:
        raise RunError("No candidate finished within the time budget; give the automatic template more time.")
    weights = ensemble_weights(candidates, y_val, regression)
    members = []
    for candidate, weight in zip(candidates, weights, strict=True):
        if weight > 0:
            candidate.member.weight = weight
            members.append(candidate.member)
    model = TableModel(config.task, train.class_names, encoder, members, "automatic")
    blend = validation_score(y_val, model.predict(validation.frame), regression)
    outcome = TableOutcome(
        history={"val_loss": [c.score for c in candidates]},
        stopped_by_user=cancel.is_set(),
        best_epoch=int(np.argmin([c.score for c in candidates])) + 1,
        epochs_run=len(candidates),
        notes=notes,
    )
    outcome.candidates = [
        {
            "name": c.name,
            "kind": c.member.kind,
            "validation_score": c.score,
            "metric": "rmse" if regression else "log_loss",
            "seconds": round(c.seconds, 3),
            "weight": float(w),
            "settings": c.settings,
        }
        for c, w in zip(candidates, weights, strict=True)
    ] + [
        {
            "name": "blend",
            "kind": "blend",
            "validation_score": blend,
            "metric": "rmse" if regression else "log_loss",
            "weight": 1.0,
        }
    ]
    return TableFitResult(model, outcome, lambda part: model.predict(part.frame))


def _live_row(candidate: Candidate, regression: bool) -> dict[str, Any]:
    return {
        "name": candidate.name,
        "kind": candidate.member.kind,
        "validation_score": candidate.score,
        "metric": "rmse" if regression else "log_loss",
        "seconds": round(candidate.seconds, 3),
    }


def _plan(train: Dataset, settings: Any) -> list[tuple[str, str, bool | None, dict[str, Any]]]:
    """(name, template, log target or None = as learned, overrides) in the order to try them."""
    regression = train.is_regression
    positive = regression and float(np.min(train.labels)) >= 0
    plan: list[tuple[str, str, bool | None, dict[str, Any]]] = []
    if positive:  # learn first whether the logarithm of the target helps
        plan.append(("trees (defaults)", "boosted_trees", False, {}))
        plan.append((LOG_PROBE, "boosted_trees", True, {}))
    else:
        plan.append(("trees (defaults)", "boosted_trees", False, {}))
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


# ---- Find the best model for tables ---------------------------------------------------------------------------
@dataclass
class TableLeaderboard:
    """The automatic run and its candidates, best validation score first."""

    rows: list[dict[str, Any]]
    run_path: Path | None
    metric: str
    budget_s: float
    elapsed_s: float
    search_dir: Path | None = None
    notes: list[str] = field(default_factory=list)
    test_figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ranked(self) -> list[dict[str, Any]]:
        return sorted(self.rows, key=lambda r: r.get("validation_score", math.inf))

    @property
    def best(self) -> dict[str, Any] | None:
        return self.ranked[0] if self.rows else None

    def table(self) -> list[dict[str, Any]]:
        label = "RMSE" if self.metric == "rmse" else "log loss"
        return [
            {
                "model": r["name"],
                "what it is": "the weighted blend below"
                if r["kind"] == "blend"
                else KIND_NAMES.get(r["kind"], r["kind"]),
                f"validation {label} (lower is better)": round(float(r["validation_score"]), 6),
                "weight in the blend": (
                    "—" if r["kind"] == "blend" else "" if r.get("weight") is None else f"{float(r['weight']):.0%}"
                ),
                "training time (s)": r.get("seconds"),
            }
            for r in self.ranked
        ]


def find_best_table_model(
    dataset: Dataset,
    budget_s: float = 120.0,
    seed: int = 42,
    progress_cb: Callable[[dict[str, Any]], None] | None = None,
    cancel: threading.Event | None = None,
    *,
    store: RunStore | None = None,
    test_share: float = 0.2,
    validation_share: float = 0.15,
) -> TableLeaderboard:
    """Run the automatic template within ``budget_s`` on one split; the leaderboard lists every candidate."""
    from modeling.training.experiment import run_experiment

    if dataset.kind != "table":
        raise DataError("This search is for tables; use the text search for texts.")
    cancel = cancel or threading.Event()
    store = store or default_store()
    started = time.monotonic()
    search_dir = store.root / "automl" / f"table-{time.strftime('%Y%m%d-%H%M%S')}-{seed}"
    scratch = RunStore(search_dir, starters=None)
    base = default_config(dataset.task, source=dataset.source or f"session:{dataset.name}", template="automatic")
    config = ExperimentConfig(
        data=DataConfig(source=base.data.source, test_share=test_share),
        task=dataset.task,  # type: ignore[arg-type]
        template="automatic",
        settings=base.settings.model_copy(
            update={"seed": seed, "validation_share": validation_share, "time_budget_s": max(5, int(budget_s))}
        ),
    )
    progress = Progress(1)

    metric = "rmse" if dataset.is_regression else "log_loss"

    def watch() -> None:
        while not progress.finished_at:
            if progress_cb is not None:
                snap = progress.snapshot()
                elapsed = time.monotonic() - started
                live = list(getattr(progress, "candidates", None) or [])  # set by fit_automatic as each one ends
                try:
                    progress_cb(
                        {
                            "phase": snap["phase"],
                            "elapsed_s": elapsed,
                            "budget_s": budget_s,
                            "fraction": min(1.0, elapsed / budget_s) if budget_s else 1.0,
                            "history": snap["history"],
                            "leaderboard": TableLeaderboard(live, None, metric, budget_s, elapsed).table(),
                        }
                    )
                except Exception:
                    log.exception("progress callback failed")
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, name="table-search-watch", daemon=True)
    watcher.start()
    try:
        run_dir = run_experiment(config, dataset, store=scratch, progress=progress, cancel=cancel)
    finally:
        progress.finished_at = progress.finished_at or time.monotonic()
        watcher.join(timeout=2)
    run = scratch.load(run_dir.name)
    rows = list(run.meta.get("candidates") or [])
    board = TableLeaderboard(rows, run_dir, metric, budget_s, time.monotonic() - started, search_dir)
    board.notes = list(run.meta.get("training_notes") or [])
    board.test_figures = dict((run.evaluation or {}).get("model") or {})
    return board


def table_leaderboard_text(board: TableLeaderboard) -> str:
    """The table leaderboard as plain text for the command line, best validation score first."""
    label = "RMSE" if board.metric == "rmse" else "log loss"
    lines = [
        f"{len(board.rows)} models ranked on the validation rows by {label} (lower is better) in "
        f"{board.elapsed_s:.0f} s of {board.budget_s:.0f} s.",
        "",
        f"{'rank':<5}{'model':<28}{label:>12}{'weight':>8}{'train s':>9}",
    ]
    for rank, row in enumerate(board.ranked, start=1):
        weight = "" if row.get("kind") == "blend" or row.get("weight") is None else f"{float(row['weight']):.0%}"
        seconds = "" if row.get("seconds") is None else f"{float(row['seconds']):.1f}"
        score = f"{float(row.get('validation_score', math.nan)):.4g}"
        lines.append(f"{rank:<5}{str(row.get('name'))[:27]:<28}{score:>12}{weight:>8}{seconds:>9}")
    figures = board.test_figures
    if figures:
        keys = ("rmse", "mae", "r2") if board.metric == "rmse" else ("accuracy", "f1_macro", "log_loss")
        shown = ", ".join(f"{k} {float(figures[k]):.4g}" for k in keys if isinstance(figures.get(k), int | float))
        lines.append(f"The blend on {int(figures.get('n') or 0):,} test rows: {shown}.")
    lines.extend(board.notes)
    return "\n".join(lines)


def adopt_table(board: TableLeaderboard, store: RunStore | None = None, owner: str | None = None) -> str:
    """Move the search's automatic run into ``store`` as a normal run of ``owner``; return its run id."""
    store = store or default_store()
    if board.run_path is None or not board.run_path.is_dir():
        raise RunError("This search has no trained model to keep.")
    target = store.runs_dir / board.run_path.name
    store.runs_dir.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.move(str(board.run_path), str(target))
    store.update_meta(target, owner=owner, automl={"candidates": len(board.rows), "budget_s": board.budget_s})
    board.run_path = target
    return target.name
