"""A model search as a job: the command line's side (``python -m modeling search ... --events``) and the
leaderboard's wire format, shared with the app's side (:mod:`modeling.training.remote_search`).

The job runs the ordinary search (:func:`~modeling.training.search.find_best`) and prints, through the
protocol of :mod:`modeling.training.job_protocol`:

- ``@modeldeck`` events with the phase and the leaderboard so far, each time it changes (a row as each
  candidate finishes);
- at the end, the leaderboard as one ``@modeldeck-board`` line (its ``to_json``: plain JSON with a ``kind``;
  each candidate's run folder by name) and one named bundle per candidate run folder, best first, as long as
  they fit in :data:`~modeling.training.job_protocol.MAX_BUNDLE_MB` together (a candidate left behind says
  so), so "Use this model" works in the app as after a local search. :func:`board_from_json` reads it back
  through the leaderboard class registered for its ``kind``.

Stop (SIGTERM from Ray) stops the search like its Stop button: the running candidate ends after its batch
and what finished comes back.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.errors import ModelDeckError, RunError
from modeling.runs.store import RunStore
from modeling.templates import registry
from modeling.templates.defaults import config_for_data
from modeling.training import job_protocol
from modeling.training.leaderboard import LEADERBOARDS, Leaderboard
from modeling.training.search import find_best, search_dataset


def search_config(
    dataset: Dataset, seed: int = 42, test_share: float = 0.2, validation_share: float = 0.15
) -> ExperimentConfig:
    """The settings file a search job reads: the task, the split's shares and the seed (the data travels apart)."""
    config = config_for_data(dataset, choose=False, test_share=test_share).config
    settings = config.settings.model_copy(update={"seed": seed, "validation_share": validation_share})
    return config.model_copy(update={"settings": settings})


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


def send_board(board: Leaderboard, out: TextIO, max_mb: int = job_protocol.MAX_BUNDLE_MB) -> None:
    """Print the leaderboard line and the candidates' run folders (best first, within ``max_mb`` together)."""
    budget = max_mb * 1024 * 1024
    sent: dict[str, bytes] = {}
    for folder in board.run_folders():
        data = job_protocol.zip_folder(folder)
        if len(data) <= budget:
            sent[folder.name] = data
            budget -= len(data)
    job_protocol.write_board(board.to_json(set(sent)), out)
    for name, data in sent.items():
        job_protocol.write_bundle_bytes(data, out, name)


# ---- the app side: reading a board that came over the network ------------------------------------------------
def board_from_json(data: dict[str, Any], folders: dict[str, Path]) -> Leaderboard:
    """The leaderboard a job printed, checked field by field; ``folders`` maps run folder names to local copies.

    A row whose folder did not come back keeps its figures but cannot be kept ("Use this model" needs it).
    """
    kind = data.get("kind") if isinstance(data, dict) else None
    if not isinstance(kind, str) or kind not in LEADERBOARDS:
        raise RunError("The leaderboard that came back from the cluster is not one ModelDeck wrote.")
    return registry.resolve(LEADERBOARDS[kind]).from_json(data, folders)
