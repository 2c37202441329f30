"""A config's ``data.source`` -> a Dataset: a built-in sample or a file on disk.

Kept apart from the readers so samples (which use the readers) and sources (which use both) do not
import each other.
"""

from __future__ import annotations

from pathlib import Path

from modeling import format as fmt
from modeling.data.dataset import Dataset
from modeling.data.readers import read_upload
from modeling.data.readers.columns import dataset_from_table, guess_columns
from modeling.data.readers.limits import LIMITS, MB
from modeling.data.samples import load_sample
from modeling.errors import DataError


def load_source(source: str, text_column: str | None = None, label_column: str | None = None) -> Dataset:
    """The Dataset named by a config's ``data.source``: ``sample:KEY`` or a file path (relative to the cwd)."""
    source = str(source).strip()
    if source.startswith("sample:"):
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
            f"Cannot read '{source}': {exc.strerror or fmt.first_line(exc)}. Check the file's permissions."
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
