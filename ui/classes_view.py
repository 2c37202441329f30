"""The Evaluate page of a run whose answers are classes, for every kind (texts, images, table classes).

Headline figures with their intervals, copies shared by the splits, then the tabs (versus baselines,
confusion matrix, per class, curves, training, mistakes), the decision blocks, Share and Export. What a
kind adds or sees differently comes from its view: how a mistake is shown, what follows the mistakes (the
most telling words of texts), what follows the tabs (which columns matter for a table) and how copies are
removed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from modeling.reporting import charts
from modeling.reporting.summary import business_summary
from modeling.runs.store import Run
from modeling.templates import registry
from ui import curves, decision_view, export_view, share
from ui.kind_view import KindView

HEADLINES = (
    ("Accuracy", "accuracy", True),
    ("F1 (macro)", "f1_macro", False),
    ("Precision (macro)", "precision_macro", False),
    ("Recall (macro)", "recall_macro", False),
)


def evaluate_classes(run: Run, view: KindView) -> None:
    """The whole Evaluate page body for a classification run (after the run picker)."""
    # Saved test probabilities (recomputed once for older runs) give every run intervals and calibration.
    predictions, ev = decision_view.results(run)
    decision = decision_view.load_rule(run)
    model_m = ev["model"]
    names = run.class_names
    noun = registry.task(run.task).noun

    evaluate_intro(
        run,
        f"Held-out test split: **{model_m['n']:,} {noun}** that the model never saw while training.",
        lambda: business_summary(ev, names, run.task, decision=decision.model_dump() if decision.saved else None),
    )
    headlines(ev)
    decision_view.duplicates_block(run, ev, noun, fix=view.copies_fix)

    tabs = st.tabs(["Versus baselines", "Confusion matrix", "Per class", "Curves", "Training", "Mistakes"])
    with tabs[0]:
        baselines_tab(ev)
    with tabs[1]:
        st.plotly_chart(charts.confusion_matrix(model_m, names), width="stretch")
    with tabs[2]:
        per_class_tab(ev)
    with tabs[3]:
        curves_tab(ev, names)
    with tabs[4]:
        st.plotly_chart(curves.run_chart(run), width="stretch")
        meta = run.meta
        st.caption(
            f"Device: {meta.get('device', '?')} · training time {meta.get('duration_s', 0):.1f} s · "
            f"epochs run {meta.get('epochs_run', '?')} (best {meta.get('best_epoch', '?')})"
        )
    with tabs[5]:
        wrong = ev.get("misclassified", [])
        if not wrong:
            st.success("No mistakes on the test split.")
        else:
            st.caption(f"{len(wrong)} most confident mistakes first. Confident mistakes often reveal label errors.")
            view.show_mistakes(run, wrong)
            st.caption(f"Median confidence on these mistakes: {np.median([w['confidence'] for w in wrong]):.0%}.")
        view.mistakes_extra(run, ev)
    view.classes_extra(run, ev)

    decision_view.decision_sections(run, ev, predictions, decision, noun)
    take_away_then_predict(run, "Next: use the model →")


def headlines(ev: dict[str, Any]) -> None:
    """Accuracy (with its lift over the majority class), F1, precision and recall, each with its interval."""
    model_m, lift = ev["model"], ev.get("lift", {})
    columns = st.columns(len(HEADLINES))
    for column, (label, metric, percent) in zip(columns, HEADLINES, strict=True):
        if metric == "accuracy":
            delta = f"{lift['majority']:+.1f} pts vs majority" if "majority" in lift else None
            column.metric(label, f"{model_m[metric]:.1%}", delta)
        else:
            column.metric(label, f"{model_m[metric]:.3f}")
        column.caption(decision_view.interval_caption(ev, metric, percent))


def baselines_tab(ev: dict[str, Any]) -> None:
    """This model beside each baseline on the same test split, as a chart and a table with the lift."""
    model_m, lift = ev["model"], ev.get("lift", {})
    st.plotly_chart(charts.baseline_comparison(ev), width="stretch")
    rows = [
        {
            "model": "This model",
            "accuracy": model_m["accuracy"],
            "F1 (macro)": model_m["f1_macro"],
            "lift (points)": 0.0,
            "95% interval (accuracy)": decision_view.band((ev.get("intervals") or {}).get("accuracy")),
        }
    ]
    for key, m in ev.get("baselines", {}).items():
        rows.append(
            {
                "model": m.get("description", key),
                "accuracy": m["accuracy"],
                "F1 (macro)": m["f1_macro"],
                "lift (points)": lift.get(key),
                "95% interval (accuracy)": decision_view.band(m.get("accuracy_interval")),
            }
        )
    st.dataframe(
        pd.DataFrame(rows), hide_index=True, column_config={"accuracy": st.column_config.NumberColumn(format="percent")}
    )
    st.caption("Lift = this model's accuracy minus the baseline's, in percentage points, on the same test split.")


def per_class_tab(ev: dict[str, Any]) -> None:
    """Precision, recall and F1 of each class, with Wilson intervals."""
    per = pd.DataFrame(ev["model"]["per_class"]).T.reset_index(names="class")
    bands = ev.get("per_class_intervals") or {}
    if bands:
        for metric_name in ("precision", "recall"):
            per[f"{metric_name} 95%"] = [
                decision_view.band((bands.get(c) or {}).get(metric_name), 0) for c in per["class"]
            ]
    st.dataframe(per, hide_index=True)
    st.caption("95% intervals (Wilson): with few examples of a class, its scores are rough.")


def curves_tab(ev: dict[str, Any], names: list[str]) -> None:
    """ROC and precision-recall curves of a two-class task."""
    model_m = ev["model"]
    if len(names) == 2 and model_m.get("roc"):
        a, b = st.columns(2)
        a.plotly_chart(charts.roc_curve(model_m), width="stretch")
        a.caption("AUC: " + decision_view.interval_caption(ev, "auc", percent=False))
        b.plotly_chart(charts.pr_curve(model_m), width="stretch")
    else:
        st.info("ROC and precision-recall curves are drawn for two-class tasks.")


def evaluate_intro(run: Run, measured_on: str, summary: Callable[[], str]) -> None:
    """How every family's Evaluate page opens: a starter's note, what the figures were measured on (Markdown),
    then the plain-words summary in a box (``summary`` is called only there, so the page paints in order)."""
    if run.info.starter:
        st.caption("⭐ Starter model shipped with ModelDeck, trained on the built-in sample.")
    st.markdown(measured_on)
    with st.container(border=True):
        st.markdown("#### In plain words")
        st.markdown(summary())


def take_away_then_predict(run: Run, next_label: str) -> None:
    """How every family's Evaluate page ends: share or take the model away, then a link on to Predict."""
    take_away(run)
    st.page_link("pages/predict.py", label=next_label, icon=":material/online_prediction:")


def take_away(run: Run) -> None:
    """Share the run (report, PDF) and take the model away (verified exports, the code)."""
    with st.container(border=True):
        share.share_run(run)
    with st.container(border=True):
        export_view.export_box(run)
        export_view.show_run_code(run)
