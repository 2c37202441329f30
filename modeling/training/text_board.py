"""The text search's leaderboard: every template a full run on one split, ranked on the test split.

:class:`TextLeaderboard` implements :class:`~modeling.training.leaderboard.Leaderboard`: rows to show, the
templates that can be kept (each one a complete run folder), keeping one as an ordinary run, and the plain
JSON a Ray job prints (:meth:`TextLeaderboard.to_json` / :meth:`TextLeaderboard.from_json`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modeling.errors import RunError
from modeling.format import seconds as format_seconds
from modeling.runs.store import RunStore, default_store
from modeling.templates import registry
from modeling.training import plain_json
from modeling.training.search_folders import move_into

#: The numeric fields of a row (``None`` when not measured).
ROW_NUMBERS = (
    "estimate_s",
    "accuracy",
    "f1_macro",
    "train_seconds",
    "predict_seconds_per_1000",
    "megabytes",
    "lift_points",
)
ROW_STATUSES = ("trained", "stopped", "skipped", "failed")
LEFT_BEHIND = "its model did not come back from the cluster (over the size limit)"
KEYWORD_BASELINE = "keyword baseline (TF-IDF + logistic regression)"


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
class TextLeaderboard:
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
        raise RunError(f"This search has no model called '{template[:60]}' to keep.")

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

    def _facts(self) -> str:
        base = "n/a" if self.baseline_accuracy is None else f"{self.baseline_accuracy:.1%}"
        return (
            f"Same split for every template: {self.split.get('train', 0):,} training, "
            f"{self.split.get('validation', 0):,} validation and {self.split.get('test', 0):,} test texts. "
            f"Keyword baseline accuracy: {base}."
        )

    def summary(self) -> str:
        """One sentence above the table: the shared split, the keyword baseline and the time spent."""
        return f"{self._facts()} Search time: {format_seconds(self.elapsed_s)}."

    def text(self) -> str:
        """The leaderboard as a plain-text table for the command line, best first, with the split and baseline."""
        lines = [
            f"{self._facts()} Search time: {self.elapsed_s:.0f} s of {self.budget_s:.0f} s.",
            "",
            f"{'rank':<5}{'template':<16}{'status':<9}{'accuracy':>9}{'F1':>7}{'lift':>7}{'train s':>9}{'MB':>8}  note",
        ]
        usable = 0
        for row in self.ranked:
            usable += row.usable
            rank = str(usable) if row.usable else "-"
            acc = "" if row.accuracy is None else f"{row.accuracy:.1%}"
            f1 = "" if row.f1_macro is None else f"{row.f1_macro:.3f}"
            lift = "" if row.lift_points is None else f"{row.lift_points:+.1f}"
            took = "" if row.train_seconds is None else f"{row.train_seconds:.1f}"
            size = "" if row.megabytes is None else f"{row.megabytes:.1f}"
            figures = f"{acc:>9}{f1:>7}{lift:>7}{took:>9}{size:>8}"
            lines.append(f"{rank:<5}{row.template:<16}{row.status:<9}{figures}  {row.note}")
        lines.extend(self.notes)
        return "\n".join(lines)

    def choices(self) -> list[str]:
        """The templates with a trained model, best first."""
        return [r.template for r in self.ranked if r.usable]

    def describe_choice(self, choice: str) -> str:
        row = self.row(choice)
        if row.accuracy is None:
            return f"{choice}: {row.note or row.status}"
        return f"{choice}: {row.accuracy:.1%} accuracy on the {self.split.get('test', 0):,} test texts"

    def keep(self, choice: str, store: RunStore | None = None, owner: str | None = None) -> str:
        """Move the chosen template's run into ``store`` (a normal run of ``owner`` from now on); its run id."""
        row = self.row(choice)
        if not row.usable or row.run_path is None:
            raise RunError(f"'{choice}' has no trained model in this search ({row.note or row.status}).")
        ranked = self.choices()
        facts = {"chosen_from": ranked, "rank": ranked.index(choice) + 1, "budget_s": self.budget_s}
        row.run_path = move_into(store or default_store(), row.run_path, owner, facts)
        return row.run_path.name

    def run_folders(self) -> list[Path]:
        return [row.run_path for row in self.ranked if row.usable and row.run_path is not None]

    def to_json(self, sent: set[str] | None = None) -> dict[str, Any]:
        """Plain JSON (``kind: "text"``); a row's run folder is named only when it was sent (``sent``)."""
        rows = []
        for row in self.rows:
            item: dict[str, Any] = {
                k: getattr(row, k) for k in ("template", "status", "note", "parameters", *ROW_NUMBERS)
            }
            path = row.run_path if row.usable else None
            item["run_folder"] = path.name if path is not None and (sent is None or path.name in sent) else None
            if row.usable and item["run_folder"] is None:
                item["note"] = "; ".join(filter(None, [row.note, LEFT_BEHIND]))
            rows.append(item)
        return {
            "kind": "text",
            "rows": rows,
            "baseline_accuracy": self.baseline_accuracy,
            "baseline_title": self.baseline_title,
            "split": self.split,
            "budget_s": self.budget_s,
            "elapsed_s": self.elapsed_s,
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], folders: dict[str, Path]) -> TextLeaderboard:
        """The leaderboard a job printed, checked field by field; ``folders`` maps run folder names to local copies.

        A row whose folder did not come back keeps its figures but cannot be kept ("Use this model" needs it).
        """
        rows = []
        for item in plain_json.as_list(data.get("rows"))[: plain_json.MAX_ROWS]:
            if not isinstance(item, dict) or item.get("template") not in registry.REGISTRY:
                continue
            status = item.get("status") if item.get("status") in ROW_STATUSES else "failed"
            row = LeaderboardRow(str(item["template"]), str(status), note=plain_json.text(item.get("note"), 500))
            for key in ROW_NUMBERS:
                setattr(row, key, plain_json.number(item.get(key)))
            parameters = plain_json.number(item.get("parameters"))
            row.parameters = int(parameters) if parameters is not None else None
            row.run_path = folders.get(str(item.get("run_folder") or ""))
            rows.append(row)
        split = data.get("split") if isinstance(data.get("split"), dict) else {}
        return cls(
            rows,
            plain_json.number(data.get("baseline_accuracy")),
            plain_json.text(data.get("baseline_title"), 200) or KEYWORD_BASELINE,
            {k: int(plain_json.number(split.get(k)) or 0) for k in ("train", "validation", "test")},
            plain_json.number(data.get("budget_s")) or 0.0,
            plain_json.number(data.get("elapsed_s")) or 0.0,
            next(iter(folders.values())).parent.parent if folders else None,
            [plain_json.text(n, 500) for n in plain_json.as_list(data.get("notes"))[:20]],
        )
