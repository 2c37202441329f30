"""The Data page's checks of a table: plain warnings with one-click fixes, and the column table with roles.

Warnings come from :func:`modeling.data.tabular.check_table` on the person's current choices (so a
column switched back on earns the warning its default role avoided); each fix is a button that changes
the draft (:func:`ui.table.draft.apply_fix`) and rebuilds the table. Notes about what was already handled
(an empty column left out, unreadable cells read as missing) sit in an expander below the warnings.
The column table is an ``st.data_editor`` whose only editable column is the role (use / ignore).
"""

from __future__ import annotations

import streamlit as st

from modeling import format as fmt
from modeling.data import tabular
from modeling.errors import ModelDeckError
from ui import state
from ui.table import draft as table_draft

#: Session key: what the last fix did, shown once above the warnings.
FLASH = "table_fix_flash"
ROLE_HELP = "use: the model learns from this column. ignore: left out (IDs, leaks, columns unknown when predicting)."


def _flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(f"✓ {state.md_escape(message)}")


def _fix_button(d: table_draft.TableDraft, warning: tabular.TableWarning) -> None:
    fix = warning.fix
    if fix is None:
        return
    key = f"fix_{warning.code}_{warning.column or ''}"
    if st.button(state.md_escape(fix.label), key=key, type="primary" if warning.severity == "warning" else "secondary"):
        st.session_state[FLASH] = table_draft.apply_fix(d, fix)
        st.rerun()


def current_warnings(d: table_draft.TableDraft) -> list[tabular.TableWarning]:
    """``check_table`` on the draft's current choices (empty when the target cannot be predicted)."""
    task = d.chosen_task()
    if task is None or d.target is None:
        return []
    return tabular.check_table(d.checked_table(), d.current_columns(), d.target, task, power=d.leakage_power(task))


def warnings_block(d: table_draft.TableDraft) -> None:
    """Every warning as a sentence with its fix; notes on what was already handled in an expander."""
    st.markdown("#### Checks before training")
    _flash()
    try:
        found = current_warnings(d)
    except ModelDeckError as exc:
        st.error(state.md_escape(str(exc)))
        return
    if d.log_target:
        with st.container(border=True):
            st.success(
                f"✓ The model learns the logarithm of '{fmt.md_name(d.target)}' and answers in its units: typical "
                "rows get better estimates when a few values are huge."
            )
            if st.button("Predict the plain values instead", key="undo_log_target"):
                table_draft.set_log_target(d, False)
                st.rerun()
        found = [w for w in found if w.code != "heavy_tail"]
    if d.drop_duplicates:
        with st.container(border=True):
            st.success("✓ Exact copies of earlier rows are removed before the split (counted in the notes below).")
            if st.button("Keep the copies", key="undo_drop_duplicates"):
                d.drop_duplicates = False
                st.rerun()
    serious = [w for w in found if w.severity == "warning"]
    notes = [w for w in found if w.severity != "warning"]
    for warning in serious:
        with st.container(border=True):
            st.warning(state.md_escape(warning.message), icon="⚠️")
            _fix_button(d, warning)
    if not serious:
        st.success(
            "No problems found: no column leaks the answer, no IDs or constant columns are used, and the target "
            "is usable."
        )
    if notes:
        with st.expander(f"{fmt.plural(len(notes), 'note')} on what ModelDeck already handled"):
            for warning in notes:
                st.info(state.md_escape(warning.message))
                _fix_button(d, warning)


def columns_block(d: table_draft.TableDraft) -> None:
    """One row per column (type, missing share, distinct values, an example, why) with an editable role."""
    st.markdown("#### Columns")
    st.caption(
        "How ModelDeck read each column and whether the model uses it. Change a role in the **role** column "
        "(use / ignore); the table and the checks above update at once. The target is not listed."
    )
    columns = [c for c in d.current_columns() if c.name != d.target]
    if not columns:
        st.info("The table has no column besides the target.")
        return
    table = tabular.columns_table(columns)
    edited = st.data_editor(
        table,
        key=f"table_roles_{d.key}_{d.version}",
        hide_index=True,
        width="stretch",
        disabled=[c for c in table.columns if c != "role"],
        column_config={
            "column": st.column_config.TextColumn("column", help="The column's name in your file."),
            "type": st.column_config.TextColumn(
                "type", help="number, category, yes/no, date/time, free text, ID or empty, as read from the cells."
            ),
            "role": st.column_config.SelectboxColumn("role", options=["use", "ignore"], required=True, help=ROLE_HELP),
            "missing": st.column_config.TextColumn("missing", help="Share of rows with a blank (or N/A, null, ...)."),
            "distinct": st.column_config.NumberColumn("distinct", help="Different values in the column."),
            "example": st.column_config.TextColumn("example", help="The most common category, or a first value."),
            "why": st.column_config.TextColumn("note", help="Why a column is left out, or how its cells are read."),
        },
    )
    changed = {
        str(name): str(role)
        for name, role, before in zip(table["column"], edited["role"], table["role"], strict=True)
        if role != before and role in ("use", "ignore")
    }
    if changed:
        for name, role in changed.items():
            table_draft.set_role(d, name, role)
        st.session_state[FLASH] = "; ".join(
            f"'{name}' is now {'used' if role == 'use' else 'left out'}" for name, role in changed.items()
        )
        st.rerun()
    used = sum(c.role == "use" for c in columns)
    line = f"{fmt.plural(used, 'column')} used, {fmt.count(len(columns) - used)} left out."
    if d.roles:
        line += " Your changes are kept in the settings file (data.columns)."
    st.caption(line)
    if d.roles and st.button("Back to ModelDeck's proposed roles", key="reset_roles"):
        d.roles.clear()
        d.version += 1
        st.rerun()
