"""The Data page's table path: which sheet, table or texts, what to predict, then the checks and the columns.

``pages/data.py`` calls :func:`pick_sheet` and :func:`read_as_table` under an upload, and
:func:`table_section` for the active table (an upload or a sample): the target and the task with the
reason, the plain warnings with their one-click fixes (:mod:`ui.table_warnings`), the column table with
an editable role per column, and an overview of the rows (:mod:`ui.table_overview`). Every choice
rebuilds the Dataset at once (:mod:`ui.table_draft`). Column names and values are user text: escaped.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.data import tabular
from modeling.data.dataset import Dataset
from modeling.data.readers import excel_sheets, read_table
from modeling.data.readers.formats import detect_format
from ui import state, table_draft, table_overview, table_warnings

TASK_NAMES = {
    tabular.CLASSIFICATION: "Classification: which of a few answers (yes/no, a category)",
    tabular.REGRESSION: "Regression: a number (a price, an amount)",
}
#: Session key: the sheets of the current Excel upload and the tables already read from it.
SHEETS_KEY = "upload_sheets"
#: Session key: the upload (signature and sheet) whose table draft was started, so it starts only once.
STARTED_KEY = "table_upload_started"


# ---- under the upload ---------------------------------------------------------------------------------------------
def pick_sheet(raw: bytes, name: str, df: pd.DataFrame, signature: str) -> tuple[pd.DataFrame, str | None]:
    """An Excel file with several sheets: a select box, and the chosen sheet's table (read once per sheet)."""
    if detect_format(raw, name) != "excel":
        return df, None
    cached = st.session_state.get(SHEETS_KEY)
    if cached is None or cached[0] != signature:
        try:
            sheets = excel_sheets(raw, name)
        except Exception as exc:
            state.show_error(exc, "listing the sheets")
            return df, None
        cached = (signature, sheets, {})
        st.session_state[SHEETS_KEY] = cached
    _, sheets, tables = cached
    if len(sheets) < 2:
        return df, None
    sheet = st.selectbox(
        "Sheet",
        sheets,
        key=f"sheet_{signature}",
        help="This workbook has several sheets; ModelDeck reads one table from the sheet you pick.",
    )
    if sheet == sheets[0]:
        return df, sheet
    if sheet not in tables:
        try:
            with st.spinner(f"Reading the sheet '{fmt.clip(sheet, 40)}'…"):
                tables[sheet] = read_table(raw, name, sheet=sheet)
        except Exception as exc:
            state.show_error(exc, "reading the sheet")
            return df, None
    return tables[sheet], sheet


def read_as_table(df: pd.DataFrame, signature: str) -> bool:
    """Table (predict a column from the others) or texts (a text column and its label)? Proposed, switchable.

    ``signature`` names the file and sheet: each gets its own proposal and choice.
    """
    is_table, why = _detect(df, signature)
    choice = st.radio(
        "How should ModelDeck read this file?",
        ["table", "text"],
        index=0 if is_table else 1,
        format_func={
            "table": "As a table: predict one column from the other columns",
            "text": "As texts: one text column and its label",
        }.get,
        horizontal=True,
        key=f"upload_kind_{signature}",
    )
    st.caption(state.md_escape(why))
    return choice == "table"


def _detect(df: pd.DataFrame, signature: str) -> tuple[bool, str]:
    key = f"upload_detect_{signature}"
    if key not in st.session_state:
        st.session_state[key] = tabular.looks_like_table(df)
    return st.session_state[key]


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
def shows_table(ds: Dataset | None) -> bool:
    """True when the Data page's lower half is the table set-up: a table is active, or a draft awaits a fix."""
    if ds is not None:
        return ds.kind == "table"
    return table_draft.draft() is not None


def table_section(ds: Dataset | None) -> None:
    """What to predict, warnings with fixes, the column table and an overview of the active table."""
    d = table_draft.draft()
    if d is not None and (ds is None or d.owns(ds)):
        st.subheader(f"Active data: {state.md_escape(d.name)}")
        target_block(d)
        ds = table_draft.refresh(d)
        if d.error:
            st.error(state.md_escape(d.error))
        table_warnings.warnings_block(d)
        table_warnings.columns_block(d)
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
        st.caption(
            f"You chose {'regression' if task == tabular.REGRESSION else 'classification'}. ModelDeck had proposed "
            f"otherwise: {state.md_escape(proposal.reason)}"
        )
