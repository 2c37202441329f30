"""Parquet files, nested columns included: what a table model can use is flattened, the rest left out with a note.

Parquet can hold structures (a column ``address`` with ``city`` and ``zip`` inside), lists and maps in
one cell. Structures are flattened into ordinary columns (``address.city``); lists, maps and raw bytes
have no single value per row, so those columns are left out and named in a note that says what to do.
"""

from __future__ import annotations

import io

import pandas as pd

from modeling import format as fmt
from modeling.data.readers.limits import LIMITS
from modeling.errors import DataError


def read_parquet_table(data: bytes, filename: str) -> pd.DataFrame:
    """A Parquet file as a DataFrame with nested columns flattened or left out (``df.attrs["notes"]``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(io.BytesIO(bytes(data)))
        rows, width = parquet.metadata.num_rows, parquet.metadata.num_columns
        if rows > LIMITS.max_rows:
            raise DataError(
                f"'{filename}' has {fmt.count(rows)} rows; the limit is {fmt.count(LIMITS.max_rows)}. Upload a sample "
                f"of at most {fmt.count(LIMITS.max_rows)} rows."
            )
        if width > LIMITS.max_columns * 4:
            raise DataError(
                f"'{filename}' has {fmt.count(width)} columns; the limit is {fmt.count(LIMITS.max_columns)}. Keep only "
                "the columns you need."
            )
        table = parquet.read()
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, NotImplementedError, ...
        raise DataError(
            f"'{filename}' could not be read as a Parquet file ({fmt.first_line(exc)}). "
            "Save it again, or export the table as CSV."
        ) from None
    notes: list[str] = []
    flattened = []
    while any(pa.types.is_struct(field.type) for field in table.schema):
        flattened.extend(f.name for f in table.schema if pa.types.is_struct(f.type))
        table = table.flatten()
    if flattened:
        shown = ", ".join(f"'{fmt.clip(n, 30)}'" for n in flattened[:5])
        example = next((f.name for f in table.schema if "." in f.name), "column.field")
        notes.append(f"Nested columns ({shown}) were split into one column per field, named like '{example}'.")
    dropped: list[str] = []
    keep = []
    for field in table.schema:
        kind = field.type
        nested = pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
        if nested or pa.types.is_map(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            dropped.append(field.name)
        else:
            keep.append(field.name)
    if dropped:
        shown = ", ".join(f"'{fmt.clip(n, 30)}'" for n in dropped[:8]) + (", ..." if len(dropped) > 8 else "")
        notes.append(
            f"{fmt.plural(len(dropped), 'column')} ({shown}) hold{'s' if len(dropped) == 1 else ''} lists, maps or raw "
            "bytes (several values in one cell), which a table model cannot use, so "
            f"{'it was' if len(dropped) == 1 else 'they were'} left out. If one matters, turn it into ordinary columns "
            "(a count, or one column per value) before uploading."
        )
        table = table.select(keep)
    if not keep:
        raise DataError(
            f"Every column of '{filename}' holds lists, maps or raw bytes; a table model needs one value per cell. "
            "Flatten the data into ordinary columns and upload it again."
        )
    try:
        df = table.to_pandas()
    except Exception as exc:  # unusual types (extension types, huge decimals)
        raise DataError(
            f"'{filename}' holds column types ModelDeck cannot convert ({fmt.first_line(exc)}). Export it as CSV."
        ) from None
    for name in df.columns:
        if isinstance(df[name].dtype, pd.CategoricalDtype):
            df[name] = df[name].astype("str").where(df[name].notna())
    df.attrs["notes"] = notes
    return df
