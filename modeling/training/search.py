"""Automatic model choice: train the text templates that suit the data within a time budget, rank them.

Every candidate is an ordinary :func:`~modeling.training.experiment.run_experiment` with the template's default
settings and the same seed, test share and validation share, so all of them train and test on exactly
the same split, and each produces a complete run folder (model, curves, evaluation, test split). The
folders go to a scratch store under ``$MODELDECK_HOME/automl/<search id>/``; :func:`adopt` moves the
chosen one into the user's runs, where it is a normal run like any other.

Before training, each template's cost is estimated from the data's size (constants measured on a
2-core CPU, scaled by the encoder's measured speed for the pretrained template); templates run cheapest
first, and a template whose estimate no longer fits the remaining budget is skipped with a note. A
running candidate that overshoots the budget is stopped after the current batch (its best weights are
kept, as with the Stop button).

The leaderboard reports accuracy and macro F1 on the test split, the run's time, the prediction time
per 1,000 texts (measured on up to 64 test texts with the saved model, scaled), the size (parameters and
the ``.keras`` file's megabytes) and the lift over the keyword baseline (TF-IDF + logistic regression,
:func:`modeling.evaluation.baselines.baseline_metrics`), in accuracy points.
"""

from __future__ import annotations

import logging
import math
import secrets
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
from modeling.data.language import reads_characters
from modeling.errors import ConfigError, DataError, ModelDeckError, RunError
from modeling.runs.predictor import Predictor
from modeling.runs.store import Run, RunStore, default_store
from modeling.templates import registry
from modeling.training.experiment import run_experiment, split
from modeling.training.progress import Progress

log = logging.getLogger(__name__)

PREDICT_SAMPLE = 64
AUTOML_DIR = "automl"
KEEP_SEARCHES = 3
#: Search folders touched more recently than this are kept even beyond KEEP_SEARCHES (other visitors' searches).
SEARCH_GRACE_S = 6 * 3600

_EXPECTED_EPOCH_SHARE = 0.6  # early stopping usually ends text training at about this share of the epochs
#: Templates built on the English pretrained encoder: left out for Chinese, Japanese or Korean texts.
ENGLISH_ENCODER_TEMPLATES = ("minilm", "minilm_ngrams")


@dataclass
class LeaderboardRow:
    """One template's result (or why it did not run)."""

    template: str
    status: str  # trained | stopped | skipped | failed
    note: str = ""
    estimate_s: float | None = None
    accuracy: float | None = None
    f1_macro: float | None = None
    train_seconds: float | None = None
    predict_seconds_per_1000: float | None = None
    parameters: int | None = None
    megabytes: float | None = None
    lift_points: float | None = None
    run_path: Path | None = None

    @property
    def usable(self) -> bool:
        return self.status in ("trained", "stopped") and self.run_path is not None and self.run_path.is_dir()


@dataclass
class Leaderboard:
    """Candidates ranked by test accuracy (then F1, then speed), with the keyword baseline for reference."""

    rows: list[LeaderboardRow]
    baseline_accuracy: float | None
    baseline_title: str
    split: dict[str, int]
    budget_s: float
    elapsed_s: float
    search_dir: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ranked(self) -> list[LeaderboardRow]:
        done = [r for r in self.rows if r.usable]
        done.sort(key=lambda r: (-(r.accuracy or 0.0), -(r.f1_macro or 0.0), r.train_seconds or math.inf))
        return done + [r for r in self.rows if not r.usable]

    @property
    def best(self) -> LeaderboardRow | None:
        ranked = self.ranked
        return ranked[0] if ranked and ranked[0].usable else None

    def row(self, template: str) -> LeaderboardRow:
        for r in self.rows:
            if r.template == template:
                return r
        raise KeyError(template)

    def table(self) -> list[dict[str, Any]]:
        """Plain rows for a data frame or JSON, best first."""
        return [
            {
                "template": r.template,
                "status": r.status,
                "accuracy": r.accuracy,
                "F1 (macro)": r.f1_macro,
                "training time (s)": None if r.train_seconds is None else round(r.train_seconds, 1),
                "prediction time per 1,000 texts (s)": (
                    None if r.predict_seconds_per_1000 is None else round(r.predict_seconds_per_1000, 2)
                ),
                "parameters": r.parameters,
                "size (MB)": None if r.megabytes is None else round(r.megabytes, 2),
                "lift over keywords (points)": None if r.lift_points is None else round(r.lift_points, 1),
                "note": r.note,
            }
            for r in self.ranked
        ]


ProgressCallback = Callable[[dict[str, Any]], None]


def candidate_templates(dataset: Dataset) -> tuple[list[str], dict[str, str]]:
    """(templates to try, {template: why it is left out}) for this data's size and language."""
    chosen, left_out = [], {}
    n = len(dataset)
    for item in registry.for_task("text_classification"):
        if not item.searchable:
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


def candidate_config(dataset: Dataset, template: str, seed: int, test_share: float, validation_share: float):
    """The template's recommended settings on this data, with the shared seed and split shares."""
    base = default_config("text_classification", source=dataset.source or f"session:{dataset.name}", template=template)
    settings = base.settings.model_copy(update={"seed": seed, "validation_share": validation_share})
    data = DataConfig(
        source=base.data.source,
        text_column=dataset.text_column,
        label_column=dataset.label_column,
        test_share=test_share,
    )
    return ExperimentConfig(data=data, task="text_classification", template=template, settings=settings)


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
) -> Leaderboard:
    """Train the text templates that fit ``dataset`` on one split within ``budget_s`` seconds; rank them.

    ``progress_cb`` receives dicts (phase, template, index, total, elapsed_s, budget_s, fraction, rows)
    from this thread; ``cancel`` stops the search (the running candidate stops after its current batch).
    """
    if dataset.kind != "text":
        raise DataError("Automatic model choice works on text data; this data holds images.")
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
                    "leaderboard": Leaderboard(list(rows), None, "", {}, budget_s, elapsed).table(),
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

    first = configs[order[0]] if order else candidate_config(dataset, "ngram_bag", seed, test_share, validation_share)
    train, validation, test = split(dataset, first)
    split_sizes = {"train": len(train), "validation": len(validation), "test": len(test)}
    baseline_accuracy, baseline_title = None, "keyword baseline (TF-IDF + logistic regression)"

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
    board = Leaderboard(rows, baseline_accuracy, baseline_title, split_sizes, budget_s, elapsed, search_dir)
    if not any(r.usable for r in rows):
        board.notes.append("No template finished within the budget. Give it more time.")
    report("Done", None, len(order))
    return board


def leaderboard_text(board: Leaderboard) -> str:
    """The leaderboard as a plain-text table for the command line, best first, with the split and baseline."""
    base = "n/a" if board.baseline_accuracy is None else f"{board.baseline_accuracy:.1%}"
    lines = [
        f"Same split for every template: {board.split['train']:,} training, {board.split['validation']:,} "
        f"validation, {board.split['test']:,} test texts. Keyword baseline accuracy: {base}. "
        f"Search time: {board.elapsed_s:.0f} s of {board.budget_s:.0f} s.",
        "",
        f"{'rank':<5}{'template':<16}{'status':<9}{'accuracy':>9}{'F1':>7}{'lift':>7}{'train s':>9}{'MB':>8}  note",
    ]
    usable = 0
    for row in board.ranked:
        usable += row.usable
        rank = str(usable) if row.usable else "-"
        acc = "" if row.accuracy is None else f"{row.accuracy:.1%}"
        f1 = "" if row.f1_macro is None else f"{row.f1_macro:.3f}"
        lift = "" if row.lift_points is None else f"{row.lift_points:+.1f}"
        took = "" if row.train_seconds is None else f"{row.train_seconds:.1f}"
        size = "" if row.megabytes is None else f"{row.megabytes:.1f}"
        figures = f"{acc:>9}{f1:>7}{lift:>7}{took:>9}{size:>8}"
        lines.append(f"{rank:<5}{row.template:<16}{row.status:<9}{figures}  {row.note}")
    lines.extend(board.notes)
    return "\n".join(lines)


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

    predictor = Predictor.from_run(run)
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
    import json

    try:
        evaluation = json.loads((run_path / "evaluation.json").read_text(encoding="utf-8"))
        logistic = evaluation["baselines"]["logistic"]
        return float(logistic["accuracy"]), str(logistic.get("title") or "keyword baseline")
    except (OSError, ValueError, KeyError, TypeError):
        return None, "keyword baseline (TF-IDF + logistic regression)"


def _last_touched(path: Path) -> float:
    """Newest modification time of a search folder and the run folders in it."""
    try:
        times = [path.stat().st_mtime] + [p.stat().st_mtime for p in (path / "runs").glob("*")]
    except OSError:
        return 0.0
    return max(times)


def new_search_dir(store: RunStore) -> Path:
    """A fresh folder for one search's candidates under ``$MODELDECK_HOME/automl/`` (old ones are cleared)."""
    base = store.root / AUTOML_DIR
    base.mkdir(parents=True, exist_ok=True)
    old = sorted((p for p in base.iterdir() if p.is_dir()), key=_last_touched)
    for stale in old[: max(0, len(old) - (KEEP_SEARCHES - 1))]:
        # Another visitor's search may still be running or waiting to be adopted: only old ones go.
        if time.time() - _last_touched(stale) > SEARCH_GRACE_S:
            shutil.rmtree(stale, ignore_errors=True)
    path = base / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    path.mkdir()
    return path


def adopt(board: Leaderboard, template: str, store: RunStore | None = None, owner: str | None = None) -> str:
    """Move the chosen candidate's run into ``store`` (a normal run of ``owner`` from now on); return its run id."""
    store = store or default_store()
    row = board.row(template)
    if not row.usable or row.run_path is None:
        raise RunError(f"'{template}' has no trained model in this search ({row.note or row.status}).")
    ranked = [r.template for r in board.ranked if r.usable]
    facts = {"chosen_from": ranked, "rank": ranked.index(template) + 1, "budget_s": board.budget_s}
    target = store.runs_dir / row.run_path.name
    store.runs_dir.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.move(str(row.run_path), str(target))
    store.update_meta(target, automl=facts, owner=owner)
    row.run_path = target
    return target.name
