"""Is a scored file like the training data? The table predictor's drift check, on every batch it scores.

Training saves a small profile of its rows with the model (:func:`modeling.evaluation.drift.profile_table`,
in the bundle); each scored batch is compared with it column by column (:func:`~modeling.evaluation.drift.compare`,
a few milliseconds a column) and the summary is weighted by how much the model leans on each column (the
run's permutation importance, a date's parts summed under the date's name). A run saved before profiles has
none: the check says so and scoring goes on.

Also here: the sentence for a file that lacks columns the model needs, naming the ones it leans on most.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from modeling import format as fmt
from modeling.data.tabular.prepare import TablePreparation
from modeling.errors import DataError
from modeling.evaluation import drift

log = logging.getLogger(__name__)

FAILED = "This file could not be compared with the training data (an unexpected problem, logged); the scores stand."
NO_PROFILE = (
    "This model was trained before ModelDeck kept a profile of the training data, so this file could not be "
    "compared with it; train the model again to get the check."
)
#: The columns the model leans on most: a file without one of these cannot be scored meaningfully.
TOP_COLUMNS = 3


def importance_by_column(
    evaluation: Mapping[str, Any] | None, preparation: TablePreparation | None
) -> dict[str, float]:
    """Permutation importance per input column (a date's parts summed under its name; negative counts as 0)."""
    rows = ((evaluation or {}).get("importance") or {}).get("columns") or []
    source = {f.name: f.source for f in preparation.features} if preparation is not None else {}
    out: dict[str, float] = {}
    for row in rows:
        name = source.get(str(row.get("column")), str(row.get("column")))
        try:
            value = max(float(row.get("importance") or 0.0), 0.0)
        except (TypeError, ValueError):
            continue
        out[name] = out.get(name, 0.0) + value
    return out


def profile(frame: pd.DataFrame, preparation: TablePreparation | None) -> dict[str, Any]:
    """The training profile saved with a run: one summary per input column (dates as days since the earliest)."""
    return drift.profile_table(drift.comparable(frame, preparation))


def check_batch(
    saved: Mapping[str, Any] | None,
    features: pd.DataFrame,
    preparation: TablePreparation | None,
    importance: Mapping[str, float] | None,
) -> dict[str, Any] | None:
    """The drift report of a batch's feature frame, ``available: False`` with a sentence where it cannot be made.

    ``None`` for an empty batch (nothing to compare).
    """
    if len(features) == 0:
        return None
    if not saved:
        return _unavailable(NO_PROFILE, len(features))
    try:
        report = drift.compare(dict(saved), drift.comparable(features, preparation), importance or None)
    except DataError as exc:
        return _unavailable(str(exc), len(features))
    except Exception:  # a bug in the check must never cost the person their scores
        log.exception("The drift check failed")
        return _unavailable(FAILED, len(features))
    report["available"] = True
    report["level"] = level(report)
    return report


def _unavailable(summary: str, rows: int) -> dict[str, Any]:
    return {"available": False, "level": "unknown", "summary": summary, "columns": [], "drifted": [], "rows": rows}


def level(report: Mapping[str, Any]) -> str:
    """How much a batch's drift matters: 'none', 'minor' (only columns the model hardly uses), 'serious' (every
    column, or one of the columns it leans on most, or any when importance is unknown), 'unknown' (no check)."""
    if not report.get("available", True):
        return "unknown"
    drifted = list(report.get("drifted") or [])
    if not drifted:
        return "none"
    rank = report.get("importance_rank") or {}
    if len(drifted) == len(report.get("columns") or []) or not rank:
        return "serious"
    return "serious" if any(rank.get(c, 10**6) <= TOP_COLUMNS for c in drifted) else "minor"


def missing_columns_error(
    exc: DataError, table: pd.DataFrame, needed: Sequence[str], importance: Mapping[str, float]
) -> DataError:
    """``exc`` (a file lacking columns) with the ones among them the model leans on most named, when there are."""
    present = {_loose(c) for c in table.columns}
    missing = [c for c in needed if _loose(c) not in present]
    ranked = sorted((c for c in importance if importance[c] > 0), key=lambda c: -importance[c])[:TOP_COLUMNS]
    key = [c for c in ranked if c in missing]
    if not key:
        return exc
    names = ", ".join(f"'{fmt.clip(c, 30)}'" for c in key)
    return DataError(
        f"{exc} {names} {fmt.is_are(len(key))} among the {TOP_COLUMNS} columns the model leans on most, so scores "
        "without them would be guesswork."
    )


def _loose(name: Any) -> str:
    """A column name as the preparation matches it: case, spaces and underscores aside."""
    return "".join(str(name).lower().split()).replace("_", "")
