"""Raw table rows -> the numbers the exported model reads, exactly as ModelDeck read them in training.

ModelDeck learned, from the table the model was trained on, how each column is written and what it
holds; that is saved beside this file:

* ``preparation.json``: the columns the model uses and how their cells are written (``$1,200``, ``12%``,
  ``(300)`` for minus 300, a decimal comma, yes/no in any of its spellings, dates such as ``31/12/2024``),
  the categories seen (the 200 most frequent; any other value becomes ``"(other)"``), and the date each
  "days since" counts from;
* ``encoder.json``: what the model's inputs were made of on the training rows: for trees, each category's
  number (blank, rare or never-seen categories are blanks, which the trees handle); for the linear model and
  the neural network, each number's mean, spread and median (blanks become the median plus a "was blank"
  column) and the categories that got a 0/1 column of their own.

:func:`model_inputs` reads a pandas DataFrame of raw rows (as :func:`read_table` gives it from a CSV) and
returns ``{"codes": ..., "dense": ...}`` plus what it had to handle (blank cells, categories never seen
in training, cells that are not readable, columns the model does not use). A column the model needs but
the table lacks stops it with the column's name. Dates become year, month, weekday (0 = Monday), day,
hour (when the training dates had times) and days since the earliest training date.

Needs Python 3.10+, NumPy and pandas. ModelDeck checked this file against its own preparation on every
row of the run's test split before it offered the export.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

OTHER = "(other)"
MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "n.a.", "nan", "null", "none", "nil", "-", "--", "—", "?", "#n/a", "missing", "(blank)", "nat"}
)
TRUE_TOKENS = frozenset({"yes", "y", "true", "t", "1", "1.0", "on"})
FALSE_TOKENS = frozenset({"no", "n", "false", "f", "0", "0.0", "off"})
_SYMBOLS = "$€£¥₹₩₽₺₪₫₱₦"
_CODES = "USD|EUR|GBP|JPY|CHF|CAD|AUD|INR|CNY|SEK|NOK|DKK|PLN|BRL"
_CURRENCY_FOUND = re.compile(rf"([{_SYMBOLS}]|\b(?:{_CODES})\b)")
_CURRENCY_BEFORE = re.compile(rf"^([+-]?)\s*(?:[{_SYMBOLS}]|(?:{_CODES})\b)\s*")
_CURRENCY_AFTER = re.compile(rf"\s*(?:[{_SYMBOLS}]|\b(?:{_CODES}))$")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_NUMBERISH = re.compile(r"^[+-]?(?:\d[\d.,]*|[.,]\d+)(?:[eE][+-]?\d+)?$")
_COMMA_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_DOT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
DATE_PARTS = ("year", "month", "weekday", "day", "hour", "days_since")


# ---- reading a file ------------------------------------------------------------------------------------------
def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV/TSV file as ModelDeck reads it: UTF-8 (else Windows-1252), the delimiter sniffed, numbers
    written with thousands separators ("1,234") read as numbers, column names stripped."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:20000]
    header = next(iter(sample.splitlines()), "")
    delimiter = "\t" if Path(path).suffix.lower() in (".tsv", ".tab") else ","
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        if len(next(csv.reader([header], delimiter=sniffed), [])) > 1:
            delimiter = sniffed
    except csv.Error:
        counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        delimiter = best if counts[best] > 1 else delimiter
    df = pd.read_csv(io.StringIO(text), sep=delimiter, index_col=False, skipinitialspace=False)
    df.columns = [str(c).strip() for c in df.columns]
    if delimiter != ";":
        for column in df.columns:
            series = df[column]
            if not _texty(series):
                continue
            values = series.dropna().astype(str).str.strip()
            values = values[values != ""]
            thousands = values.str.match(_COMMA_THOUSANDS)
            if values.empty or not thousands.any() or not bool((thousands | values.str.match(_PLAIN_NUMBER)).all()):
                continue
            cleaned = series.astype(str).str.strip().str.replace(",", "", regex=False)
            df[column] = pd.to_numeric(cleaned.where(series.notna() & (cleaned != "")), errors="coerce")
    return df


# ---- cells ---------------------------------------------------------------------------------------------------
def _texty(series: pd.Series) -> bool:
    return bool(pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series))


def missing_mask(series: pd.Series) -> np.ndarray:
    """True where a cell holds no value: empty, blank, or a placeholder such as N/A, null or '-'."""
    mask = np.array(series.isna(), dtype=bool)
    if _texty(series):
        lowered = series.astype("str").str.strip().str.lower()
        mask |= np.asarray(lowered.isin(MISSING_TOKENS).fillna(True), dtype=bool)
    return mask


def _strip_number(values: pd.Series) -> pd.Series:
    """Remove currency marks, spaces and percent signs; "(300)" becomes "-300"."""
    text = values.astype("str").str.strip()
    if not text.str.extract(_CURRENCY_FOUND)[0].dropna().empty:
        text = text.str.replace(_CURRENCY_BEFORE, r"\1", regex=True).str.replace(_CURRENCY_AFTER, "", regex=True)
        text = text.str.strip()
    if text.str.endswith("%").any():
        text = text.str.removesuffix("%").str.strip()
    parens = text.str.match(r"^\(.*\)$")
    if parens.any():
        text = text.where(~parens, "-" + text.str.slice(1, -1).str.strip())
    return text.str.replace(_SPACES, "", regex=True)


def _separators(cleaned: pd.Series) -> tuple[str, str]:
    """(decimal mark, thousands separator) that reads the most values."""
    has_comma = cleaned.str.contains(",", regex=False)
    has_dot = cleaned.str.contains(".", regex=False)
    both = cleaned[has_comma & has_dot]
    if not both.empty:
        comma_last = (both.str.rfind(",") > both.str.rfind(".")).mean()
        return (",", ".") if comma_last > 0.5 else (".", ",")
    commas = cleaned[has_comma]
    if commas.empty:
        dots = cleaned[has_dot]
        if not dots.empty and dots.str.match(_DOT_THOUSANDS).all() and dots.str.count(r"\.").gt(1).any():
            return ",", "."
        return ".", ""
    if commas.str.match(_COMMA_THOUSANDS).all():
        return ".", ","
    return ",", ""


def _to_floats(cleaned: pd.Series, decimal: str, thousands: str) -> np.ndarray:
    text = cleaned
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def parse_numbers(series: pd.Series, fmt: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values with NaN for blanks, mask of cells that held something unreadable)."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = np.array(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
        bad = np.isinf(values)
        values[bad] = np.nan
        return values, bad
    missing = missing_mask(series)
    cleaned = _strip_number(series.astype("str").where(~pd.Series(missing, index=series.index), "0"))
    values = np.array(_to_floats(cleaned, fmt.get("decimal", "."), fmt.get("thousands", "")), dtype=np.float64)
    failed = ~missing & ~np.isfinite(values)
    if failed.any():  # written another way than in training ("1,200" where training had 1200)
        retry = _strip_number(series[failed].astype("str"))
        shaped = retry.str.match(_NUMBERISH).to_numpy(dtype=bool)
        if shaped.any():
            decimal, thousands = _separators(retry[shaped])
            values[failed] = _to_floats(retry, decimal, thousands)
    values = np.where(missing, np.nan, values)
    bad = ~missing & ~np.isfinite(values)
    return np.where(bad, np.nan, values), bad


def parse_booleans(series: pd.Series, fmt: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(1.0 for yes, 0.0 for no, NaN for blanks; mask of cells that are neither)."""
    missing = missing_mask(series)
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        values = np.where(missing, np.nan, values)
        bad = ~missing & ~np.isin(values, (0.0, 1.0))
        return np.where(bad, np.nan, values), bad
    lowered = series.astype("str").str.strip().str.lower()
    is_true = np.asarray(lowered.isin(set(fmt.get("true_values") or ()) or TRUE_TOKENS).fillna(False), dtype=bool)
    is_false = np.asarray(lowered.isin(set(fmt.get("false_values") or ()) or FALSE_TOKENS).fillna(False), dtype=bool)
    values = np.where(is_true, 1.0, np.where(is_false, 0.0, np.nan))
    return values, ~missing & ~is_true & ~is_false


def _to_datetime(values: pd.Series, date_format: str) -> pd.Series:
    try:
        parsed = pd.to_datetime(values, format=date_format, errors="coerce")
    except (ValueError, TypeError, OverflowError):
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed


def parse_dates(series: pd.Series, fmt: dict[str, Any]) -> tuple[pd.Series, np.ndarray]:
    """(datetimes with NaT for blanks, mask of cells that are not dates); year-month-day is always read too."""
    missing = missing_mask(series)
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    else:
        text = series.astype("str").str.strip()
        parsed = _to_datetime(text, fmt.get("date_format") or "ISO8601")
        failed = parsed.isna() & ~pd.Series(missing, index=series.index)
        if failed.any() and fmt.get("date_format") != "ISO8601":
            parsed = parsed.where(~failed, _to_datetime(text[failed], "ISO8601"))
    parsed = parsed.where(~pd.Series(missing, index=series.index))
    return parsed, ~missing & np.asarray(parsed.isna(), dtype=bool)


def _category_text(series: pd.Series) -> pd.Series:
    """Category values as stripped strings (3.0 -> "3"), blanks missing."""
    missing = missing_mask(series)
    if pd.api.types.is_float_dtype(series):
        plain = [str(int(v)) if np.isfinite(v) and float(v).is_integer() else str(v) for v in series.to_numpy(float)]
        text = pd.Series(plain, dtype="str")
    else:
        text = series.astype("str").str.strip().reset_index(drop=True)
    return text.where(~pd.Series(missing))


# ---- the preparation -----------------------------------------------------------------------------------------
class Preparation:
    """``preparation.json`` applied to raw rows: the typed feature frame (numbers, yes/no, date parts, categories)."""

    def __init__(self, saved: dict[str, Any]) -> None:
        self.columns = saved["columns"]
        self.target_column = saved.get("target_column")
        self.categories = saved.get("categories", {})
        self.date_reference = saved.get("date_reference", {})
        self.features = saved["features"]

    @property
    def input_columns(self) -> list[str]:
        return [c["name"] for c in self.columns]

    def prepare(self, df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
        """(the feature frame, counts of what was handled: blanks, unseen, unreadable, extra_columns, renamed)."""
        table, renamed = self._match_columns(df)
        report: dict[str, Any] = {"blanks": {}, "unseen": {}, "unreadable": {}, "renamed": renamed}
        known = set(self.input_columns) | {self.target_column}  # columns left out in training are listed too
        report["extra_columns"] = [str(c) for c in table.columns if str(c) not in known]
        data: dict[str, Any] = {}
        for info in self.columns:
            name, fmt = info["name"], info["format"]
            kind = "category" if fmt["kind"] == "text" else fmt["kind"]
            series = table[name].reset_index(drop=True)
            native = kind == "number" and pd.api.types.is_numeric_dtype(series)
            blanks = int(series.isna().sum()) if native else int(missing_mask(series).sum())
            if blanks:
                report["blanks"][name] = blanks
            if kind == "category":
                data[name], unseen = self._categories(series, name)
                if unseen:
                    report["unseen"][name] = unseen
                continue
            if kind == "datetime":
                dates, bad = parse_dates(series, fmt)
                data.update(self._date_parts(name, dates))
            else:
                values, bad = (parse_booleans if kind == "boolean" else parse_numbers)(series, fmt)
                data[name] = values
            if bad.any():
                report["unreadable"][name] = int(bad.sum())
        frame = pd.DataFrame(data, index=pd.RangeIndex(len(table)))
        return frame[[f["name"] for f in self.features]], report

    def _match_columns(self, df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
        names = [str(c) for c in df.columns]
        table = df.copy(deep=False)
        table.columns = names
        loose = {_loose(n): n for n in names}
        renamed: dict[str, str] = {}
        missing = []
        for wanted in self.input_columns:
            if wanted in names:
                continue
            found = loose.get(_loose(wanted))
            if found is not None and found not in self.input_columns:
                renamed[found] = wanted
            else:
                missing.append(wanted)
        if missing:
            shown = ", ".join(repr(m) for m in missing[:10])
            raise ValueError(
                f"The table lacks {len(missing)} column(s) the model needs: {shown}. "
                "Add them (blank cells are fine) with the same names as in training."
            )
        return table.rename(columns=renamed), renamed

    def _categories(self, series: pd.Series, name: str) -> tuple[pd.Series, int]:
        text = _category_text(series)
        known = self.categories.get(name, [])
        present = text.notna()
        inside = text.isin(known)
        if (present & ~inside).any():  # 'Basic' where training saw 'basic': the same category
            folded: dict[str, str] = {}
            for value in known:
                folded.setdefault(value.casefold(), value)
            text = text.where(inside | ~present, text.str.casefold().map(folded).fillna(text))
            inside = text.isin(known)
        outside = present & ~inside
        return text.where(~outside, OTHER).astype("str"), int(outside.sum())

    def _date_parts(self, name: str, dates: pd.Series) -> dict[str, np.ndarray]:
        reference = pd.Timestamp(self.date_reference.get(name, "2000-01-01"))
        parts = {}
        for feature in self.features:
            if feature["source"] != name or not feature.get("part"):
                continue
            part = feature["part"]
            if part == "days_since":
                values = (dates - reference) / pd.Timedelta(days=1)
            elif part == "weekday":
                values = dates.dt.day_of_week
            else:
                values = getattr(dates.dt, part)
            parts[feature["name"]] = pd.Series(values).to_numpy(dtype=np.float64, na_value=np.nan)
        return parts


def _loose(name: str) -> str:
    return "".join(name.lower().split()).replace("_", "")


# ---- the encoder ---------------------------------------------------------------------------------------------
def _as_numbers(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        text = column.astype("string").str.strip()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    values = values.copy()
    values[~np.isfinite(values)] = np.nan
    return values


def _as_text(column: pd.Series) -> np.ndarray:
    text = column.astype("string").str.strip()
    return np.asarray(text.where(text.notna() & (text != ""), None).to_numpy(dtype=object, na_value=None))


class Encoder:
    """``encoder.json`` applied to the feature frame: tree codes and the dense matrix."""

    def __init__(self, saved: dict[str, Any]) -> None:
        self.columns = saved["columns"]

    def codes(self, frame: pd.DataFrame) -> np.ndarray:
        """Numbers as they are (blank = NaN); each category as its code in training (unknown = NaN). float64."""
        out = np.empty((len(frame), len(self.columns)), dtype=np.float64)
        for j, c in enumerate(self.columns):
            if c["kind"] == "number":
                out[:, j] = _as_numbers(frame[c["name"]])
            else:
                codes = c.get("tree_codes") or range(len(c["categories"]))  # version 1 files: the index
                lookup = {v: float(code) for v, code in zip(c["categories"], codes, strict=False)}
                out[:, j] = [lookup.get(v, np.nan) if v is not None else np.nan for v in _as_text(frame[c["name"]])]
        return out

    def dense(self, frame: pd.DataFrame) -> np.ndarray:
        """Standardised numbers (blank = median) with a 0/1 "was blank" column, and 0/1 category columns. float32."""
        parts = []
        for c in self.columns:
            column = frame[c["name"]]
            if c["kind"] == "number":
                values = _as_numbers(column)
                blank = np.isnan(values)
                scaled = (np.where(blank, c["median"], values) - c["mean"]) / c["std"]
                parts.append(np.clip(scaled, -50.0, 50.0)[:, None])
                if c.get("has_missing"):
                    parts.append(blank.astype(np.float64)[:, None])
            elif c.get("one_hot"):
                lookup = {v: i for i, v in enumerate(c["categories"][: c["one_hot"]])}
                index = np.asarray([lookup.get(v, -1) if v is not None else -1 for v in _as_text(column)])
                hot = np.zeros((len(frame), c["one_hot"]))
                known = index >= 0
                hot[np.flatnonzero(known), index[known]] = 1.0
                parts.append(hot)
        if not parts:
            return np.zeros((len(frame), 0), dtype=np.float32)
        return np.hstack(parts).astype(np.float32)


# ---- the saved files ----------------------------------------------------------------------------------------
def load(folder: str | Path) -> tuple[Preparation, Encoder]:
    """The saved preparation and encoder of an export folder (read once per folder)."""
    return _load(str(Path(folder).resolve()))


@functools.lru_cache(maxsize=8)
def _load(folder: str) -> tuple[Preparation, Encoder]:
    folder = Path(folder)
    preparation = json.loads((folder / "preparation.json").read_text(encoding="utf-8"))
    encoder = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
    return Preparation(preparation), Encoder(encoder)


def model_inputs(df: pd.DataFrame, folder: str | Path | None = None) -> tuple[dict, dict]:
    """({"codes": float64 N x columns, "dense": float32 N x inputs}, what was handled) for raw rows ``df``.

    ``folder`` holds ``preparation.json`` and ``encoder.json`` (default: this file's folder).
    """
    preparation, encoder = load(folder if folder is not None else Path(__file__).resolve().parent)
    frame, report = preparation.prepare(df)
    return {"codes": encoder.codes(frame), "dense": encoder.dense(frame)}, report
