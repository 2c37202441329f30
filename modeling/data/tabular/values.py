"""How the cells of one column are written, and reading them back as numbers, yes/no or dates.

Spreadsheets and exports write the same number many ways: ``1,200``, ``$1,200``, ``€ 3,50`` (a comma as
the decimal mark in semicolon files), ``12%``, ``(300)`` for minus 300, blanks and ``N/A`` for missing.
:func:`detect_format` looks at a column's text once and returns a :class:`ValueFormat` that says how
to read it; :func:`parse_numbers`, :func:`parse_booleans` and :func:`parse_dates` then read any column
(training or prediction rows) the same way, so a model never sees "1,200" in training and "1200" later.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

ValueKind = Literal["number", "boolean", "datetime", "text"]

#: Cells that mean "no value" in exports and spreadsheets (compared lower-cased and stripped).
MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "n.a.", "nan", "null", "none", "nil", "-", "--", "—", "?", "#n/a", "missing", "(blank)", "nat"}
)
#: Written forms of yes and no (compared lower-cased and stripped).
TRUE_TOKENS = frozenset({"yes", "y", "true", "t", "1", "1.0", "on"})
FALSE_TOKENS = frozenset({"no", "n", "false", "f", "0", "0.0", "off"})
#: Share of a column's non-missing cells that must read as one type for the column to be that type; the
#: rest (a stray "unknown" in a column of ages) is read as missing and counted.
TYPE_SHARE = 0.9
#: Cells looked at to decide a column's format; parsing itself always reads every cell.
FORMAT_SAMPLE = 2000

_CURRENCY_SYMBOLS = "$€£¥₹₩₽₺₪₫₱₦"
_CURRENCY_CODES = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR", "CNY", "SEK", "NOK", "DKK", "PLN", "BRL")
_CODES = "|".join(_CURRENCY_CODES)
_CURRENCY_FOUND = re.compile(rf"([{_CURRENCY_SYMBOLS}]|\b(?:{_CODES})\b)")
_CURRENCY_BEFORE = re.compile(rf"^([+-]?)\s*(?:[{_CURRENCY_SYMBOLS}]|(?:{_CODES})\b)\s*")
_CURRENCY_AFTER = re.compile(rf"\s*(?:[{_CURRENCY_SYMBOLS}]|\b(?:{_CODES}))$")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
#: After currency, spaces and percent signs are gone: optional sign, digits with separators, optional exponent.
_NUMBERISH = re.compile(r"^[+-]?(?:\d[\d.,]*|[.,]\d+)(?:[eE][+-]?\d+)?$")
_COMMA_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_DOT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")

#: Date formats tried, most specific first; day-first and month-first are told apart by the values.
DATE_FORMATS = (
    "ISO8601",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%Y/%m/%d",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b-%Y",
    "%b %Y",
    "%B %Y",
)
_TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S")
_DATE_SHAPE = re.compile(r"\d{1,4}[-/.]\d{1,2}|[A-Za-z]{3,9}[ -]\d|\d{1,2} [A-Za-z]{3,9}")


@dataclass(frozen=True)
class ValueFormat:
    """How one column's cells are written, learned from the training table and reused at prediction time.

    ``kind`` says what the cells become: ``number`` (float), ``boolean`` (1.0 / 0.0), ``datetime``, or
    ``text`` (kept as written). The other fields only matter for their kind. ``percent`` keeps the
    number as written (12% -> 12.0) so the what-if form speaks the user's units.
    """

    kind: ValueKind = "text"
    decimal: str = "."
    thousands: str = ""
    percent: bool = False
    currency: str = ""
    parentheses_negative: bool = False
    true_values: tuple[str, ...] = ()
    false_values: tuple[str, ...] = ()
    date_format: str = ""
    has_time: bool = False
    #: True when the values were already typed (a numeric or datetime column in Excel/Parquet/CSV).
    native: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["true_values"] = list(self.true_values)
        data["false_values"] = list(self.false_values)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValueFormat:
        values = dict(data)
        values["true_values"] = tuple(values.get("true_values", ()))
        values["false_values"] = tuple(values.get("false_values", ()))
        return cls(**values)

    def describe(self) -> str:
        """A few words for the column table: 'numbers written as text ($1,200)'."""
        if self.kind == "number" and not self.native:
            marks = [self.currency] if self.currency else []
            if self.percent:
                marks.append("%")
            if self.decimal == ",":
                marks.append("decimal comma")
            elif self.thousands:
                marks.append("thousands separators")
            if self.parentheses_negative:
                marks.append("(negatives)")
            return "numbers written as text" + (f" ({', '.join(marks)})" if marks else "")
        if self.kind == "datetime" and self.date_format and not self.native:
            return f"dates written {_format_words(self.date_format)}" + (" with times" if self.has_time else "")
        return ""


def _format_words(date_format: str) -> str:
    if date_format == "ISO8601":
        return "year-month-day"
    words = {"%d": "day", "%m": "month", "%Y": "year", "%y": "year", "%b": "month", "%B": "month"}
    parts = [words[p] for p in re.findall(r"%[dmYybB]", date_format)]
    return "-".join(parts) if parts else date_format


# ---- missing cells --------------------------------------------------------------------------------------------
def is_texty(series: pd.Series) -> bool:
    """Text columns: pandas 3's Arrow ``str`` as well as ``object`` (never compare ``dtype == object``)."""
    return bool(pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series))


def missing_mask(series: pd.Series) -> np.ndarray:
    """True where a cell holds no value: NaN/None, blank text, or a placeholder such as N/A, null or '-'."""
    mask = np.array(series.isna(), dtype=bool)
    if is_texty(series):
        lowered = series.astype("str").str.strip().str.lower()
        mask |= np.asarray(lowered.isin(MISSING_TOKENS).fillna(True), dtype=bool)
    return mask


def present_text(series: pd.Series) -> pd.Series:
    """The non-missing cells of a column as stripped strings (index kept)."""
    keep = ~missing_mask(series)
    return series[keep].astype("str").str.strip()


def format_sample(values: pd.Series, size: int = FORMAT_SAMPLE) -> pd.Series:
    """At most ``size`` distinct values (the most frequent), each with its count as the Series' values.

    Detection reads the index (the written values) and weighs each by its count, so a column that is
    half numbers and half one repeated word is not taken for numbers.
    """
    counts = values.value_counts(sort=True).head(size)
    return pd.Series(counts.to_numpy(dtype=np.float64), index=counts.index.astype(str))


def _values_and_weights(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Plain values weigh 1 each; a :func:`format_sample` result gives its values with their counts."""
    if pd.api.types.is_float_dtype(values) and not values.empty and isinstance(values.index[0], str):
        return pd.Series(values.index, dtype="str"), values.to_numpy(dtype=np.float64)
    return values.astype("str").reset_index(drop=True), np.ones(len(values))


# ---- numbers --------------------------------------------------------------------------------------------------
def _strip_number(values: pd.Series) -> tuple[pd.Series, dict[str, Any]]:
    """Remove currency marks, spaces and percent signs; remember what was seen."""
    seen: dict[str, Any] = {}
    text = values.astype("str").str.strip()
    found = text.str.extract(_CURRENCY_FOUND)[0].dropna()
    if not found.empty:
        seen["currency"] = str(found.mode().iloc[0])
        # "-$5", "$-5", "€ 3,50" and "100 USD" all keep their sign and lose the currency.
        text = text.str.replace(_CURRENCY_BEFORE, r"\1", regex=True).str.replace(_CURRENCY_AFTER, "", regex=True)
        text = text.str.strip()
    if text.str.endswith("%").any():
        seen["percent"] = True
        text = text.str.removesuffix("%").str.strip()
    parens = text.str.match(r"^\(.*\)$")
    if parens.any():
        seen["parentheses_negative"] = True
        text = text.where(~parens, "-" + text.str.slice(1, -1).str.strip())
    text = text.str.replace(_SPACES, "", regex=True)
    return text, seen


def _separators(cleaned: pd.Series) -> tuple[str, str]:
    """(decimal mark, thousands separator) that reads the most values, from how commas and dots are used."""
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


def to_floats(cleaned: pd.Series, decimal: str, thousands: str) -> np.ndarray:
    """Cleaned number text -> float64 (NaN where it does not read)."""
    text = cleaned
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def detect_number_format(values: pd.Series) -> tuple[ValueFormat | None, float]:
    """A number format for text values and the share of them it reads; None when they are not numbers."""
    if values.empty:
        return None, 0.0
    values, weights = _values_and_weights(values)
    cleaned, seen = _strip_number(values)
    shaped = cleaned.str.match(_NUMBERISH).to_numpy(dtype=bool)
    if np.average(shaped, weights=weights) < TYPE_SHARE:
        return None, float(np.average(shaped, weights=weights))
    decimal, thousands = _separators(cleaned[shaped])
    parsed = to_floats(cleaned, decimal, thousands)
    share = float(np.average(np.isfinite(parsed), weights=weights))
    if share < TYPE_SHARE:
        return None, share
    fmt = ValueFormat(
        kind="number",
        decimal=decimal,
        thousands=thousands,
        percent=bool(seen.get("percent")),
        currency=str(seen.get("currency", "")),
        parentheses_negative=bool(seen.get("parentheses_negative")),
    )
    return fmt, share


def parse_numbers(series: pd.Series, fmt: ValueFormat) -> tuple[np.ndarray, np.ndarray]:
    """(values as float64 with NaN for missing, mask of cells that held something unreadable).

    Infinite values count as unreadable: no model can learn from them and most metrics break on them.
    """
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        # The common case in wide tables, in three passes over the column.
        values = np.array(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
        bad = np.isinf(values)
        values[bad] = np.nan
        return values, bad
    missing = missing_mask(series)
    cleaned, _ = _strip_number(series.astype("str").where(~pd.Series(missing, index=series.index), "0"))
    values = np.array(to_floats(cleaned, fmt.decimal, fmt.thousands), dtype=np.float64)
    failed = ~missing & ~np.isfinite(values)
    if failed.any():
        # Written another way than in training ("1,200" where training had 1200): read those cells by their
        # own format, so a batch exported from another tool is not half missing.
        retry, _ = _strip_number(series[failed].astype("str"))
        shaped = retry.str.match(_NUMBERISH).to_numpy(dtype=bool)
        if shaped.any():
            decimal, thousands = _separators(retry[shaped])
            values[failed] = to_floats(retry, decimal, thousands)
    values = np.where(missing, np.nan, values)
    bad = ~missing & ~np.isfinite(values)
    values = np.where(bad, np.nan, values)
    return values, bad


# ---- yes / no -------------------------------------------------------------------------------------------------
def detect_boolean_format(values: pd.Series) -> ValueFormat | None:
    """Yes/no columns written yes/no, true/false, y/n or 1/0 (any case), with both answers present."""
    lowered = _values_and_weights(values)[0].str.strip().str.lower()
    uniques = set(lowered.unique().tolist())
    if not uniques or len(uniques) > 4 or not uniques <= (TRUE_TOKENS | FALSE_TOKENS):
        return None
    trues, falses = uniques & TRUE_TOKENS, uniques & FALSE_TOKENS
    if not trues or not falses:
        return None
    return ValueFormat(kind="boolean", true_values=tuple(sorted(trues)), false_values=tuple(sorted(falses)))


def parse_booleans(series: pd.Series, fmt: ValueFormat) -> tuple[np.ndarray, np.ndarray]:
    """(1.0 for yes, 0.0 for no, NaN for missing; mask of cells that are neither)."""
    missing = missing_mask(series)
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        values = np.where(missing, np.nan, values)
        bad = ~missing & ~np.isin(values, (0.0, 1.0))
        return np.where(bad, np.nan, values), bad
    lowered = series.astype("str").str.strip().str.lower()
    trues = set(fmt.true_values) or TRUE_TOKENS
    falses = set(fmt.false_values) or FALSE_TOKENS
    is_true = np.asarray(lowered.isin(trues).fillna(False), dtype=bool)
    is_false = np.asarray(lowered.isin(falses).fillna(False), dtype=bool)
    values = np.where(is_true, 1.0, np.where(is_false, 0.0, np.nan))
    bad = ~missing & ~is_true & ~is_false
    return values, bad


# ---- dates ----------------------------------------------------------------------------------------------------
def _to_datetime(values: pd.Series, date_format: str) -> pd.Series:
    try:
        parsed = pd.to_datetime(values, format=date_format, errors="coerce")
    except (ValueError, TypeError, OverflowError):
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed


def detect_date_format(values: pd.Series) -> tuple[ValueFormat | None, str]:
    """A date format that reads at least 90% of the values, and a note when day and month are ambiguous."""
    if values.empty:
        return None, ""
    values, weights = _values_and_weights(values)
    if np.average(values.str.match(_DATE_SHAPE).to_numpy(dtype=bool), weights=weights) < TYPE_SHARE:
        return None, ""
    best: tuple[float, str] = (0.0, "")
    scores: dict[str, float] = {}
    for base in DATE_FORMATS:
        for suffix in _TIME_SUFFIXES if base != "ISO8601" else ("",):
            candidate = base + suffix
            share = float(np.average(_to_datetime(values, candidate).notna().to_numpy(dtype=bool), weights=weights))
            scores[candidate] = share
            if share > best[0] + 1e-9:
                best = (share, candidate)
    share, chosen = best
    if share < TYPE_SHARE:
        return None, ""
    note = ""
    swapped = chosen.replace("%d", "%D").replace("%m", "%d").replace("%D", "%m")
    if swapped != chosen and scores.get(swapped, 0.0) >= share - 1e-9:
        day_first = chosen.index("%d") < chosen.index("%m")
        # Every value reads both ways (all days are 12 or less): prefer day/month/year, and say so.
        if not day_first:
            chosen = swapped
        note = (
            "its dates read both as day/month and month/day (every day is 12 or less), so they were read as "
            "day/month/year"
        )
    parsed = _to_datetime(values, chosen)
    valid = parsed.dropna()
    has_time = bool(((valid.dt.hour != 0) | (valid.dt.minute != 0)).any())
    return ValueFormat(kind="datetime", date_format=chosen, has_time=has_time), note


def parse_dates(series: pd.Series, fmt: ValueFormat) -> tuple[pd.Series, np.ndarray]:
    """(datetimes with NaT for missing, mask of cells that are not dates in the column's format)."""
    missing = missing_mask(series)
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    else:
        text = series.astype("str").str.strip()
        parsed = _to_datetime(text, fmt.date_format or "ISO8601")
        failed = parsed.isna() & ~pd.Series(missing, index=series.index)
        if failed.any() and fmt.date_format != "ISO8601":
            # A date picker or a typical row gives year-month-day whatever the training file's format was.
            parsed = parsed.where(~failed, _to_datetime(text[failed], "ISO8601"))
    parsed = parsed.where(~pd.Series(missing, index=series.index))
    bad = ~missing & np.asarray(parsed.isna(), dtype=bool)
    return parsed, bad


# ---- writing a value back -----------------------------------------------------------------------------------
def show_value(value: Any, fmt: ValueFormat, example: str = "") -> str:
    """A prepared cell (a float, 1.0 for yes) written the way the column writes it: ``yes``, ``$1,200``, ``12%``.

    Reports quote table rows to people, who wrote ``Yes`` and ``No``, not ``1.0`` and ``0.0``. ``example`` is
    one cell as written (``ColumnInfo.example``): a yes/no column answers in its case (``Yes`` / ``YES``), a
    native one as ``True`` / ``False`` or ``1`` / ``0``. Missing values are ``""``; text is returned as is.
    """
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or value is pd.NA:
        return ""
    if fmt.kind == "boolean":
        return _show_boolean(float(value) >= 0.5, fmt, example)
    if fmt.kind != "number" or not isinstance(value, int | float | np.number):
        return str(value)
    number = float(value)
    text = f"{number:,.0f}" if number.is_integer() or (fmt.currency and abs(number) >= 100) else f"{number:,.6g}"
    if not fmt.thousands and not fmt.currency:
        text = text.replace(",", "")
    if fmt.decimal == ",":
        text = text.translate(str.maketrans({",": fmt.thousands or ".", ".": ","}))
    if fmt.percent:
        text += "%"
    if fmt.currency:
        sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
        text = f"{sign}{fmt.currency}{text}" if len(fmt.currency) == 1 else f"{sign}{text} {fmt.currency}"
    return text


def _show_boolean(yes: bool, fmt: ValueFormat, example: str) -> str:
    written = example.strip()
    if fmt.native or not (fmt.true_values and fmt.false_values):
        if written.lower() in ("true", "false"):
            word = "True" if yes else "False"
            return word.upper() if written.isupper() else word
        return "1" if yes else "0"
    tokens = fmt.true_values if yes else fmt.false_values
    # The spelling the example uses ("Yes" -> "yes"/"no" in its case), else the longest ("yes" over "y").
    word = max(tokens, key=len)
    if written.isupper() and len(written) > 1:
        return word.upper()
    return word.capitalize() if written[:1].isupper() else word
