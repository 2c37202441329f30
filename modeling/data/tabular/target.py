"""Which column to predict, and whether that means choosing a class or predicting a number.

Both are proposals with the reason in words; the Data page shows them and lets the person change
either. :func:`propose_target` prefers a column named like what people predict (churn, label, target,
price, outcome, ...), else the last usable column; :func:`propose_task` says classification for yes/no,
text or a few whole numbers, regression for numbers with many different values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.tabular.columns import ColumnInfo, infer_column, infer_columns
from modeling.data.tabular.values import parse_numbers, present_text

CLASSIFICATION = "tabular_classification"
REGRESSION = "tabular_regression"
TABLE_TASKS = (CLASSIFICATION, REGRESSION)

#: Names people give the column they predict, most telling first (compared lower-cased, words split on _ . - space).
TARGET_NAMES = (
    "target",
    "label",
    "churn",
    "churned",
    "outcome",
    "class",
    "y",
    "price",
    "saleprice",
    "sale_price",
    "attrition",
    "survived",
    "default",
    "converted",
    "won",
    "response",
    "result",
    "status",
    "revenue",
    "sales",
    "amount",
)
#: A numeric target with at most this many different whole numbers is treated as classes.
FEW_VALUES = 10


@dataclass(frozen=True)
class TaskProposal:
    """The proposed task for a target column and why; ``task`` is None when the column cannot be a target."""

    task: str | None
    reason: str

    @property
    def is_regression(self) -> bool:
        return self.task == REGRESSION


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name.strip())
    return [w for w in re.split(r"[\s_.\-/]+", spaced.lower()) if w]


def propose_target(df: pd.DataFrame, columns: list[ColumnInfo] | None = None) -> str | None:
    """The column most likely to be the one to predict; None when no column can be a target.

    A column named like a target (see ``TARGET_NAMES``; the whole name first, then a word of it) wins;
    otherwise the last column that is not an ID, empty, constant, free text or a date.
    """
    infos = columns if columns is not None else infer_columns(df)
    usable = [c for c in infos if _can_be_target(c)]
    if not usable:
        return None
    by_name = {c.name.strip().lower().replace(" ", "_"): c.name for c in usable}
    for wanted in TARGET_NAMES:
        if wanted in by_name:
            return by_name[wanted]
    for wanted in TARGET_NAMES:
        if len(wanted) < 3:
            continue
        for c in usable:
            if wanted in _words(c.name):
                return c.name
    return usable[-1].name


def _can_be_target(info: ColumnInfo) -> bool:
    return info.kind in ("number", "category", "boolean") and info.distinct >= 2


def propose_task(series: pd.Series, info: ColumnInfo | None = None) -> TaskProposal:
    """Classification or regression for ``series`` as the target, with the reason as a sentence."""
    name = str(series.name)
    info = info or infer_column(series, name)
    shown = fmt.clip(name, 40)
    if info.kind in ("empty", "datetime", "text") or info.distinct < 2:
        what = {
            "empty": "is empty",
            "datetime": "holds dates",
            "text": "holds free text",
        }.get(info.kind, f"has the same value in every row ('{info.example}')")
        return TaskProposal(None, f"'{shown}' {what}, so it cannot be predicted. Choose another column as the target.")
    if info.kind == "boolean":
        return TaskProposal(
            CLASSIFICATION, f"'{shown}' holds yes/no values, so ModelDeck predicts which one (classification)."
        )
    if info.kind in ("category", "id"):
        values = present_text(series)
        top = ", ".join(f"'{fmt.clip(str(v), 20)}'" for v in values.value_counts().index[:3])
        more = ", ..." if info.distinct > 3 else ""
        return TaskProposal(
            CLASSIFICATION,
            f"'{shown}' holds {fmt.count(info.distinct)} categories ({top}{more}), so ModelDeck predicts which one "
            "(classification).",
        )
    values, _ = parse_numbers(series, info.format)
    values = values[np.isfinite(values)]
    distinct = len(np.unique(values))
    whole = bool(np.all(values == np.round(values)))
    if whole and distinct <= FEW_VALUES:
        low, high = _number(values.min()), _number(values.max())
        return TaskProposal(
            CLASSIFICATION,
            f"'{shown}' holds only {distinct} different whole numbers ({low} to {high}), so ModelDeck treats them as "
            "classes (classification). Switch to regression if they are amounts to predict.",
        )
    return TaskProposal(
        REGRESSION,
        f"'{shown}' holds numbers with {fmt.count(distinct)} different values, so ModelDeck predicts a number "
        "(regression).",
    )


def _number(value: float) -> str:
    return fmt.count(int(value)) if float(value).is_integer() else f"{value:,.4g}"
