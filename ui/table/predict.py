"""The Predict page for a table model: a what-if form (one input per column) and scoring a whole table.

**What-if**: one widget per column the model reads, of the right kind (a number, a category from the ones
seen in training, yes/no, a date), pre-filled with a typical row (medians, most common categories). The
answer updates on every change: a number with its 80% and 90% ranges, or the class probabilities under
the run's saved decision rule; beside it, how much each column moved this answer compared with its
typical value (the table family's predictor, :mod:`modeling.runs.table.predictor`).

Below it, **what would change the answer** (:mod:`ui.table.changes_view`): the smallest changes of the columns
the person marks as changeable that flip it or reach a target.

**A whole table**: upload a file with the same columns and download it with the predictions (and range
bounds) and each row's three reasons; missing columns are named, extra columns ignored and listed, blanks and
unseen categories counted; the file is compared with the training data (:mod:`ui.table.drift_view`).
Column names and categories are user text: escaped in Markdown, plain in tables and widgets' values.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.data.tabular.prepare import value_kind
from modeling.evaluation.reasons import describe_reason
from modeling.reporting import charts
from modeling.reporting.charts import tables as table_charts
from modeling.reporting.regression_summary import amount
from modeling.runs.safe_csv import to_safe_csv
from modeling.runs.store import Run
from modeling.templates import registry
from ui import prediction_view, state
from ui.table import changes_view, drift_view

if TYPE_CHECKING:  # the table family's predictor and its answer, as load_predictor returns them
    from modeling.runs.table.predictor import TableAnswer, TablePredictor

BLANK = "(blank)"
YES_NO = {"yes": True, "no": False, BLANK: None}
#: Inputs per row of the what-if form.
PER_ROW = 3


def predicts_number(predictor: TablePredictor) -> bool:
    return registry.task(predictor.task).predicts_number


def page(run: Run, predictor: TablePredictor) -> None:
    """Both tabs of the Predict page for a table run."""
    if not predicts_number(predictor):
        predictor = prediction_view.apply_rule(
            run, predictor, "It answers its most probable class; set a threshold or costs on the Evaluate page."
        )
    what_if_tab, batch_tab = st.tabs(["What if? One row", "A whole table"])
    with what_if_tab:
        what_if(run, predictor)
    with batch_tab:
        score_file(run, predictor)


# ---- what-if --------------------------------------------------------------------------------------------------------
def _key(run: Run, column: str) -> str:
    return f"whatif_{run.info.run_id}_{column}"


def _number(info: Any, typical: Any, key: str) -> float | None:
    value = None if typical is None else float(typical)
    whole = value is not None and float(value).is_integer() and "." not in str(info.example)
    return st.number_input(
        fmt.md_name(info.name),
        value=value,
        step=1.0 if whole else None,
        format="%.0f" if whole else None,
        key=key,
        help=f"A number (example from training: {fmt.md_name(info.example, 40)}). Clear it for a blank.",
    )


def _input(predictor: TablePredictor, info: Any, typical: Any, key: str) -> Any:
    """One widget of the right kind for a column; returns the raw value (None for a blank)."""
    kind = value_kind(info)
    label = fmt.md_name(info.name)
    if kind == "number":
        return _number(info, typical, key)
    if kind == "boolean":
        options = list(YES_NO)
        start = BLANK if typical is None else ("yes" if typical else "no")
        return YES_NO[st.selectbox(label, options, index=options.index(start), key=key)]
    if kind == "datetime":
        start = pd.Timestamp(typical).date() if typical else dt.date.today()
        picked = st.date_input(
            label, value=start, key=key, min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)
        )
        return picked.isoformat() if picked else None
    categories = list(predictor.preparation.categories.get(info.name, [])) if predictor.preparation else []
    options = [*categories, BLANK]
    start = typical if typical in categories else (categories[0] if categories else BLANK)
    picked = st.selectbox(
        label,
        options,
        index=options.index(start),
        key=key,
        accept_new_options=True,
        help="A category seen in training; type another value to see how an unseen one is handled.",
    )
    return None if picked in (BLANK, None) else str(picked)


def what_if(run: Run, predictor: TablePredictor) -> None:
    """The form, the answer (with its range or probabilities) and each column's push on it."""
    if predictor.preparation is None:
        st.info("This run was saved without its column preparation, so the what-if form cannot be drawn.")
        return
    typical = predictor.typical_row()
    columns = predictor.preparation.columns
    st.caption(
        f"One input per column the model reads ({fmt.plural(len(columns), 'column')}), starting from a typical "
        "row: the median of each number, the most common category. Change any value and the answer follows."
    )
    if st.button("Back to the typical row", key=f"whatif_reset_{run.info.run_id}"):
        for info in columns:
            st.session_state.pop(_key(run, info.name), None)
        st.rerun()
    row: dict[str, Any] = {}
    with st.container(border=True):
        for start in range(0, len(columns), PER_ROW):
            cells = st.columns(PER_ROW)
            for cell, info in zip(cells, columns[start : start + PER_ROW], strict=False):
                with cell:
                    row[info.name] = _input(predictor, info, typical.get(info.name), _key(run, info.name))
    try:
        answer = predictor.predict_row(row)
        baseline = typical_answer(run, predictor)
    except Exception as exc:
        state.show_error(exc, "predicting this row")
        return
    show_answer(run, predictor, answer, baseline)
    changes_view.what_would_change(run, predictor, row, answer)


def typical_answer(run: Run, predictor: TablePredictor) -> TableAnswer:
    """The answer for the typical row (kept per run and rule), to say how far this row's answer moved."""
    key = ("whatif_typical", run.info.run_id, str(getattr(predictor.decision, "saved", "")))
    cached = st.session_state.get("whatif_typical")
    if cached is not None and cached[0] == key:
        return cached[1]
    answer = predictor.predict_row(predictor.typical_row(), contributions=False)
    st.session_state["whatif_typical"] = (key, answer)
    return answer


def _target(run: Run, predictor: TablePredictor) -> tuple[str, str]:
    facts = (run.evaluation or {}).get("target") or {}
    name = str(facts.get("name") or predictor.target_name or "the target")
    return name, str(facts.get("currency") or "")


def show_answer(run: Run, predictor: TablePredictor, answer: TableAnswer, baseline: TableAnswer) -> None:
    """The answer beside the chart of what moved it."""
    target, currency = _target(run, predictor)
    shown_currency = fmt.md_name(currency) if currency else ""  # metric values and labels are Markdown
    left, right = st.columns([2, 3])
    with left:
        if predicts_number(predictor):
            value = float(answer.value or 0.0)
            change = value - float(baseline.value or 0.0)
            st.metric(
                f"Estimated {fmt.md_name(target, 30)}",
                amount(value, shown_currency),
                f"{'+' if change >= 0 else ''}{amount(change, shown_currency)} vs a typical row",
                delta_color="off",
            )
            lines = []
            for level in ("0.8", "0.9"):
                if level in answer.ranges:
                    low, high = answer.ranges[level]
                    lines.append(
                        f"- **{float(level):.0%} range:** {amount(low, shown_currency)} to "
                        f"{amount(high, shown_currency)}"
                    )
            if lines:
                st.markdown("\n".join(lines))
                st.caption(
                    "On the test rows, these ranges held the actual value about as often as they say (see Evaluate)."
                )
        else:
            if answer.needs_review:
                st.warning(
                    f"**Not sure — send to a person.** Its best guess is '{fmt.md_name(answer.label)}', but it is "
                    f"{state.md_escape(answer.reason)}."
                )
            before = baseline.probabilities.get(str(answer.label), 0.0)
            st.metric(
                "Prediction",
                fmt.md_name(answer.label),
                f"{answer.confidence:.0%} sure ({fmt.points(100 * ((answer.confidence or 0) - before))} "
                "vs a typical row)",
                delta_color="off",
                delta_arrow="off",
            )
            probs = np.asarray([answer.probabilities[c] for c in predictor.class_names])
            chosen = predictor.class_names.index(str(answer.label))
            st.plotly_chart(charts.probability_bars(probs, predictor.class_names, chosen=chosen), width="stretch")
        for note in answer.notes:
            st.caption(state.md_escape(note))
    with right:
        contributions_block(predictor, answer, currency)


def contributions_block(predictor: TablePredictor, answer: TableAnswer, currency: str) -> None:
    """The chart of each column's push, and the top ones in words."""
    regression = predicts_number(predictor)
    scale = 1.0 if regression else 100.0
    items = [
        {
            "label": c.column,
            "change": scale * c.change,
            "text": ("+" if c.change > 0 else "") + amount(c.change, currency)
            if regression
            else fmt.points(100 * c.change),
        }
        for c in answer.contributions
    ]
    unit = f" ({currency})" if regression and currency else ("" if regression else f" (points of '{answer.label}')")
    st.plotly_chart(table_charts.contribution_chart(items, unit), width="stretch")
    strongest = [c for c in answer.contributions if abs(c.change) > 0][:3]
    if strongest:
        outcome = predictor.outcome_words() or f"the chance of '{answer.label}'"
        said = "; ".join(fmt.md_name(describe_reason(c, outcome, regression, currency), 160) for c in strongest)
        st.caption(
            f"Biggest pushes: {said}. Each is the change of the answer when that column alone is set back to its "
            "typical value: what the model does, not what causes the outcome. A scored file gives every row its "
            "three largest (the reason columns)."
        )


# ---- a whole table ---------------------------------------------------------------------------------------------------
def score_file(run: Run, predictor: TablePredictor) -> None:
    """Upload a table, get it back with the predictions (and range bounds), with what was handled counted."""
    needed = predictor.input_columns
    shown = ", ".join(f"'{fmt.md_name(c, 30)}'" for c in needed[:12]) + (", ..." if len(needed) > 12 else "")
    st.caption(
        f"Upload a CSV, TSV, Excel or Parquet file with the columns the model reads ({shown}). Extra columns are "
        "ignored, blanks are fine, and categories it never saw are handled and counted. You get the file back with "
        + (
            "the estimate and its 80% and 90% range bounds."
            if predicts_number(predictor)
            else "the predicted label, its confidence, one probability per class, and whether a person should look."
        )
    )
    template = pd.DataFrame([{c: predictor.typical_row().get(c) for c in needed}])
    st.download_button(
        "Download a template (the columns, one typical row)",
        to_safe_csv(template),
        file_name="template.csv",
        mime="text/csv",
        key=f"table_template_{run.info.run_id}",
    )
    upload = st.file_uploader("Table to score", type=["csv", "tsv", "txt", "xlsx", "parquet"], key="table_score_upload")
    if upload is None:
        return
    key = (run.info.run_id, upload.file_id)
    done = st.session_state.get("table_scored")
    if done is None or done[0] != key:
        from modeling.data.readers import read_upload

        try:
            with st.spinner("Scoring every row…"):
                table = read_upload(upload.getvalue(), upload.name)
                if not isinstance(table, pd.DataFrame):
                    st.error("This file is not a table. Upload a CSV, TSV, Excel or Parquet file.")
                    return
                batch = predictor.score_frame(table)
        except Exception as exc:
            state.show_error(exc, "scoring the table")
            return
        done = (key, batch.frame, batch.notes, table.shape[1], batch.drift, upload.name)
        st.session_state["table_scored"] = done
    _, scored, notes, width, drift, file_name = done
    drift_view.drift_line(drift)  # every scored file is compared with the training data, first thing said
    line = f"Scored {fmt.plural(len(scored), 'row')}."
    if "needs_review" in scored:
        flagged = int(scored["needs_review"].sum())
        if flagged:
            line += f" {fmt.count(flagged)} {'needs' if flagged == 1 else 'need'} a person (needs\\_review is True)."
    st.success(line)
    for note in notes:
        st.info(state.md_escape(note))
    order = [*range(width, scored.shape[1]), *range(width)]  # the answers were added after the upload's columns
    st.dataframe(scored.head(100).iloc[:, order], hide_index=True)
    st.caption(
        "The first 100 rows, the model's answers first, then each row's three largest reasons (reason\\_1 to "
        "reason\\_3); the download has every row, answers last."
    )
    drift_view.drift_detail(drift, run.info.title, file_name, f"table_drift_download_{run.info.run_id}")
    st.download_button(
        "Download the scored table (CSV)",
        to_safe_csv(scored),
        file_name="scored.csv",
        mime="text/csv",
        type="primary",
        key=f"table_scored_download_{run.info.run_id}",
    )
