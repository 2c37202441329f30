"""Turn uploaded bytes (tables, image ZIPs, .npz arrays) into a :class:`Dataset`, safely.

Uploads come from people, not from pipelines: files are mis-encoded, use semicolons, carry empty
columns, or are not what their name says. Every reader therefore checks sizes before decoding,
never extracts an archive to disk, never unpickles, and turns every library error into a
:class:`DataError` whose message says what is wrong and what to do.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
import zipfile
import zlib
from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling import settings
from modeling.data.dataset import Dataset, encode_labels
from modeling.errors import DataError

MB = 1024 * 1024

#: Fewest rows a table may have after cleaning.
MIN_ROWS = 10
#: Most classes a label column may have.
MAX_CLASSES = 100
#: Ratio of unpacked to packed size above which a ZIP member is treated as a zip bomb.
MAX_COMPRESSION_RATIO = 200
#: Longest label value a table may have: longer ones are texts, not categories (swapped columns?).
MAX_LABEL_CHARS = 100
#: Longest column name kept as it is; longer names (a whole text in the header row) are shortened.
MAX_COLUMN_NAME_CHARS = 100
#: A number written with thousands separators, as spreadsheets export it: 1,234 or -12,345,678.90.
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars (|)"}

TABLE_EXTENSIONS = {".csv", ".tsv", ".txt", ".tab", ".xlsx", ".xlsm", ".parquet", ".pq"}
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
_PIL_FORMATS = ["PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF"]
_JUNK_NAMES = {"thumbs.db", "desktop.ini"}
#: What a damaged archive member can raise while it is being read.
_MEMBER_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    zlib.error,
)
_LAYOUT_EXAMPLE = "digits.zip/0/img1.png, digits.zip/0/img2.png, digits.zip/1/img3.png, ..."


@dataclass
class UploadLimits:
    """Upper bounds on what an upload may contain; each can be overridden with ``MODELDECK_<FIELD>``.

    They exist so one careless (or hostile) file cannot exhaust the server's memory or time.
    """

    max_upload_mb: int = 200
    max_rows: int = 200_000
    max_columns: int = 2_000
    max_images: int = 30_000
    max_image_pixels: int = 4096 * 4096
    max_zip_members: int = 50_000
    max_unzipped_mb: int = 1_000
    max_text_chars: int = 20_000

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> UploadLimits:
        """Defaults, replaced by any positive integer found in ``MODELDECK_MAX_*`` variables."""
        return cls(**settings.positive_overrides([f.name for f in fields(cls)], environ))


LIMITS = UploadLimits.from_env()


# ---- small helpers ------------------------------------------------------------------------------
def _check_upload_size(data: bytes, filename: str) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DataError(f"'{filename}' could not be read as a file.")
    if len(data) > LIMITS.max_upload_mb * MB:
        raise DataError(
            f"'{filename}' is {len(data) / MB:,.0f} MB; the limit is {fmt.count(LIMITS.max_upload_mb)} MB. "
            "Upload a smaller sample of your data."
        )
    if len(data) == 0:
        raise DataError(f"'{filename}' is empty (0 bytes). Check that you picked the right file.")


def _suffix(filename: str) -> str:
    return PurePosixPath(filename.replace("\\", "/")).suffix.lower()


def _detect_format(data: bytes, filename: str) -> str:
    """One of 'text', 'excel', 'parquet', 'zip', 'npz', 'npy', 'xls', 'image', 'gzip'.

    Magic bytes win over the extension when they clearly disagree, because browsers and people
    rename files; the extension decides between formats that share a container (xlsx, npz and
    image ZIPs are all ZIP files).
    """
    ext = _suffix(filename)
    head = bytes(data[:8])
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        if ext in {".xlsx", ".xlsm"}:
            return "excel"
        if ext == ".npz":
            return "npz"
        try:
            with _open_zip(data, "") as zf:
                names = zf.namelist()
        except DataError:
            return "zip"
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "excel"
        if names and all(n.endswith(".npy") for n in names):
            return "npz"
        return "zip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff"):
        return "image"
    if ext in {".xlsx", ".xlsm", ".parquet", ".pq", ".zip", ".npz"}:
        # The name promises a binary format but the bytes are not it.
        return {".xlsx": "excel", ".xlsm": "excel", ".parquet": "parquet", ".pq": "parquet"}.get(ext, ext[1:])
    if ext == ".xls":
        return "xls"
    return "text"


def _refuse_format(kind: str, filename: str) -> DataError:
    """The message for a file that is not of a kind ModelDeck can read."""
    messages = {
        "npy": f"'{filename}' is a single NumPy array (.npy). Save images and labels together with "
        "numpy.savez('data.npz', images=images, labels=labels) and upload the .npz file.",
        "xls": f"'{filename}' is an old Excel file (.xls), which ModelDeck cannot read. "
        "Open it in Excel and save it as .xlsx or CSV.",
        "gzip": f"'{filename}' is compressed with gzip. Unpack it first and upload the CSV inside.",
        "image": f"'{filename}' is a single picture. To train an image classifier, upload a ZIP with one "
        f"folder per class, for example {_LAYOUT_EXAMPLE}",
    }
    return DataError(
        messages.get(
            kind,
            f"'{filename}' is not a file type ModelDeck can read. Upload a CSV, TSV, Excel (.xlsx) or "
            "Parquet table, a ZIP of images in class folders, or an .npz file with images and labels.",
        )
    )


def _open_zip(data: bytes, message: str) -> zipfile.ZipFile:
    """Open an in-memory ZIP; any sign of damage becomes a DataError with ``message``."""
    try:
        return zipfile.ZipFile(io.BytesIO(bytes(data)))
    except (*_MEMBER_ERRORS, NotImplementedError, RuntimeError):
        raise DataError(message) from None


def _check_zip_members(zf: zipfile.ZipFile, filename: str, infos: list[zipfile.ZipInfo], ratio_check: bool) -> None:
    """Refuse archives that would unpack to more than the limits allow (checked on declared sizes)."""
    if len(infos) > LIMITS.max_zip_members:
        raise DataError(
            f"'{filename}' holds {fmt.count(len(infos))} files; the limit is {fmt.count(LIMITS.max_zip_members)}. "
            "Split it into smaller archives or use fewer images."
        )
    total = 0
    for info in infos:
        total += info.file_size
        if ratio_check:
            _check_ratio(info, filename)
    if total > LIMITS.max_unzipped_mb * MB:
        raise DataError(
            f"'{filename}' would unpack to {total / MB:,.0f} MB; the limit is {fmt.count(LIMITS.max_unzipped_mb)} MB. "
            "Use fewer or smaller images."
        )


def _check_ratio(info: zipfile.ZipInfo, filename: str) -> None:
    """Refuse a member that unpacks to over 1 MB at more than 200 times its packed size (a zip bomb)."""
    if info.file_size > MB and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise DataError(
            f"'{filename}' was refused: the file '{info.filename}' would unpack to "
            f"{info.file_size / MB:,.0f} MB from {info.compress_size / 1024:,.0f} KB, which is how zip bombs "
            "look. Upload an archive of ordinary files."
        )


# ---- tables ---------------------------------------------------------------------------------------
def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """Read a CSV / TSV / TXT, Excel (.xlsx, first sheet) or Parquet table from uploaded bytes.

    Text files are decoded as UTF-8 (with or without BOM), then Windows-1252, then Latin-1; the
    delimiter (comma, semicolon, tab, pipe) is sniffed. Column names are made unique and non-empty.
    Notes about repairs (skipped lines) are kept in ``df.attrs["notes"]``.
    """
    _check_upload_size(data, filename)
    kind = _detect_format(data, filename)
    if kind == "text":
        df = _read_text_table(bytes(data), filename)
    elif kind == "excel":
        df = _read_excel(bytes(data), filename)
    elif kind == "parquet":
        df = _read_parquet(bytes(data), filename)
    elif kind in {"zip", "npz"}:
        what = "a ZIP archive" if kind == "zip" else "a NumPy .npz file"
        raise DataError(
            f"'{filename}' is {what}, not a table. Upload it as image data, or choose a CSV, Excel or Parquet file."
        )
    else:
        raise _refuse_format(kind, filename)
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
    return "\t" if _suffix(filename) in {".tsv", ".tab"} else ","


def _count_fields(line: str, delimiter: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=delimiter), []))
    except csv.Error:
        return 0


def _read_text_table(data: bytes, filename: str) -> pd.DataFrame:
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
    options: dict[str, Any] = {"sep": delimiter, "nrows": LIMITS.max_rows + 1, "skipinitialspace": False}
    notes: list[str] = []
    if encoding in ("cp1252", "latin-1"):
        notes.append(
            f"'{filename}' is not UTF-8 text, so it was read as Windows-1252 (Western European). If accented "
            'letters look wrong in the preview, save it as "CSV UTF-8" and upload it again.'
        )
    expected = "\t" if _suffix(filename) in {".tsv", ".tab"} else ","
    if delimiter != expected:
        notes.append(f"The columns are separated by {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}.")
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        shown = ", ".join(f"'{fmt.clip(name)}'" for name in repeated[:5])
        notes.append(
            f"Some column names appear more than once ({shown}); the copies were renamed with .1, .2, ... "
            "so that each column can be chosen."
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
            f"'{filename}' could not be read as a table ({_short(exc)}). Save it as CSV and try again."
        ) from None
    df = _numbers_with_separators(df, delimiter, notes)
    df.attrs["notes"] = notes
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
        if not _is_texty(series):
            continue
        values = series.dropna().astype(str).str.strip()
        values = values[values != ""]
        if values.empty or not values.str.match(_THOUSANDS).any():
            continue
        plain = values.str.match(_PLAIN_NUMBER)
        if not bool((values.str.match(_THOUSANDS) | plain).all()):
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
        df = pd.read_csv(io.StringIO(text), engine="python", on_bad_lines=on_bad, **options)
    except (pd.errors.ParserError, ValueError, csv.Error, UnicodeError):
        raise DataError(
            f"'{filename}' could not be read as a table: {_short(first_error)}. Check that text containing the "
            "delimiter is wrapped in double quotes, or save the file again from a spreadsheet as CSV."
        ) from None
    if len(bad) > max(10, len(df) // 10):
        raise DataError(
            f"'{filename}' has {fmt.count(len(bad))} malformed lines (a different number of fields than the header). "
            "Check that text containing the delimiter is wrapped in double quotes, or save it again as CSV."
        )
    return df, len(bad)


def _short(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return message[:200]


def _read_excel(data: bytes, filename: str) -> pd.DataFrame:
    message = (
        f"'{filename}' is not a valid Excel (.xlsx) file; it may be damaged or only renamed. "
        "Open it in Excel and save it again, or export it as CSV."
    )
    with _open_zip(data, message) as zf:
        _check_zip_members(zf, filename, zf.infolist(), ratio_check=True)
    try:
        df = pd.read_excel(io.BytesIO(data), sheet_name=0, engine="openpyxl", nrows=LIMITS.max_rows + 1)
    except DataError:
        raise
    except Exception as exc:  # openpyxl raises many unrelated types for damaged workbooks
        raise DataError(
            f"'{filename}' could not be read as an Excel workbook ({_short(exc)}). "
            "Open it in Excel and save it again as .xlsx, or export the sheet as CSV."
        ) from None
    df.attrs["notes"] = []
    return df


def _read_parquet(data: bytes, filename: str) -> pd.DataFrame:
    try:
        df = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, NotImplementedError, ...
        raise DataError(
            f"'{filename}' could not be read as a Parquet file ({_short(exc)}). "
            "Save it again, or export the table as CSV."
        ) from None
    df.attrs["notes"] = []
    return df


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
    df = df.reset_index(drop=True)
    df.attrs["notes"] = notes
    return df


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


# ---- choosing columns -----------------------------------------------------------------------------
_LABEL_NAMES = ("label", "labels", "sentiment", "class", "target", "category", "y", "polarity", "tag", "rating")


def _is_texty(series: pd.Series) -> bool:
    return bool(pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series))


def _non_empty(series: pd.Series) -> pd.Series:
    values = series.dropna()
    if _is_texty(values):
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
        if not _is_texty(sample[c]):
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


# ---- labels -----------------------------------------------------------------------------------------
def _label_strings(series: pd.Series) -> np.ndarray:
    """Label values as the strings people expect: 1.0 -> '1', True -> 'True', ' pos ' -> 'pos'."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype(str).to_numpy(str)
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=np.float64)
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            return values.astype(np.int64).astype(str)
    return series.astype(str).str.strip().to_numpy(str)


def _check_classes(labels: np.ndarray, what: str, rows: int, advice: str = "Check the label column.") -> None:
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
    if _is_texty(labels):
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
    _check_classes(label_strings, f"The label column '{label_column}'", rows)
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


# ---- image archives ---------------------------------------------------------------------------------
def _is_junk(parts: tuple[str, ...]) -> bool:
    if not parts or parts[0] == "__MACOSX":
        return True
    return any(p.startswith(".") for p in parts) or parts[-1].lower() in _JUNK_NAMES


def _safe_parts(name: str, filename: str) -> tuple[str, ...]:
    """The path parts of a member, refusing absolute paths and '..' (path traversal)."""
    clean = name.replace("\\", "/")
    if clean.startswith("/") or re.match(r"^[A-Za-z]:", clean) or ".." in clean.split("/"):
        raise DataError(
            f"'{filename}' was refused: it contains the unsafe path '{name}' (it points outside the archive). "
            "Create the ZIP again from your image folders."
        )
    return tuple(p for p in clean.split("/") if p not in ("", "."))


def read_image_zip(data: bytes, filename: str, image_size: int = 28) -> Dataset:
    """Images in class folders (``cats/x.png`` or ``root/cats/x.png``) -> uint8 (N, size, size, C) Dataset.

    Members are read one by one from memory (never extracted), with declared and actual sizes,
    the compression ratio and the pixel count checked before any image is decoded. Images are
    grey (C=1) when every image is grey, otherwise RGB (C=3), resized to image_size x image_size.
    """
    _check_upload_size(data, filename)
    if not 4 <= int(image_size) <= 512:
        raise DataError(f"The image size must be between 4 and 512 pixels; got {image_size}.")
    zf = _open_zip(
        data, f"'{filename}' is not a valid ZIP archive; it may be damaged or only renamed. Create the ZIP again."
    )
    with zf:
        infos = zf.infolist()
        if len(infos) > LIMITS.max_zip_members:
            raise DataError(
                f"'{filename}' holds {fmt.count(len(infos))} files; the limit is {fmt.count(LIMITS.max_zip_members)}. "
                "Split it into smaller archives or use fewer images."
            )
        images: list[tuple[tuple[str, ...], zipfile.ZipInfo]] = []
        junk = 0
        for info in infos:
            parts = _safe_parts(info.filename, filename)
            if not parts or info.is_dir():
                continue
            _check_ratio(info, filename)
            if _is_junk(parts):
                continue
            if PurePosixPath(parts[-1]).suffix.lower() in IMAGE_EXTENSIONS:
                images.append((parts, info))
            else:
                junk += 1
        _check_zip_members(zf, filename, [info for _, info in images], ratio_check=False)
        if not images:
            raise DataError(
                f"'{filename}' contains no PNG or JPEG images. Put the images of each class in its own folder, "
                f"for example {_LAYOUT_EXAMPLE}"
            )
        if len(images) > LIMITS.max_images:
            raise DataError(
                f"'{filename}' holds {fmt.count(len(images))} images; the limit is {fmt.count(LIMITS.max_images)}. "
                "Upload a smaller sample."
            )
        classes, loose = _assign_classes([parts for parts, _ in images], filename)
        notes: list[str] = []
        if junk:
            notes.append(
                f"{fmt.plural(junk, 'file')} that {fmt.is_are(junk)} not an image {fmt.was_were(junk)} skipped."
            )
        if loose:
            notes.append(f"{fmt.plural(loose, 'image')} outside any class folder {fmt.was_were(loose)} skipped.")
        pixels, greys, label_values, unreadable = _decode_members(zf, images, classes, filename, image_size)
    if unreadable:
        notes.append(
            f"{fmt.plural(unreadable, 'image')} could not be read (damaged or truncated) and "
            f"{fmt.was_were(unreadable)} skipped."
        )
    if not pixels:
        raise DataError(
            f"None of the {fmt.count(len(images))} images in '{filename}' could be read; they may be damaged. "
            "Check that they open in an image viewer and create the ZIP again."
        )
    stacked = np.stack(pixels)
    stacked = stacked[..., :1] if all(greys) else stacked
    labels = np.asarray(label_values, dtype=str)
    _check_classes(labels, f"'{filename}'", len(labels), advice="Put readable images of each class in its own folder.")
    encoded, class_names = encode_labels(labels)
    return Dataset(
        kind="image",
        name=PurePosixPath(filename).stem or filename,
        labels=encoded,
        class_names=class_names,
        images=stacked,
        source=filename,
        notes=notes,
    )


def _assign_classes(paths: list[tuple[str, ...]], filename: str) -> tuple[list[str | None], int]:
    """Class = first folder below the folders every image shares; images sitting in that root are 'loose'."""
    dirs = [p[:-1] for p in paths]
    root: tuple[str, ...] = dirs[0]
    for d in dirs[1:]:
        k = 0
        while k < min(len(root), len(d)) and root[k] == d[k]:
            k += 1
        root = root[:k]
    depth = len(root)
    classes: list[str | None] = [d[depth] if len(d) > depth else None for d in dirs]
    loose = sum(1 for c in classes if c is None)
    named = {c for c in classes if c is not None}
    if not named:
        if root:
            raise DataError(
                f"All images in '{filename}' are in the single folder '{root[-1]}'; a classifier needs one folder "
                f"per class and at least two classes, for example {_LAYOUT_EXAMPLE}"
            )
        raise DataError(
            f"The images in '{filename}' are not in class folders. Put the images of each class in its own "
            f"folder named after the class, for example {_LAYOUT_EXAMPLE}"
        )
    if len(named) < 2:
        raise DataError(
            f"'{filename}' has only one class folder ('{next(iter(named))}'); a classifier needs at least two. "
            f"Add a folder for each class, for example {_LAYOUT_EXAMPLE}"
        )
    return classes, loose


def _decode_members(
    zf: zipfile.ZipFile,
    images: list[tuple[tuple[str, ...], zipfile.ZipInfo]],
    classes: list[str | None],
    filename: str,
    image_size: int,
) -> tuple[list[np.ndarray], list[bool], list[str], int]:
    from PIL import Image

    member_limit = LIMITS.max_upload_mb * MB
    unpacked_total = 0
    pixels: list[np.ndarray] = []
    greys: list[bool] = []
    labels: list[str] = []
    unreadable = 0
    old_max = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = LIMITS.max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
            for (parts, info), label in zip(images, classes, strict=True):
                if label is None:
                    continue
                raw = _read_member(zf, info, member_limit, filename)
                if raw is None:
                    unreadable += 1
                    continue
                unpacked_total += len(raw)
                if unpacked_total > LIMITS.max_unzipped_mb * MB:
                    raise DataError(
                        f"'{filename}' unpacks to more than {fmt.count(LIMITS.max_unzipped_mb)} MB, the limit. "
                        "Use fewer or smaller images."
                    )
                decoded = _decode_image(raw, "/".join(parts), filename, image_size)
                if decoded is None:
                    unreadable += 1
                    continue
                array, grey = decoded
                pixels.append(array)
                greys.append(grey)
                labels.append(label)
    finally:
        Image.MAX_IMAGE_PIXELS = old_max
    return pixels, greys, labels, unreadable


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, filename: str) -> bytes | None:
    """The member's bytes, at most ``limit`` (more means the declared size lied: refuse); None if damaged."""
    try:
        with zf.open(info) as fh:
            raw = fh.read(limit + 1)
    except RuntimeError:
        raise DataError(f"'{filename}' is password-protected. Create the ZIP again without a password.") from None
    except NotImplementedError:
        raise DataError(
            f"'{filename}' uses a compression method ModelDeck cannot read. Create it again as an ordinary ZIP."
        ) from None
    except _MEMBER_ERRORS:
        return None
    if len(raw) > limit:
        raise DataError(
            f"'{filename}' was refused: '{info.filename}' unpacks to more than {fmt.count(LIMITS.max_upload_mb)} MB. "
            "Upload an archive of ordinary image files."
        )
    return raw


def _decode_image(raw: bytes, member: str, filename: str, image_size: int) -> tuple[np.ndarray, bool] | None:
    """Decode one image to an (size, size, 3) uint8 array and whether it is grey; None if unreadable."""
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(raw), formats=_PIL_FORMATS)
    except Image.DecompressionBombError:
        raise _pixel_bomb(member, filename, None) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError):
        return None
    with img:
        width, height = img.size
        if width * height > LIMITS.max_image_pixels:
            raise _pixel_bomb(member, filename, (width, height))
        try:
            if img.format == "JPEG":
                img.draft("RGB", (image_size * 2, image_size * 2))
            img.load()
            rgb = _to_rgb(img)
            small = rgb.resize((image_size, image_size), Image.Resampling.LANCZOS)
            array = np.asarray(small, dtype=np.uint8)
        except Image.DecompressionBombError:
            raise _pixel_bomb(member, filename, (width, height)) from None
        except (OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError, MemoryError):
            return None
    grey = bool(np.array_equal(array[..., 0], array[..., 1]) and np.array_equal(array[..., 1], array[..., 2]))
    return array, grey


def _pixel_bomb(member: str, filename: str, size: tuple[int, int] | None) -> DataError:
    shown = f" ({size[0]:,} x {size[1]:,} pixels)" if size else ""
    return DataError(
        f"'{filename}' was refused: the image '{member}' is far too large{shown}; the limit is "
        f"{fmt.count(LIMITS.max_image_pixels)} pixels per image. Shrink the images before zipping them."
    )


def _to_rgb(img: Any) -> Any:
    """Any PIL mode -> RGB; transparency is flattened onto white, 16-bit and float images are rescaled."""
    from PIL import Image

    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        arr = np.asarray(img, dtype=np.float64)
        low, high = float(arr.min()), float(arr.max())
        scaled = np.zeros_like(arr) if high <= low else (arr - low) / (high - low) * 255.0
        return Image.fromarray(np.rint(scaled).astype(np.uint8)).convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


# ---- NumPy archives ---------------------------------------------------------------------------------
def read_npz(data: bytes, filename: str) -> Dataset:
    """An image Dataset from an .npz holding ``images`` (N,H,W) or (N,H,W,C) and ``labels`` (N).

    Loaded with ``allow_pickle=False`` so a file can never run code. Float images in 0..1 are
    scaled to 0..255; other ranges are rescaled with a note.
    """
    _check_upload_size(data, filename)
    message = (
        f"'{filename}' is not a valid .npz file. Save your arrays with "
        "numpy.savez('data.npz', images=images, labels=labels)."
    )
    with _open_zip(data, message) as zf:
        _check_zip_members(zf, filename, zf.infolist(), ratio_check=False)
        _check_npy_headers(zf, filename)
    try:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as archive:
            keys = list(archive.files)
            missing = [k for k in ("images", "labels") if k not in keys]
            if missing:
                shown = ", ".join(keys[:10]) + (", ..." if len(keys) > 10 else "")
                raise DataError(
                    f"'{filename}' has no array named {' or '.join(repr(m) for m in missing)} (it has: "
                    f"{shown or 'nothing'}). Save it with numpy.savez('data.npz', images=images, labels=labels)."
                )
            images = archive["images"]
            labels = archive["labels"]
    except DataError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DataError(
                f"'{filename}' stores Python objects, which ModelDeck does not load for safety. Save plain "
                "numeric images and string or number labels with numpy.savez."
            ) from None
        raise DataError(f"'{filename}' could not be read as an .npz file ({_short(exc)}).") from None
    except AttributeError:
        raise DataError(
            f"'{filename}' holds a single array, not an .npz archive. Save it with "
            "numpy.savez('data.npz', images=images, labels=labels)."
        ) from None
    except (*_MEMBER_ERRORS, KeyError, TypeError, MemoryError, RuntimeError, NotImplementedError) as exc:
        raise DataError(
            f"'{filename}' could not be read as an .npz file ({_short(exc)}). Save it again with numpy.savez."
        ) from None
    return dataset_from_arrays(images, labels, name=PurePosixPath(filename).stem or filename, source=filename)


def _check_npy_headers(zf: zipfile.ZipFile, filename: str) -> None:
    """Refuse arrays whose header declares more memory than the unpack limit, before NumPy allocates it."""
    from numpy.lib import format as npy_format

    for info in zf.infolist():
        if not info.filename.endswith(".npy"):
            continue
        try:
            with zf.open(info) as fh:
                version = npy_format.read_magic(fh)
                if version == (1, 0):
                    shape, _, dtype = npy_format.read_array_header_1_0(fh)
                else:
                    shape, _, dtype = npy_format.read_array_header_2_0(fh)
        except (*_MEMBER_ERRORS, RuntimeError, NotImplementedError, TypeError):
            continue  # np.load reports damaged members below
        declared = int(np.prod(shape, dtype=np.float64)) * max(dtype.itemsize, 1)
        if declared > LIMITS.max_unzipped_mb * MB:
            raise DataError(
                f"'{filename}' declares an array of {declared / MB:,.0f} MB; the limit is "
                f"{fmt.count(LIMITS.max_unzipped_mb)} MB. Save a smaller sample."
            )


def dataset_from_arrays(images: np.ndarray, labels: np.ndarray, name: str, source: str = "") -> Dataset:
    """Validate image and label arrays (any numeric dtype) and build an image Dataset."""
    images = np.asarray(images)
    labels = np.asarray(labels)
    notes: list[str] = []
    if images.dtype.kind not in "uifb":
        raise DataError(f"The images must be numbers (pixel values); they are of type {images.dtype}.")
    if images.ndim == 4 and images.shape[-1] == 4:
        images = images[..., :3]
        notes.append("The transparency channel of the images was dropped.")
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
        raise DataError(
            f"The images have shape {images.shape}; expected N x height x width (grey) or N x height x width x 3 "
            "(colour)."
        )
    if images.shape[0] == 0:
        raise DataError("There are no images in the file.")
    if images.shape[1] * images.shape[2] > LIMITS.max_image_pixels:
        raise DataError(
            f"Each image has {fmt.count(images.shape[1] * images.shape[2])} pixels; the limit is "
            f"{fmt.count(LIMITS.max_image_pixels)}. Shrink the images first."
        )
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise DataError(f"The labels have shape {labels.shape}; expected one label per image (a 1-D array).")
    if len(labels) != len(images):
        raise DataError(
            f"There are {fmt.count(len(images))} images but {fmt.count(len(labels))} labels; each image needs "
            "exactly one label."
        )
    if labels.dtype.kind not in "uifbUS":
        raise DataError(f"The labels must be numbers or text; they are of type {labels.dtype}.")
    pixels, note = _to_uint8(images)
    if note:
        notes.append(note)
    label_strings = _array_label_strings(labels)
    _check_classes(label_strings, "The labels", len(label_strings), advice="Check the labels array.")
    encoded, class_names = _encode_fast(label_strings)
    return Dataset(
        kind="image", name=name, labels=encoded, class_names=class_names, images=pixels, source=source, notes=notes
    )


def _to_uint8(images: np.ndarray) -> tuple[np.ndarray, str]:
    if images.dtype == np.uint8:
        return images, ""
    if images.dtype.kind == "b":
        return images.astype(np.uint8) * 255, ""
    values = images.astype(np.float64) if images.dtype.kind == "f" else images
    if images.dtype.kind == "f" and not np.all(np.isfinite(values)):
        raise DataError("Some pixel values are not numbers (NaN or infinity). Clean the images and save them again.")
    low, high = float(values.min()), float(values.max())
    if images.dtype.kind == "f" and low >= 0.0 and high <= 1.0:
        return np.rint(values * 255.0).astype(np.uint8), ""
    if low >= 0 and high <= 255:
        return np.rint(values).astype(np.uint8) if images.dtype.kind == "f" else values.astype(np.uint8), ""
    span = high - low or 1.0
    scaled = np.rint((values.astype(np.float64) - low) / span * 255.0).astype(np.uint8)
    return scaled, f"Pixel values ranged from {low:g} to {high:g}; they were rescaled to 0..255."


def _array_label_strings(labels: np.ndarray) -> np.ndarray:
    if labels.dtype.kind == "S":
        return np.char.strip(np.char.decode(labels, "utf-8", errors="replace")).astype(str)
    if labels.dtype.kind == "U":
        return np.char.strip(labels).astype(str)
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)):
            raise DataError("Some labels are missing (NaN). Every image needs a label.")
        if np.all(labels == np.round(labels)):
            return labels.astype(np.int64).astype(str)
    return labels.astype(str)


def _encode_fast(label_strings: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """encode_labels on the distinct values only, then map back: fast for 70,000 labels."""
    uniques, inverse = np.unique(label_strings, return_inverse=True)
    order, class_names = encode_labels(uniques)
    return order[inverse.ravel()], class_names


# ---- dispatch ---------------------------------------------------------------------------------------
def read_upload(data: bytes, filename: str) -> pd.DataFrame | Dataset:
    """Read any supported upload: a table gives a DataFrame (columns still to choose), images a Dataset."""
    _check_upload_size(data, filename)
    kind = _detect_format(data, filename)
    ext = _suffix(filename)
    if kind == "text" and ext and ext not in TABLE_EXTENSIONS:
        raise _refuse_format("unknown", filename)
    if kind in {"text", "excel", "parquet"}:
        return read_table(data, filename)
    if kind == "zip":
        return read_image_zip(data, filename)
    if kind == "npz":
        return read_npz(data, filename)
    raise _refuse_format(kind, filename)


def load_source(source: str, text_column: str | None = None, label_column: str | None = None) -> Dataset:
    """The Dataset named by a config's ``data.source``: ``sample:KEY`` or a file path (relative to the cwd)."""
    source = str(source).strip()
    if source.startswith("sample:"):
        from modeling.data.samples import load_sample

        return load_sample(source.removeprefix("sample:"))
    path = Path(source).expanduser()
    if not path.exists():
        raise DataError(
            f"The data file '{source}' does not exist (looked in {Path.cwd()}). Check the path, or use a built-in "
            "sample such as sample:digits or sample:reviews."
        )
    if not path.is_file():
        raise DataError(f"'{source}' is a folder, not a file. Point data.source at a CSV, ZIP or .npz file.")
    try:
        size = path.stat().st_size
        if size > LIMITS.max_upload_mb * MB:
            raise DataError(
                f"'{source}' is {size / MB:,.0f} MB; the limit is {fmt.count(LIMITS.max_upload_mb)} MB. "
                "Use a smaller sample of your data."
            )
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(
            f"Cannot read '{source}': {exc.strerror or _short(exc)}. Check the file's permissions."
        ) from None
    result = read_upload(data, path.name)
    if isinstance(result, Dataset):
        result.source = source
        return result
    guessed_text, guessed_label = guess_columns(result)
    text = text_column or guessed_text
    label = label_column or guessed_label
    if text is None or label is None:
        missing = "text" if text is None else "label"
        raise DataError(
            f"Could not tell which column of '{source}' holds the {missing}. Set data.text_column and "
            f"data.label_column (columns: {', '.join(map(str, result.columns[:20]))})."
        )
    return dataset_from_table(result, text, label, name=path.stem, source=source)
