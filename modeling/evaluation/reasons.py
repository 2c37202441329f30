"""Why this row: each input column's push on the answer, for many rows at once, and the top reasons in words.

A column's push on one row's answer is how much the answer moves when that column alone is set back to its
typical value (the training median, or the most common category): ``answer(row) - answer(row with the
column typical)``. It is the what-if form's contribution, needs only a ``predict(frame) -> scores`` function
(every table template and blend answers the same way) and is easy to say: "tenure = 2 (typical 29) raises
the chance of 'Yes' by 18 points".

For a whole scored file it is vectorised: every (row, column) pair whose value differs from the typical one
becomes a variant row, and the variants go to the model in a few batched calls of at most ``chunk`` rows, so
memory stays bounded and 10,000 rows x 20 columns take seconds. A pair already at the typical value moves
nothing and is not asked.

People know the columns they uploaded, not the features a date was expanded into (``signup_year``,
``signup_month``, ...): an :class:`InputColumn` groups a date's features, which are set to typical together
and spoken of under the date's own name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.tabular.prepare import TablePreparation
from modeling.errors import DataError
from modeling.evaluation.probabilities import check_finite

Predict = Callable[[pd.DataFrame], np.ndarray]
#: Variant rows sent to the model in one call (bounds memory: 100,000 rows x 20 features is a few MB).
CHUNK = 100_000
#: Reasons per row in the scored file (``reason_1`` ... ``reason_3``).
TOP = 3
#: A change smaller than this (0.5 points of probability) is not a reason worth a sentence.
MIN_PROBABILITY_CHANGE = 0.005
#: For numbers: a change smaller than this share of the spread (standard deviation) of the answers is no reason.
MIN_VALUE_CHANGE = 0.01


@dataclass(frozen=True)
class InputColumn:
    """A column the person knows and the feature columns made from it (one, or a date's parts)."""

    name: str
    features: tuple[str, ...]
    #: "number", "boolean", "category" or "date" (how its value is written in a reason).
    form: str = "number"
    #: For a date: the part each feature holds ("year", "month", "day", "hour", ...), in ``features`` order.
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reason:
    """One column's push on one row's answer."""

    column: str
    value: str  # the row's value, as written in a sentence
    typical: str  # the typical value it was compared with
    change: float  # answer(row) - answer(row with this column typical): probability (0..1) or target units


@dataclass
class Contributions:
    """Every row's push per input column (``change``: N x C), with what is needed to put them in words."""

    columns: list[InputColumn]
    frame: pd.DataFrame
    typical: dict[str, Any]
    base: np.ndarray  # the answer per row (probability of the row's class, or the value)
    classes: np.ndarray | None  # the class each probability belongs to (None when the model answers numbers)
    change: np.ndarray

    @property
    def regression(self) -> bool:
        return self.classes is None


def input_columns(frame: pd.DataFrame, preparation: TablePreparation | None = None) -> list[InputColumn]:
    """The input columns behind ``frame``'s features: from the preparation, or one per feature when there is none."""
    if preparation is None:
        return [
            InputColumn(str(c), (str(c),), "number" if pd.api.types.is_numeric_dtype(frame[c]) else "category")
            for c in frame.columns
        ]
    present = {str(c) for c in frame.columns}
    grouped: dict[str, list[Any]] = {}
    for feature in preparation.features:
        if feature.name in present:
            grouped.setdefault(feature.source, []).append(feature)
    out = []
    for source, features in grouped.items():
        dated = any(f.part for f in features)
        form = "date" if dated else str(features[0].kind)
        out.append(
            InputColumn(source, tuple(f.name for f in features), form, tuple(f.part for f in features) if dated else ())
        )
    return out


def typical_features(preparation: TablePreparation) -> dict[str, Any]:
    """The feature values of the preparation's typical raw row (its median date's year, month, ... included)."""
    row = pd.DataFrame([{c: preparation.typical.get(c) for c in preparation.input_columns}])
    frame = preparation.transform(row)
    return {str(c): _plain(frame[c].iloc[0]) for c in frame.columns}


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _is_typical(values: np.ndarray, typical: Any, numeric: bool) -> np.ndarray:
    """Which cells already hold the typical value (blank counts as typical only when the typical is blank)."""
    if numeric:
        x = values.astype(np.float64)
        if typical is None:
            return np.isnan(x)
        return x == float(typical)
    blank = pd.isna(values)
    if typical is None:
        return blank
    return ~blank & (values == typical)


def contributions(
    predict: Predict,
    frame: pd.DataFrame,
    typical: Mapping[str, Any],
    columns: Sequence[InputColumn] | None = None,
    classes: int | Sequence[int] | np.ndarray | None = None,
    chunk: int = CHUNK,
) -> Contributions:
    """Each row's change of answer per input column when that column alone is set to its typical value.

    ``predict`` takes a feature frame and returns N values or N x K probabilities; ``typical`` holds a
    value per feature (``None`` = blank). ``classes`` picks the probability that is "the answer": one class
    index for every row (the class to find), one per row (the label the decision rule gave), or ``None`` for
    each row's most likely class. Columns missing from ``typical`` are left out.
    """
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    columns = [c for c in (columns or input_columns(frame)) if all(f in typical for f in c.features)]
    if not columns:
        raise DataError("No column of this table has a typical value to compare with, so no reasons can be given.")
    n = len(frame)
    raw = np.asarray(predict(frame), dtype=np.float64)
    check_finite(raw.reshape(n, -1) if n else raw, "This model")
    if raw.ndim == 1:
        picked, base = None, raw
    else:
        picked = _pick(raw, classes)
        base = raw[np.arange(n), picked]
    change = np.zeros((n, len(columns)))
    numeric = {f: pd.api.types.is_numeric_dtype(frame[f]) for f in frame.columns}
    values = {
        f: frame[f].to_numpy(dtype=np.float64, na_value=np.nan) if numeric[f] else frame[f].to_numpy(object)
        for f in frame.columns
    }
    # Every (row, column) pair that is not already typical becomes one variant row.
    moved = [~np.all([_is_typical(values[f], typical[f], numeric[f]) for f in c.features], axis=0) for c in columns]
    pair_rows = np.concatenate([np.flatnonzero(m) for m in moved]) if n else np.zeros(0, dtype=np.int64)
    pair_cols = np.concatenate([np.full(int(m.sum()), j) for j, m in enumerate(moved)]) if n else pair_rows
    owner = {f: j for j, c in enumerate(columns) for f in c.features}
    for start in range(0, len(pair_rows), max(1, chunk)):
        rows, cols = pair_rows[start : start + chunk], pair_cols[start : start + chunk]
        variant = {}
        for f in frame.columns:
            column = values[f][rows].copy()
            if f in owner:
                column[cols == owner[f]] = _cell(typical[f], numeric[f])
            variant[f] = column if numeric[f] else pd.array(column, dtype=frame[f].dtype)
        out = np.asarray(predict(pd.DataFrame(variant, columns=frame.columns)), dtype=np.float64)
        check_finite(out.reshape(len(rows), -1), "This model")
        scores = out if picked is None else out[np.arange(len(rows)), picked[rows]]
        change[rows, cols] = base[rows] - scores
    return Contributions(columns, frame, dict(typical), base, picked, change)


def _cell(value: Any, numeric: bool) -> Any:
    """A typical value as a cell of its column (blank as NaN in a number column)."""
    if numeric:
        return np.nan if value is None else float(value)
    return value


def _pick(probabilities: np.ndarray, classes: int | Sequence[int] | np.ndarray | None) -> np.ndarray:
    n, k = probabilities.shape
    if classes is None:
        return probabilities.argmax(axis=1)
    picked = np.broadcast_to(np.asarray(classes, dtype=np.int64), (n,)).copy()
    if len(picked) and (picked.min() < 0 or picked.max() >= k):
        raise DataError(f"The class to explain must be one of the model's {k} classes.")
    return picked


# ---- words ---------------------------------------------------------------------------------------------------
def number_text(value: float) -> str:
    """A number as a reason writes it: whole numbers without decimals, others to four significant digits (from a
    thousand up, to the unit: 12,340 rather than 1.234e+04)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}" if abs(value) >= 10_000 else str(int(value))
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def _date_text(values: Mapping[str, Any]) -> str:
    """A date from its parts ('2021-03-05', '2021-03-05 14h'); the month alone when the day is unknown."""
    parts = {k: float(v) for k, v in values.items() if v is not None and np.isfinite(float(v))}
    if not {"year", "month"} <= parts.keys():
        return "blank" if not parts else "another date"
    text = f"{round(parts['year']):04d}-{round(parts['month']):02d}"
    if "day" in parts:
        text += f"-{round(parts['day']):02d}"
    if "hour" in parts:
        text += f" {round(parts['hour']):02d}h"
    return text


def value_text(column: InputColumn, values: Mapping[str, Any]) -> str:
    """How an input column's value (``values``: its features' values) is written in a reason."""
    if column.form == "date":
        return _date_text({part: values.get(f) for f, part in zip(column.features, column.parts, strict=True)})
    value = values.get(column.features[0])
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "blank"
    if column.form == "boolean":
        return "yes" if float(value) >= 0.5 else "no"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return number_text(float(value))
    return fmt.one_line(value, 40)


def top_reasons(result: Contributions, k: int = TOP, min_change: float | None = None) -> list[list[Reason]]:
    """Each row's ``k`` largest pushes (by size), skipping those too small to matter."""
    if min_change is None:
        spread = float(np.std(result.base)) if len(result.base) > 1 else 0.0
        min_change = MIN_PROBABILITY_CHANGE if not result.regression else MIN_VALUE_CHANGE * spread
    size = np.abs(result.change)
    order = np.argsort(-size, axis=1, kind="stable")[:, :k]
    typical_texts = [value_text(c, result.typical) for c in result.columns]
    cells = {f: result.frame[f].to_numpy(dtype=object) for c in result.columns for f in c.features}
    out = []
    for i, best in enumerate(order):
        row = []
        for j in best:
            if size[i, j] <= min_change or size[i, j] == 0.0:
                break
            column = result.columns[j]
            value = value_text(column, {f: cells[f][i] for f in column.features})
            row.append(Reason(column.name, value, typical_texts[j], float(result.change[i, j])))
        out.append(row)
    return out


def describe_reason(reason: Reason, outcome: str, regression: bool, currency: str = "") -> str:
    """'tenure = 2 (typical 29) raises the chance of 'Yes' by 18 points' or '... raises the price by $42,000'.

    Plain text (for a CSV cell); escape it (``modeling.format.md_escape``) before showing it as Markdown.
    """
    verb = "raises" if reason.change > 0 else "lowers"
    size = abs(reason.change)
    if regression:
        amount = fmt.money(size, currency) if currency else (number_text(size) if size >= 100 else f"{size:.3g}")
    else:
        amount = f"{100.0 * size:.0f} points" if size >= 0.01 else f"{100.0 * size:.1f} points"
    return f"{reason.column} = {reason.value} (typical {reason.typical}) {verb} {outcome} by {amount}"


def reason_columns(
    result: Contributions,
    k: int = TOP,
    class_names: Sequence[str] | None = None,
    outcome: str | None = None,
    currency: str = "",
) -> pd.DataFrame:
    """``reason_1`` .. ``reason_k`` (human-readable, blank when fewer reasons matter), one row per scored row.

    ``outcome`` names the answer ("the risk", "the price"); by default "the estimate" for numbers and "the
    chance of '<class>'" for classes (the class each row's probability belongs to).
    """
    reasons = top_reasons(result, k)
    texts = np.full((len(reasons), k), "", dtype=object)
    for i, row in enumerate(reasons):
        if outcome is not None:
            words = outcome
        elif result.regression:
            words = "the estimate"
        else:
            index = int(result.classes[i]) if result.classes is not None else 0
            name = class_names[index] if class_names is not None and index < len(class_names) else f"class {index}"
            words = f"the chance of '{name}'"
        for j, reason in enumerate(row):
            texts[i, j] = describe_reason(reason, words, result.regression, currency)
    return pd.DataFrame({f"reason_{j + 1}": pd.array(texts[:, j], dtype="str") for j in range(k)})
