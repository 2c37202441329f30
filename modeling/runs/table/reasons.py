"""Each column's share of a table answer: how much it moves when that column alone is set to its typical value.

Model-agnostic and cheap: for N rows and C columns, ``C + 1`` batched calls of N rows each (the rows as they
are, then each column set back to the training median or most common category). The change is in
probability points of the answered class, or in the target's units for a number. The what-if form shows all
of them for one row; a scored file gets each row's three largest as ``reason_1..3`` sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt

#: Rows per batch of variants (each batch predicts ``(columns + 1) x rows`` rows at once).
CHUNK_ROWS = 2000


@dataclass(frozen=True)
class Contribution:
    column: str
    value: Any  # the row's value
    typical: Any  # the typical value it was compared with
    change: float  # answer(row) - answer(row with this column typical); probability points or target units


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _set_typical(frame: pd.DataFrame, column: str, value: Any) -> pd.DataFrame:
    """``frame`` with every cell of ``column`` set to ``value`` (missing stays missing, categories stay text)."""
    out = frame.copy()
    if pd.api.types.is_numeric_dtype(out[column]):
        out[column] = np.nan if value is None else float(value)
    else:
        out[column] = pd.Series([value] * len(out), index=out.index, dtype="str")
    return out


def changes(
    frame: pd.DataFrame,
    typical: dict[str, Any],
    predict: Callable[[pd.DataFrame], np.ndarray],
    chosen: np.ndarray | None,
) -> tuple[list[str], np.ndarray]:
    """The columns compared and an N x C matrix of changes (``chosen``: the answered class per row, or ``None``
    when the answer is a number). ``predict`` maps a feature frame to probabilities or values."""
    columns = [str(c) for c in frame.columns if str(c) in typical]
    out = np.zeros((len(frame), len(columns)))
    if not columns or len(frame) == 0:
        return columns, out
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS].reset_index(drop=True)
        variants = pd.concat([part] + [_set_typical(part, c, typical[c]) for c in columns], ignore_index=True)
        answers = predict(variants)
        if chosen is not None:  # the answered class's probability, in every variant of the row
            answers = answers[np.arange(len(answers)), np.tile(chosen[start : start + len(part)], len(columns) + 1)]
        scores = np.asarray(answers, dtype=np.float64).reshape(len(columns) + 1, len(part))
        out[start : start + len(part)] = (scores[0][None, :] - scores[1:]).T
    return columns, out


def row_contributions(
    frame: pd.DataFrame, typical: dict[str, Any], columns: list[str], matrix: np.ndarray, row: int
) -> list[Contribution]:
    """One row's contributions, largest first."""
    items = [
        Contribution(c, _plain(frame[c].iloc[row]), typical[c], float(matrix[row, j])) for j, c in enumerate(columns)
    ]
    items.sort(key=lambda c: -abs(c.change))
    return items


def _shown(value: Any) -> str:
    """A cell as a sentence shows it: numbers as everywhere else (no 0.98618707), a blank as "blank"."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "blank"
    if isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_):
        return fmt.amount(float(value))
    return fmt.clip(str(value), 40)


def describe_contribution(item: Contribution, regression: bool, currency: str = "") -> str:
    """'tenure = 2 (typical 29): +18 points' or 'sqft = 3,100 (typical 1,500): +$42,000'."""
    if regression:
        change = fmt.amount(item.change, currency)
        if item.change > 0:
            change = "+" + change
    else:
        change = fmt.points(100.0 * item.change)
    return f"{item.column} = {_shown(item.value)} (typical {_shown(item.typical)}): {change}"


def reason_columns(
    frame: pd.DataFrame,
    typical: dict[str, Any],
    columns: list[str],
    matrix: np.ndarray,
    regression: bool,
    currency: str = "",
    count: int = 3,
    raw: pd.DataFrame | None = None,
    raw_typical: dict[str, Any] | None = None,
) -> dict[str, list[str]]:
    """``reason_1..count``: each row's largest contributions as sentences (blank when a row has fewer).

    ``raw`` (the rows as the person wrote them, same order) and ``raw_typical`` show a column's values as
    written ("garden = no (typical yes)") where the model's column is the person's column; a part of a date
    shows the model's value.
    """
    out: dict[str, list[str]] = {f"reason_{k + 1}": [] for k in range(count)}
    order = np.argsort(-np.abs(matrix), axis=1, kind="stable")[:, :count] if matrix.size else None
    written = {str(c): c for c in raw.columns} if raw is not None else {}
    for row in range(len(frame)):
        for k in range(count):
            if order is None or k >= order.shape[1] or matrix[row, order[row, k]] == 0.0:
                out[f"reason_{k + 1}"].append("")
                continue
            c = columns[int(order[row, k])]
            value, usual = _plain(frame[c].iloc[row]), typical[c]
            if c in written and raw is not None:
                value = _plain(raw[written[c]].iloc[row])
                usual = (raw_typical or {}).get(c, usual)
            item = Contribution(c, value, usual, float(matrix[row, order[row, k]]))
            out[f"reason_{k + 1}"].append(describe_contribution(item, regression, currency))
    return out
