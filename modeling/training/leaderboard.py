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

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from modeling.runs.store import RunStore

if TYPE_CHECKING:
    from modeling.config import ExperimentConfig
    from modeling.data.dataset import Dataset


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
        progress_cb: Callable[[dict[str, Any]], None] | None = None,
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
