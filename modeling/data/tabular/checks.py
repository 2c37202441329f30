"""Plain warnings about a table before anyone trains on it, each with a one-click fix where one exists.

:func:`check_table` looks at the columns (IDs, constant, mostly empty, unreadable cells), the target
(missing values, text in a numeric target, tiny classes, a heavy tail) and the rows (duplicates, too
few), and runs the leakage check (:mod:`.power`). Each :class:`TableWarning` carries a sentence for a
person and, where a single action fixes it, a :class:`Fix` the page turns into a button: ignore or use
a column, drop duplicate rows, predict the log of the target.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.tabular.columns import MOSTLY_EMPTY, ColumnInfo
from modeling.data.tabular.labels import fit_labels
from modeling.data.tabular.power import prediction_power
from modeling.data.tabular.target import REGRESSION, propose_task
from modeling.data.tabular.values import missing_mask
from modeling.errors import DataError

#: Stand-alone scores at or above these flag a column as leaking the target.
LEAK_AUC = 0.97
LEAK_R2 = 0.95
#: Classes with fewer rows than this earn a warning.
SMALL_CLASS = 10
#: The top 1% of a positive target more than this many times its median suggests predicting the log.
HEAVY_TAIL_RATIO = 4.0
#: Fewer rows than this earn a warning that scores will be noisy.
FEW_ROWS = 100
#: Missing share from which a used column earns a warning (it is left out from MOSTLY_EMPTY on).
HALF_EMPTY = 0.5
#: Duplicate rows are counted on at most this many cells (a row sample of bigger tables).
DUPLICATE_CELLS = 20_000_000

Action = Literal["ignore_column", "use_column", "drop_duplicates", "log_target"]


@dataclass(frozen=True)
class Fix:
    """One action that resolves a warning: ``label`` is the button's text."""

    action: Action
    label: str
    column: str | None = None


@dataclass(frozen=True)
class TableWarning:
    """A problem in words; ``severity`` is 'warning' (act on it) or 'info' (already handled, for the record)."""

    code: str
    message: str
    column: str | None = None
    severity: Literal["warning", "info"] = "warning"
    fix: Fix | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_table(
    df: pd.DataFrame,
    columns: list[ColumnInfo],
    target_column: str,
    task: str | None = None,
    power: dict[str, float] | None = None,
) -> list[TableWarning]:
    """Every warning about ``df`` predicting ``target_column``, the most important first.

    ``columns`` carry the current roles (the person's choices), so a column switched back on earns the
    warning its default role avoided. ``power`` reuses a leakage check already made.
    """
    info = next((c for c in columns if c.name == target_column), None)
    if info is None:
        raise DataError(f"The target column '{target_column}' is not in the table.")
    warnings: list[TableWarning] = []
    if task is None:
        proposal = propose_task(df[target_column], info)
        task = proposal.task
        if task is None:
            warnings.append(TableWarning("target_unusable", proposal.reason, target_column))
    if task is not None:
        warnings.extend(_target_warnings(df[target_column], info, task))
        power = prediction_power(df, columns, target_column, task) if power is None else power
        warnings.extend(_leakage(columns, power, target_column, task))
    warnings.extend(_row_warnings(df))
    for column in columns:
        if column.name != target_column:
            warnings.extend(_column_warnings(column))
    order = {"warning": 0, "info": 1}
    return sorted(warnings, key=lambda w: order[w.severity])


# ---- columns ------------------------------------------------------------------------------------------------
def _column_warnings(c: ColumnInfo) -> list[TableWarning]:
    name = fmt.clip(c.name, 40)
    used = c.role == "use"
    out: list[TableWarning] = []
    if c.kind == "id":
        message = f"'{name}' looks like an ID ({fmt.count(c.distinct)} different values). " + (
            "A model would memorise rows instead of learning; leave it out."
            if used
            else "It is left out: a model would memorise rows instead of learning."
        )
        out.append(_column_warning("id_column", message, c))
    elif c.kind == "empty":
        out.append(TableWarning("empty_column", f"'{name}' is empty in every row; it is left out.", c.name, "info"))
    elif c.distinct <= 1 and c.missing_share == 0:
        message = f"'{name}' has the same value ('{fmt.clip(c.example, 20)}') in every row, so it tells nothing."
        out.append(_column_warning("constant_column", message, c))
    elif c.missing_share >= MOSTLY_EMPTY or (used and c.missing_share >= HALF_EMPTY):
        message = f"'{name}' is empty in {fmt.share(c.missing_share)} of rows."
        if c.missing_share >= MOSTLY_EMPTY:
            out.append(_column_warning("mostly_empty", message, c))
        else:
            message += " Models handle the blanks, but check that they mean 'unknown' rather than a value."
            out.append(TableWarning("half_empty", message, c.name, "info"))
    elif c.kind == "text" and not used:
        message = (
            f"'{name}' holds free text, which table models do not read; it is left out. To learn from it, train a "
            "text model with it as the text column."
        )
        out.append(
            TableWarning("free_text", message, c.name, "info", Fix("use_column", f"Use '{name}' as a category", c.name))
        )
    elif c.kind == "category" and not used and c.reason:
        out.append(
            TableWarning(
                "many_categories",
                f"'{name}' has {c.reason}; it is left out.",
                c.name,
                "info",
                Fix("use_column", f"Use '{name}' anyway", c.name),
            )
        )
    if c.unreadable and c.kind not in ("empty", "id"):
        what = {"number": "numbers", "boolean": "yes/no values", "datetime": "dates"}.get(c.format.kind, "values")
        shown = ", ".join(f"'{v}'" for v in c.unreadable_examples)
        out.append(
            TableWarning(
                "unreadable_cells",
                f"'{name}' holds {what}, but {fmt.plural(c.unreadable, 'cell')} {fmt.is_are(c.unreadable)} "
                f"not ({shown}); "
                f"{'it is' if c.unreadable == 1 else 'they are'} read as missing. Correct them in the file if they "
                "mean something.",
                c.name,
                "info",
            )
        )
    return out


def _column_warning(code: str, message: str, c: ColumnInfo) -> TableWarning:
    """A column problem: a warning with 'leave it out' while the column is used, else a note with 'use it anyway'."""
    name = fmt.clip(c.name, 40)
    if c.role == "use":
        return TableWarning(code, message, c.name, "warning", Fix("ignore_column", f"Leave '{name}' out", c.name))
    return TableWarning(code, message, c.name, "info", Fix("use_column", f"Use '{name}' anyway", c.name))


# ---- leakage ------------------------------------------------------------------------------------------------
def _leakage(columns: list[ColumnInfo], power: dict[str, float], target: str, task: str) -> list[TableWarning]:
    out: list[TableWarning] = []
    threshold = LEAK_R2 if task == REGRESSION else LEAK_AUC
    metric = "R²" if task == REGRESSION else "ROC AUC"
    roles = {c.name: c.role for c in columns}
    for name, score in sorted(power.items(), key=lambda item: -item[1]):
        if score < threshold or roles.get(name) != "use":
            continue
        shown = fmt.clip(name, 40)
        out.append(
            TableWarning(
                "leakage",
                f"'{shown}' on its own predicts '{fmt.clip(target, 40)}' almost perfectly ({metric} {score:.2f} on "
                "held-out rows). If it is only known after the outcome, or is computed from it, the model will look "
                "far better than it is on new cases. Leave it out unless you will know it when you predict.",
                name,
                "warning",
                Fix("ignore_column", f"Leave '{shown}' out", name),
                score=score,
            )
        )
    return out


# ---- the target ---------------------------------------------------------------------------------------------
def _target_warnings(series: pd.Series, info: ColumnInfo, task: str) -> list[TableWarning]:
    name = fmt.clip(info.name, 40)
    out: list[TableWarning] = []
    missing = int(missing_mask(series).sum())
    if missing:
        out.append(
            TableWarning(
                "target_missing",
                f"{fmt.plural(missing, 'row')} {'has' if missing == 1 else 'have'} no "
                f"value in '{name}' (the target); {'it is' if missing == 1 else 'they are'} left out of training and "
                "testing.",
                info.name,
                "info",
            )
        )
    try:
        target = fit_labels(series, info, task)
    except DataError as exc:
        return [*out, TableWarning("target_unusable", str(exc), info.name, "warning")]
    out.extend(TableWarning("target_rows", note, info.name, "info") for note in target.notes[1 if missing else 0 :])
    if task == REGRESSION:
        out.extend(_heavy_tail(target.labels, info))
        return out
    counts = np.bincount(target.labels, minlength=len(target.class_names))
    small = [(c, int(n)) for c, n in zip(target.class_names, counts, strict=True) if n < SMALL_CLASS]
    if small:
        shown = ", ".join(f"'{fmt.clip(c, 20)}' ({n})" for c, n in small[:5])
        out.append(
            TableWarning(
                "small_classes",
                f"Some classes of '{name}' have fewer than {SMALL_CLASS} rows: {shown}. The model will rarely predict "
                "them and their scores will be unreliable; add rows or merge them into a larger class.",
                info.name,
            )
        )
    share = counts.min() / counts.sum() if counts.sum() else 0.0
    if len(counts) == 2 and 0 < share < 0.05:
        rare = target.class_names[int(np.argmin(counts))]
        out.append(
            TableWarning(
                "imbalance",
                f"Only {fmt.share(share)} of rows are '{fmt.clip(rare, 20)}': always answering the other class is "
                f"right {fmt.share(1 - share)} of the time, so judge the model by ROC AUC and recall, not accuracy.",
                info.name,
                "info",
            )
        )
    return out


def _heavy_tail(values: np.ndarray, info: ColumnInfo) -> list[TableWarning]:
    """A positive target whose largest 1% are many times the median: suggest predicting the log, in its units."""
    if len(values) < 50 or values.min() <= 0:
        return []
    median = float(np.median(values))
    top = float(np.quantile(values, 0.99))
    if median <= 0 or top / median < HEAVY_TAIL_RATIO:
        return []
    name = fmt.clip(info.name, 40)
    unit = info.format.currency
    money = (lambda v: fmt.money(v, unit)) if unit else (lambda v: f"{v:,.4g}" if v < 1000 else fmt.count(round(v)))
    ratio = top / median
    return [
        TableWarning(
            "heavy_tail",
            f"The largest 1% of '{name}' are over {ratio:.0f} times the median ({money(top)} and more, against a "
            f"median of {money(median)}). A few huge values dominate the errors; predicting the log of '{name}' "
            "usually "
            "gives better estimates for typical rows.",
            info.name,
            "warning",
            Fix("log_target", f"Predict the log of '{name}'", info.name),
            score=ratio,
        )
    ]


# ---- rows ---------------------------------------------------------------------------------------------------
def _row_warnings(df: pd.DataFrame) -> list[TableWarning]:
    out: list[TableWarning] = []
    if len(df) < FEW_ROWS:
        out.append(
            TableWarning(
                "few_rows",
                f"The table has only {fmt.plural(len(df), 'row')}; the test set will be tiny and scores will jump "
                "around. A few hundred rows at least make a useful model.",
            )
        )
    copies, sampled = duplicate_count(df)
    if copies:
        where = " (in a sample of the rows)" if sampled else ""
        out.append(
            TableWarning(
                "duplicate_rows",
                f"{fmt.plural(copies, 'row')} {fmt.is_are(copies)} exact copies of another row{where}. Copies that "
                "land "
                "in both the training and the test rows make the scores look better than they are.",
                None,
                "warning" if copies >= max(5, len(df) // 100) else "info",
                Fix("drop_duplicates", f"Remove the {fmt.plural(copies, 'copy', 'copies')}"),
            )
        )
    return out


def duplicate_count(df: pd.DataFrame) -> tuple[int, bool]:
    """(rows that repeat an earlier row exactly, whether only a sample of rows was compared)."""
    sampled = df.size > DUPLICATE_CELLS
    table = df.head(max(1, DUPLICATE_CELLS // max(1, df.shape[1]))) if sampled else df
    try:
        hashed = pd.util.hash_pandas_object(table, index=False)
    except TypeError:  # unhashable cells (lists from a Parquet file)
        hashed = pd.util.hash_pandas_object(table.astype("str"), index=False)
    return int(hashed.duplicated().sum()), sampled
