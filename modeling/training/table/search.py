"""*Find the best model* for tables: the automatic template as one run, its candidates as the leaderboard.

The search trains the ``automatic`` template (:mod:`modeling.training.table.automatic`) within the budget on
one split, as an ordinary run in a scratch folder; every candidate is ranked on the validation rows and the
blend is what can be kept. While it runs, the candidates finished so far reach the progress callback as a
live leaderboard. :class:`TableLeaderboard` implements :class:`~modeling.training.leaderboard.Leaderboard`.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.errors import RunError
from modeling.runs.store import RunStore, default_store
from modeling.templates.defaults import config_for_data
from modeling.templates.tabular.model import KIND_NAMES
from modeling.training import plain_json
from modeling.training.experiment import run_experiment
from modeling.training.leaderboard import OneRunBoard, ProgressCallback, run_watched
from modeling.training.progress import Progress
from modeling.training.search_folders import new_search_dir
from modeling.training.splits import split_options
from modeling.training.table.target import target_for

#: What a table search can keep: the blend of its candidates (one run).
BLEND = "blend"
_TEST_FIGURES = {"rmse": ("rmse", "mae", "r2"), "log_loss": ("accuracy", "f1_macro", "log_loss")}


@dataclass
class TableLeaderboard(OneRunBoard):
    """The automatic run and its candidates, best validation score first."""

    keeps = BLEND

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

    @property
    def metric_label(self) -> str:
        return "RMSE" if self.metric == "rmse" else "log loss"

    def table(self) -> list[dict[str, Any]]:
        return [
            {
                "model": r["name"],
                "what it is": "the weighted blend below"
                if r["kind"] == BLEND
                else KIND_NAMES.get(r["kind"], r["kind"]),
                f"validation {self.metric_label} (lower is better)": round(float(r["validation_score"]), 6),
                "weight in the blend": (
                    "—" if r["kind"] == BLEND else "" if r.get("weight") is None else f"{float(r['weight']):.0%}"
                ),
                "training time (s)": r.get("seconds"),
            }
            for r in self.ranked
        ]

    def summary(self) -> str:
        return (
            f"{len(self.rows):,} models ranked on the validation rows by {self.metric_label} (lower is better) in "
            f"{self.elapsed_s:.0f} s of {self.budget_s:.0f} s."
        )

    def test_line(self) -> str:
        """The blend's figures on the test rows, in one line (empty when there are none)."""
        figures = self.test_figures
        keys = _TEST_FIGURES["rmse" if self.metric == "rmse" else "log_loss"]
        shown = ", ".join(f"{k} {float(figures[k]):.4g}" for k in keys if isinstance(figures.get(k), int | float))
        return f"The blend on {int(figures.get('n') or 0):,} test rows: {shown}." if shown else ""

    def text(self) -> str:
        """The table leaderboard as plain text for the command line, best validation score first."""
        label = self.metric_label
        lines = [self.summary(), "", f"{'rank':<5}{'model':<28}{label:>12}{'weight':>8}{'train s':>9}"]
        for rank, row in enumerate(self.ranked, start=1):
            weight = "" if row.get("kind") == BLEND or row.get("weight") is None else f"{float(row['weight']):.0%}"
            seconds = "" if row.get("seconds") is None else f"{float(row['seconds']):.1f}"
            score = f"{float(row.get('validation_score', math.nan)):.4g}"
            lines.append(f"{rank:<5}{str(row.get('name'))[:27]:<28}{score:>12}{weight:>8}{seconds:>9}")
        if self.test_line():
            lines.append(self.test_line())
        lines.extend(self.notes)
        return "\n".join(lines)

    def describe_choice(self, choice: str) -> str:
        members = sum(1 for r in self.rows if r.get("kind") != BLEND and (r.get("weight") or 0) > 0)
        return f"{choice}: the weighted blend of {members} models. {self.test_line()}".strip()

    def keep(self, choice: str = BLEND, store: RunStore | None = None, owner: str | None = None) -> str:
        """Move the search's automatic run into ``store`` as a normal run of ``owner``; return its run id."""
        if choice != BLEND:
            raise RunError(f"A table search keeps its blend; it has no model called '{choice[:60]}'.")
        return self.move_run(store, owner, len(self.rows))

    def to_json(self, sent: set[str] | None = None) -> dict[str, Any]:
        return {
            "kind": "table",
            "rows": self.rows,
            "run_folder": self.sent_folder(sent),
            "metric": self.metric,
            "budget_s": self.budget_s,
            "elapsed_s": self.elapsed_s,
            "notes": self.notes,
            "test_figures": self.test_figures,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], folders: dict[str, Path]) -> TableLeaderboard:
        """The leaderboard a job printed, checked field by field; ``folders`` maps run folder names to local copies."""
        rows = plain_json.as_list(data.get("rows"))[: plain_json.MAX_ROWS]
        return cls(
            rows=[clean_row(r) for r in rows if isinstance(r, dict)],
            metric="rmse" if data.get("metric") == "rmse" else "log_loss",
            test_figures=plain_json.scalars(data.get("test_figures"), depth=1),
            **cls.job_fields(data, folders),
        )


def clean_row(row: dict[str, Any]) -> dict[str, Any]:
    """One table candidate's row with plain values only (name, kind, score, seconds, weight, folds, settings)."""
    clean: dict[str, Any] = {
        "name": plain_json.text(row.get("name"), 100),
        "kind": plain_json.text(row.get("kind"), 40),
        "validation_score": plain_json.number(row.get("validation_score")),
        "metric": "rmse" if row.get("metric") == "rmse" else "log_loss",
    }
    if clean["validation_score"] is None:
        clean["validation_score"] = math.inf
    for key in ("seconds", "weight"):
        if plain_json.number(row.get(key)) is not None:
            clean[key] = plain_json.number(row.get(key))
    folds = plain_json.number(row.get("folds"))  # a bagged member: trained once per fold
    if folds is not None and 1 <= folds <= 100:
        clean["folds"] = int(folds)
    if isinstance(row.get("settings"), dict):
        clean["settings"] = plain_json.scalars(row["settings"])
    return clean


class TableSearch:
    """The table family's search (:func:`modeling.training.search.find_best` finds it on the family)."""

    def refusal(self, task: str) -> str:
        return ""

    def templates(self, dataset: Dataset, asked: list[str] | None = None) -> list[str]:
        """The one template a table search trains (its candidates are settings inside it)."""
        return ["automatic"]

    def run(
        self,
        dataset: Dataset,
        budget_s: float,
        config: ExperimentConfig,
        store: RunStore,
        progress_cb: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        templates: list[str] | None = None,
    ) -> TableLeaderboard:
        return find_best_table_model(
            dataset, budget_s, progress_cb=progress_cb, cancel=cancel, store=store, **split_options(config)
        )


def find_best_table_model(
    dataset: Dataset,
    budget_s: float = 120.0,
    seed: int = 42,
    progress_cb: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    *,
    store: RunStore | None = None,
    test_share: float = 0.2,
    validation_share: float = 0.15,
) -> TableLeaderboard:
    """Run the automatic template within ``budget_s`` on one split; the leaderboard lists every candidate."""
    cancel = cancel or threading.Event()
    store = store or default_store()
    started = time.monotonic()
    scratch = RunStore(new_search_dir(store), starters=None)
    base = config_for_data(dataset, template="automatic", test_share=test_share).config
    settings = base.settings.model_copy(
        update={"seed": seed, "validation_share": validation_share, "time_budget_s": max(5, int(budget_s))}
    )
    config = base.model_copy(update={"settings": settings})
    progress = Progress(1)
    metric = target_for(dataset).metric

    def live_rows(elapsed: float) -> list[dict[str, Any]]:
        live = list(getattr(progress, "candidates", None) or [])  # set by fit_automatic as each one ends
        return TableLeaderboard(live, None, metric, budget_s, elapsed).table()

    run_dir = run_watched(
        lambda: run_experiment(config, dataset, store=scratch, progress=progress, cancel=cancel),
        progress,
        progress_cb,
        budget_s,
        started,
        fraction=lambda snap, elapsed: min(1.0, elapsed / budget_s) if budget_s else 1.0,
        live_rows=live_rows,
        thread_name="table-search-watch",
    )
    run = scratch.load(run_dir.name)
    rows = list(run.meta.get("candidates") or [])
    board = TableLeaderboard(rows, run_dir, metric, budget_s, time.monotonic() - started, scratch.root)
    board.notes = list(run.meta.get("training_notes") or [])
    board.test_figures = plain_json.scalars((run.evaluation or {}).get("model"), depth=1)  # as a job sends them
    return board
