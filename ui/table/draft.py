"""The business table being set up on the Data page: the raw table, the person's choices, the Dataset.

A table upload (or a table sample) becomes a :class:`TableDraft` in the session: the raw DataFrame as read,
its inferred columns, and what the person chose (the target, the task, a role per column, removing copies,
predicting the log). Every change rebuilds the table Dataset with
:func:`modeling.data.tabular.dataset_from_table` and makes it the active dataset, so the Model, Train and
other pages always see exactly what the Data page shows. A choice that cannot be used (a text column as a
number to predict) clears the active dataset and keeps the reason, so nothing trains on stale choices.

The choices also travel into the experiment's config (:func:`data_fields`, :func:`wants_log_target`):
``data.target_column``, ``data.columns``, ``data.sheet``, ``data.drop_duplicates`` and ``settings.log_target``,
so the downloaded YAML and the command line reproduce the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from modeling.data import tabular
from modeling.data.dataset import Dataset
from modeling.data.tabular.build import duplicate_mask
from modeling.errors import ModelDeckError
from modeling.templates import defaults, registry
from ui import state

#: Session keys: the draft, and the choices behind each table Dataset built here (by its fingerprint).
DRAFT_KEY = "table_draft"
CHOICES_KEY = "table_choices"
#: The Model page's widget key for ``log_target``: dropped when the Data page's fix changes it.
LOG_TARGET_WIDGET = "setting_log_target"


@dataclass
class TableDraft:
    """One raw table and the person's choices about it (kept in the session, rebuilt into a Dataset on change)."""

    df: pd.DataFrame
    name: str
    source: str
    key: str
    columns: list[tabular.ColumnInfo]
    target: str | None
    sheet: str | None = None
    #: ``None``: follow the proposal for the target; else the person's choice.
    task: str | None = None
    #: Roles the person set, overriding the inferred ones ({"customer_id": "use"}).
    roles: dict[str, str] = field(default_factory=dict)
    drop_duplicates: bool = False
    log_target: bool = False
    #: Bumped whenever roles change outside the column editor, so the editor starts afresh.
    version: int = 0
    built_key: tuple | None = None
    fingerprint: str | None = None
    error: str | None = None
    power: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)

    # ---- what the choices mean ------------------------------------------------------------------------------
    def target_info(self) -> tabular.ColumnInfo | None:
        return next((c for c in self.columns if c.name == self.target), None)

    def proposal(self) -> tabular.TaskProposal | None:
        info = self.target_info()
        if info is None or self.target is None:
            return None
        return tabular.propose_task(self.df[self.target], info)

    def chosen_task(self) -> str | None:
        """The person's task, else the proposal's (``None``: the target cannot be predicted)."""
        if self.task is not None:
            return self.task
        proposal = self.proposal()
        return proposal.task if proposal is not None else None

    def current_columns(self) -> list[tabular.ColumnInfo]:
        """Every column with the person's roles applied (the target is left as inferred; the build marks it)."""
        roles = {k: v for k, v in self.roles.items() if k != self.target}
        return tabular.apply_roles(self.columns, roles)

    def checked_table(self) -> pd.DataFrame:
        """The rows the warnings look at: without exact copies once the person chose to remove them."""
        if not self.drop_duplicates:
            return self.df
        return self.df.loc[~duplicate_mask(self.df)].reset_index(drop=True)

    def choice_key(self) -> tuple:
        return (self.target, self.chosen_task(), tuple(sorted(self.roles.items())), self.drop_duplicates)

    def owns(self, ds: Dataset | None) -> bool:
        """True when ``ds`` is the Dataset this draft built last."""
        return ds is not None and self.fingerprint is not None and ds.fingerprint() == self.fingerprint

    def leakage_power(self, task: str) -> dict[str, float]:
        """Each column's stand-alone predictive power for the current target (computed once per target and task)."""
        key = (str(self.target), task)
        if key not in self.power:
            self.power[key] = tabular.prediction_power(self.df, self.columns, str(self.target), task)
        return self.power[key]


# ---- the draft in the session -----------------------------------------------------------------------------------
def draft() -> TableDraft | None:
    return st.session_state.get(DRAFT_KEY)


def start_draft(
    df: pd.DataFrame,
    name: str,
    source: str,
    key: str,
    target: str | None = None,
    sheet: str | None = None,
    then: str | None = None,
) -> None:
    """A new draft for ``df`` (columns inferred, target proposed) that replaces any earlier one, built at once;
    then the app runs again so every part of it (the sidebar too) shows the new table (``then``: on that page)."""
    columns = tabular.infer_columns(df)
    proposed = target if target is not None else tabular.propose_target(df, columns)
    new = TableDraft(df=df, name=name, source=source, key=key, columns=columns, target=proposed, sheet=sheet)
    st.session_state[DRAFT_KEY] = new
    rebuild(new)
    if then:
        st.switch_page(then)
    st.rerun()  # draw the whole app again (the sidebar too) with the new table as the active data


def use_sample(key: str, then: str | None = None) -> None:
    """The "Use this sample" button of a table sample: the raw table goes through the same choices as an upload
    (``then``: the page to open with it, e.g. the Data page from the Start page)."""
    from modeling.data.samples import SAMPLES, sample_table

    try:
        with st.spinner(f"Loading {SAMPLES[key].title}…"):
            df, target = sample_table(key)
    except Exception as exc:
        state.show_error(exc, "loading the sample")
        return
    start_draft(df, SAMPLES[key].title, f"sample:{key}", f"sample:{key}", target=target, then=then)


# ---- building the Dataset -----------------------------------------------------------------------------------------
def rebuild(d: TableDraft) -> Dataset | None:
    """Build the Dataset of the draft's current choices and make it active; on a refusal keep the reason."""
    d.built_key = d.choice_key()
    task = d.chosen_task()
    if d.target is None:
        d.error = (
            "No column of this table can be predicted (they are empty, IDs, dates or free text). Choose the column "
            "to predict below, or check the file."
        )
        _clear_active(d)
        return None
    if task is None:
        proposal = d.proposal()
        d.error = proposal.reason if proposal is not None else f"'{d.target}' cannot be predicted."
        _clear_active(d)
        return None
    try:
        ds = tabular.dataset_from_table(
            d.df,
            d.target,
            roles={k: v for k, v in d.roles.items() if k != d.target},
            task=task,
            name=d.name,
            source=d.source,
            columns=d.columns,
            drop_duplicates=d.drop_duplicates,
        )
    except ModelDeckError as exc:
        d.error = str(exc)
        _clear_active(d)
        return None
    d.error = None
    d.fingerprint = ds.fingerprint()
    st.session_state.setdefault(CHOICES_KEY, {})[d.fingerprint] = {
        "sheet": d.sheet,
        "drop_duplicates": d.drop_duplicates,
        "log_target": d.log_target,
    }
    state.set_dataset(ds)
    return ds


def refresh(d: TableDraft) -> Dataset | None:
    """The active dataset of the draft's choices; when they changed, rebuild it and run the app again
    (so the sidebar, drawn before the page, names the new table)."""
    if d.built_key != d.choice_key():
        rebuild(d)
        st.rerun()
    return state.dataset() if d.error is None else None


def _clear_active(d: TableDraft) -> None:
    """A refused choice: the active dataset goes (if it was this draft's), so nothing trains on old choices."""
    if d.owns(state.dataset()) or state.dataset() is None:
        st.session_state.pop(state.DATASET, None)
    d.fingerprint = None


# ---- fixes from the warnings ----------------------------------------------------------------------------------
def set_role(d: TableDraft, column: str, role: str) -> None:
    d.roles[column] = role
    d.version += 1


def set_log_target(d: TableDraft, on: bool) -> None:
    """Predict the log of the target (or stop): kept with the draft and applied to the settings."""
    d.log_target = on
    st.session_state.pop(LOG_TARGET_WIDGET, None)
    cfg = state.config()
    if cfg is not None and registry.task(cfg.task).predicts_number:
        wanted = "yes" if on else "auto"
        state.set_config(cfg.model_copy(update={"settings": cfg.settings.model_copy(update={"log_target": wanted})}))
    if d.fingerprint is not None:
        st.session_state.setdefault(CHOICES_KEY, {}).setdefault(d.fingerprint, {})["log_target"] = on


def apply_fix(d: TableDraft, fix: tabular.Fix) -> str:
    """Carry out a warning's one-click fix; returns what was done, in words."""
    if fix.action in ("ignore_column", "use_column") and fix.column is not None:
        set_role(d, fix.column, "ignore" if fix.action == "ignore_column" else "use")
        verb = "left out" if fix.action == "ignore_column" else "used"
        return f"'{fix.column}' is now {verb}."
    if fix.action == "drop_duplicates":
        d.drop_duplicates = True
        return "Exact copies of earlier rows are removed before the split."
    if fix.action == "log_target":
        set_log_target(d, True)
        return f"The model will learn the log of '{d.target}' and still answer in its units."
    return "Done."


# ---- the config ---------------------------------------------------------------------------------------------------
def _choices(ds: Dataset) -> dict[str, Any]:
    return st.session_state.get(CHOICES_KEY, {}).get(ds.fingerprint(), {})


def data_fields(ds: Dataset) -> dict[str, Any]:
    """The config's ``data`` fields that rebuild this table: target, the person's roles, sheet, copies removed."""
    choices, fields = _choices(ds), defaults.data_fields(ds)
    return {
        **fields,
        "columns": fields.get("columns", {}),  # always said: roles set back to the proposal clear an older choice
        "sheet": choices.get("sheet"),
        "drop_duplicates": bool(choices.get("drop_duplicates", False)),
    }


def wants_log_target(ds: Dataset) -> bool:
    """True when the Data page's fix asked to predict the log of this table's number (a fresh config takes it;
    a config the person already edited keeps their own ``log_target``, which the fix updates when clicked)."""
    return bool(_choices(ds).get("log_target")) and registry.task(ds.task).predicts_number
