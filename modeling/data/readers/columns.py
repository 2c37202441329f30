"""Which column holds the text and which the label, and a table -> a checked text Dataset.

Labels must look like categories (a few values, each repeated); rows without a text or a label are
dropped with a count, never silently.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.dataset import Dataset, encode_labels
from modeling.data.readers.limits import LIMITS, MAX_CLASSES, MAX_LABEL_CHARS, MIN_ROWS
from modeling.errors import DataError

_LABEL_NAMES = ("label", "labels", "sentiment", "class", "target", "category", "y", "polarity", "tag", "rating")


def is_texty(series: pd.Series) -> bool:
    return bool(pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series))


def _non_empty(series: pd.Series) -> pd.Series:
    values = series.dropna()
    if is_texty(values):
        values = values.astype(str)
        values = values[values.str.strip() != ""]
    return values


def guess_columns(df: pd.DataFrame) -> tuple[str | None, str | None]:
    """Propose (text_column, label_column) for a table; either is None when nothing fits.

    Text: the string column with the longest mean length. Label: another column with 2..50
    distinct values, preferring names such as label, sentiment, class, target or category, then
    fewer distinct values. Empty columns (as spreadsheets leave behind) are ignored.
    """
    sample = df.head(5000)
    columns = [str(c) for c in sample.columns]
    non_empty = {c: _non_empty(sample[c]) for c in columns}
    usable = [c for c in columns if len(non_empty[c]) > 0]

    text_column: str | None = None
    best_length = -1.0
    for c in usable:
        if not is_texty(sample[c]):
            continue
        mean_length = float(non_empty[c].astype(str).str.len().mean())
        if mean_length > best_length:
            text_column, best_length = c, mean_length

    candidates: list[tuple[int, int, int, str]] = []
    for position, c in enumerate(usable):
        if c == text_column:
            continue
        values = non_empty[c]
        distinct = int(values.astype(str).str.strip().nunique())
        if not 2 <= distinct <= 50 or distinct >= len(values):
            continue
        lowered = c.strip().lower()
        if lowered in _LABEL_NAMES:
            rank = 0
        elif any(re.search(rf"(^|[^a-z]){name}($|[^a-z])", lowered) for name in _LABEL_NAMES if len(name) > 1):
            rank = 1
        else:
            rank = 2
        candidates.append((rank, distinct, position, c))
    label_column = min(candidates)[3] if candidates else None
    return text_column, label_column


def _label_strings(series: pd.Series) -> np.ndarray:
    """Label values as the strings people expect: 1.0 -> '1', True -> 'True', ' pos ' -> 'pos'."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype(str).to_numpy(str)
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=np.float64)
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            return values.astype(np.int64).astype(str)
    return series.astype(str).str.strip().to_numpy(str)


def check_classes(labels: np.ndarray, what: str, rows: int, advice: str = "Check the label column.") -> None:
    """Refuse label sets a classifier cannot use: one class, an ID-like column, or too many classes.

    ID-like means more distinct values than half the rows: most classes would then have a single
    example, which no model can learn from and no test split can measure.
    """
    uniques = np.unique(labels)
    if len(uniques) < 2:
        only = fmt.clip(str(uniques[0])) if len(uniques) else ""
        raise DataError(
            f"{what} has only one label value ('{only}'); a classifier needs at least two kinds of labels. {advice}"
        )
    if len(uniques) == rows and rows >= MIN_ROWS:
        raise DataError(
            f"{what} has a different value in every row ({fmt.count(rows)} distinct values), so it looks like an ID, "
            "not a label. Choose the column that holds the categories."
        )
    if rows >= MIN_ROWS and len(uniques) > rows / 2 and len(uniques) > MAX_CLASSES // 10:
        raise DataError(
            f"{what} has {fmt.count(len(uniques))} different values for {fmt.count(rows)} examples, so most appear "
            "only once: "
            "it looks like an ID, a number or a free-text column, not a label. Choose the column that holds "
            "the categories (a few values, each repeated many times)."
        )
    if len(uniques) > MAX_CLASSES:
        raise DataError(
            f"{what} has {fmt.count(len(uniques))} different values; ModelDeck handles at most {MAX_CLASSES} classes. "
            "Choose a column with fewer categories, or merge rare ones into 'other'."
        )


def dataset_from_table(df: pd.DataFrame, text_column: str, label_column: str, name: str, source: str = "") -> Dataset:
    """A text Dataset from two columns of a table, with a note for every row that had to be dropped or cut."""
    columns = [str(c) for c in df.columns]
    for role, column in (("text", text_column), ("label", label_column)):
        if column is None or str(column) not in columns:
            shown = ", ".join(f"'{c}'" for c in columns[:20]) + (", ..." if len(columns) > 20 else "")
            raise DataError(f"The {role} column '{column}' is not in the table. The columns are: {shown}.")
    if str(text_column) == str(label_column):
        raise DataError("The text column and the label column are the same; choose two different columns.")
    frame = df.copy()
    frame.columns = columns
    notes: list[str] = list(df.attrs.get("notes", []))
    texts = frame[str(text_column)]
    labels = frame[str(label_column)]

    label_missing = np.asarray(labels.isna(), dtype=bool)
    if is_texty(labels):
        blank = labels.astype(str).str.strip() == ""
        label_missing = label_missing | np.asarray(blank.fillna(False), dtype=bool)
    text_missing = np.asarray(texts.isna(), dtype=bool)
    keep = ~label_missing
    if label_missing.any():
        count = int(label_missing.sum())
        notes.append(
            f"{fmt.plural(count, 'row')} without a label (empty, or a placeholder such as N/A or null) "
            f"{fmt.was_were(count)} dropped."
        )

    text_values = texts.astype(str).str.strip()
    empty_text = (text_missing | np.asarray((text_values == "").fillna(False), dtype=bool)) & keep
    if empty_text.any():
        count = int(empty_text.sum())
        notes.append(
            f"{fmt.plural(count, 'row')} with an empty text (or a placeholder such as N/A) {fmt.was_were(count)} "
            "dropped."
        )
    keep &= ~empty_text

    clean_texts = text_values[keep]
    too_long = clean_texts.str.len() > LIMITS.max_text_chars
    if too_long.any():
        clean_texts = clean_texts.str.slice(0, LIMITS.max_text_chars)
        notes.append(
            f"{fmt.plural(int(too_long.sum()), 'text')} longer than {fmt.count(LIMITS.max_text_chars)} characters "
            f"{fmt.was_were(int(too_long.sum()))} cut to that length."
        )
    label_strings = _label_strings(labels[keep])
    rows = len(label_strings)
    longest = max((len(v) for v in label_strings), default=0)
    if longest > MAX_LABEL_CHARS:
        raise DataError(
            f"The label column '{fmt.clip(str(label_column))}' holds values up to {fmt.count(longest)} characters "
            "long; labels "
            f"are short category names (at most {MAX_LABEL_CHARS} characters). Did you swap the text and label columns?"
        )
    if rows < MIN_ROWS:
        raise DataError(
            f"Only {fmt.plural(rows, 'usable row')} left after dropping rows without text or label; "
            f"at least {MIN_ROWS} are needed (and a few hundred for a useful model). Add more labelled rows."
        )
    check_classes(label_strings, f"The label column '{label_column}'", rows)
    encoded, class_names = encode_labels(label_strings)
    return Dataset(
        kind="text",
        name=name,
        labels=encoded,
        class_names=class_names,
        texts=clean_texts.to_numpy(str),
        source=source,
        text_column=str(text_column),
        label_column=str(label_column),
        notes=notes,
    )
