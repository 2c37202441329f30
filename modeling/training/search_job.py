"""A model search as a job: the command line's side (``python -m modeling search ... --events``) and the
leaderboard's wire format, shared with the app's side (:mod:`modeling.training.remote_search`).

The job runs the ordinary search (:func:`~modeling.training.search.find_best_text_model` for texts,
:func:`~modeling.training.table_search.find_best_table_model` for tables) and prints, through the
protocol of :mod:`modeling.training.job_protocol`:

- ``@modeldeck`` events with the phase and the leaderboard so far, each time it changes (a row as each
  candidate finishes);
- at the end, the leaderboard as one ``@modeldeck-board`` line (plain JSON: the rows, the split, the
  baseline, the notes; each candidate's run folder by name) and one named bundle per candidate run folder,
  best first, as long as they fit in :data:`~modeling.training.job_protocol.MAX_BUNDLE_MB` together (a
  candidate left behind says so in its note), so "Use this model" works in the app as after a local search.

Stop (SIGTERM from Ray) stops the search like its Stop button: the running candidate ends after its batch
and what finished comes back.
"""

from __future__ import annotations

import json
import math
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from modeling.config import DataConfig, ExperimentConfig, default_config
from modeling.data.dataset import Dataset
from modeling.data.sources import dataset_for_config
from modeling.errors import ModelDeckError, RunError
from modeling.runs.store import RunStore
from modeling.templates import registry
from modeling.training import job_protocol
from modeling.training.search import Leaderboard, LeaderboardRow, find_best_text_model
from modeling.training.table_search import TableLeaderboard, find_best_table_model

_ROW_NUMBERS = (
    "estimate_s",
    "accuracy",
    "f1_macro",
    "train_seconds",
    "predict_seconds_per_1000",
    "megabytes",
    "lift_points",
)
_ROW_STATUSES = ("trained", "stopped", "skipped", "failed")
#: Leaderboard rows kept from a job's events or board (a search has a dozen or two).
MAX_ROWS = 60
LEFT_BEHIND = "its model did not come back from the cluster (over the size limit)"


def search_config(
    dataset: Dataset, seed: int = 42, test_share: float = 0.2, validation_share: float = 0.15
) -> ExperimentConfig:
    """The settings file a search job reads: the task, the split's shares and the seed (the data travels apart)."""
    base = default_config(dataset.task, source=dataset.source or f"session:{dataset.name}")
    settings = base.settings.model_copy(update={"seed": seed, "validation_share": validation_share})
    data = DataConfig(
        source=base.data.source,
        text_column=dataset.text_column if dataset.kind == "text" else None,
        label_column=dataset.label_column if dataset.kind == "text" else None,
        target_column=dataset.target_column if dataset.kind == "table" else None,
        test_share=test_share,
    )
    return ExperimentConfig(data=data, task=dataset.task, template=base.template, settings=settings)  # type: ignore[arg-type]


def search_dataset(config: ExperimentConfig) -> Dataset:
    """The data a settings file names, for a search (texts or a business table; images are refused)."""
    from modeling.data.duplicates import drop_duplicates

    if config.task == "image_classification":
        raise ModelDeckError(
            f"search compares text templates or table models; task = '{config.task}' cannot be searched. "
            "Train an image template directly."
        )
    dataset = dataset_for_config(config)
    if dataset.kind == "text" and config.data.drop_duplicates and not dataset.deduplicated:
        dataset, _ = drop_duplicates(dataset)
    return dataset


def find_best(
    dataset: Dataset,
    budget_s: float,
    config: ExperimentConfig,
    store: RunStore,
    progress_cb: Any = None,
    cancel: threading.Event | None = None,
    templates: list[str] | None = None,
) -> Leaderboard | TableLeaderboard:
    """The search that suits the data (texts or a table), with the settings file's split and seed."""
    shares = {"test_share": config.data.test_share, "validation_share": config.settings.validation_share}
    seed = config.settings.seed
    if dataset.kind == "table":
        return find_best_table_model(dataset, budget_s, seed, progress_cb, cancel, store=store, **shares)
    if dataset.kind != "text":
        raise ModelDeckError("A model search works on texts or business tables; this data holds images.")
    return find_best_text_model(
        dataset, budget_s, seed, progress_cb, cancel, store=store, templates=templates, **shares
    )


# ---- the job side --------------------------------------------------------------------------------------------
def run_search_job(
    config: ExperimentConfig,
    store: RunStore,
    dataset_path: str | None,
    budget_s: float,
    templates: list[str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Search, print progress events, then the leaderboard and the candidates' run folders; the exit code.

    0 when the leaderboard was printed (finished, or stopped with what finished), 2 when the search failed
    (its reason is the last ``failed`` event and the ``error:`` line).
    """
    out = out or sys.stdout
    cancel = threading.Event()
    lock = threading.Lock()
    last: list[str] = [""]

    def emit(event: dict[str, Any]) -> None:
        key = json.dumps(event, sort_keys=True, default=str)
        with lock:
            if key != last[0]:
                last[0] = key
                job_protocol.write_event(event, out)

    def on_progress(info: dict[str, Any]) -> None:
        emit({"state": "running", "phase": info.get("phase"), "leaderboard": info.get("leaderboard") or []})

    def stop(signum: int, frame: Any) -> None:  # Ray's Stop: end the running candidate, send back what finished
        cancel.set()

    emit({"state": "running", "phase": "Starting the search on the cluster", "leaderboard": []})
    with job_protocol.on_stop_signal(stop):
        try:
            dataset = job_protocol.load_job_dataset(dataset_path) if dataset_path else search_dataset(config)
            board = find_best(dataset, budget_s, config, store, on_progress, cancel, templates)
        except ModelDeckError as exc:
            job_protocol.write_event({"state": "failed", "error": str(exc)}, out)
            print(f"error: {exc}", file=sys.stderr, flush=True)
            return 2
        send_board(board, out)
    return 0


def send_board(board: Leaderboard | TableLeaderboard, out: TextIO, max_mb: int = job_protocol.MAX_BUNDLE_MB) -> None:
    """Print the leaderboard line and the candidates' run folders (best first, within ``max_mb`` together)."""
    folders = _candidate_folders(board)
    budget = max_mb * 1024 * 1024
    sent: dict[str, bytes] = {}
    for folder in folders:
        data = job_protocol.zip_folder(folder)
        if len(data) <= budget:
            sent[folder.name] = data
            budget -= len(data)
    job_protocol.write_board(board_to_json(board, set(sent)), out)
    for name, data in sent.items():
        job_protocol.write_bundle_bytes(data, out, name)


def _candidate_folders(board: Leaderboard | TableLeaderboard) -> list[Path]:
    if isinstance(board, TableLeaderboard):
        return [board.run_path] if board.run_path is not None and board.run_path.is_dir() else []
    return [row.run_path for row in board.ranked if row.usable and row.run_path is not None]


def board_to_json(board: Leaderboard | TableLeaderboard, sent: set[str] | None = None) -> dict[str, Any]:
    """The leaderboard as plain JSON; run folders are named (and only those in ``sent`` when given)."""

    def folder(path: Path | None) -> str | None:
        if path is None or (sent is not None and path.name not in sent):
            return None
        return path.name

    if isinstance(board, TableLeaderboard):
        return {
            "kind": "table",
            "rows": board.rows,
            "run_folder": folder(board.run_path),
            "metric": board.metric,
            "budget_s": board.budget_s,
            "elapsed_s": board.elapsed_s,
            "notes": board.notes,
            "test_figures": board.test_figures,
        }
    rows = []
    for row in board.rows:
        item: dict[str, Any] = {k: getattr(row, k) for k in ("template", "status", "note", "parameters", *_ROW_NUMBERS)}
        item["run_folder"] = folder(row.run_path) if row.usable else None
        if row.usable and item["run_folder"] is None:
            item["note"] = "; ".join(filter(None, [row.note, LEFT_BEHIND]))
        rows.append(item)
    return {
        "kind": "text",
        "rows": rows,
        "baseline_accuracy": board.baseline_accuracy,
        "baseline_title": board.baseline_title,
        "split": board.split,
        "budget_s": board.budget_s,
        "elapsed_s": board.elapsed_s,
        "notes": board.notes,
    }


# ---- the app side: reading a board that came over the network ------------------------------------------------
def board_from_json(data: dict[str, Any], folders: dict[str, Path]) -> Leaderboard | TableLeaderboard:
    """The leaderboard a job printed, checked field by field; ``folders`` maps run folder names to local copies.

    A row whose folder did not come back keeps its figures but cannot be kept ("Use this model" needs it).
    """
    if not isinstance(data, dict) or data.get("kind") not in ("text", "table"):
        raise RunError("The leaderboard that came back from the cluster is not one ModelDeck wrote.")
    notes = [_text(n, 500) for n in _list(data.get("notes"))[:20]]
    budget, elapsed = _number(data.get("budget_s")) or 0.0, _number(data.get("elapsed_s")) or 0.0
    if data["kind"] == "table":
        metric = "rmse" if data.get("metric") == "rmse" else "log_loss"
        run_path = folders.get(str(data.get("run_folder") or ""))
        board = TableLeaderboard(
            [clean_table_row(r) for r in _list(data.get("rows"))[:MAX_ROWS] if isinstance(r, dict)],
            run_path,
            metric,
            budget,
            elapsed,
            run_path.parent.parent if run_path is not None else None,
            notes,
            _scalars(data.get("test_figures"), depth=1),
        )
        return board
    rows = []
    names = set(registry.REGISTRY)
    for item in _list(data.get("rows"))[:MAX_ROWS]:
        if not isinstance(item, dict) or item.get("template") not in names:
            continue
        status = item.get("status") if item.get("status") in _ROW_STATUSES else "failed"
        row = LeaderboardRow(str(item["template"]), str(status), note=_text(item.get("note"), 500))
        for key in _ROW_NUMBERS:
            setattr(row, key, _number(item.get(key)))
        parameters = _number(item.get("parameters"))
        row.parameters = int(parameters) if parameters is not None else None
        row.run_path = folders.get(str(item.get("run_folder") or ""))
        rows.append(row)
    split = {k: int(_number((data.get("split") or {}).get(k)) or 0) for k in ("train", "validation", "test")}
    search_dir = next(iter(folders.values())).parent.parent if folders else None
    return Leaderboard(
        rows,
        _number(data.get("baseline_accuracy")),
        _text(data.get("baseline_title"), 200) or "keyword baseline (TF-IDF + logistic regression)",
        split,
        budget,
        elapsed,
        search_dir,
        notes,
    )


def clean_table_row(row: dict[str, Any]) -> dict[str, Any]:
    """One table candidate's row with plain values only (name, kind, score, seconds, weight, settings)."""
    clean: dict[str, Any] = {
        "name": _text(row.get("name"), 100),
        "kind": _text(row.get("kind"), 40),
        "validation_score": _number(row.get("validation_score")),
        "metric": "rmse" if row.get("metric") == "rmse" else "log_loss",
    }
    if clean["validation_score"] is None:
        clean["validation_score"] = math.inf
    for key in ("seconds", "weight"):
        if _number(row.get(key)) is not None:
            clean[key] = _number(row.get(key))
    if isinstance(row.get("settings"), dict):
        clean["settings"] = _scalars(row["settings"])
    return clean


def clean_live_rows(rows: Any) -> list[dict[str, Any]]:
    """The leaderboard-so-far rows of a progress event: flat dicts of short texts and numbers only."""
    clean = []
    for row in _list(rows)[:MAX_ROWS]:
        if isinstance(row, dict):
            clean.append(_scalars(row))
    return clean


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _text(value: Any, limit: int) -> str:
    return str(value)[:limit] if isinstance(value, str | int | float) and value is not None else ""


def _scalars(value: Any, depth: int = 0) -> dict[str, Any]:
    """A dict of plain values (short texts, finite numbers, None), nested ``depth`` levels at most."""
    if not isinstance(value, dict):
        return {}
    clean: dict[str, Any] = {}
    for key, item in list(value.items())[:40]:
        key = str(key)[:60]
        if item is None or isinstance(item, bool):
            clean[key] = item
        elif isinstance(item, int | float):
            clean[key] = _number(item)
        elif isinstance(item, str):
            clean[key] = item[:200]
        elif isinstance(item, dict) and depth > 0:
            clean[key] = _scalars(item, depth - 1)
    return clean
