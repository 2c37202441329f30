"""What would change the answer: under the what-if form, the smallest changes of the columns a person can act on.

The person marks the columns they could change (a contract, a price plan; never an age: nothing is marked at
first) and what the answer should become: flipped (classes), a chance of the class to find to reach, or a
value to reach (numbers). The search (:mod:`modeling.runs.table.changes`) asks the model a few thousand
variants of the row and answers with the cheapest routes, or says none was found and shows the closest. The
result is kept for the row and the choices that made it, so it disappears as soon as the form changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.runs.store import Run
from modeling.templates import registry
from ui import state

if TYPE_CHECKING:
    from modeling.runs.table.predictor import TableAnswer, TablePredictor

FLIP = "Flip the answer"
CHANCE = "Reach a chance of"


def _goal(run: Run, predictor: TablePredictor, answer: TableAnswer) -> tuple[float | None, str]:
    """The target the person set (``None``: flip the answer) and its words for the button's caption."""
    rid = run.info.run_id
    if registry.task(predictor.task).predicts_number:
        value = st.number_input(
            f"Value the estimate should reach ({fmt.md_name(predictor.target_name or 'target', 30)})",
            value=None,
            key=f"changes_target_{rid}",
            placeholder=f"now {fmt.amount(float(answer.value or 0.0))}",
            help="Above the current estimate: the search looks for changes that raise it to at least this value; "
            "below: that lower it to at most this value.",
        )
        return (None if value is None else float(value)), "reach that value"
    from modeling.evaluation.decisions import positive_index

    positive = predictor.class_names[positive_index(predictor.class_names, predictor.decision.positive_class)]
    options = [FLIP, CHANCE] if len(predictor.class_names) == 2 else [FLIP]
    how = st.radio("What should the answer become?", options, horizontal=True, key=f"changes_goal_{rid}")
    if how == FLIP:
        return None, "flip the answer"
    chance = st.slider(
        f"Chance of '{fmt.md_name(positive, 30)}' to reach",
        min_value=0.05,
        max_value=0.95,
        value=0.3,
        step=0.05,
        format="%.2f",
        key=f"changes_chance_{rid}",
        help=f"Above the row's current chance of '{fmt.md_name(positive, 30)}', the search lowers it to at most "
        "this; below, raises it to at least this.",
    )
    return float(chance), f"reach a chance of {chance:.0%}"


def what_would_change(run: Run, predictor: TablePredictor, row: dict[str, Any], answer: TableAnswer) -> None:
    """The changeable columns, the goal, the search button and its answer."""
    from modeling.runs.table.changes import changeable_columns

    rid = run.info.run_id
    st.markdown("#### What would change the answer?")
    columns = changeable_columns(predictor)
    changeable = st.multiselect(
        "Columns you could change",
        columns,
        key=f"changes_columns_{rid}",
        placeholder="Choose the columns you could act on (a contract, a price plan; not an age)",
    )
    target, words = _goal(run, predictor, answer)
    key = (rid, repr(sorted(row.items(), key=lambda kv: kv[0])), tuple(changeable), target)
    if st.button("Find the smallest changes", key=f"changes_search_{rid}"):
        try:
            with st.spinner("Trying changes of the chosen columns…"):
                found = predictor.what_would_change(row, list(changeable), target=target)
        except Exception as exc:
            state.show_error(exc, "searching for changes")
            return
        st.session_state["table_changes"] = (key, found)
    kept = st.session_state.get("table_changes")
    if kept is None or kept[0] != key:
        st.caption(
            f"Mark the columns you could act on and search: ModelDeck tries their values seen in training, alone and "
            f"up to three together, to {words} with as few and as small changes as it can."
        )
        return
    found = kept[1]
    show = st.success if found.result.found else st.warning
    show(state.md_escape(found.sentence))
    if found.routes:
        st.dataframe(pd.DataFrame(found.routes), hide_index=True)
    st.caption(
        f"Tried {fmt.count(found.result.evaluated)} variants of this row. These are the model's answers for the "
        "changed row, not promises: a change the model rewards is not always one that causes the outcome."
    )
