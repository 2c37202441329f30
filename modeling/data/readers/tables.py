"""CSV, TSV, Excel and Parquet bytes -> a pandas DataFrame, with a note for everything that was adjusted.

Text tables are decoded (UTF-8, UTF-16 by BOM, else Windows-1252 with a note), their delimiter sniffed,
column counts checked against the limit before pandas parses, rows with the wrong number of fields found
(skipped, refused or repaired: see :mod:`.csv_fields`), and numbers written with thousands separators
converted. Duplicate or blank column names become unique.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import warnings
from typing import Any

import pandas as pd

from modeling import format as fmt
from modeling.data.readers.columns import is_texty
from modeling.data.readers.csv_fields import DELIMITER_NAMES, SKIPPED_LINES, FieldReport, check_fields, fix_field_counts
from modeling.data.readers.excel import read_excel_sheet
from modeling.data.readers.formats import detect_format, refuse_format, suffix
from modeling.data.readers.join_fields import PLAIN_NUMBER, THOUSANDS
from modeling.data.readers.limits import LIMITS, MAX_COLUMN_NAME_CHARS, check_upload_size
from modeling.data.readers.parquet import read_parquet_table
from modeling.errors import DataError


def read_table(
    data: bytes, filename: str, sheet: str | int | None = None, *, join_extra_fields: bool = False
) -> pd.DataFrame:
    """Read a CSV / TSV / TXT, Excel (.xlsx: ``sheet``, else the first) or Parquet table from uploaded bytes.

    Text files are decoded as UTF-8 (with or without BOM), then Windows-1252, then Latin-1; the
    delimiter (comma, semicolon, tab, pipe) is sniffed. Column names are made unique and non-empty.
    Notes about repairs (skipped lines) are kept in ``df.attrs["notes"]``.

    Text rows with more fields than the header (a text with an unquoted comma) are skipped with a note
    naming their lines when they are few, and refused with ``csv_fields.FieldCountError`` when they are
    many. ``join_extra_fields=True`` joins their extra fields back into the column they belong to, where
    :func:`field_report` finds that unambiguous (a ``DataError`` says why when it is not).
    """
    check_upload_size(data, filename)
    kind = detect_format(data, filename)
    if kind == "text":
        df = _read_text_table(bytes(data), filename, join_extra_fields)
    elif kind == "excel":
        df = read_excel_sheet(bytes(data), filename, sheet)
    elif kind == "parquet":
        df = read_parquet_table(bytes(data), filename)
    elif kind in {"zip", "npz"}:
        what = "a ZIP archive" if kind == "zip" else "a NumPy .npz file"
        raise DataError(
            f"'{filename}' is {what}, not a table. Upload it as image data, or choose a CSV, Excel or Parquet file."
        )
    else:
        raise refuse_format(kind, filename)
    return _finish_table(df, filename)


def _decode_text(data: bytes, filename: str) -> tuple[str, str]:
    """The text and the encoding it was read with (UTF-16 with BOM, UTF-8, Windows-1252, Latin-1)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise DataError(
            f"'{filename}' contains binary data, not text, so it is not a CSV/TSV table. "
            "Export your table as CSV (UTF-8) or upload the Excel/Parquet file itself."
        )
    text: str | None = None
    used = "utf-8"
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            used = encoding
            break
        except UnicodeDecodeError:
            continue
    if text is None:  # pragma: no cover - latin-1 decodes every byte
        raise DataError(f"'{filename}' could not be decoded as text. Save it as CSV with UTF-8 encoding.")
    probe = text[:65536]
    control = sum(1 for ch in probe if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if probe and control > max(2, len(probe) // 100):
        raise DataError(
            f"'{filename}' does not look like a text table (it contains binary data). "
            "Upload a CSV, TSV, Excel (.xlsx) or Parquet file."
        )
    return text, used


def _sniff_delimiter(text: str, filename: str) -> str:
    """Guess the delimiter from a sample; a delimiter that splits the header into one column is rejected."""
    sample = text[:20000]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    candidates = ",;\t|"
    header = next(iter(sample.splitlines()), "")
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=candidates).delimiter
        if _count_fields(header, sniffed) > 1:
            return sniffed
    except csv.Error:
        pass
    counts = {d: _count_fields(header, d) for d in candidates}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] > 1:
        return best
    return "\t" if suffix(filename) in {".tsv", ".tab"} else ","


def _count_fields(line: str, delimiter: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=delimiter), []))
    except csv.Error:
        return 0


def field_report(data: bytes, filename: str) -> FieldReport | None:
    """Rows of a text table with the wrong number of fields, and the safe repair; ``None`` for other files.

    The Data page uses it for the repair box and its preview; :func:`read_table` runs the same check.
    """
    try:
        check_upload_size(data, filename)
        if detect_format(data, filename) != "text":
            return None
        text = _decode_text(bytes(data), filename)[0].removeprefix("\ufeff")
    except DataError:
        return None
    if not text.strip():
        return None
    return check_fields(text, _sniff_delimiter(text, filename), LIMITS.max_rows + 1)


def _read_text_table(data: bytes, filename: str, join_extra_fields: bool = False) -> pd.DataFrame:
    text, encoding = _decode_text(data, filename)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise DataError(f"'{filename}' is empty. Check that you picked the right file.")
    delimiter = _sniff_delimiter(text, filename)
    header = _header_fields(text, delimiter)
    if len(header) > LIMITS.max_columns:  # refuse before pandas allocates thousands of columns
        raise DataError(
            f"'{filename}' has {fmt.count(len(header))} columns; the limit is {fmt.count(LIMITS.max_columns)}. "
            "Keep only the text and label columns."
        )
    # index_col=False: a row with one field too many must never make its first field the row index (that
    # cut the start off every text with an unquoted comma, and shifted the columns of the other rows).
    options: dict[str, Any] = {
        "sep": delimiter,
        "nrows": LIMITS.max_rows + 1,
        "skipinitialspace": False,
        "index_col": False,
    }
    notes: list[str] = []
    if encoding in ("cp1252", "latin-1"):
        notes.append(
            f"'{filename}' is not UTF-8 text, so it was read as Windows-1252 (Western European). If accented "
            'letters look wrong in the preview, save it as "CSV UTF-8" and upload it again.'
        )
    expected = "\t" if suffix(filename) in {".tsv", ".tab"} else ","
    if delimiter != expected:
        notes.append(f"The columns are separated by {DELIMITER_NAMES.get(delimiter, repr(delimiter))}.")
    text, skipped = fix_field_counts(
        text, delimiter, filename, notes, join=join_extra_fields, max_rows=LIMITS.max_rows + 1
    )
    try:
        df = pd.read_csv(io.StringIO(text), **options)
    except pd.errors.EmptyDataError:
        raise DataError(f"'{filename}' has no rows or columns. Check that you picked the right file.") from None
    except pd.errors.ParserError as exc:
        df, skipped = _read_csv_skipping_bad_lines(text, options, filename, exc)
        notes.append(f"{fmt.plural(skipped, 'line')} with the wrong number of fields were skipped.")
    except (ValueError, UnicodeError, OverflowError, MemoryError, csv.Error) as exc:
        raise DataError(
            f"'{filename}' could not be read as a table ({fmt.first_line(exc)}). Save it as CSV and try again."
        ) from None
    df = _numbers_with_separators(df, delimiter, notes)
    if len(header) == df.shape[1] and len(set(header)) < len(header):
        # pandas renames a repeated name itself ('spend.1'); give the header back so that _finish_table names
        # the copies once, for every format, and says so. Empty names keep pandas' 'Unnamed: 2'.
        df.columns = [name or str(column) for name, column in zip(header, df.columns, strict=True)]
    df.attrs["notes"] = notes
    df.attrs[SKIPPED_LINES] = skipped  # rows with extra fields left out: the Data page offers to join them back
    return df


def _header_fields(text: str, delimiter: str) -> list[str]:
    """The names in the first line, as the csv module splits them (quotes respected)."""
    first = text[: text.find("\n")] if "\n" in text[:1_000_000] else text[:1_000_000]
    try:
        return [name.strip() for name in next(csv.reader([first.rstrip("\r")], delimiter=delimiter), [])]
    except csv.Error:
        return []


def _numbers_with_separators(df: pd.DataFrame, delimiter: str, notes: list[str]) -> pd.DataFrame:
    """Columns of numbers written like "1,234" (with "N/A" and blanks for missing) become numbers.

    pandas reads them as text, which would make "1,000" and "1000" two different labels and
    could make a column of figures look like the text column. Files separated by semicolons
    are left alone: there the comma is usually the decimal mark.
    """
    if delimiter == ";":
        return df
    converted: list[str] = []
    for column in df.columns:
        series = df[column]
        if not is_texty(series):
            continue
        values = series.dropna().astype(str).str.strip()
        values = values[values != ""]
        if values.empty or not values.str.match(THOUSANDS).any():
            continue
        plain = values.str.match(PLAIN_NUMBER)
        if not bool((values.str.match(THOUSANDS) | plain).all()):
            continue
        cleaned = series.astype(str).str.strip().str.replace(",", "", regex=False)
        df[column] = pd.to_numeric(cleaned.where(series.notna() & (cleaned != "")), errors="coerce")
        converted.append(str(column))
    if converted:
        shown = ", ".join(f"'{fmt.clip(c)}'" for c in converted[:5])
        notes.append(f"Numbers written with thousands separators (like 1,234) in {shown} were read as numbers.")
    return df


def _read_csv_skipping_bad_lines(
    text: str, options: dict[str, Any], filename: str, first_error: Exception
) -> tuple[pd.DataFrame, int]:
    """Second attempt after a parser error: skip malformed lines, but only if they are a small minority."""
    bad: list[int] = []

    def on_bad(line: list[str]) -> None:
        bad.append(1)
        return None

    try:
        with warnings.catch_warnings():
            # pandas warns that rows of another length lose data: they are the ones counted in ``bad`` and
            # reported in the table's notes (or refused below when they are many).
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            df = pd.read_csv(io.StringIO(text), engine="python", on_bad_lines=on_bad, **options)
    except (pd.errors.ParserError, ValueError, csv.Error, UnicodeError):
        raise DataError(
            f"'{filename}' could not be read as a table: {fmt.first_line(first_error)}. Check that text containing the "
            "delimiter is wrapped in double quotes, or save the file again from a spreadsheet as CSV."
        ) from None
    if len(bad) > max(10, len(df) // 10):
        raise DataError(
            f"'{filename}' has {fmt.count(len(bad))} malformed lines (a different number of fields than the header). "
            "Check that text containing the delimiter is wrapped in double quotes, or save it again as CSV."
        )
    return df, len(bad)


def _finish_table(df: pd.DataFrame, filename: str) -> pd.DataFrame:
    """Apply the row/column limits and make column names unique, non-empty strings."""
    notes = list(df.attrs.get("notes", []))
    if df.shape[1] == 0:
        raise DataError(f"'{filename}' has no columns. Check that you picked the right file.")
    if df.shape[1] > LIMITS.max_columns:
        raise DataError(
            f"'{filename}' has {fmt.count(df.shape[1])} columns; the limit is {fmt.count(LIMITS.max_columns)}. "
            "Keep only the text and label columns."
        )
    if len(df) > LIMITS.max_rows:
        raise DataError(
            f"'{filename}' has more than {fmt.count(LIMITS.max_rows)} rows, the limit. Upload a sample of at most "
            f"{fmt.count(LIMITS.max_rows)} rows."
        )
    if len(df) == 0:
        raise DataError(f"'{filename}' has a header but no rows of data. Check that you exported the whole table.")
    names = [str(c) for c in df.columns]
    if any(len(name) > MAX_COLUMN_NAME_CHARS for name in names):
        notes.append(
            f"Column names longer than {MAX_COLUMN_NAME_CHARS} characters were shortened (is the first row "
            "data rather than column names?)."
        )
    df.columns = _unique_names(names)
    notes += _renamed_copies_notes(names, [str(c) for c in df.columns])
    df = df.reset_index(drop=True)
    df.attrs["notes"] = notes
    return df


def _renamed_copies_notes(names: list[str], unique: list[str]) -> list[str]:
    """One sentence per repeated column name, naming the copies and what they are called now.

    pandas (and ModelDeck) rename a second 'spend' to 'spend.1'; a person must know, or they pick 'spend'
    as the target or an input without knowing which of the two it is.
    """
    bases = [raw.strip()[:MAX_COLUMN_NAME_CHARS].strip() for raw in names]
    repeated = {base for base in bases if base and bases.count(base) > 1}
    renamed: dict[str, list[str]] = {}
    for base, now in zip(bases, unique, strict=True):
        if base in repeated and now != base:
            renamed.setdefault(base, []).append(now)
    notes = []
    for name, copies in list(renamed.items())[:5]:
        listed = " and ".join(f"'{fmt.clip(c)}'" for c in copies)
        others = f"the second is now {listed}" if len(copies) == 1 else f"the others are now {listed}"
        notes.append(
            f"Some column names appear more than once ('{fmt.clip(name)}'): {len(copies) + 1} columns are called "
            f"'{fmt.clip(name)}'; the first keeps the name and {others}, so that each can be chosen. Check that "
            "they hold different things."
        )
    return notes


def _unique_names(names: list[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names):
        name = raw.strip()[:MAX_COLUMN_NAME_CHARS].strip() or f"column_{i + 1}"
        candidate, k = name, 1
        while candidate in seen:
            candidate = f"{name}.{k}"
            k += 1
        seen.add(candidate)
        out.append(candidate)
    return out
