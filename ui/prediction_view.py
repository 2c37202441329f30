"""What the Predict page says about a class answer, for every kind: the saved rule, and one answer drawn.

The rule saved on the Evaluate page (a threshold or a cost matrix, and when to ask a person) is read fresh
each time and applied to a copy of the shared predictor; one answer shows as the label with how sure the
model is, a warning when a person should look, and every class's probability.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from modeling.evaluation.decisions import describe_rule
from modeling.reporting import charts
from modeling.runs.store import Run
from ui import state
from ui.decision_view import load_rule


def apply_rule(run: Run, predictor: Any, unset: str) -> Any:
    """The predictor under the run's saved rule, with a caption saying which (``unset``: when none is saved)."""
    rule = load_rule(run)
    predictor = predictor.using(rule)
    if rule.saved:
        st.caption(f"Rule saved with this run: {state.md_escape(describe_rule(rule, predictor.class_names))}")
    else:
        st.caption(unset)
    return predictor


def calibrated_rule(run: Run, predictor: Any) -> Any:
    """:func:`apply_rule` for a model whose confidence is calibrated (texts, images), saying so when it is."""
    predictor = apply_rule(
        run,
        predictor,
        "The model answers its most probable class. Set a threshold or ask for a person below a confidence level "
        "on the Evaluate page.",
    )
    if predictor.temperature != 1.0:
        st.caption(f"Confidence is calibrated on the validation split (temperature {predictor.temperature:.2f}).")
    return predictor


def show_prediction(predictor: Any, pred: Any) -> None:
    """One answer: the label and how sure, a warning when a person should look, and each class's probability."""
    probs = np.asarray([pred.probabilities[c] for c in predictor.class_names])
    label = str(pred.label)
    if pred.needs_review:
        st.warning(
            f"**Not sure — send to a person.** Its best guess is '{state.md_escape(label)}', but it is "
            f"{state.md_escape(pred.reason)}."
        )
    st.metric("Prediction", label, f"{pred.confidence:.0%} sure", delta_color="off", delta_arrow="off")
    chosen = predictor.class_names.index(label)
    st.plotly_chart(charts.probability_bars(probs, predictor.class_names, chosen=chosen), width="stretch")
