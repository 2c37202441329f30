"""A table and a chosen target -> a checked table :class:`~modeling.data.dataset.Dataset`.

The one function a page, the command line or a notebook calls once the target is known:
:func:`dataset_from_table` infers the columns (or takes the page's), applies the person's roles, reads
the target (rows without one are left out and counted), fits the :class:`TablePreparation` and builds
the typed feature frame. Every row left out and every cell read as missing is counted in ``notes``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.dataset import Dataset
from modeling.data.tabular.columns import ColumnInfo, infer_columns
from modeling.data.tabular.labels import fit_labels
from modeling.data.tabular.prepare import OTHER, TablePreparation, value_kind
from modeling.data.tabular.target import TABLE_TASKS, propose_task
from modeling.errors import DataError

RoleChoice = Literal["use", "ignore"]


def apply_roles(columns: list[ColumnInfo], roles: dict[str, str] | None) -> list[ColumnInfo]:
    """The columns with a person's roles applied (``{"customer_id": "ignore", "notes": "use"}``).

    An unknown column name or role is a DataError that lists what is allowed, so a typo in a YAML file
    is not silently ignored.
    """
    if not roles:
        return list(columns)
    names = {c.name for c in columns}
    unknown = [str(n) for n in roles if str(n) not in names]
    if unknown:
        shown = ", ".join(f"'{fmt.clip(n, 30)}'" for n in unknown[:5])
        listed = ", ".join(f"'{fmt.clip(n, 30)}'" for n in list(names)[:15])
        raise DataError(f"data.columns names {shown}, which the table does not have. Its columns are: {listed}.")
    out: list[ColumnInfo] = []
    for info in columns:
        wanted = roles.get(info.name)
        if wanted is None or wanted == info.role:
            out.append(info)
            continue
        if wanted not in ("use", "ignore"):
            raise DataError(f"The role of '{fmt.clip(info.name, 30)}' is '{wanted}'; choose 'use' or 'ignore'.")
        if wanted == "use" and info.kind == "empty":
            raise DataError(f"'{fmt.clip(info.name, 30)}' is empty in every row, so a model cannot use it.")
        out.append(info.with_role(wanted, "your choice"))  # type: ignore[arg-type]
    return out


def dataset_from_table(
    df: pd.DataFrame,
    target_column: str,
    roles: dict[str, str] | None = None,
    task: str | None = None,
    name: str = "table",
    source: str = "",
    columns: list[ColumnInfo] | None = None,
    drop_duplicates: bool = False,
) -> Dataset:
    """A table Dataset predicting ``target_column`` from the other used columns.

    ``roles`` overrides the proposed use/ignore per column; ``task`` (``tabular_classification`` or
    ``tabular_regression``) overrides the proposed task; ``columns`` reuses an inference already made
    (the Data page's); ``drop_duplicates`` removes exact copies of earlier rows (counted). Rows without a
    target are left out and counted; a target that cannot be
    predicted (constant, dates, text for regression, too many classes) is a DataError that says why.
    """
    names = [str(c) for c in df.columns]
    table = df.copy(deep=False)
    table.columns = names
    if str(target_column) not in names:
        shown = ", ".join(f"'{fmt.clip(c, 30)}'" for c in names[:20]) + (", ..." if len(names) > 20 else "")
        raise DataError(f"The target column '{target_column}' is not in the table. The columns are: {shown}.")
    target_column = str(target_column)
    notes: list[str] = list(df.attrs.get("notes", []))
    if drop_duplicates:
        copies = duplicate_mask(table)
        if copies.any():
            table = table.loc[~copies].reset_index(drop=True)
            n = int(copies.sum())
            notes.append(f"{fmt.plural(n, 'row')} that repeated an earlier row exactly {fmt.was_were(n)} removed.")
    infos = columns if columns is not None else infer_columns(table)
    infos = apply_roles(infos, {k: v for k, v in (roles or {}).items() if str(k) != target_column})
    target_info = next((c for c in infos if c.name == target_column), None)
    if target_info is None:
        raise DataError(f"The column facts given do not include the target '{target_column}'; infer them again.")
    if task is None:
        proposal = propose_task(table[target_column], target_info)
        if proposal.task is None:
            raise DataError(proposal.reason)
        task = proposal.task
    elif task not in TABLE_TASKS:
        raise DataError(f"The task '{task}' is not one for tables; choose one of: {', '.join(TABLE_TASKS)}.")

    target = fit_labels(table[target_column], target_info, task)
    notes.extend(target.notes)
    kept = table.loc[target.keep].reset_index(drop=True)
    infos = [c.with_role("target", "the column to predict") if c.name == target_column else c for c in infos]
    preparation = TablePreparation.fit(kept, infos, target_column)
    prepared = preparation.prepare(kept)
    notes.extend(_column_notes(infos, preparation, kept, target_column))
    if prepared.unreadable:
        parts = ", ".join(f"'{fmt.clip(c, 30)}' {fmt.count(n)}" for c, n in prepared.unreadable.items())
        notes.append(f"Cells that could not be read were treated as missing: {parts}.")
    return Dataset(
        kind="table",
        name=name,
        labels=target.labels,
        class_names=target.class_names,
        source=source,
        notes=notes,
        frame=prepared.frame,
        target_column=target_column,
        label_column=target_column,
        columns=infos,
        preparation=preparation,
        left_out=left_out_columns(kept, infos),
    )


#: Longest cell kept of a column the model does not read (an ID, a code, a group; free text is cut).
LEFT_OUT_CHARS = 200


def left_out_columns(table: pd.DataFrame, infos: list[ColumnInfo]) -> pd.DataFrame | None:
    """The columns set to 'ignore' (IDs, columns left out by the person) as written, or ``None`` when there are none.

    They travel with the dataset, never into the model: a ranked list names its rows by their ID, and a fairness
    check can audit a sensitive column the model was not allowed to read.
    """
    names = [c.name for c in infos if c.role == "ignore" and c.kind != "empty" and c.name in table.columns]
    if not names:
        return None
    kept = {name: table[name].astype("str").str.slice(0, LEFT_OUT_CHARS) for name in names}
    return pd.DataFrame(kept).reset_index(drop=True)


def _column_notes(
    infos: list[ColumnInfo], preparation: TablePreparation, kept: pd.DataFrame, target_column: str
) -> list[str]:
    """What happened to the columns: which were left out and why, which categories were grouped."""
    notes: list[str] = []
    ignored = [c for c in infos if c.role == "ignore"]
    if ignored:
        shown = "; ".join(f"'{fmt.clip(c.name, 30)}': {c.reason or 'your choice'}" for c in ignored[:6])
        more = f"; and {fmt.count(len(ignored) - 6)} more" if len(ignored) > 6 else ""
        notes.append(f"{fmt.plural(len(ignored), 'column')} {fmt.is_are(len(ignored))} not used: {shown}{more}.")
    for info in preparation.columns:
        if value_kind(info) != "category" or info.distinct <= len(preparation.categories.get(info.name, [])):
            continue
        kept_values = preparation.categories[info.name]
        values = kept[info.name].astype("str").str.strip()
        grouped = int((~values.isin(kept_values) & kept[info.name].notna()).sum())
        notes.append(
            f"'{fmt.clip(info.name, 30)}' has {fmt.count(info.distinct)} different values; the "
            f"{fmt.count(len(kept_values))} most frequent are kept and the rest ({fmt.plural(grouped, 'row')}) are "
            f"grouped as '{OTHER}'."
        )
    dates = [c for c in preparation.columns if value_kind(c) == "datetime"]
    for info in dates:
        reference = preparation.date_reference.get(info.name, "")[:10]
        parts = "year, month, weekday, day" + (", hour" if info.format.has_time else "")
        notes.append(
            f"The dates in '{fmt.clip(info.name, 30)}' are read as {parts} and days since {reference} (the earliest)."
        )
    return notes


def duplicate_mask(df: pd.DataFrame) -> np.ndarray:
    """True for each row that repeats an earlier row exactly (every column equal)."""
    try:
        hashed = pd.util.hash_pandas_object(df, index=False)
    except TypeError:  # unhashable cells (lists from a Parquet file)
        hashed = pd.util.hash_pandas_object(df.astype("str"), index=False)
    return np.asarray(hashed.duplicated(), dtype=bool)
