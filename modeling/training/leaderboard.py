"""What every model search is and returns, whatever the family: :class:`ModelSearch` and :class:`Leaderboard`.

*Find the best model* is one search (:func:`modeling.training.search.find_best`) that hands the data to its
family's :class:`ModelSearch` (named by the family class's ``search``): for texts, several templates trained as
full runs on one split and ranked on the test split (one run per template; the person keeps one); for tables,
the automatic template's candidates ranked on the validation rows and blended (one run; the person keeps the
blend). The page, the command line, the Ray job and the job manager use only these protocols, so none of them
asks which family it is.

A family's leaderboard class also has ``from_json(data, folders)`` (a classmethod) to rebuild it from what a
remote job printed; :data:`LEADERBOARDS` maps the ``kind`` written by :meth:`Leaderboard.to_json` to it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from modeling.runs.store import RunStore, default_store
from modeling.training import plain_json
from modeling.training.search_folders import move_into

if TYPE_CHECKING:
    from modeling.config import ExperimentConfig
    from modeling.data.dataset import Dataset
    from modeling.training.progress import Progress

log = logging.getLogger(__name__)

#: What a search sends while it runs: a dict with ``phase``, ``elapsed_s``, ``budget_s``, ``fraction``, ...
ProgressCallback = Callable[[dict[str, Any]], None]


class Leaderboard(Protocol):
    """A finished (or stopped) search: rows to show, what can be kept, and its wire format."""

    budget_s: float
    elapsed_s: float
    notes: list[str]

    def table(self) -> list[dict[str, Any]]:
        """Plain rows for a data frame, best first (column names are written for people)."""
        ...

    def summary(self) -> str:
        """One plain sentence above the table (what was compared, on which rows, in how long)."""
        ...

    def text(self) -> str:
        """The leaderboard as plain text for the command line (ranked rows, then the notes)."""
        ...

    def choices(self) -> list[str]:
        """What the person can keep, best first (template names; a blend search offers its one blend)."""
        ...

    def describe_choice(self, choice: str) -> str:
        """One line about a choice for the "Use this model" button ("minilm_ngrams: 91.2% accuracy on ...")."""
        ...

    def keep(self, choice: str, store: RunStore | None = None, owner: str | None = None) -> str:
        """Move the chosen candidate's run into ``store`` as an ordinary run of ``owner``; its run id."""
        ...

    def run_folders(self) -> list[Path]:
        """The candidates' run folders that can be kept, best first (a remote job sends these back)."""
        ...

    def to_json(self, sent: set[str] | None = None) -> dict[str, Any]:
        """Plain JSON with a ``kind`` key; run folders are named (only those in ``sent`` when given)."""
        ...


class ModelSearch(Protocol):
    """One family's *Find the best model*: whether a task can be searched, what it trains, and the search."""

    def refusal(self, task: str) -> str:
        """Why ``task`` cannot be searched, as a sentence for the person; ``""`` when it can."""
        ...

    def templates(self, dataset: Dataset, asked: list[str] | None = None) -> list[str]:
        """The templates the search would train on ``dataset`` (of those ``asked``); raises when none can."""
        ...

    def run(
        self,
        dataset: Dataset,
        budget_s: float,
        config: ExperimentConfig,
        store: RunStore,
        progress_cb: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        templates: list[str] | None = None,
    ) -> Leaderboard:
        """Search within ``budget_s`` seconds with ``config``'s seed and split shares; the leaderboard."""
        ...


#: ``kind`` (as written by ``to_json``) -> ``"module:Class"`` of the leaderboard that reads it back.
LEADERBOARDS: dict[str, str] = {
    "text": "modeling.training.text_board:TextLeaderboard",
    "table": "modeling.training.table.search:TableLeaderboard",
    "forecast": "modeling.training.forecast.search:ForecastLeaderboard",
}


class OneRunBoard:
    """What a leaderboard whose search trains one run does the same way in every family (tables, forecasts).

    Such a search offers one choice (:attr:`keeps`: the table blend, Automatic's forecast), which is its one run
    folder; a dataclass that inherits this has the fields ``run_path`` and ``budget_s``.
    """

    #: The name of the one choice (``"blend"``, ``"automatic"``).
    keeps: ClassVar[str]
    run_path: Path | None
    budget_s: float

    def choices(self) -> list[str]:
        return [self.keeps] if self.run_path is not None and self.run_path.is_dir() else []

    def run_folders(self) -> list[Path]:
        return [self.run_path] if self.run_path is not None and self.run_path.is_dir() else []

    def sent_folder(self, sent: set[str] | None) -> str | None:
        """The run folder's name for ``to_json`` (``None`` when there is none, or it is not among ``sent``)."""
        folder = self.run_path.name if self.run_path is not None else None
        return folder if folder is not None and (sent is None or folder in sent) else None

    @staticmethod
    def job_fields(data: dict[str, Any], folders: dict[str, Path]) -> dict[str, Any]:
        """The fields every such leaderboard rebuilds the same way from what a job printed (for ``from_json``).

        ``run_path``, ``budget_s``, ``elapsed_s``, ``search_dir`` and ``notes``, checked field by field;
        ``folders`` maps run folder names to the local copies of what the job sent back.
        """
        run_path = folders.get(str(data.get("run_folder") or ""))
        return {
            "run_path": run_path,
            "budget_s": plain_json.number(data.get("budget_s")) or 0.0,
            "elapsed_s": plain_json.number(data.get("elapsed_s")) or 0.0,
            "search_dir": run_path.parent.parent if run_path is not None else None,
            "notes": [plain_json.text(n, 500) for n in plain_json.as_list(data.get("notes"))[:20]],
        }

    def move_run(self, store: RunStore | None, owner: str | None, candidates: int) -> str:
        """Move the search's run into ``store`` (the default store when ``None``) as a run of ``owner``; its id."""
        facts = {"candidates": candidates, "budget_s": self.budget_s}
        self.run_path = move_into(store or default_store(), self.run_path, owner, facts)
        return self.run_path.name


def run_watched(
    train: Callable[[], Path],
    progress: Progress,
    progress_cb: ProgressCallback | None,
    budget_s: float,
    started: float,
    fraction: Callable[[dict[str, Any], float], float],
    live_rows: Callable[[float], list[dict[str, Any]]],
    thread_name: str,
) -> Path:
    """Call ``train`` (a search's one run) while a thread reports to ``progress_cb`` twice a second; its folder.

    Each report holds the run's phase and history from ``progress``, ``fraction(snapshot, elapsed)`` and the
    leaderboard so far (``live_rows(elapsed)``). A failing callback is logged and never stops the search.
    """

    def watch() -> None:
        while not progress.finished_at:
            if progress_cb is not None:
                snap, elapsed = progress.snapshot(), time.monotonic() - started
                try:
                    progress_cb(
                        {
                            "phase": snap["phase"],
                            "elapsed_s": elapsed,
                            "budget_s": budget_s,
                            "fraction": fraction(snap, elapsed),
                            "history": snap["history"],
                            "leaderboard": live_rows(elapsed),
                        }
                    )
                except Exception:
                    log.exception("progress callback failed")
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, name=thread_name, daemon=True)
    watcher.start()
    try:
        return train()
    finally:
        progress.finished_at = progress.finished_at or time.monotonic()
        watcher.join(timeout=2)
