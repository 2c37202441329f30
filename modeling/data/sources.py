"""A config's ``data.source`` -> a Dataset: a built-in sample or a file on disk.

Kept apart from the readers so samples (which use the readers) and sources (which use both) do not
import each other. The config's task says which kind of data to build (the registry's ``TaskSpec.kind``):
texts and images come straight from the readers, a kind with its own builder in :data:`KIND_BUILDERS` (a
business table, with its target column and roles) from that builder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from modeling import format as fmt
from modeling.data import tabular
from modeling.data.dataset import Dataset
from modeling.data.readers import read_table, read_upload
from modeling.data.readers.columns import dataset_from_table, guess_columns
from modeling.data.readers.formats import detect_format
from modeling.data.readers.limits import LIMITS, MB
from modeling.data.sample_catalog import SAMPLES
from modeling.data.samples import load_sample, sample_table
from modeling.data.series.dataset import proposed_roles, series_dataset
from modeling.data.tabular.target import propose_target
from modeling.errors import DataError
from modeling.templates import registry

if TYPE_CHECKING:
    from modeling.config import DataConfig, ExperimentConfig


def load_source(
    source: str,
    text_column: str | None = None,
    label_column: str | None = None,
    *,
    target_column: str | None = None,
    roles: dict[str, str] | None = None,
    sheet: str | None = None,
    task: str | None = None,
    drop_duplicates: bool = False,
    data_config: DataConfig | None = None,
) -> Dataset:
    """The Dataset named by a config's ``data.source``: ``sample:KEY`` or a file path (relative to the cwd).

    A kind's own dataset (a business table, a time series) is built when ``task`` is one of that kind's, or when
    a ``target_column`` is set, with the column ``roles``, the Excel ``sheet`` and ``drop_duplicates`` given (and
    the whole ``data_config`` section, for a kind that reads more of it: a series' date and series columns); otherwise a
    table is read as texts with a label (``text_column``, ``label_column``).
    """
    source = str(source).strip()
    build = _builder(task, target_column)
    if source.startswith("sample:"):
        key = source.removeprefix("sample:")
        if build is None:
            return load_sample(key)
        df, default_target = sample_table(key)
        title = SAMPLES[key].title
        return build(df, target_column or default_target, roles, task, title, source, drop_duplicates, data_config)
    path = Path(source).expanduser()
    data = _read_file(path, source)
    if detect_format(data, path.name) == "excel":
        result: pd.DataFrame | Dataset = read_table(data, path.name, sheet)
    else:
        result = read_upload(data, path.name)
    if isinstance(result, Dataset):
        if build is not None:
            raise DataError(f"'{source}' holds images, not a table; a table task needs a CSV, Excel or Parquet file.")
        result.source = source
        return result
    if build is not None:
        return build(result, target_column, roles, task, path.stem, source, drop_duplicates, data_config)
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


def dataset_for_config(config: ExperimentConfig) -> Dataset:
    """The Dataset an experiment config describes (its data section and, for tables, its task)."""
    data = config.data
    return load_source(
        data.source,
        data.text_column,
        data.label_column,
        target_column=data.target_column,
        roles=dict(data.columns),
        sheet=data.sheet,
        task=config.task,
        # Texts and images drop their copies in training (after the split is known); a table before it.
        drop_duplicates=data.drop_duplicates,
        data_config=data,
    )


def _read_file(path: Path, source: str) -> bytes:
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
        return path.read_bytes()
    except OSError as exc:
        raise DataError(
            f"Cannot read '{source}': {exc.strerror or fmt.first_line(exc)}. Check the file's permissions."
        ) from None


#: ``(frame, target, roles, task, name, source, drop_duplicates, data) -> Dataset`` for a table file read as one
#: kind; ``data`` is the config's whole data section (``None`` without a config).
KindBuilder = Callable[
    [pd.DataFrame, "str | None", "dict[str, str] | None", "str | None", str, str, bool, "DataConfig | None"], Dataset
]


def _table_dataset(
    df: pd.DataFrame,
    target_column: str | None,
    roles: dict[str, str] | None,
    task: str | None,
    name: str,
    source: str,
    drop_duplicates: bool,
    data: DataConfig | None = None,
) -> Dataset:
    """A business-table Dataset; the target is proposed when none is given (and said in the notes)."""
    task = task if task in registry.tasks_of_kind("table") else None
    target = target_column
    if not target:
        target = propose_target(df)
        if target is None:
            raise DataError(
                f"None of the columns of '{source}' can be predicted (they are empty, IDs, dates or free text). Set "
                "data.target_column to the column to predict."
            )
    dataset = tabular.dataset_from_table(
        df, target, roles=roles, task=task, name=name, source=source, drop_duplicates=drop_duplicates
    )
    if not target_column:
        dataset.notes.insert(0, f"The column to predict was guessed: '{target}'. Set data.target_column to choose.")
    return dataset


def _series_dataset(
    df: pd.DataFrame,
    target_column: str | None,
    roles: dict[str, str] | None,
    task: str | None,
    name: str,
    source: str,
    drop_duplicates: bool,
    data: DataConfig | None = None,
) -> Dataset:
    """A time-series Dataset with the config's roles; the roles it leaves empty are proposed (and said in the notes)."""
    given = proposed_roles(
        df,
        data.date_column if data is not None else None,
        target_column,
        data.series_columns if data is not None else (),
        data.known_ahead_columns if data is not None else (),
        f"'{source}'",
    )
    dataset = series_dataset(
        df,
        given.date_column,
        given.target_column,
        given.series_columns,
        given.known_ahead_columns,
        date_order=data.date_order if data is not None else "auto",
        duplicates=data.duplicate_dates if data is not None else "sum",
        fill_gaps=data.fill_gaps if data is not None else "none",
        frequency=data.frequency if data is not None else None,
        name=name,
        source=source,
    )
    if given.note:
        dataset.notes.insert(0, given.note)
    return dataset


#: Kinds of data whose datasets a table file is turned into by their own builder (texts and images need none).
KIND_BUILDERS: dict[str, KindBuilder] = {"table": _table_dataset, "series": _series_dataset}
#: The kind a ``target_column`` without a task of its own means: a business table.
TARGET_KIND = "table"


def _builder(task: str | None, target_column: str | None) -> KindBuilder | None:
    """The builder for the task's kind of data; a target column alone means a table. ``None``: texts or images."""
    kind = registry.task(task).kind if task in registry.TASKS else None
    if kind not in KIND_BUILDERS and target_column:
        kind = TARGET_KIND
    return KIND_BUILDERS.get(kind or "")
