"""Bytes -> a DataFrame or a checked Dataset: one reader per format, behind :func:`read_upload`.

Uploads are untrusted: every reader checks sizes and counts against :data:`LIMITS` before it parses,
and refuses what it cannot read with a :class:`~modeling.errors.DataError` that says what is wrong and
what to do. Tables go through :mod:`.tables` (CSV/TSV, and :mod:`.excel` and :mod:`.parquet`) and
:mod:`.columns` (which column is the text, which the label; business tables: :mod:`modeling.data.tabular`);
image ZIPs through :mod:`.image_zip` and :mod:`.safe_zip`; ``.npz``
files through :mod:`.arrays`. :mod:`modeling.data.sources` turns a config's ``source`` into a Dataset.
"""

from __future__ import annotations

import pandas as pd

from modeling.data.dataset import Dataset
from modeling.data.readers.arrays import dataset_from_arrays, read_npz
from modeling.data.readers.columns import dataset_from_table, guess_columns
from modeling.data.readers.excel import excel_sheets, read_excel_sheet
from modeling.data.readers.formats import IMAGE_EXTENSIONS, TABLE_EXTENSIONS, detect_format, refuse_format, suffix
from modeling.data.readers.image_zip import read_image_zip
from modeling.data.readers.limits import LIMITS, MIN_ROWS, UploadLimits, check_upload_size
from modeling.data.readers.tables import read_table

__all__ = [
    "IMAGE_EXTENSIONS",
    "LIMITS",
    "MIN_ROWS",
    "TABLE_EXTENSIONS",
    "UploadLimits",
    "dataset_from_arrays",
    "dataset_from_table",
    "excel_sheets",
    "guess_columns",
    "read_excel_sheet",
    "read_image_zip",
    "read_npz",
    "read_table",
    "read_upload",
]


def read_upload(data: bytes, filename: str) -> pd.DataFrame | Dataset:
    """Read any supported upload: a table gives a DataFrame (columns still to choose), images a Dataset."""
    check_upload_size(data, filename)
    kind = detect_format(data, filename)
    ext = suffix(filename)
    if kind == "text" and ext and ext not in TABLE_EXTENSIONS:
        raise refuse_format("unknown", filename)
    if kind in {"text", "excel", "parquet"}:
        return read_table(data, filename)
    if kind == "zip":
        return read_image_zip(data, filename)
    if kind == "npz":
        return read_npz(data, filename)
    raise refuse_format(kind, filename)
