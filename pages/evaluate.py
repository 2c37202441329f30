"""Step 4 · Evaluate: how good is it on data it never saw, compared with simple baselines?"""

import numpy as np
import pandas as pd
import streamlit as st

from ui import explain_view, state

state.require_router("pages/evaluate.py")

st.title("4 · Evaluate")
run = state.pick_run("Run to evaluate")
if run is None:
    st.info("No trained model yet. Train one first (or use a starter model on the Predict page).")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()
if not run.evaluation:
    st.warning("This run has no evaluation saved (it did not finish).")
    st.stop()
if run.task == "tabular_regression":  # a number: errors in the target's units, ranges, misses, columns that matter
    from ui import table_evaluate

    table_evaluate.regression_page(run)
    st.stop()

from modeling.reporting import charts  # noqa: E402
from modeling.reporting.summary import business_summary  # noqa: E402
from ui import decision_view  # noqa: E402

# Saved test probabilities (recomputed once for older runs) give every run intervals and calibration.
predictions, ev = decision_view.results(run)
decision = decision_view.load_rule(run)
model_m = ev["model"]
names = run.class_names
n = model_m["n"]
noun = {"text_classification": "texts", "tabular_classification": "rows"}.get(run.task, "images")

if run.info.starter:
    st.caption("⭐ Starter model shipped with ModelDeck, trained on the built-in sample.")
st.markdown(f"Held-out test split: **{n:,} {noun}** that the model never saw while training.")

with st.container(border=True):
    st.markdown("#### In plain words")
    st.markdown(business_summary(ev, names, run.task, decision=decision.model_dump() if decision.saved else None))

base = ev.get("baselines", {})
lift = ev.get("lift", {})
c1, c2, c3, c4 = st.columns(4)
c1.metric(
    "Accuracy", f"{model_m['accuracy']:.1%}", f"{lift['majority']:+.1f} pts vs majority" if "majority" in lift else None
)
c2.metric("F1 (macro)", f"{model_m['f1_macro']:.3f}")
c3.metric("Precision (macro)", f"{model_m['precision_macro']:.3f}")
c4.metric("Recall (macro)", f"{model_m['recall_macro']:.3f}")
for column, metric_name, percent in (
    (c1, "accuracy", True),
    (c2, "f1_macro", False),
    (c3, "precision_macro", False),
    (c4, "recall_macro", False),
):
    column.caption(decision_view.interval_caption(ev, metric_name, percent))
decision_view.duplicates_block(run, ev, noun)

tabs = st.tabs(["Versus baselines", "Confusion matrix", "Per class", "Curves", "Training", "Mistakes"])
with tabs[0]:
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
    for key, m in base.items():
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
with tabs[1]:
    st.plotly_chart(charts.confusion_matrix(model_m, names), width="stretch")
with tabs[2]:
    per = pd.DataFrame(model_m["per_class"]).T.reset_index(names="class")
    bands = ev.get("per_class_intervals") or {}
    if bands:
        for metric_name in ("precision", "recall"):
            per[f"{metric_name} 95%"] = [
                decision_view.band((bands.get(c) or {}).get(metric_name), 0) for c in per["class"]
            ]
    st.dataframe(per, hide_index=True)
    st.caption("95% intervals (Wilson): with few examples of a class, its scores are rough.")
with tabs[3]:
    if len(names) == 2 and model_m.get("roc"):
        a, b = st.columns(2)
        a.plotly_chart(charts.roc_curve(model_m), width="stretch")
        a.caption("AUC: " + decision_view.interval_caption(ev, "auc", percent=False))
        b.plotly_chart(charts.pr_curve(model_m), width="stretch")
    else:
        st.info("ROC and precision-recall curves are drawn for two-class tasks.")
with tabs[4]:
    if run.task == "tabular_classification" and run.config.template == "boosted_trees":  # one point per round
        from modeling.reporting.charts import tables as table_charts

        st.plotly_chart(table_charts.rounds_curve(run.history, regression=False), width="stretch")
    else:
        st.plotly_chart(charts.training_curves(run.history), width="stretch")
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
        try:
            test = run.load_test()
        except Exception as exc:
            state.show_error(exc, "loading the test split")
            test = None
        if test is not None and test.kind == "image":
            shown = wrong[:40]
            st.image(
                [test.images[w["index"]].squeeze() for w in shown],
                caption=[f"true {w['true']} → {w['predicted']} ({w['confidence']:.0%})" for w in shown],
                width=84,
            )
        elif test is not None and test.kind == "table":  # the customers (rows) it got wrong, with their values
            from ui import table_rows

            table_rows.mistakes_table(run, wrong)
        elif test is not None:
            table = pd.DataFrame(
                {
                    "text": [str(test.texts[w["index"]]) for w in wrong],
                    "true label": [w["true"] for w in wrong],
                    "predicted": [w["predicted"] for w in wrong],
                    "confidence": [w["confidence"] for w in wrong],
                }
            )
            st.dataframe(
                table, hide_index=True, column_config={"confidence": st.column_config.NumberColumn(format="percent")}
            )
            with st.expander("Why did it get this one wrong?"):
                explain_view.explain_mistake(run, test, wrong)
        probs_hint = np.asarray([w["confidence"] for w in wrong])
        st.caption(f"Median confidence on these mistakes: {np.median(probs_hint):.0%}.")
    if run.task == "text_classification":
        st.markdown("#### Most telling words")
        explain_view.telling_words(ev, names)

if run.task == "tabular_classification":  # permutation importance with intervals, partial dependence
    from ui import table_importance

    table_importance.columns_that_matter(run, ev, str(run.meta.get("dataset", {}).get("target_column") or "the target"))

decision_view.decision_sections(run, ev, predictions, decision, noun)

with st.container(border=True):
    from ui import share

    share.share_run(run)

with st.container(border=True):
    from ui import export_view

    export_view.export_box(run)
    export_view.show_run_code(run)

st.page_link("pages/predict.py", label="Next: use the model →", icon=":material/online_prediction:")
