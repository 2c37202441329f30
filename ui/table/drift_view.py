"""A scored table's drift check on the Predict page: one line at the top of the result, the detail one click away.

The line is the check's own sentence (already Markdown-safe), as a warning when the drift touches the columns
the model leans on most (or every column), as information otherwise; the expander holds the population
stability index per column, a table of the shifts and the same page as ``predict --drift-report`` writes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.reporting.charts import actions as action_charts
from modeling.reporting.drift_report import drift_report_html


def drift_line(report: dict[str, Any] | None) -> None:
    """The summary sentence, as loud as the drift is serious."""
    if not report:
        return
    text = f"**Compared with the training data:** {report.get('summary', '')}"
    level = report.get("level")
    if level == "serious":
        st.warning(text, icon=":material/warning:")
    elif level == "none":
        st.success(text, icon=":material/check_circle:")
    else:
        st.info(text, icon=":material/info:")


def drift_detail(report: dict[str, Any] | None, run_title: str, file_name: str, key: str) -> None:
    """Per column: the shift chart, a table of the figures and the HTML page to keep."""
    if not report or not report.get("available") or not report.get("columns"):
        return
    with st.expander("Drift per column (how each column compares with the training data)"):
        st.plotly_chart(action_charts.drift_chart(report), width="stretch")
        rows = [
            {
                "column": r["column"],
                "stability index": round(float(r["psi"]), 3),
                "shift": r["severity"] + (" (could be chance)" if r.get("chance") else ""),
                "missing in training": fmt.percent(r.get("missing_train") or 0.0, 0),
                "missing in this file": fmt.percent(r.get("missing_batch") or 0.0, 0),
                "weight in the model": "—" if r.get("importance") is None else fmt.percent(r["importance"], 0),
                "new categories": ", ".join(str(k) for k in list(r.get("new") or {})[:5]),
                "gone categories": ", ".join(str(v) for v in (r.get("vanished") or [])[:5]),
            }
            for r in report["columns"]
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        st.caption(
            "Population stability index per column: under 0.1 no shift, 0.1 to 0.25 some, 0.25 and above a major "
            "shift. A shift a file this size could show by chance is marked so. The weight is the column's share of "
            "what the model leans on: a shift where the weight is small matters little."
        )
        st.download_button(
            "Download the drift check (HTML)",
            drift_report_html(report, run_title, file_name),
            file_name="drift.html",
            mime="text/html",
            key=key,
        )
