"""Is a table model fair to the groups of a sensitive column? :mod:`modeling.evaluation.fairness` on a run's test rows.

The person names the column (on the Evaluate page, or ``data.sensitive_columns`` in the settings); it may be a
column the model was not allowed to read (an ID-like or ignored column is kept with the test split as written,
``Dataset.left_out``), and is audited all the same. A number column with many values is compared in quantile
bands ("18 to 29", ...) when the person asks for bands.

The choice is saved with the run (``fairness.json``: the column and whether it is banded), so the Evaluate
page and the report show the same audit, recomputed from the saved test answers under the run's current
decision rule. Classes compare the rate at which each group gets the class to find (the decision rule's
positive class, else the second); numbers compare the estimates' mean error per group.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.dataset import Dataset
from modeling.errors import DataError, RunError
from modeling.evaluation import fairness
from modeling.evaluation.decisions import Decision, positive_index
from modeling.runs.answers import class_answers
from modeling.runs.store import atomic_write

FAIRNESS_FILE = "fairness.json"


def candidate_columns(test: Dataset) -> list[str]:
    """Every column of the test rows a person could name: those the model reads (dates aside) and those left out."""
    preparation = test.preparation
    read = [f.source for f in preparation.features if not f.part] if preparation is not None else []
    if not read and test.frame is not None:
        read = [str(c) for c in test.frame.columns]
    left = [str(c) for c in test.left_out.columns] if test.left_out is not None else []
    return [*read, *[c for c in left if c not in read]]


def column_values(test: Dataset, column: str) -> pd.Series:
    """The test rows' values of ``column`` as the table wrote them (yes/no as written), or numbers as numbers."""
    if test.left_out is not None and column in test.left_out.columns:
        return test.left_out[column].reset_index(drop=True)
    frame = test.frame
    if frame is None or column not in frame.columns:
        raise DataError(
            f"'{fmt.clip(column, 30)}' is not a column of this run's test rows; choose one of: "
            f"{', '.join(repr(c) for c in candidate_columns(test)[:15])}."
        )
    series = frame[column].reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(series) and test.preparation is not None:
        kinds = {f.name: f.kind for f in test.preparation.features}
        if kinds.get(column) == "boolean":
            return test.preparation.as_written(frame[[column]])[column].reset_index(drop=True)
    return series


def is_number(values: pd.Series) -> bool:
    """True for a column of numbers (it can be cut into bands); text of digits counts as numbers too."""
    if pd.api.types.is_numeric_dtype(values):
        return True
    parsed = pd.to_numeric(values, errors="coerce")
    return bool(values.notna().any()) and bool(parsed[values.notna()].notna().all())


def groups(values: pd.Series, bands: bool) -> pd.Series:
    """The group of every row: the values themselves, or four quantile bands of a number column."""
    if not bands:
        return values
    if not is_number(values):
        raise DataError("Only a column of numbers can be cut into bands; this one holds text.")
    return fairness.quantile_bands(values)


def audit_answers(
    sensitive: pd.Series,
    column: str,
    y_true: np.ndarray,
    answers: np.ndarray,
    class_names: Sequence[str],
    decision: Decision | None = None,
    currency: str = "",
) -> dict[str, Any]:
    """The fairness report for one column's groups; ``answers`` are probabilities (classes) or values (numbers)."""
    if not class_names:
        return fairness.regression_fairness(sensitive, y_true, answers, column, currency)
    decision = decision or Decision()
    positive = positive_index(list(class_names), decision.positive_class)
    chosen = class_answers(np.asarray(answers), list(class_names), decision)[0]
    y = (np.asarray(y_true).astype(np.int64) == positive).astype(np.int64)
    predicted = (np.asarray(chosen) == positive).astype(np.int64)
    return fairness.classification_fairness(sensitive, y, predicted, column, positive=class_names[positive])


def audit(
    test: Dataset,
    column: str,
    answers: np.ndarray,
    decision: Decision | None = None,
    currency: str = "",
    bands: bool = False,
) -> dict[str, Any]:
    """The audit of ``column`` on the test rows (``answers``: the model's test probabilities or values).

    A column with too many values or a single group raises a ``DataError`` whose sentence says what to do.
    """
    values = groups(column_values(test, column), bands)
    report = audit_answers(values, column, test.labels, answers, test.class_names, decision, currency)
    report["bands"] = bool(bands)
    return report


def try_audit(test: Dataset, column: str, answers: np.ndarray, **options: Any) -> dict[str, Any]:
    """:func:`audit`, or ``{"column", "error"}`` with the sentence when the column cannot be audited."""
    try:
        return audit(test, column, answers, **options)
    except DataError as exc:
        return {"column": column, "error": str(exc), "bands": bool(options.get("bands"))}


def audit_run(run: Any, column: str, bands: bool = False, test: Dataset | None = None) -> dict[str, Any]:
    """:func:`try_audit` on a saved run: its test rows, saved test answers and current decision rule."""
    from modeling.runs.decision_rules import load_decision
    from modeling.runs.table.ranked import test_answers

    test = test if test is not None else run.load_test()
    currency = str(((run.evaluation or {}).get("target") or {}).get("currency") or "")
    decision = load_decision(run.path) if run.class_names else None
    return try_audit(test, column, test_answers(run), decision=decision, currency=currency, bands=bands)


def settings_columns(run: Any) -> list[str]:
    """The sensitive columns named in the run's settings (``data.sensitive_columns``)."""
    return [str(c) for c in getattr(getattr(run.config, "data", None), "sensitive_columns", None) or []]


# ---- the choice, saved with the run --------------------------------------------------------------------------------
def save_choice(run_dir: str | Path, column: str | None, bands: bool = False) -> None:
    """Remember the sensitive column (``None``: no audit) for the Evaluate page and the report."""
    payload = {"column": column, "bands": bool(bands)} if column else {"column": None, "bands": False}
    atomic_write(Path(run_dir) / FAIRNESS_FILE, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def load_choice(run_dir: str | Path, settings_columns: Sequence[str] = ()) -> dict[str, Any] | None:
    """The saved choice (``column``, ``bands``), else the first of the settings' ``sensitive_columns``, else ``None``.

    A choice saved as "none" on the Evaluate page wins over the settings.
    """
    path = Path(run_dir) / FAIRNESS_FILE
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RunError(
                f"The saved fairness choice of this run is damaged ({exc}); choose the column again."
            ) from None
        if not isinstance(data, dict):
            raise RunError("The saved fairness choice of this run is damaged; choose the column again.")
        column = data.get("column")
        return {"column": str(column), "bands": bool(data.get("bands"))} if column else None
    if settings_columns:
        return {"column": str(settings_columns[0]), "bands": False}
    return None
