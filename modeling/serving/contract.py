"""The REST contract: JSON rows in the run's own column names in, the answer columns of ``score_frame`` out.

A request body is ``{"rows": [{...}, ...]}`` (a bare list of rows, or MLflow's ``{"dataframe_records": ...}``,
is read the same way). Every row is an object holding each column of the run's
:meth:`~modeling.runs.protocol.Predictor.input_schema` (``null`` where the column allows a blank); each cell is
checked against the column's type before anything is scored, and a refusal is a :class:`RequestProblem`: the
HTTP status and a sentence naming the row, the column and what was wrong. Columns the model does not read are
ignored, and the answer says which.

The answer is one object per row with the answer columns :meth:`score_frame` added, whatever they are (the
label and its probabilities or the 80/90% range, ``needs_review`` from the saved decision rule, a table row's
``reason_1..3``): nothing here knows what a kind of data answers. NaN becomes ``null``. No web framework is
imported, so the app's Serve box and the tests call :meth:`ServedRun.answer` directly.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.errors import DataError
from modeling.runs.protocol import InputColumn, Predictor

#: Keys a request may hold its rows under (``dataframe_records`` is what MLflow's scoring server reads).
ROW_KEYS = ("rows", "dataframe_records")
#: What each column type accepts in JSON (besides ``null`` where the column allows a blank), in words.
EXPECTED = {
    "text": "text",
    "image": "a PNG or JPEG picture as base64 text",
    "number": 'a number (or a number as text, such as "1,200")',
    "category": "a value as text or a number",
    "yes/no": "true/false, or yes/no as text",
    "date": 'a date as text, such as "2024-05-31"',
}


class RequestProblem(DataError):
    """A request the server refuses: an HTTP status and a sentence, with the row (1-based) and column it is about."""

    def __init__(self, message: str, status: int = 422, *, column: str | None = None, row: int | None = None):
        super().__init__(message)
        self.status, self.column, self.row = status, column, row

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": str(self)}
        if self.column is not None:
            out["column"] = self.column
        if self.row is not None:
            out["row"] = self.row
        return out


# ---- reading a request ---------------------------------------------------------------------------------------------
def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value; send null for a blank")


def read_json(body: bytes) -> Any:
    """The body as JSON, or a 400 that says where it stops being JSON (NaN and Infinity are not JSON)."""
    if not body.strip():
        raise RequestProblem('The request has no body; send the rows as JSON: {"rows": [{...}]}.', 400)
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise RequestProblem("The request body is not UTF-8 text; send JSON encoded as UTF-8.", 400) from None
    except json.JSONDecodeError as exc:
        raise RequestProblem(
            f"The request body is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).", 400
        ) from None
    except ValueError as exc:
        raise RequestProblem(f"The request body is not valid JSON: {exc}.", 400) from None
    except RecursionError:
        raise RequestProblem("The request body nests JSON too deeply to be rows of values.", 400) from None


def rows_of(payload: Any, max_rows: int) -> list[Any]:
    """The list of rows a payload holds: ``{"rows": [...]}``, ``{"dataframe_records": [...]}`` or ``[...]``."""
    if isinstance(payload, dict):
        keys = [k for k in ROW_KEYS if k in payload]
        others = [str(k) for k in payload if k not in ROW_KEYS]
        if len(keys) != 1 or others:
            extra = f" (it has {', '.join(repr(fmt.clip(k, 30)) for k in others[:5])})" if others else ""
            raise RequestProblem(f'Send the rows as {{"rows": [{{...}}, ...]}}: one key, "rows"{extra}.')
        payload = payload[keys[0]]
    if not isinstance(payload, list):
        raise RequestProblem('The rows must be a JSON list of objects: {"rows": [{"column": value, ...}]}.')
    if not payload:
        raise RequestProblem("The request holds no rows; send at least one.")
    if len(payload) > max_rows:
        raise RequestProblem(
            f"The request holds {fmt.plural(len(payload), 'row')}; this server takes at most {fmt.count(max_rows)} "
            "per request (MODELDECK_SERVE_MAX_ROWS). Send them in several requests.",
            413,
        )
    return payload


def _what(value: Any) -> str:
    """What a JSON value is, in words, for 'expected X, got Y'."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value:g}" if isinstance(value, float) else f"the number {value}"
    if isinstance(value, str):
        return f"the text '{fmt.clip(value, 30)}'"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


def cell_problem(value: Any, column: InputColumn) -> str | None:
    """Why ``value`` cannot be a cell of ``column`` (``None`` when it can)."""
    if value is None:
        return "is empty (null), but the model needs a value here" if column.required else None
    if isinstance(value, list | dict):
        return f"holds {_what(value)}; send one value"
    kind = column.type
    if kind in ("text", "image", "date"):
        fits = isinstance(value, str)
    elif kind == "number":
        if isinstance(value, float) and not math.isfinite(value):  # 1e999 parses as infinity
            return "is not a finite number"
        fits = not isinstance(value, bool) and (
            isinstance(value, int | float) or (isinstance(value, str) and (not value.strip() or _has_digit(value)))
        )
    else:  # category, yes/no, and any type a later kind adds: one scalar value
        fits = True
    if fits:
        return None
    return f"expected {EXPECTED.get(kind, kind)}, got {_what(value)}"


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def check_rows(rows: Sequence[Any], schema: Sequence[InputColumn]) -> list[str]:
    """Refuse the first row that is not an object, lacks a column or has a cell of the wrong type; return the
    columns the rows hold that the model does not read (they are ignored)."""
    names = [c.name for c in schema]
    known = set(names)
    extra: dict[str, None] = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise RequestProblem(
                f'Row {number} is {_what(row)}, not an object of column values such as {{"{names[0]}": ...}}.',
                row=number,
            )
        for column in schema:
            if column.name not in row:
                raise RequestProblem(_missing(column, row, number), column=column.name, row=number)
            problem = cell_problem(row[column.name], column)
            if problem:
                raise RequestProblem(
                    f"Row {number}, column '{fmt.clip(column.name, 40)}': {problem}.", column=column.name, row=number
                )
        for key in row:
            if key not in known and key not in extra and len(extra) < 50:
                extra[str(key)] = None
    return list(extra)


def _missing(column: InputColumn, row: dict[str, Any], number: int) -> str:
    """'Row 1 has no column 'city' (a category; example: 'Paris'). Did you mean 'City'?'"""
    shown = column.example is not None and column.type != "image"
    example = f"; example: {json.dumps(column.example)}" if shown else ""
    blank = " Send null where the value is unknown." if not column.required else ""
    near = [str(k) for k in row if str(k).replace(" ", "").lower() == column.name.replace(" ", "").lower()]
    hint = f" Did you mean '{fmt.clip(near[0], 40)}'? Names must match exactly." if near else ""
    return (
        f"Row {number} has no column '{fmt.clip(column.name, 40)}' ({EXPECTED.get(column.type, column.type)}"
        f"{fmt.clip(example, 60)}).{blank}{hint}"
    )


def frame_of(rows: Sequence[dict[str, Any]], schema: Sequence[InputColumn]) -> pd.DataFrame:
    """The checked rows as the table ``score_frame`` reads: the schema's columns only, in its order."""
    names = [c.name for c in schema]
    return pd.DataFrame({name: [row[name] for row in rows] for name in names}, columns=names)


# ---- writing the answer ----------------------------------------------------------------------------------------------
def jsonable(values: pd.Series) -> list[Any]:
    """A column as JSON values: NaN and NaT -> null, NumPy scalars -> numbers and booleans, times -> ISO text.

    Column by column and mostly in NumPy, so a 1,000-row answer costs a few milliseconds. A float32 column is
    written as float32 prints it (0.6158, not 0.6158000230789185): the same number, as the page shows it.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return [None if pd.isna(v) else v.isoformat() for v in values]
    if pd.api.types.is_float_dtype(values.dtype):
        raw = values.to_numpy()
        numbers = raw.astype(str).astype(np.float64) if raw.dtype == np.float32 else raw.astype(np.float64)
        out = numbers.tolist()
        return out if np.isfinite(numbers).all() else [v if math.isfinite(v) else None for v in out]
    plain = pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype)
    if plain and not values.hasnans:
        return values.to_numpy().tolist()
    out = values.astype(object).where(values.notna(), None).tolist()
    return [_plain(v) for v in out]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def answer_rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """One object per row of ``frame`` with ``columns`` (in order)."""
    values = {name: jsonable(frame[name]) for name in columns}
    return [dict(zip(columns, cells, strict=True)) for cells in zip(*values.values(), strict=True)] if columns else []


# ---- one served run --------------------------------------------------------------------------------------------------
@dataclass
class ServedRun:
    """A loaded run behind the REST contract: its name in the URL, its predictor and the columns it reads."""

    name: str
    predictor: Predictor
    title: str = ""
    schema: list[InputColumn] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.schema:
            self.schema = list(self.predictor.input_schema())

    @property
    def task(self) -> str:
        return self.predictor.task

    def answer(self, body: bytes, max_rows: int) -> dict[str, Any]:
        """The JSON answer to a request body (a :class:`RequestProblem` or another ``DataError`` when refused)."""
        return self.answer_rows(rows_of(read_json(body), max_rows))

    def answer_rows(self, rows: Sequence[Any]) -> dict[str, Any]:
        """Check ``rows`` against the schema, score them and return the answer object."""
        ignored = check_rows(rows, self.schema)
        batch = self.predictor.score_frame(frame_of(rows, self.schema))
        frame = batch.frame.reset_index(drop=True)
        pictures = {c.name for c in self.schema if c.type == "image"}
        columns = [c for c in batch.answer_columns if c in frame.columns]
        if len(frame) != len(rows):  # answers per series or date, not per row: their keys come back too
            columns = [c for c in frame.columns if c not in pictures]
        elif not columns:  # a predictor that does not list its answer columns: whatever it added
            columns = [c for c in frame.columns if c not in self.names]
        notes = list(batch.notes)
        if ignored:
            names = ", ".join(fmt.clip(c, 30) for c in ignored[:8])
            notes.append(f"Columns the model does not read were ignored: {names}.")
        out: dict[str, Any] = {"run": self.name, "task": self.task, "answers": answer_rows(frame, columns)}
        out["notes"] = notes
        out["ignored_columns"] = ignored
        drift = getattr(batch, "drift", None)
        if isinstance(drift, dict) and drift.get("summary"):  # written for a page in Markdown: plain text here
            out["drift"] = re.sub(r"\\(.)", r"\1", str(drift["summary"]))
        return out

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.schema]

    def example_rows(self) -> list[dict[str, Any]]:
        """One row built from the schema's examples (a placeholder text where a column has none)."""
        return [{c.name: _example_value(c) for c in self.schema}]

    def schema_dict(self) -> dict[str, Any]:
        """What ``GET /schema`` answers: the run, its columns with types and examples, and an example request."""
        return {
            "run": self.name,
            "title": self.title,
            "task": self.task,
            "classes": list(self.predictor.class_names),
            "columns": [c.to_dict() for c in self.schema],
            "example": {"rows": self.example_rows()},
            "extra_columns": "ignored (the answer lists them under ignored_columns)",
        }


def _example_value(column: InputColumn) -> Any:
    if column.example is not None:
        return column.example
    return {"text": "Your text here", "number": 0}.get(column.type)


def json_schema(column: InputColumn) -> dict[str, Any]:
    """The JSON Schema of one cell of ``column`` (for the OpenAPI page)."""
    types = {
        "text": ["string"],
        "image": ["string"],
        "number": ["number", "string"],
        "category": ["string", "number", "boolean"],
        "yes/no": ["boolean", "string", "number"],
        "date": ["string"],
    }.get(column.type, ["string", "number", "boolean"])
    if not column.required:
        types = [*types, "null"]
    out: dict[str, Any] = {"type": types if len(types) > 1 else types[0]}
    out["description"] = column.description or EXPECTED.get(column.type, column.type)
    if column.type == "image":
        out["contentEncoding"] = "base64"
    return out


def request_schema(served: ServedRun) -> dict[str, Any]:
    """The JSON Schema of a request to ``served`` (its columns, every one present in each row)."""
    row = {
        "type": "object",
        "properties": {c.name: json_schema(c) for c in served.schema},
        "required": served.names,
        "additionalProperties": True,
    }
    return {
        "type": "object",
        "properties": {"rows": {"type": "array", "items": row, "minItems": 1}},
        "required": ["rows"],
    }
