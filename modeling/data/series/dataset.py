"""A forecasting table as a :class:`~modeling.data.dataset.Dataset` of kind ``series``: the long frame, checked.

The Data page (after the person confirmed the roles), a settings file (``task: forecasting``) and the built-in
sample all come through :func:`series_dataset`. The Dataset holds the long frame (``unique_id``, ``ds``, ``y``
and the known-ahead columns) as ``frame``, the ``y`` values as float ``labels``, the
:class:`~modeling.data.series.preparation.SeriesPreparation` as ``preparation`` (saved with the data as JSON) and
its notes. :func:`proposed_roles` fills the roles a settings file left empty from
:func:`~modeling.data.series.propose.propose_series`, and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from modeling.data.dataset import Dataset
from modeling.data.series.prepare import prepare_series
from modeling.data.series.propose import propose_series
from modeling.errors import DataError


def series_dataset(
    df: pd.DataFrame,
    date_column: str,
    target_column: str,
    series_columns: Sequence[str] = (),
    known_ahead_columns: Sequence[str] = (),
    *,
    date_order: str = "auto",
    duplicates: str = "sum",
    fill_gaps: str = "none",
    frequency: str | None = None,
    name: str = "",
    source: str = "",
) -> Dataset:
    """The checked series Dataset of ``df`` with these roles (:func:`prepare_series` says what each step does)."""
    prepared = prepare_series(
        df,
        date_column,
        target_column,
        series_columns,
        known_ahead_columns,
        date_order=date_order,
        duplicates=duplicates,
        fill_gaps=fill_gaps,
        frequency=frequency or None,
    )
    long = prepared.long
    return Dataset(
        kind="series",
        name=name or "series",
        labels=long["y"].to_numpy(),
        class_names=[],
        frame=long,
        target_column=target_column,
        preparation=prepared.preparation,
        source=source,
        notes=list(prepared.preparation.notes),
    )


@dataclass
class Roles:
    """The columns a forecast reads, and a sentence when some were proposed rather than given."""

    date_column: str
    target_column: str
    series_columns: list[str] = field(default_factory=list)
    known_ahead_columns: list[str] = field(default_factory=list)
    note: str = ""


def proposed_roles(
    df: pd.DataFrame,
    date_column: str | None,
    target_column: str | None,
    series_columns: Sequence[str] = (),
    known_ahead_columns: Sequence[str] = (),
    source: str = "the table",
) -> Roles:
    """The given roles, with the date and target (and then the series and known-ahead columns) proposed when empty.

    Series and known-ahead columns are taken from the proposal only when the date column was not given either:
    a settings file that names its date column has said everything it meant to.
    """
    if date_column and target_column:
        return Roles(date_column, target_column, list(series_columns), list(known_ahead_columns))
    proposal = propose_series(df)
    if proposal is None:
        raise DataError(
            f"{source} does not look like a time series (a column of dates and a number measured on them). Set "
            "data.date_column and data.target_column to the columns to use."
        )
    date = date_column or proposal.date_column
    target = target_column or proposal.target_column
    series = list(series_columns) if date_column else proposal.series_columns
    known = list(known_ahead_columns) if date_column else proposal.known_ahead_columns
    known = [c for c in known if c != target]
    parts = [f"dates in '{date}'", f"forecasting '{target}'"]
    if series:
        parts.append("per " + " and ".join(f"'{c}'" for c in series))
    if known:
        parts.append("known ahead: " + ", ".join(f"'{c}'" for c in known))
    note = (
        f"The columns were proposed: {', '.join(parts)}. Set data.date_column, data.target_column, "
        "data.series_columns and data.known_ahead_columns to choose."
    )
    return Roles(date, target, series, known, note)
