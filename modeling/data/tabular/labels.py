"""The target column -> what a model learns to predict: class indices, or numbers for regression.

The same reading serves training (:func:`fit_labels`, which also decides the classes) and any later
table with the target column, to evaluate a saved model on it (:func:`read_labels`). Rows whose target
is missing or unreadable are left out, always with a count and examples in the notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.dataset import encode_labels
from modeling.data.readers.limits import MAX_CLASSES, MAX_LABEL_CHARS, MIN_ROWS
from modeling.data.tabular.columns import ColumnInfo
from modeling.data.tabular.target import REGRESSION
from modeling.data.tabular.values import ValueFormat, missing_mask, parse_booleans, parse_numbers
from modeling.errors import DataError

#: At most this share of rows may have text in a numeric target (dropped with a count); more is an error.
MAX_UNREADABLE_TARGET = 0.05


@dataclass
class TargetLabels:
    """The labels of the rows kept (``keep`` marks them among the table's rows) and why others were left out."""

    labels: np.ndarray
    class_names: list[str]
    keep: np.ndarray
    notes: list[str] = field(default_factory=list)


def _examples(values: pd.Series, limit: int = 3) -> str:
    shown = values.astype("str").str.strip().drop_duplicates().head(limit)
    return ", ".join(f"'{fmt.one_line(v, 30)}'" for v in shown)


def label_strings(series: pd.Series, info: ColumnInfo) -> np.ndarray:
    """Class names as people expect them: 1.0 -> '1', ' Yes ' -> 'Yes'; booleans as written."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype("str").fillna("").to_numpy(str)
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            return values.astype(np.int64).astype(str)
        return np.asarray([f"{v:g}" for v in values], dtype=str)
    return series.astype("str").str.strip().fillna("").to_numpy(str)


def fit_labels(series: pd.Series, info: ColumnInfo, task: str) -> TargetLabels:
    """Read the target column for training: decide the classes (or check the numbers) and count what is dropped."""
    name = fmt.clip(str(series.name), 40)
    missing = missing_mask(series)
    notes: list[str] = []
    if missing.any():
        n = int(missing.sum())
        notes.append(f"{fmt.plural(n, 'row')} without a value in '{name}' (the target) {fmt.was_were(n)} left out.")
    if task == REGRESSION:
        return _fit_numbers(series, info, missing, notes)
    keep = ~missing
    strings = label_strings(series[keep], info)
    longest = max((len(v) for v in strings), default=0)
    if longest > MAX_LABEL_CHARS:
        raise DataError(
            f"'{name}' holds values up to {fmt.count(longest)} characters long; classes are short names (at most "
            f"{MAX_LABEL_CHARS} characters). Choose the column that holds the outcome as the target."
        )
    uniques, counts = np.unique(strings, return_counts=True)
    if len(uniques) > MAX_CLASSES:
        raise DataError(
            f"'{name}' has {fmt.count(len(uniques))} different values; ModelDeck predicts at most {MAX_CLASSES} "
            "classes. If it is an amount, choose regression; otherwise merge rare values into 'other'."
        )
    single = uniques[counts == 1]
    if len(single) and len(uniques) - len(single) >= 2:
        shown = ", ".join(f"'{fmt.clip(str(v), 20)}'" for v in single[:5]) + (", ..." if len(single) > 5 else "")
        notes.append(
            f"{fmt.plural(len(single), 'class', 'classes')} of '{name}' {fmt.is_are(len(single))} seen in a single row "
            f"({shown}); {'it was' if len(single) == 1 else 'they were'} left out, because a model cannot learn a "
            "class from one example."
        )
        rows = np.flatnonzero(keep)
        drop = np.isin(strings, single)
        keep[rows[drop]] = False
        strings = strings[~drop]
    _check_classes(strings, name)
    labels, class_names = encode_labels(strings)
    return TargetLabels(labels=labels, class_names=class_names, keep=keep, notes=notes)


def _check_classes(strings: np.ndarray, name: str) -> None:
    uniques = np.unique(strings)
    if len(strings) < MIN_ROWS:
        raise DataError(
            f"Only {fmt.plural(len(strings), 'row')} {fmt.is_are(len(strings))} left with a value in '{name}'; at "
            f"least {MIN_ROWS} are needed (and a few hundred for a useful model). Add more rows."
        )
    if len(uniques) < 2:
        only = fmt.clip(str(uniques[0]), 30) if len(uniques) else ""
        raise DataError(
            f"'{name}' has the same value ('{only}') in every row, so there is nothing to predict. Choose another "
            "target column, or add rows with other outcomes."
        )


def _fit_numbers(series: pd.Series, info: ColumnInfo, missing: np.ndarray, notes: list[str]) -> TargetLabels:
    name = fmt.clip(str(series.name), 40)
    if info.format.kind == "datetime":
        raise DataError(
            f"'{name}' holds dates (e.g. {_examples(series[~missing])}), which ModelDeck does not predict. Choose "
            "another target column."
        )
    values, bad = _numbers(series, info)
    if bad.any():
        n, present = int(bad.sum()), int((~missing).sum())
        if n > MAX_UNREADABLE_TARGET * present:
            raise DataError(
                f"'{name}' should hold numbers, but {fmt.plural(n, 'row')} of {fmt.count(present)} hold something else "
                f"(e.g. {_examples(series[bad])}). Clean those cells, or choose classification if they are categories."
            )
        notes.append(
            f"{fmt.plural(n, 'row')} whose target '{name}' is not a number (e.g. {_examples(series[bad])}) "
            f"{fmt.was_were(n)} left out."
        )
    keep = ~missing & ~bad
    kept = values[keep]
    if len(kept) < MIN_ROWS:
        raise DataError(
            f"Only {fmt.plural(len(kept), 'row')} {fmt.is_are(len(kept))} left with a number in '{name}'; at least "
            f"{MIN_ROWS} are needed (and a few hundred for a useful model). Add more rows."
        )
    if np.all(kept == kept[0]):
        raise DataError(
            f"'{name}' has the same value ({kept[0]:g}) in every row, so there is nothing to predict. Choose another "
            "target column."
        )
    return TargetLabels(labels=kept.astype(np.float64), class_names=[], keep=keep, notes=notes)


def _numbers(series: pd.Series, info: ColumnInfo) -> tuple[np.ndarray, np.ndarray]:
    """The target as numbers: yes/no as 1/0, text that is not a number marked unreadable."""
    if info.format.kind == "boolean":
        return parse_booleans(series, info.format)
    number_format = info.format if info.format.kind == "number" else ValueFormat(kind="number")
    return parse_numbers(series, number_format)


def read_labels(series: pd.Series, info: ColumnInfo, task: str, class_names: list[str]) -> TargetLabels:
    """Read the target of a new table (to evaluate a saved model) with the classes and format of training.

    Rows with a missing or unreadable target, or a class the model never saw, are left out and counted.
    """
    name = fmt.clip(str(series.name), 40)
    missing = missing_mask(series)
    notes: list[str] = []
    if missing.any():
        n = int(missing.sum())
        notes.append(f"{fmt.plural(n, 'row')} without a value in '{name}' {fmt.was_were(n)} left out.")
    if task == REGRESSION:
        values, bad = _numbers(series, info)
        if bad.any():
            n = int(bad.sum())
            notes.append(
                f"{fmt.plural(n, 'row')} whose '{name}' is not a number (e.g. {_examples(series[bad])}) "
                f"{fmt.was_were(n)} left out."
            )
        keep = ~missing & ~bad
        return TargetLabels(labels=values[keep], class_names=[], keep=keep, notes=notes)
    strings = label_strings(series, info)
    lookup = {c: i for i, c in enumerate(class_names)}
    known = np.asarray([s in lookup for s in strings], dtype=bool)
    unknown = ~missing & ~known
    if unknown.any():
        n = int(unknown.sum())
        notes.append(
            f"{fmt.plural(n, 'row')} whose '{name}' is a class the model never saw (e.g. {_examples(series[unknown])}) "
            f"{fmt.was_were(n)} left out."
        )
    keep = ~missing & known
    labels = np.asarray([lookup[s] for s in strings[keep]], dtype=np.int64)
    return TargetLabels(labels=labels, class_names=list(class_names), keep=keep, notes=notes)
