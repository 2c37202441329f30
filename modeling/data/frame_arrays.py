"""A DataFrame as plain NumPy arrays and back, for ``Dataset.save_npz`` (no pickle anywhere).

A table's feature frame and a time series' long frame travel inside an ``.npz`` (to a Ray job, into a run
folder's ``test.npz``). ``np.savez`` would pickle an object column, and ``np.load(allow_pickle=False)`` is the
only safe way to read one back, so every column is stored as a plain array by what it holds:

* numbers and yes/no as ``float64`` with NaN for missing (whole numbers without blanks stay ``int64``);
* dates and times as ``int64`` ticks since 1970 in the column's own unit (pandas 3 reads microseconds) with a
  missing mask, the unit and the time zone (when one was set);
* everything else as fixed-width unicode with a missing mask, read back as pandas' ``str`` dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def frame_arrays(frame: pd.DataFrame, prefix: str = "frame") -> dict[str, np.ndarray]:
    """``frame`` as ``{"frame_columns": names, "frame_<i>": values, ...}``; the inverse is :func:`frame_from_arrays`.

    ``prefix`` replaces ``frame`` in the keys, so one ``.npz`` can hold a second frame beside the first.
    """
    arrays: dict[str, np.ndarray] = {"frame_columns": np.asarray([str(c) for c in frame.columns], dtype=str)}
    for i, name in enumerate(frame.columns):
        column = frame.iloc[:, i] if frame.columns.has_duplicates else frame[name]
        missing = column.isna().to_numpy()
        if pd.api.types.is_datetime64_any_dtype(column):
            zone = getattr(column.dt, "tz", None)
            plain = column.dt.tz_convert("UTC").dt.tz_localize(None) if zone is not None else column
            ticks = plain.to_numpy()
            arrays[f"frame_{i}"] = np.where(missing, 0, ticks.astype(np.int64))
            arrays[f"frame_datetime_{i}"] = missing
            arrays[f"frame_unit_{i}"] = np.asarray(np.datetime_data(ticks.dtype)[0])
            if zone is not None:
                arrays[f"frame_tz_{i}"] = np.asarray(str(zone))
        elif pd.api.types.is_integer_dtype(column) and not missing.any():
            arrays[f"frame_{i}"] = column.to_numpy(dtype=np.int64)
        elif pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            arrays[f"frame_{i}"] = column.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            arrays[f"frame_{i}"] = column.astype("string").fillna("").to_numpy(str)
            arrays[f"frame_missing_{i}"] = missing
    return {prefix + key.removeprefix("frame"): value for key, value in arrays.items()}


def frame_from_arrays(z: Any, prefix: str = "frame") -> pd.DataFrame:
    """The frame :func:`frame_arrays` stored: numbers as float64 (whole numbers int64), dates, text with blanks."""
    if prefix != "frame":
        z = {"frame" + key.removeprefix(prefix): z[key] for key in z if key.startswith(prefix + "_")}
    data = {}
    for i, name in enumerate(str(c) for c in z["frame_columns"]):
        values = z[f"frame_{i}"]
        if f"frame_datetime_{i}" in z:
            unit = str(z[f"frame_unit_{i}"]) if f"frame_unit_{i}" in z else "ns"
            ticks = values.astype(np.int64).astype(f"datetime64[{unit}]")
            ticks[z[f"frame_datetime_{i}"]] = np.datetime64("NaT")
            column = pd.Series(ticks)
            if f"frame_tz_{i}" in z:
                column = column.dt.tz_localize("UTC").dt.tz_convert(str(z[f"frame_tz_{i}"]))
            data[name] = column
        elif f"frame_missing_{i}" in z:
            column = pd.Series(values.astype(str), dtype="str")
            column[z[f"frame_missing_{i}"]] = None
            data[name] = column
        elif np.issubdtype(values.dtype, np.integer):
            data[name] = values.astype(np.int64)
        else:
            data[name] = values.astype(np.float64)
    return pd.DataFrame(data)
