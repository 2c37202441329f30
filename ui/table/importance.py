"""'Which columns matter' on the Evaluate page of a table run: permutation importance and partial dependence.

Both are measured when the run is saved (``evaluation["importance"]`` and ``["partial_dependence"]``, see
:mod:`modeling.evaluation.importance`): scrambling a column on the test rows and measuring how much worse
the answers get (with a 95% interval over the repeats), and the average answer as one top column moves.
This draws the sentence (:func:`~modeling.evaluation.importance.describe_importance`, already escaped),
the chart with intervals, and one partial-dependence chart at a time.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from modeling import format as fmt
from modeling.evaluation.importance import describe_importance
from modeling.reporting import charts
from modeling.runs.store import Run
from modeling.templates import registry


def columns_that_matter(run: Run, ev: dict[str, Any], target: str, currency: str = "") -> None:
    """The plain-words sentence, the importance chart and a partial-dependence chart for a chosen top column."""
    st.subheader("Which columns matter")
    importance = ev.get("importance")
    if not importance:
        st.caption("Which columns matter was not measured for this run (it was stopped, or trained earlier).")
        return
    st.markdown(describe_importance(importance, target, currency=fmt.md_name(currency) if currency else ""))
    st.plotly_chart(charts.importance_chart(importance, currency=currency), width="stretch")
    metric = "typical error (RMSE)" if importance.get("metric") == "rmse" else "log loss"
    st.caption(
        f"Each column was scrambled {importance.get('repeats', '')} times on {fmt.count(importance.get('n', 0))} test "
        f"rows and the {metric} measured again: a long bar means the model leans on that column. Grey bars cross "
        "zero (no clear effect). This shows what the model uses, not what causes the outcome."
    )
    items = list(ev.get("partial_dependence") or [])
    if not items:
        return
    names = [str(item["column"]) for item in items]
    chosen = st.selectbox(
        "How does a top column move the answer?",
        names,
        key=f"partial_dependence_{run.info.run_id}",
        help="Every test row is given each value of this column in turn, everything else unchanged; the line is "
        "the average answer.",
    )
    item = items[names.index(chosen)]
    class_names = [] if registry.task(run.task).predicts_number else list(run.class_names)
    st.plotly_chart(charts.partial_dependence_chart(item, class_names, target=target), width="stretch")
