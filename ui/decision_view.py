"""Evaluate page blocks that turn scores into decisions: how sure, answer-only-when-sure, money, copies.

Each function draws one block from a run, its (completed) evaluation and its saved test probabilities;
the numbers come from ``modeling.evaluation.calibration``, ``modeling.evaluation.decisions`` and
``modeling.data.duplicates``. Rules are saved with :func:`modeling.runs.decision_rules.save_decision` and
then used by Predict, the batch export and the command line. User text (class names, the currency, outcome
names) is escaped before Markdown.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from modeling.data.duplicates import drop_duplicates
from modeling.data.samples import load_sample
from modeling.evaluation import decisions
from modeling.evaluation.calibration import calibration_sentence
from modeling.evaluation.decisions import Decision, describe_rule
from modeling.evaluation.intervals import describe
from modeling.format import percent_range
from modeling.reporting import charts
from modeling.runs.decision_rules import clear_decision, load_decision, save_decision
from modeling.runs.predictions import complete_evaluation, load_predictions
from modeling.runs.store import Run
from ui import state

FLASH = "decision_flash"
OUTCOMES = {
    "tp": ("Flagged and right", "The model answered '{pos}' and it was '{pos}'."),
    "fp": ("Flagged but wrong", "The model answered '{pos}' but it was not: a wasted action."),
    "fn": ("Missed", "The model did not answer '{pos}' but it was '{pos}': a missed case."),
    "tn": ("Left alone, rightly", "The model did not answer '{pos}' and it was not '{pos}'."),
}


# ---- data ---------------------------------------------------------------------------------------------------------
def _stamp(path: Path) -> tuple:
    out = []
    for name in ("evaluation.json", "predictions.npz", "model.keras"):
        try:
            out.append((path / name).stat().st_mtime_ns)
        except OSError:
            out.append(0)
    return tuple(out)


@st.cache_resource(show_spinner="Scoring the test split (once per run)…", max_entries=16)
def _results(run_path: str, stamp: tuple, _run: Any):
    """(saved predictions, evaluation completed with intervals and calibration); shared, never mutated."""

    predictions = load_predictions(_run)
    return predictions, complete_evaluation(_run.evaluation, predictions, _run.class_names)


def results(run: Run):
    """The run's test probabilities and full evaluation, or ``(None, saved evaluation)`` with a warning."""
    try:
        return _results(str(run.path), _stamp(run.path), run)
    except Exception as exc:
        state.show_error(exc, "scoring the test split")
        st.caption("Calibration, coverage and the money chart need the test predictions, so they are left out.")
        return None, run.evaluation


def load_rule(run: Run):
    """The run's saved decision rule (defaults when none); a damaged file shows a message and the defaults."""

    try:
        return load_decision(run.path)
    except Exception as exc:
        state.show_error(exc, "reading the saved decision rule")
        return Decision()


def _save(run: Run, decision: Any, section: str, message: str, **changes: Any) -> None:
    try:
        save_decision(run.path, decision, **changes)
    except Exception as exc:
        state.show_error(exc, "saving the decision rule")
        return
    st.session_state[FLASH] = (section, message)
    st.rerun()


def _flash(section: str) -> None:
    """The confirmation of a save, shown once, right under the button that saved."""
    entry = st.session_state.get(FLASH)
    if entry and entry[0] == section:
        del st.session_state[FLASH]
        st.success(entry[1])


def _read_only(run: Run) -> bool:
    if run.info.starter:
        st.caption("Starter models are read-only: try values here, and train your own run to save a rule with it.")
        return True
    return False


# ---- headline figures ---------------------------------------------------------------------------------------------
def interval_caption(ev: dict, metric: str, percent: bool = True) -> str:
    """'n = 360 test examples, 95% interval 96.0–99.0%' under a headline figure ('' when unknown)."""

    return describe((ev.get("intervals") or {}).get(metric), percent=percent)


def band(entry: dict | None, digits: int = 1) -> str:
    """'55.2–73.1%' from a saved interval entry ('—' when there is none)."""

    if not entry or entry.get("low") is None or entry.get("high") is None or entry.get("value") is None:
        return "—"
    return percent_range(entry["low"], entry["high"], digits)


# ---- copies shared by the splits ----------------------------------------------------------------------------------
def duplicates_block(run: Run, ev: dict, noun: str, fix: Callable[[Run], None] | None = None) -> None:
    """Warn about test rows with a copy in training, with the score without them and a way to drop them.

    ``fix`` draws how to remove the copies for this kind of data (the kind's view); by default, drop them
    from the data in this session and split again (:func:`drop_and_resplit`).
    """
    dup = ev.get("duplicates")
    if not dup:
        st.caption("Copies shared by the training and test splits were not checked for this run (trained earlier).")
        return
    if not dup.get("checked"):
        st.caption("The check for copies shared by the training and test splits could not run for this run.")
        return
    count = int(dup.get("exact", 0)) + int(dup.get("near", 0))
    if count == 0:
        st.caption(f"✓ No test {noun} have a copy in the training data ({state.md_escape(dup.get('method', ''))}).")
        return
    n = int(dup.get("test_n") or ev["model"]["n"])
    without, with_ = dup.get("accuracy_without"), dup.get("accuracy_with", ev["model"]["accuracy"])
    score = ""
    if without is not None:
        score = (
            f" Without them the model is right **{without:.1%}** of the time (on {dup.get('n_without', 0):,} "
            f"{noun}) instead of **{with_:.1%}**."
        )
    st.warning(
        f"**{count:,} of the {n:,} test {noun} ({dup['share_of_test']:.1%}) have a copy in the training data** "
        f"({dup.get('exact', 0):,} exact, {dup.get('near', 0):,} near). The model has seen them, so they flatter "
        f"the score.{score}"
    )
    with st.expander("See the copies, and drop them before training again"):
        examples = dup.get("examples") or []
        if examples and "test_text" in examples[0]:
            st.dataframe(
                pd.DataFrame(
                    {
                        "test text": [e["test_text"] for e in examples],
                        "training text": [e["train_text"] for e in examples],
                        "kind": [e["kind"] for e in examples],
                        "similarity": [e["similarity"] for e in examples],
                        "labels (test / training)": [f"{e['test_label']} / {e['train_label']}" for e in examples],
                    }
                ),
                hide_index=True,
            )
        elif examples:
            try:
                test = run.load_test()
                st.image(
                    [test.images[e["test_index"]].squeeze() for e in examples],
                    caption=[f"{e['kind']} copy ({e['similarity']:.3f})" for e in examples],
                    width=84,
                )
            except Exception as exc:
                state.show_error(exc, "loading the test split")
        st.caption(f"How copies are found: {state.md_escape(dup.get('method', ''))}.")
        (fix or drop_and_resplit)(run)


def drop_and_resplit(run: Run) -> None:
    """Remove duplicate rows from the run's data in this session, so the next training splits it afresh."""

    if not st.button("Drop them and re-split", key="drop_duplicates_eval"):
        return
    facts = run.meta.get("dataset") or {}
    ds = state.dataset()
    same = ds is not None and ds.name == facts.get("name") and len(ds) == int(facts.get("rows") or -1)
    if not same:
        source = str(facts.get("source") or run.config.data.source or "")
        if source.startswith("sample:"):
            try:
                ds = load_sample(source.split(":", 1)[1])
            except Exception as exc:
                state.show_error(exc, "loading the sample")
                return
        else:
            st.info(
                "This run's data is not open in this session. Open the same file on the Data page, then use "
                "'Find and drop duplicates' there."
            )
            return
    with st.spinner("Looking for copies in the whole data set…"):
        cleaned, found = drop_duplicates(ds)
    state.set_dataset(cleaned)
    removed = len(found["drop"])
    st.success(
        f"Removed {removed:,} duplicate rows ({found['exact']:,} exact, {found['near']:,} near); "
        f"{len(cleaned):,} remain. Train again: the new split cannot put a copy on both sides."
    )
    st.page_link("pages/train.py", label="Train again on the cleaned data", icon=":material/model_training:")


# ---- how sure -----------------------------------------------------------------------------------------------------
def calibration_block(ev: dict, noun: str) -> None:
    cal = ev.get("calibration")
    if not cal:
        st.caption("No calibration could be measured for this run.")
        return
    verdict = cal.get("verdict", "")
    icon = "✓" if verdict == "well calibrated" else "⚠️"
    st.markdown(f"{icon} **{verdict.capitalize()}.** {state.md_escape(calibration_sentence(cal, noun))}")
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.reliability_chart(cal), width="stretch")
    with right:
        st.metric("Calibration error (before)", f"{cal['ece_before']:.1%}", help="Average gap between stated and real")
        if cal.get("applied"):
            st.metric(
                "After calibration",
                f"{cal['ece_after']:.1%}",
                f"temperature {cal['temperature']:.2f}",
                delta_color="off",
            )
        st.caption(
            f"A perfectly calibrated model could still show up to {cal.get('chance_ece', 0):.1%} on this many test "
            f"{noun}, by chance. {state.md_escape(cal.get('reason', ''))}"
        )


def coverage_block(run: Run, predictions: Any, decision: Any) -> None:
    """Slider for the confidence level, the issue's sentence, the chart, and saving the level with the run."""

    y, probs = predictions.test_labels, predictions.test_probs
    k = probs.shape[1]
    low = 50 if k == 2 else 0
    saved = decision.min_confidence
    start = round(100 * saved) if saved is not None else 90
    level_pct = st.slider(
        "Answer only when at least this sure (%)",
        min_value=low,
        max_value=99,
        value=min(max(start, low), 99),
        step=1,
        key=f"coverage_level_{run.info.run_id}",
        help="Below this confidence the answer is marked 'Not sure — send to a person' on Predict and in exports.",
    )
    level = level_pct / 100.0
    at = decisions.coverage_at(y, probs, level)
    st.markdown(f"**{decisions.coverage_sentence(at)}**")
    st.plotly_chart(charts.coverage_chart(decisions.coverage_curve(y, probs), level), width="stretch")
    read_only = _read_only(run)
    if saved is not None:
        st.caption(f"Saved with this run: {saved:.0%}.")
    if st.button("Save this confidence level", key="save_coverage", disabled=read_only):
        _save(
            run,
            decision,
            "coverage",
            f"Saved: answers below {level:.0%} sure now go to a person on Predict, in exports and on the command line.",
            min_confidence=level,
            coverage=at,
        )
    _flash("coverage")


# ---- money on the threshold (two classes) ---------------------------------------------------------------------------
def money_block(run: Run, predictions: Any, decision: Any) -> None:
    names = run.class_names
    rid = run.info.run_id
    y, probs = predictions.test_labels, predictions.test_probs
    saved_pos = decisions.positive_index(names, decision.positive_class)
    pos_name = st.selectbox(
        "Which answer leads to an action?",
        names,
        index=saved_pos,
        key=f"money_positive_{rid}",
        help="For example 'negative' when each unhappy customer gets an offer. The threshold is about this class.",
    )
    pos = names.index(pos_name)
    shown = state.md_escape(pos_name)
    currency = st.text_input(
        "Currency or unit", value=decision.currency or "$", max_chars=12, key=f"money_currency_{rid}"
    ).strip()
    base_values = decision.outcome_values or decisions.OutcomeValues()
    base_names = decision.outcome_names or decisions.OutcomeNames()
    values, words = {}, {}
    columns = st.columns(4)
    for col, (key, (title, meaning)) in zip(columns, OUTCOMES.items(), strict=True):
        with col, st.container(border=True):
            st.markdown(f"**{title}**")
            st.caption(meaning.format(pos=shown))
            words[key] = st.text_input(
                f"{title}: your words", value=getattr(base_names, key), max_chars=80, key=f"money_{key}_name_{rid}"
            )
            values[key] = st.number_input(
                f"{title}: value per case",
                value=float(getattr(base_values, key)),
                step=1.0,
                format="%.2f",
                key=f"money_{key}_value_{rid}",
                help="What one such case is worth to you; costs are negative numbers.",
            )
    try:
        outcome_values = decisions.OutcomeValues(**values)
        outcome_names = decisions.OutcomeNames(**{k: (v.strip() or getattr(base_names, k)) for k, v in words.items()})
    except Exception as exc:
        st.error(f"These values cannot be used: {state.md_escape(exc)}")
        return
    curve = decisions.value_curve(y, probs, outcome_values, positive=pos)
    best = decisions.best_threshold(curve)
    default_value = decisions.value_at(curve, 0.5)
    saved_t = decision.threshold if decision.threshold is not None and decision.positive_class == pos_name else None
    slider_key, auto_key = f"money_threshold_{rid}", f"money_threshold_auto_{rid}"
    best_pct = round(100 * best[0])
    if slider_key not in st.session_state:
        # Start at the saved threshold, else at the best one; a slider nobody moved follows the best.
        st.session_state[slider_key] = round(100 * saved_t) if saved_t is not None else best_pct
        st.session_state[auto_key] = None if saved_t is not None else best_pct
    elif st.session_state.get(auto_key) is not None and st.session_state[slider_key] == st.session_state[auto_key]:
        st.session_state[slider_key] = st.session_state[auto_key] = best_pct
    threshold_pct = st.slider(
        f"Threshold to use: answer '{shown}' when its probability is at least (%)",
        min_value=0,
        max_value=100,
        step=1,
        key=slider_key,
    )
    if threshold_pct != best_pct:
        st.button(
            f"Use the best threshold ({best_pct}%)",
            key="use_best_threshold",
            on_click=_follow_best,
            args=(slider_key, auto_key, best_pct),
        )
    threshold = threshold_pct / 100.0
    chosen_value = decisions.value_at(curve, threshold)
    st.plotly_chart(
        charts.value_by_threshold_chart(curve, best, 0.5, currency, pos_name, chosen=threshold), width="stretch"
    )
    st.markdown(f"**{state.md_escape(decisions.value_sentence(best, default_value, currency, len(y)))}**")
    st.caption(
        state.md_escape(
            f"At the threshold you picked ({threshold:.0%}): {decisions.money(chosen_value, currency)} per 1,000 cases "
            f"({decisions.money(chosen_value - default_value, currency)} compared with 50%). Measured on the "
            f"{len(y):,} test cases; the best threshold is picked on the same cases, so its gain is a little "
            "optimistic."
        )
    )
    read_only = _read_only(run)
    if saved_t is not None:
        st.caption(f"Saved with this run: {saved_t:.0%} for '{shown}'.")
    if st.button("Save this threshold", key="save_threshold", type="primary", disabled=read_only):
        _save(
            run,
            decision,
            "money",
            f"Saved: the model now answers '{shown}' from {threshold:.0%} on Predict, in exports and on the "
            "command line.",
            threshold=threshold,
            positive_class=pos_name,
            outcome_values=outcome_values.model_dump(),
            outcome_names=outcome_names.model_dump(),
            currency=currency,
            cost_matrix=None,
            expected_value_per_1000=round(chosen_value, 4),
            expected_value_default_per_1000=round(default_value, 4),
        )
    _flash("money")


def _follow_best(slider_key: str, auto_key: str, best_pct: int) -> None:
    """Button callback (runs before the widgets): move the threshold slider to the best value and follow it."""
    st.session_state[slider_key] = st.session_state[auto_key] = best_pct


# ---- cost matrix (three or more classes) ----------------------------------------------------------------------------
def cost_block(run: Run, predictions: Any, decision: Any) -> None:
    names = run.class_names
    k = len(names)
    y, probs = predictions.test_labels, predictions.test_probs
    start = decision.cost_matrix if decision.cost_matrix and len(decision.cost_matrix) == k else None
    table = pd.DataFrame(start or decisions.default_cost_matrix(k), index=names, columns=names, dtype=float)
    st.caption(
        "Rows: the true class. Columns: the model's answer. Each cell: what one such case costs you (0 for a right "
        "answer). The model then answers the class with the lowest expected cost instead of the most probable one."
    )
    edited = st.data_editor(table, key=f"cost_matrix_{run.info.run_id}", width="stretch")
    matrix = np.asarray(edited, dtype=np.float64)
    if not np.all(np.isfinite(matrix)):
        st.error("Every cell needs a number (use 0 where a mistake costs nothing).")
        return
    compared = decisions.cost_comparison(y, probs, matrix.tolist())
    c1, c2, c3 = st.columns(3)
    c1.metric("Cost per 1,000 cases, lowest-cost rule", f"{compared['min_cost_per_1000']:,.0f}")
    c2.metric("… answering the most probable class", f"{compared['argmax_cost_per_1000']:,.0f}")
    c3.metric("Answers that change", f"{compared['changed_share']:.1%}")
    saving = compared["argmax_cost_per_1000"] - compared["min_cost_per_1000"]
    st.markdown(
        f"Measured on the {len(y):,} test cases, the lowest-cost rule "
        + (f"saves **{saving:,.0f}** per 1,000 cases." if saving > 0.5 else "costs the same as plain answers.")
    )
    if _read_only(run):
        return
    if st.button("Save this cost matrix", key="save_cost_matrix", type="primary"):
        _save(
            run,
            decision,
            "cost",
            "Saved: Predict, exports and the command line now answer the lowest-cost class.",
            cost_matrix=matrix.tolist(),
            threshold=None,
            expected_value_per_1000=-compared["min_cost_per_1000"],
            expected_value_default_per_1000=-compared["argmax_cost_per_1000"],
        )
    _flash("cost")


# ---- the whole "what to do with it" part ---------------------------------------------------------------------------
def decision_sections(run: Run, ev: dict, predictions: Any, decision: Any, noun: str) -> None:
    """How sure it is, answering only when sure, and money on the threshold (or a cost matrix)."""

    st.subheader("How sure is it?")
    calibration_block(ev, noun)
    if predictions is None:
        return
    with st.container(key="coverage_section"):
        st.subheader("Can I automate this? Answer only when sure")
        coverage_block(run, predictions, decision)
    # Keyed containers: the browser test screenshots exactly these sections.
    if len(run.class_names) == 2:
        with st.container(key="money_section"):
            st.subheader("Money on the threshold")
            money_block(run, predictions, decision)
    else:
        with st.container(key="cost_section"):
            st.subheader("What each mistake costs")
            cost_block(run, predictions, decision)
    _flash("rule")
    if decision.saved:
        with st.container(border=True):
            st.markdown(
                f"**Saved rule** ({decision.saved.replace('T', ' ')}): "
                f"{state.md_escape(describe_rule(decision, run.class_names))}"
            )
            if not run.info.starter and st.button("Forget the saved rule", key="forget_rule"):
                clear_decision(run.path)
                message = "The saved rule was removed: the model answers its most probable class."
                st.session_state[FLASH] = ("rule", message)
                st.rerun()
