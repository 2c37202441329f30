"""The Data page's table path: start the set-up of an uploaded table, then what to predict, checks and columns.

The table view calls :func:`start_upload` under an upload read as a table, and :func:`table_section` for the
active table (an upload or a sample): the target and the task with the reason, the plain warnings with their
one-click fixes (:mod:`ui.table.checks`), the column table with an editable role per column, and an overview
of the rows (:mod:`ui.table.overview`). Every choice rebuilds the Dataset at once (:mod:`ui.table.draft`).
Column names and values are user text: escaped.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from modeling.data import tabular
from modeling.data.dataset import Dataset
from modeling.templates import registry
from ui import state
from ui.table import checks as table_checks
from ui.table import draft as table_draft
from ui.table import overview as table_overview

TASK_NAMES = {
    tabular.CLASSIFICATION: "Classification: which of a few answers (yes/no, a category)",
    tabular.REGRESSION: "Regression: a number (a price, an amount)",
}
#: Session key: the upload (signature and sheet) whose table draft was started, so it starts only once.
STARTED_KEY = "table_upload_started"


# ---- under the upload ---------------------------------------------------------------------------------------------
def start_upload(df: pd.DataFrame, name: str, signature: str, sheet: str | None) -> None:
    """The upload's table draft, started once per file and sheet; it is set up under "Active data".

    A sample picked afterwards replaces it and stays (the file is still in the uploader): then a button
    brings the file back instead of the page silently switching back to it.
    """
    key = f"{signature}:{sheet or ''}"
    d = table_draft.draft()
    if d is not None and d.key == key:
        st.success("Read as a table: choose what to predict under **Active data** below.")
        return
    if st.session_state.get(STARTED_KEY) == key:
        if st.button("Use this file again", key="table_upload_again", type="primary"):
            table_draft.start_draft(df, name, source=name, key=key, sheet=sheet)
            st.rerun()
        return
    st.session_state[STARTED_KEY] = key
    table_draft.start_draft(df, name, source=name, key=key, sheet=sheet)


# ---- the active table -----------------------------------------------------------------------------------------------
def table_section(ds: Dataset | None) -> None:
    """What to predict, warnings with fixes, the column table and an overview of the active table."""
    d = table_draft.draft()
    if d is not None and (ds is None or d.owns(ds)):
        st.subheader(f"Active data: {state.md_escape(d.name)}")
        target_block(d)
        ds = table_draft.refresh(d)
        if d.error:
            st.error(state.md_escape(d.error))
        table_checks.warnings_block(d)
        table_checks.columns_block(d)
    else:
        st.subheader(f"Active data: {state.md_escape(ds.name if ds is not None else '')}")
        d = None
    if ds is not None:
        table_overview.overview(ds, d)
        st.page_link("pages/model.py", label="Next: choose a model →", icon=":material/tune:")
    else:
        st.info("Fix the choice above to continue: no table is active until the column to predict can be used.")


def target_block(d: table_draft.TableDraft) -> None:
    """The target column (proposed) and the task that follows (with the reason), both changeable."""
    st.markdown("#### What to predict")
    names = [c.name for c in d.columns]
    index = names.index(d.target) if d.target in names else 0
    left, right = st.columns([2, 3])
    target = left.selectbox(
        "Column to predict (the target)",
        names,
        index=index,
        key=f"table_target_{d.key}",
        help="ModelDeck proposes a column named like churn, label, target or price, else the last usable one.",
    )
    if target != d.target:
        d.target, d.task = target, None
    proposal = d.proposal()
    if proposal is None or proposal.task is None:
        right.markdown(" ")
        return
    options = list(TASK_NAMES)
    task = right.radio(
        "What kind of answer?",
        options,
        index=options.index(d.chosen_task() or proposal.task),
        format_func=TASK_NAMES.get,
        key=f"table_task_{d.key}_{target}",
    )
    d.task = None if task == proposal.task else task
    if d.task is None:
        st.caption(f"Proposed: {state.md_escape(proposal.reason)}")
    else:
        chosen = "regression" if registry.task(task).predicts_number else "classification"
        st.caption(f"You chose {chosen}. ModelDeck had proposed otherwise: {state.md_escape(proposal.reason)}")
