"""A table a person sends to a forecast run, read the way training read the history.

Rows name a series by its series columns (joined as training joined them: ``"North / Milk"``) and a date in the
date column (read in the order training chose: day-first dates stay day-first); known-ahead columns, where
present, are the planned values of a what-if, and the target column, where present, the actual values of a
later period. Every problem is a :class:`DataError` that names the rows and says what to do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.series.dates import parse_dates, rows_text
from modeling.data.series.frequency import Frequency, anchor
from modeling.data.series.preparation import SINGLE_SERIES, SeriesPreparation
from modeling.data.series.values import flag_or_number, target_numbers
from modeling.errors import DataError

#: How a series' name joins its series columns (as :func:`modeling.data.series.prepare_series` does).
JOIN = " / "


def series_ids(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Each row's series name from its series columns (``"all"`` when the run has none)."""
    if not columns:
        return pd.Series(SINGLE_SERIES, index=frame.index, dtype="str")
    parts = [frame[c].astype("str").fillna("(blank)").str.strip() for c in columns]
    ids = parts[0]
    for part in parts[1:]:
        ids = ids + JOIN + part
    return ids


def series_columns_of(ids: pd.Series, columns: Sequence[str]) -> dict[str, pd.Series]:
    """The series columns back from series names (the inverse of :func:`series_ids`)."""
    if not columns:
        return {}
    split = ids.astype(str).str.split(JOIN, n=len(columns) - 1, regex=False, expand=True)
    return {name: split[i] if i in split else pd.Series("", index=ids.index) for i, name in enumerate(columns)}


def check_columns(frame: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        shown = ", ".join(f"'{fmt.clip(str(c), 30)}'" for c in list(frame.columns)[:12]) or "none"
        raise DataError(
            f"The file has no column {', '.join(repr(c) for c in absent)}, which {what} needs. Its columns are {shown}."
        )


def read_keys(frame: pd.DataFrame, preparation: SeriesPreparation, frequency: Frequency) -> pd.DataFrame:
    """``unique_id`` and ``ds`` of every row (dates read as training read them), in the rows' order."""
    check_columns(frame, [preparation.date_column, *preparation.series_columns], "a forecast")
    # Day-first or month-first stays as training read it; anything else is recognised again (a file of future
    # rows may write ISO dates where the history had names, or the other way round).
    order = preparation.date_order if preparation.date_order in ("day_first", "month_first") else "auto"
    reading = parse_dates(frame[preparation.date_column].reset_index(drop=True), order, preparation.date_column)
    keys = pd.DataFrame(
        {
            "unique_id": series_ids(frame, preparation.series_columns).astype(str).to_numpy(),
            "ds": reading.dates.to_numpy(),
        }
    )
    keys["ds"] = anchor(keys["ds"].astype("datetime64[ns]"), frequency).astype("datetime64[ns]")
    missing = np.flatnonzero(keys["ds"].isna().to_numpy())
    if len(missing):
        raise DataError(f"'{preparation.date_column}' is empty in {rows_text(missing)}; every row needs a date.")
    return keys


def check_known_series(keys: pd.DataFrame, known: Sequence[str]) -> None:
    """:class:`DataError` naming the rows whose series the run never saw."""
    unknown = np.flatnonzero(~keys["unique_id"].isin(list(known)).to_numpy())
    if len(unknown):
        first = keys["unique_id"].iloc[unknown[0]]
        shown = ", ".join(f"'{s}'" for s in list(known)[:5]) + (", ..." if len(known) > 5 else "")
        raise DataError(
            f"{rows_text(unknown)} name{'s' if len(unknown) == 1 else ''} a series this run does not forecast "
            f"('{first}'); it forecasts {fmt.plural(len(known), 'series', 'series')}: {shown}."
        )


def planned_values(frame: pd.DataFrame, keys: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame | None:
    """The known-ahead values the rows give (a what-if), as ``unique_id``, ``ds`` and those columns; ``None``: none."""
    present = [c for c in columns if c in frame.columns]
    if not present:
        return None
    plan = keys.copy()
    for column in present:
        plan[column] = flag_or_number(frame[column].reset_index(drop=True), column).to_numpy()
    plan = plan.dropna(subset=present, how="all")
    return plan if len(plan) else None


def actual_values(frame: pd.DataFrame, keys: pd.DataFrame, target: str) -> pd.DataFrame:
    """``unique_id``, ``ds``, ``y`` of rows with an actual value (empty cells skipped)."""
    check_columns(frame, [target], "judging the forecast")
    actual = keys.copy()
    actual["y"] = target_numbers(frame[target].reset_index(drop=True), target).to_numpy()
    return actual.dropna(subset=["y"]).groupby(["unique_id", "ds"], as_index=False, sort=False)["y"].sum()
