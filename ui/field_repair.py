"""The Data page's offer for a CSV whose texts hold unquoted commas: what is wrong, one repaired row, one click.

:mod:`modeling.data.readers.csv_fields` finds the rows with more fields than the header and decides
whether joining their extra fields back into one column is unambiguous. This draws that offer under
the upload (after the error, or after the note about skipped lines) with a preview of one row before
and after, and on a click reads the file again with the fields joined.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.data.readers.csv_fields import REPAIR_BUTTON, SKIPPED_LINES, FieldCountError, FieldReport
from modeling.data.readers.tables import field_report, read_table
from ui import state

#: Session key: (upload signature, its FieldReport or None), so a file is checked once, not on every rerun.
REPORT_KEY = "field_report"


def remember_error(signature: str, exc: BaseException) -> None:
    """Keep the report a refused upload came with (``FieldCountError``), so the offer can be drawn."""
    st.session_state[REPORT_KEY] = (signature, exc.report if isinstance(exc, FieldCountError) else None)


def _report(raw: bytes, name: str, signature: str, table: pd.DataFrame | None) -> FieldReport | None:
    remembered = st.session_state.get(REPORT_KEY)
    if remembered is not None and remembered[0] == signature:
        return remembered[1]
    report = field_report(raw, name) if table is not None and table.attrs.get(SKIPPED_LINES) else None
    st.session_state[REPORT_KEY] = (signature, report)
    return report


def offer_repair(raw: bytes, name: str, signature: str, table: pd.DataFrame | None) -> None:
    """Draw the offer when the upload has rows with extra fields and joining them back is safe."""
    report = _report(raw, name, signature, table)
    if report is None or not report.repairable:
        return
    count = len(report.longer)
    into = " and ".join(f"'{fmt.md_name(column, 30)}'" for column in report.joined_into) or "the text"
    with st.container(border=True):
        st.markdown(
            f"**{fmt.plural(count, 'line has', 'lines have')} more fields than the header.** "
            f"ModelDeck can join the extra fields back into {into}: every other column keeps a value it has "
            "elsewhere in the file, so there is only one way to read each of these lines."
        )
        st.caption(f"Line {report.example_line:,} as written in the file:")
        st.code(report.example_before, language=None, wrap_lines=True)  # shown verbatim: no Markdown, no HTML
        st.caption("The same line after joining:")
        after = pd.DataFrame({"Column": [str(h) for h in report.header], "Value": list(report.example_after)})
        st.dataframe(after, hide_index=True)
        if st.button(REPAIR_BUTTON, key="join_extra_fields", type="primary"):
            try:
                repaired = read_table(raw, name, join_extra_fields=True)
            except Exception as exc:
                state.show_error(exc, "joining the extra fields")
                return
            st.session_state["upload_table"] = (name, repaired)
            st.session_state["upload_signature"] = signature
            st.session_state[REPORT_KEY] = (signature, None)  # repaired: nothing left to offer
            st.rerun()
