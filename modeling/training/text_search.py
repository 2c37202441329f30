"""*Find the best model* for texts: train the templates that suit the data within a time budget, rank them.

Every candidate is an ordinary :func:`~modeling.training.experiment.run_experiment` with the template's default
settings and the same seed, test share and validation share, so all of them train and test on exactly
the same split, and each produces a complete run folder (model, curves, evaluation, test split). The
folders go to a scratch store under ``$MODELDECK_HOME/automl/<search id>/``; keeping one
(:meth:`~modeling.training.text_board.TextLeaderboard.keep`) moves it into the user's runs, where it is a
normal run like any other.

Before training, each template's cost is estimated from the data's size (constants measured on a
2-core CPU, scaled by the encoder's measured speed for the pretrained template); templates run cheapest
first, and a template whose estimate no longer fits the remaining budget is skipped with a note. A
running candidate that overshoots the budget is stopped after the current batch (its best weights are
kept, as with the Stop button). Only templates with a cost model take part, so a task none of whose
templates has one (images) cannot be searched, and :class:`TextSearch` says so.

The leaderboard reports accuracy and macro F1 on the test split, the run's time, the prediction time
per 1,000 texts (measured on up to 64 test texts with the saved model, scaled), the size (parameters and
the ``.keras`` file's megabytes) and the lift over the keyword baseline (TF-IDF + logistic regression,
:func:`modeling.evaluation.baselines.baseline_metrics`), in accuracy points.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import numpy as np

from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.data.language import reads_characters
from modeling.errors import ConfigError, ModelDeckError, RunError
from modeling.runs.loading import load_predictor
from modeling.runs.store import Run, RunStore, default_store
from modeling.templates import registry
from modeling.templates.defaults import config_for_data
from modeling.training.experiment import run_experiment
from modeling.training.leaderboard import ProgressCallback
from modeling.training.progress import Progress
from modeling.training.search_folders import new_search_dir
from modeling.training.splits import split, split_options
from modeling.training.text_board import KEYWORD_BASELINE, LeaderboardRow, TextLeaderboard

log = logging.getLogger(__name__)

PREDICT_SAMPLE = 64
_EXPECTED_EPOCH_SHARE = 0.6  # early stopping usually ends text training at about this share of the epochs
#: Templates built on the English pretrained encoder: left out for Chinese, Japanese or Korean texts.
ENGLISH_ENCODER_TEMPLATES = ("minilm", "minilm_ngrams")


class TextSearch:
    """The Keras family's search (:func:`modeling.training.search.find_best` finds it on the family)."""

    def refusal(self, task: str) -> str:
        """Why ``task`` cannot be searched (``""`` when it can): a search budgets templates by their cost model."""
        if any(item.searchable and item.cost is not None for item in registry.for_task(task)):
            return ""
        return (
            f"A model search compares templates whose training time it can estimate; none of the "
            f"{registry.task(task).label.lower()} templates has such an estimate. Train one directly."
        )

    def templates(self, dataset: Dataset, asked: list[str] | None = None) -> list[str]:
        """The templates the search would train on ``dataset`` (of those ``asked``, when given)."""
        chosen, left_out = candidate_templates(dataset)
        if asked is None:
            return chosen
        wanted = [t for t in asked if t in chosen]
        if not wanted:  # an empty list would otherwise read as "all of them" to a job
            reasons = "; ".join(f"{t}: {left_out.get(t, 'not a template for this data')}" for t in asked[:5])
            raise RunError(f"None of the templates asked for can train on this data ({reasons}).")
        return wanted

    def run(
        self,
        dataset: Dataset,
        budget_s: float,
        config: ExperimentConfig,
        store: RunStore,
        progress_cb: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        templates: list[str] | None = None,
    ) -> TextLeaderboard:
        return find_best_text_model(
            dataset,
            budget_s,
            progress_cb=progress_cb,
            cancel=cancel,
            store=store,
            templates=templates,
            **split_options(config),
        )


def candidate_templates(dataset: Dataset) -> tuple[list[str], dict[str, str]]:
    """(templates to try, {template: why it is left out}) for this data's size and language."""
    chosen, left_out = [], {}
    n = len(dataset)
    for item in registry.for_task(dataset.task):
        if not item.searchable or item.cost is None:
            continue
        if n < item.min_rows:
            left_out[item.name] = f"needs about {item.min_rows:,} texts or more to learn well; this data has {n:,}"
            continue
        ok, reason = item.availability()
        if not ok:
            left_out[item.name] = reason
            continue
        if item.name in ENGLISH_ENCODER_TEMPLATES and reads_characters(dataset.texts[:2000]):  # type: ignore[index]
            left_out[item.name] = "the pretrained encoder reads English; these texts are mostly CJK characters"
            continue
        chosen.append(item.name)
    return chosen, left_out


def candidate_config(
    dataset: Dataset, template: str, seed: int, test_share: float, validation_share: float
) -> ExperimentConfig:
    """The template's recommended settings on this data, with the shared seed and split shares."""
    config = config_for_data(dataset, template=template, test_share=test_share).config
    settings = config.settings.model_copy(update={"seed": seed, "validation_share": validation_share})
    return config.model_copy(update={"settings": settings})


def estimate_cost(template: str, dataset: Dataset, config: ExperimentConfig) -> float:
    """Seconds a template should take on this data here (rough: within a factor of two).

    From the template's :class:`~modeling.templates.registry.CostModel`: a fixed cost plus seconds per
    million words read per epoch (measured on a 2-core CPU). Sequence templates pad every text to
    ``sequence_length`` words, so they pay for that length, not the text's.
    """
    cost = registry.spec(template).cost or registry.CostModel()
    if cost.estimator:
        return float(registry.resolve(cost.estimator)(dataset, config))
    texts = dataset.texts if dataset.texts is not None else np.array([], dtype=str)
    sample = texts[:500]
    words = float(np.mean([len(str(t).split()) or len(str(t)) / 2 for t in sample])) if len(sample) else 0.0
    read = words if cost.reads == "words" else config.settings.sequence_length
    epochs = max(1.0, config.settings.epochs * _EXPECTED_EPOCH_SHARE)
    work = len(texts) * read * epochs / 1e6
    return cost.fixed_s + cost.per_million * work


def find_best_text_model(
    dataset: Dataset,
    budget_s: float = 120.0,
    seed: int = 42,
    progress_cb: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    *,
    store: RunStore | None = None,
    test_share: float = 0.2,
    validation_share: float = 0.15,
    templates: list[str] | None = None,
) -> TextLeaderboard:
    """Train the text templates that fit ``dataset`` on one split within ``budget_s`` seconds; rank them.

    ``progress_cb`` receives dicts (phase, template, index, total, elapsed_s, budget_s, fraction, rows)
    from this thread; ``cancel`` stops the search (the running candidate stops after its current batch).
    """
    refusal = TextSearch().refusal(dataset.task)
    if refusal:
        raise ConfigError(refusal)
    cancel = cancel or threading.Event()
    store = store or default_store()
    started = time.monotonic()
    deadline = started + budget_s
    chosen, left_out = candidate_templates(dataset)
    if templates is not None:
        chosen = [t for t in templates if t in chosen]
    rows: list[LeaderboardRow] = [LeaderboardRow(t, "skipped", note=why) for t, why in left_out.items()]
    search_dir = new_search_dir(store)
    scratch = RunStore(search_dir, starters=None)

    def report(phase: str, template: str | None = None, index: int = 0) -> None:
        if progress_cb is None:
            return
        elapsed = time.monotonic() - started
        try:
            progress_cb(
                {
                    "phase": phase,
                    "template": template,
                    "index": index,
                    "total": len(chosen),
                    "elapsed_s": elapsed,
                    "budget_s": budget_s,
                    "fraction": min(1.0, elapsed / budget_s) if budget_s else 1.0,
                    "rows": [r.template for r in rows],
                    # The leaderboard so far, best first: what the page shows while the search goes on.
                    "leaderboard": TextLeaderboard(list(rows), None, "", {}, budget_s, elapsed).table(),
                }
            )
        except Exception:  # a drawing problem must not stop the search
            log.exception("progress callback failed")

    report("Estimating the cost of each template")
    configs = {t: candidate_config(dataset, t, seed, test_share, validation_share) for t in chosen}
    estimates: dict[str, float] = {}
    for template in chosen:
        try:
            estimates[template] = estimate_cost(template, dataset, configs[template])
        except ModelDeckError as exc:
            rows.append(LeaderboardRow(template, "skipped", note=str(exc)))
    names = list(registry.REGISTRY)
    order = sorted(estimates, key=lambda t: (estimates[t], names.index(t)))

    default = registry.default_template(dataset.task)
    first = configs[order[0]] if order else candidate_config(dataset, default, seed, test_share, validation_share)
    train, validation, test = split(dataset, first)
    split_sizes = {"train": len(train), "validation": len(validation), "test": len(test)}
    baseline_accuracy, baseline_title = None, KEYWORD_BASELINE

    for index, template in enumerate(order, start=1):
        estimate = estimates[template]
        remaining = deadline - time.monotonic()
        if cancel.is_set():
            rows.append(LeaderboardRow(template, "skipped", note="the search was stopped", estimate_s=estimate))
            continue
        if estimate > remaining:
            note = f"skipped: needs about {estimate:.0f} s, {max(0.0, remaining):.0f} s of the budget left"
            rows.append(LeaderboardRow(template, "skipped", note=note, estimate_s=estimate))
            continue
        report(f"Training {template} ({index} of {len(order)})", template, index)
        row = _run_candidate(template, configs[template], dataset, scratch, deadline, cancel, estimate)
        rows.append(row)
        if row.run_path is not None and baseline_accuracy is None:
            baseline_accuracy, baseline_title = _baseline(row.run_path)
    elapsed = time.monotonic() - started
    board = TextLeaderboard(rows, baseline_accuracy, baseline_title, split_sizes, budget_s, elapsed, search_dir)
    if not any(r.usable for r in rows):
        board.notes.append("No template finished within the budget. Give it more time.")
    report("Done", None, len(order))
    return board


def _run_candidate(
    template: str,
    config: ExperimentConfig,
    dataset: Dataset,
    scratch: RunStore,
    deadline: float,
    cancel: threading.Event,
    estimate: float,
) -> LeaderboardRow:

    own_cancel = threading.Event()
    timed_out = threading.Event()

    def watch() -> None:  # stop the candidate at the deadline or when the whole search is stopped
        while not own_cancel.is_set():
            if cancel.is_set() or time.monotonic() > deadline:
                timed_out.set()
                own_cancel.set()
                return
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, name=f"automl-watch-{template}", daemon=True)
    watcher.start()
    began = time.monotonic()
    row = LeaderboardRow(template, "failed", estimate_s=estimate)
    try:
        run_dir = run_experiment(
            config, dataset, store=scratch, progress=Progress(config.settings.epochs), cancel=own_cancel
        )
    except (ModelDeckError, ConfigError) as exc:
        row.note = "ran out of time before any training" if timed_out.is_set() else str(exc)
        return row
    finally:
        finished = timed_out.is_set()
        own_cancel.set()
        watcher.join(timeout=1)
    took = time.monotonic() - began
    try:
        run = scratch.load(run_dir.name)
    except RunError as exc:
        row.note = str(exc)
        return row
    evaluation = run.evaluation or {}
    model_metrics = evaluation.get("model", {})
    row.run_path = run_dir
    row.status = "stopped" if run.info.status == "stopped" else "trained"
    if row.status == "stopped":
        row.note = "stopped at the time limit; best weights so far" if finished else "stopped"
    row.accuracy = model_metrics.get("accuracy")
    row.f1_macro = model_metrics.get("f1_macro")
    row.lift_points = evaluation.get("lift", {}).get("logistic")
    row.train_seconds = float(run.meta.get("duration_s") or took)
    model_file = run_dir / "model.keras"
    row.megabytes = model_file.stat().st_size / 1e6 if model_file.exists() else None
    if time.monotonic() < deadline:
        try:
            row.parameters, row.predict_seconds_per_1000 = _measure_prediction(run)
        except Exception as exc:  # measuring must never lose a trained model
            log.warning("Could not time predictions of %s: %s", template, exc)
    return row


def _measure_prediction(run: Run) -> tuple[int, float]:
    """(parameters, seconds per 1,000 texts) with the saved model, loaded as the app loads it."""

    predictor = load_predictor(run)
    test = run.load_test()
    texts = [str(t) for t in test.texts[:PREDICT_SAMPLE]]
    if not texts:
        return int(predictor.model.count_params()), float("nan")
    predictor.predict(texts[:2])  # the first call traces; people pay it once per model load
    began = time.perf_counter()
    predictor.predict(texts)
    seconds = time.perf_counter() - began
    return int(predictor.model.count_params()), seconds * 1000 / len(texts)


def _baseline(run_path: Path) -> tuple[float | None, str]:
    try:
        evaluation = json.loads((run_path / "evaluation.json").read_text(encoding="utf-8"))
        logistic = evaluation["baselines"]["logistic"]
        return float(logistic["accuracy"]), str(logistic.get("title") or "keyword baseline")
    except (OSError, ValueError, KeyError, TypeError):
        return None, KEYWORD_BASELINE
