"""What each column of a business table holds, and whether a model should use it.

:func:`infer_columns` gives one :class:`ColumnInfo` per column: its kind (number, category, yes/no,
date/time, free text, ID or empty), its missing share, distinct values, an example, and a proposed role
with the reason in words. IDs, constant columns, mostly empty columns and free text are left out by
default (a person can switch any of them back on); everything else is used. The facts are frozen and
JSON-friendly, so the Data page shows them in a table and the run folder stores them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.tabular.values import (
    ValueFormat,
    detect_boolean_format,
    detect_date_format,
    detect_number_format,
    format_sample,
    is_texty,
    missing_mask,
    parse_booleans,
    parse_dates,
    parse_numbers,
)

ColumnKind = Literal["number", "category", "boolean", "datetime", "text", "id", "empty"]
Role = Literal["use", "ignore", "target"]

#: How each kind is named on the page.
KIND_LABELS: dict[str, str] = {
    "number": "number",
    "category": "category",
    "boolean": "yes/no",
    "datetime": "date/time",
    "text": "free text",
    "id": "ID",
    "empty": "empty",
}
#: A column missing in at least this share of rows is left out by default.
MOSTLY_EMPTY = 0.95
#: Text whose values average this many characters (and several words) is free text, not a category.
FREE_TEXT_CHARS = 40
#: Cells that average this many words are sentences: free text however often they repeat (a category's values
#: are a word or a short phrase: "Month-to-month", "Bank transfer (automatic)").
SENTENCE_WORDS = 5
#: Rows looked at to infer kinds in very large tables (missing shares always count every row).
INFERENCE_ROWS = 20_000
#: A category with more distinct values than this, most of them seen once, is left out by default.
MANY_CATEGORIES = 1000
#: Names of things counted one per row (a customer, a parcel, an order): unique whole numbers under such a name
#: are that thing's number, not a quantity.
_RECORD_NAME = re.compile(
    r"^(customer|client|user|account|member|parcel|order|ticket|invoice|serial|pid|record|row|case|patient)"
    r"([ _-]?(no|nr|num|number|code))?$"
)
_ID_NAME = re.compile(r"(^|[^a-z])(id|ids|uuid|guid|key|rownames|row_?id|index)$|^id([^a-z]|$)|[a-z]Id$|ID$")


@dataclass(frozen=True)
class ColumnInfo:
    """One column of a table: what it holds and whether the model uses it (``role``), with the reason.

    ``format`` says how its cells are read (:class:`~modeling.data.tabular.values.ValueFormat`); ``notes``
    are sentences about cells that could not be read (counted, never silently dropped).
    """

    name: str
    kind: ColumnKind
    role: Role
    missing_share: float
    distinct: int
    example: str
    reason: str = ""
    format: ValueFormat = field(default_factory=ValueFormat)
    #: Cells that held something that is not of the column's kind (read as missing), and a few of them.
    unreadable: int = 0
    unreadable_examples: tuple[str, ...] = ()

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def used(self) -> bool:
        return self.role == "use"

    def with_role(self, role: Role, reason: str = "") -> ColumnInfo:
        """The same column with another role (a person's choice, or the target)."""
        return replace(self, role=role, reason=reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "role": self.role,
            "missing_share": self.missing_share,
            "distinct": self.distinct,
            "example": self.example,
            "reason": self.reason,
            "format": self.format.to_dict(),
            "unreadable": self.unreadable,
            "unreadable_examples": list(self.unreadable_examples),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnInfo:
        values = dict(data)
        values["format"] = ValueFormat.from_dict(values.get("format") or {})
        values["unreadable_examples"] = tuple(values.get("unreadable_examples", ()))
        return cls(**values)

    def row(self) -> dict[str, Any]:
        """The column as one row of the Data page's column table."""
        return {
            "column": self.name,
            "type": self.kind_label,
            "role": self.role,
            "missing": fmt.share(self.missing_share) if self.missing_share else "0%",
            "distinct": self.distinct,
            "example": self.example,
            "why": self.reason or self.format.describe(),
        }


def columns_table(columns: list[ColumnInfo]) -> pd.DataFrame:
    """All columns as a small DataFrame (one row each), ready for ``st.dataframe`` or ``st.data_editor``."""
    return pd.DataFrame([c.row() for c in columns])


def infer_columns(df: pd.DataFrame, max_rows: int = INFERENCE_ROWS) -> list[ColumnInfo]:
    """One :class:`ColumnInfo` per column, in the table's order.

    Kinds, distinct counts and examples come from at most ``max_rows`` rows (a fixed random sample of
    bigger tables, so 200,000 rows x 2,000 columns stay quick); missing shares count every row.
    """
    sample = df
    if len(df) > max_rows:
        rows = np.sort(np.random.default_rng(0).choice(len(df), size=max_rows, replace=False))
        sample = df.iloc[rows]
    return [infer_column(sample[name], str(name), full=df[name]) for name in df.columns]


def infer_column(series: pd.Series, name: str, full: pd.Series | None = None) -> ColumnInfo:
    """What one column holds, and whether to use it (see :func:`infer_columns`)."""
    full = series if full is None else full
    missing_share = float(missing_mask(full).mean()) if len(full) else 1.0
    missing = missing_mask(series)
    present = series[~missing]
    if present.empty:
        return ColumnInfo(name, "empty", "ignore", 1.0, 0, "", "every cell is empty")
    value_format, note = _value_format(present)
    kind, distinct, example = _kind_of(present, value_format)
    unreadable, examples = _unreadable(series, value_format)
    info = ColumnInfo(
        name=name,
        kind=kind,
        role="use",
        missing_share=missing_share,
        distinct=distinct,
        example=fmt.one_line(example, 40),
        format=value_format,
        unreadable=unreadable,
        unreadable_examples=examples,
    )
    unique = _looks_like_id(name, distinct, len(present))
    if unique and (kind == "category" or (kind == "number" and _number_id(name, present, value_format))):
        info = replace(info, kind="id")
    return replace(info, **_default_role(info, len(present), note))


def _value_format(present: pd.Series) -> tuple[ValueFormat, str]:
    """How the non-missing cells are written, and a note (ambiguous dates)."""
    if pd.api.types.is_bool_dtype(present):
        return ValueFormat(kind="boolean", native=True), ""
    if pd.api.types.is_datetime64_any_dtype(present):
        valid = present.dropna()
        has_time = bool(((valid.dt.hour != 0) | (valid.dt.minute != 0)).any())
        return ValueFormat(kind="datetime", native=True, has_time=has_time), ""
    if pd.api.types.is_numeric_dtype(present):
        values = present.to_numpy(dtype=np.float64)
        finite = values[np.isfinite(values)]
        if len(finite) and np.all((finite == 0.0) | (finite == 1.0)) and 0.0 < finite.mean() < 1.0:
            return ValueFormat(kind="boolean", native=True), ""
        return ValueFormat(kind="number", native=True), ""
    if not is_texty(present):
        return ValueFormat(kind="text"), ""
    values = format_sample(present.astype("str").str.strip())
    boolean = detect_boolean_format(values)
    if boolean is not None:
        return boolean, ""
    number, _ = detect_number_format(values)
    if number is not None:
        return number, ""
    date, note = detect_date_format(values)
    if date is not None:
        return date, note
    return ValueFormat(kind="text"), ""


def _kind_of(present: pd.Series, value_format: ValueFormat) -> tuple[ColumnKind, int, str]:
    """The column's kind, its distinct values and an example, from its non-missing cells.

    Numbers are counted as numbers (1,200 and 1200 are one value); an example is the most common
    category, else the first readable cell as the user wrote it.
    """
    if value_format.kind in ("number", "boolean"):
        parse = parse_numbers if value_format.kind == "number" else parse_booleans
        values, bad = parse(present, value_format)
        finite = values[np.isfinite(values)]
        kind: ColumnKind = "number" if value_format.kind == "number" else "boolean"
        readable = present[~bad]
        if value_format.native and len(finite):
            example = _number_text(float(finite[0])) if kind == "number" else str(readable.iloc[0])
        else:
            example = str(_mode(readable) if kind == "boolean" else readable.iloc[0]) if len(readable) else ""
        return kind, len(pd.unique(finite)), example
    text = present.astype("str").str.strip()
    if value_format.kind == "datetime":
        bad = parse_dates(present, value_format)[1]
        readable = text[~bad]
        return "datetime", int(text.nunique()), str(readable.iloc[0] if len(readable) else text.iloc[0])
    head = text.iloc[:5000]
    mean_chars = float(head.str.len().mean())
    mean_words = float(head.str.count(r"\s+").mean()) + 1.0
    varied = head.nunique() > 0.5 * len(head)
    # Long sentences are text; so are short ones of several words that hardly repeat (one-line reviews,
    # comments): an ID or a category is rarely three words or more. Sentences of five words or more are text
    # even when a handful of them repeat (a review file with few distinct reviews is still reviews).
    if mean_words >= SENTENCE_WORDS or (
        varied
        and (
            (mean_chars >= FREE_TEXT_CHARS and mean_words >= 4)
            or (mean_words >= 3 and head.nunique() > 0.9 * len(head))
        )
    ):
        return "text", int(text.nunique()), str(text.iloc[0])
    return "category", int(text.nunique()), str(_mode(text))


def _mode(values: pd.Series) -> object:
    counts = values.value_counts()
    return counts.index[0] if len(counts) else ""


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:.6g}"


def _unreadable(series: pd.Series, value_format: ValueFormat) -> tuple[int, tuple[str, ...]]:
    """Cells that are not of the column's kind ('unknown' among ages, 'inf'), read as missing: count, examples."""
    if value_format.kind == "number":
        bad = parse_numbers(series, value_format)[1]
    elif value_format.kind == "boolean":
        bad = parse_booleans(series, value_format)[1]
    elif value_format.kind == "datetime":
        bad = parse_dates(series, value_format)[1]
    else:
        return 0, ()
    if not bad.any():
        return 0, ()
    shown = series[bad].astype("str").str.strip().drop_duplicates().head(3)
    return int(bad.sum()), tuple(fmt.one_line(v, 30) for v in shown)


def _looks_like_id(name: str, distinct: int, present: int) -> bool:
    """A different value in (almost) every row, or an ID-like name with mostly different values."""
    if present < 20:
        return False
    unique_share = distinct / present
    return unique_share >= 0.999 or (unique_share >= 0.9 and bool(_ID_NAME.search(name.strip().lower())))


def _number_id(name: str, present: pd.Series, value_format: ValueFormat) -> bool:
    """Unique whole numbers are an ID when they count rows (1, 2, 3, ...), are named like one, or are long codes.

    Unique amounts (prices in a small table) are not: they are whole numbers too, but neither consecutive
    nor all of one length.
    """
    values = parse_numbers(present, value_format)[0]
    values = values[np.isfinite(values)]
    if not len(values) or not np.all(values == np.round(values)):
        return False
    lowered = name.strip().lower()
    if _ID_NAME.search(lowered) or _RECORD_NAME.search(lowered):
        return True
    ordered = np.sort(values)
    if np.all(np.diff(ordered) == 1):
        return True
    in_file_order = parse_numbers(present, value_format)[0]
    in_file_order = in_file_order[np.isfinite(in_file_order)]
    if len(in_file_order) >= 20 and np.all(np.diff(in_file_order) > 0):
        return True  # unique whole numbers rising row after row: row numbers of a larger file (a sample of it)
    digits = np.floor(np.log10(np.maximum(np.abs(values), 1))) + 1
    return bool(digits.min() >= 8)  # codes: parcel, account or phone numbers; amounts this large rarely all differ


def _default_role(info: ColumnInfo, present: int, note: str) -> dict[str, Any]:
    """Use or ignore, with the reason in words (a sentence fragment the page can show as is)."""
    if info.kind == "id":
        return {"role": "ignore", "reason": f"looks like an ID ({fmt.count(info.distinct)} different values)"}
    if info.missing_share >= MOSTLY_EMPTY:
        return {"role": "ignore", "reason": f"empty in {fmt.share(info.missing_share)} of rows"}
    if info.distinct <= 1 and info.missing_share == 0:
        return {"role": "ignore", "reason": f"the same value in every row ('{info.example}')"}
    if info.kind == "text":
        return {
            "role": "ignore",
            "reason": "free text: table models do not read sentences (train a text model on it instead)",
        }
    if info.kind == "category" and info.distinct > MANY_CATEGORIES and info.distinct > 0.5 * present:
        return {
            "role": "ignore",
            "reason": f"{fmt.count(info.distinct)} different values, most seen once: too many to learn from",
        }
    reasons = [note] if note else []
    if info.unreadable:
        shown = ", ".join(f"'{v}'" for v in info.unreadable_examples)
        what = {"number": "numbers", "boolean": "yes/no values", "datetime": "dates"}.get(info.format.kind, "values")
        reasons.append(
            f"{fmt.plural(info.unreadable, 'cell')} not readable as {what} ({shown}) "
            f"{fmt.is_are(info.unreadable)} read as missing"
        )
    return {"role": "use", "reason": "; ".join(reasons)}
