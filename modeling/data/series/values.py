"""Cells to numbers: the target (a number in every row, or the rows with text are named) and known-ahead columns.

Spreadsheets write numbers as ``1,234`` or ``$1,234``; those are read as numbers. Anything else in a target
(``n/a``, ``twelve``) is refused with the rows named rather than dropped, because a silently dropped week
would look like a week without sales. Known-ahead columns may be numbers or yes/no flags.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.series.dates import rows_text
from modeling.errors import DataError

_THOUSANDS = r"(?<=\d),(?=\d{3}(\D|$))"
_CURRENCY = r"^[$€£¥]\s*|\s*[$€£¥]$"
_YES = {"yes", "y", "true", "t", "1", "x", "on"}
_NO = {"no", "n", "false", "f", "0", "", "off"}


def _text_numbers(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(numbers, positions of cells that hold text that is no number)."""
    present = values.notna().to_numpy()
    text = values.astype(str).str.strip()
    cleaned = text.str.replace(_CURRENCY, "", regex=True).str.replace(_THOUSANDS, "", regex=True)
    numbers = pd.to_numeric(cleaned.where(present), errors="coerce").astype(np.float64)
    bad = np.flatnonzero(present & numbers.isna().to_numpy() & (cleaned != "").to_numpy())
    return numbers, bad


def target_numbers(values: pd.Series, column: str) -> pd.Series:
    """The target as float64; NaN for empty cells. :class:`DataError` naming the rows with text or infinity."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        numbers = values.astype(np.float64)
    else:
        numbers, bad = _text_numbers(values)
        if len(bad):
            examples = ", ".join(f"'{fmt.clip(str(v), 20)}'" for v in values.iloc[bad[:3]])
            raise DataError(
                f"'{column}' has text in {rows_text(bad)} ({examples}), but a forecast needs a number in every row. "
                "Correct those cells (an empty cell counts as a missing value) or choose another column to forecast."
            )
    infinite = np.flatnonzero(np.isinf(numbers.to_numpy()))
    if len(infinite):
        raise DataError(f"'{column}' is infinite in {rows_text(infinite)}. Correct those cells and upload again.")
    return numbers


def flag_or_number(values: pd.Series, column: str) -> pd.Series:
    """A known-ahead column as float64: numbers as they are, yes/no and true/false as 1/0; NaN stays NaN."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.astype(np.float64)
    lowered = values.astype(str).str.strip().str.lower().where(values.notna())
    words = lowered.isin(_YES | _NO)
    if words[values.notna()].all():
        return lowered.map(lambda v: np.nan if v is None or pd.isna(v) else float(v in _YES)).astype(np.float64)
    numbers, bad = _text_numbers(values)
    if len(bad):
        examples = ", ".join(f"'{fmt.clip(str(v), 20)}'" for v in values.iloc[bad[:3]])
        raise DataError(
            f"'{column}' holds text in {rows_text(bad)} ({examples}). A column known ahead must be a number (a planned "
            "price) or a yes/no flag (a promotion); correct those cells or do not mark it as known ahead."
        )
    return numbers


def is_flag(values: pd.Series) -> bool:
    """True for a 0/1 column (after :func:`flag_or_number`)."""
    present = values.dropna()
    return len(present) > 0 and bool(present.isin([0.0, 1.0]).all())
