"""The Evaluate page of a run that predicts a number: errors in the user's units, baselines, misses, ranges.

Everything comes from the run's saved ``evaluation.json`` (``kind == "regression"``, see
:class:`~modeling.evaluation.schema.RegressionEvaluation`): MAE, RMSE, R² and MAPE with 95% intervals and
n; the training average and a linear model as error reduction; predicted vs actual and the misses;
the largest misses as rows; error per category of a column; the 80% and 90% ranges with the coverage
measured on the test rows; which columns matter; then Share and Export as for every run.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.reporting import charts
from modeling.reporting.regression_summary import amount
from modeling.reporting.summary import business_summary
from modeling.runs.store import Run
from ui import classes_view, curves, state
from ui.table import actions_view, importance
from ui.table import rows as table_rows

METRICS = (
    ("mae", "Average miss (MAE)", "How far off an estimate is, on average, in the target's units."),
    ("rmse", "Typical miss (RMSE)", "Like the average miss, but large misses count more: sensitive to outliers."),
    ("r2", "R² (variation explained)", "1 = perfect, 0 = no better than always guessing the average."),
    ("mape", "Average miss in %", "The average miss as a share of the actual value (left out when a value is 0)."),
)


def _value(metric: str, value: float | None, currency: str) -> str:
    if value is None:
        return "—"
    if metric == "r2":
        return f"{float(value):.3f}"
    if metric == "mape":
        return fmt.percent(value)
    return amount(value, currency)


def interval_line(ev: dict[str, Any], metric: str, currency: str) -> str:
    """'n = 400 test rows, 95% interval $17,900–$21,000' under a headline figure."""
    entry = (ev.get("intervals") or {}).get(metric) or {}
    n = int(entry.get("n") or ev["model"]["n"])
    text = f"n = {fmt.count(n)} test rows"
    low, high = entry.get("low"), entry.get("high")
    if low is None or high is None:
        return text
    return f"{text}, 95% interval {_value(metric, low, currency)}–{_value(metric, high, currency)}"


def regression_page(run: Run) -> None:
    """The whole Evaluate page body for a regression run (after the run picker)."""
    ev = run.evaluation
    model = ev["model"]
    target_facts = ev.get("target") or {}
    target = str(target_facts.get("name") or (run.meta.get("dataset") or {}).get("target_column") or "the target")
    currency = str(target_facts.get("currency") or "")
    shown_currency = fmt.md_name(currency) if currency else ""
    classes_view.evaluate_intro(
        run,
        f"Held-out test split: **{fmt.count(model['n'])} rows** that the model never saw while training; it "
        f"estimates **{fmt.md_name(target)}**.",
        lambda: business_summary(ev, [], run.task),
    )
    columns = st.columns(len(METRICS))
    reduction = (ev.get("error_reduction") or {}).get("mean")
    for column, (metric, label, help_text) in zip(columns, METRICS, strict=True):
        delta = None
        if metric == "rmse" and reduction is not None:
            delta = f"{fmt.share(abs(reduction))} {'smaller' if reduction >= 0 else 'larger'} than the average's"
        column.metric(
            label,
            _value(metric, model.get(metric), shown_currency),
            delta,
            delta_color="off",
            delta_arrow="off",
            help=help_text,
        )
        column.caption(interval_line(ev, metric, shown_currency) if model.get(metric) is not None else "not defined")
    copies_note(ev)

    tabs = st.tabs(["Versus baselines", "Predicted vs actual", "Misses", "Largest misses", "By segment", "Ranges"])
    with tabs[0]:
        baselines_table(ev, currency)
    with tabs[1]:
        st.plotly_chart(charts.predicted_vs_actual(ev, target, currency), width="stretch")
        st.caption("Each dot is a test row. Dots on the dashed line are exact; far from it, large misses.")
    with tabs[2]:
        left, right = st.columns(2)
        left.plotly_chart(charts.residuals_by_prediction(ev, target, currency), width="stretch")
        right.plotly_chart(charts.residual_distribution(ev, currency), width="stretch")
        st.caption(
            "Left: a funnel (misses growing with the estimate) means the errors are relative; predicting the log "
            "of the target often helps. Right: a lopsided histogram means it guesses too high or too low on the whole."
        )
    with tabs[3]:
        table_rows.misses_table(run, list(ev.get("largest_misses") or []), target, currency)
    with tabs[4]:
        segments_block(run, ev, currency)
    with tabs[5]:
        ranges_block(ev, target, shown_currency)
    actions_view.errors_block(ev, target, currency)  # by tenth of the estimates, and where it errs on average
    training_block(run)
    importance.columns_that_matter(run, ev, target, currency)
    actions_view.fairness_block(run)
    classes_view.take_away_then_predict(run, "Next: use the model (what-if and whole tables) →")


def copies_note(ev: dict[str, Any]) -> None:
    """Test rows that repeat a training row exactly flatter the figures: say how many."""
    dup = ev.get("duplicates") or {}
    if not dup.get("checked"):
        return
    count = int(dup.get("exact", 0))
    if count == 0:
        st.caption("✓ No test row repeats a training row exactly.")
        return
    st.warning(
        f"**{fmt.plural(count, 'test row')} ({fmt.share(dup.get('share_of_test', 0.0))}) repeat a training row "
        "exactly.** The model has seen their answers, so they flatter the figures. Remove the copies on the Data page "
        "(the duplicate-rows fix) and train again."
    )


def baselines_table(ev: dict[str, Any], currency: str) -> None:
    """This model and each baseline: MAE, RMSE, R², and how much smaller this model's typical miss is."""
    model = ev["model"]
    rows = [
        {
            "model": "This model",
            "MAE": amount(model.get("mae"), currency),
            "RMSE": amount(model.get("rmse"), currency),
            "R²": _value("r2", model.get("r2"), currency),
            "this model's typical miss is": "—",
        }
    ]
    for key, entry in (ev.get("baselines") or {}).items():
        reduction = (ev.get("error_reduction") or {}).get(key)
        rows.append(
            {
                "model": entry.get("title") or key,
                "MAE": amount(entry.get("mae"), currency),
                "RMSE": amount(entry.get("rmse"), currency),
                "R²": _value("r2", entry.get("r2"), currency),
                "this model's typical miss is": "—"
                if reduction is None
                else f"{fmt.share(abs(reduction))} {'smaller' if reduction >= 0 else 'larger'}",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(
        "Same test rows for every model. The training average always answers the same number; the linear model is "
        "a ridge regression on the same columns. A model that does not beat them clearly is not worth using."
    )


def segments_block(run: Run, ev: dict[str, Any], currency: str) -> None:
    """Average miss per category of a chosen column (the columns were picked when the run was saved)."""
    segments = ev.get("segments") or {}
    usable = [name for name, rows in segments.items() if rows]
    if not usable:
        st.caption("No category column had enough test rows per category to compare.")
        return
    column = st.selectbox("Column to split the test rows by", usable, key=f"segment_column_{run.info.run_id}")
    rows = segments[column]
    st.plotly_chart(charts.error_by_segment(rows, column, currency), width="stretch")
    st.dataframe(
        pd.DataFrame(
            {
                column: [r["segment"] for r in rows],
                "test rows": [r["n"] for r in rows],
                "average miss (MAE)": [amount(r["mae"], currency) for r in rows],
                "typical miss (RMSE)": [amount(r["rmse"], currency) for r in rows],
                "bias (estimate - actual)": [amount(r["mean_error"], currency) for r in rows],
            }
        ),
        hide_index=True,
    )
    st.caption("A category with much larger misses (or a large bias) is where the model should not be trusted alone.")


def ranges_block(ev: dict[str, Any], target: str, currency: str) -> None:
    """The 80% and 90% ranges: their width, and the share of test rows that actually fell inside."""
    report = ev.get("prediction_intervals") or {}
    levels = report.get("levels") or {}
    rows, sentences = [], []
    for key in sorted(levels):
        entry = levels[key]
        level = float(entry.get("level") or key)
        coverage = entry.get("coverage")
        if coverage is None:
            continue
        band = ""
        if entry.get("coverage_low") is not None and entry.get("coverage_high") is not None:
            band = fmt.percent_range(entry["coverage_low"], entry["coverage_high"], 0)
        rows.append(
            {
                "range": f"{level:.0%}",
                "share of test rows inside": fmt.percent(coverage),
                "95% interval of that share": band or "—",
                "average width": amount(entry.get("mean_width"), currency),
                "test rows": entry.get("n"),
            }
        )
        sentences.append(
            f"its {level:.0%} range held the actual {fmt.md_name(target)} for **{fmt.percent(coverage)}** of the "
            f"{fmt.count(entry.get('n') or 0)} test rows"
        )
    if not rows:
        st.caption("No ranges could be measured (the run had no validation rows).")
        return
    st.markdown("Measured on rows it never saw: " + "; ".join(sentences) + ".")
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    scale = "relative (wider for larger values)" if report.get("scale") == "log" else "the same width for every row"
    st.caption(
        "Ranges come from split conformal prediction: their width is set on the "
        f"{fmt.count(report.get('validation_n') or 0)} validation rows, then checked here on the test rows; they are "
        f"{scale}. The Predict page gives every estimate its range."
    )


def training_block(run: Run) -> None:
    """How training went: the loss per boosting round (trees) or per epoch, with the time it took."""
    with st.expander("How training went"):
        history = run.history or {}
        if history:
            st.plotly_chart(curves.run_chart(run), width="stretch")
        meta = run.meta
        st.caption(
            f"Device: {meta.get('device', '?')} · training time {fmt.seconds(meta.get('duration_s'))} · "
            f"rounds or epochs run: {meta.get('epochs_run', '?')} (best {meta.get('best_epoch', '?')}). "
            f"Model: {state.md_escape(meta.get('model_description') or run.config.template)}."
        )
        for note in meta.get("training_notes") or []:
            st.caption(state.md_escape(note))
