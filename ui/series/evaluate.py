"""The Evaluate page of a forecast: the backtest against the seasonal naive, in words a finance person reads.

Everything comes from the run's ``evaluation.json`` (a forecast evaluation, see
:class:`~modeling.evaluation.forecast.schema.ForecastEvaluation`) and, for the chart, from the run's
predictor (history, backtest, saved forecast): the summary you could paste into an email; WAPE ("% off"),
MASE and bias, each with its lift over the seasonal naive; the 80% and 90% ranges with the share of backtest
values they actually held; Automatic's one-sentence reason; the chart of history, backtest, forecast and
ranges with a series picker plus the total; the per-series table, worst first and named; every model
compared; how much to stock (:mod:`ui.series.stock`); then Share and Export as for every run.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.reporting import charts
from modeling.reporting.forecast_summary import forecast_summary
from modeling.runs.store import Run
from ui import classes_view, curves, run_state, state
from ui.series import overview, stock
from ui.series.model import AUTOMATIC

#: The picker's entry for the sum over every series.
TOTAL = "Total over every series"


def lift_words(lift: float | None) -> str | None:
    """'41% better than naive' (or worse): a metric's lift over the seasonal naive, short enough for a delta."""
    if lift is None:
        return None
    return f"{fmt.share(abs(lift))} {'better' if lift >= 0 else 'worse'} than naive"


def _colour(lift: float | None) -> str:
    """Green when better than the naive, red when worse (Streamlit reads every delta here as positive)."""
    return "off" if lift is None else "normal" if lift >= 0 else "inverse"


def bias_value(bias: float | None) -> str:
    """'+1.2%' (over-forecasting) or '-3.0%' (under); '—' when unknown."""
    return "—" if bias is None else f"{100 * float(bias):+.1f}%"


def bias_words(bias: float | None) -> str:
    """'over by 1.2%' / 'under by 3%' / 'none'."""
    if bias is None:
        return "—"
    if abs(bias) < 0.0005:
        return "none"
    return f"{'over' if bias > 0 else 'under'} by {fmt.share(abs(bias))}"


def bias_delta(bias: float | None, baseline: float | None, lift: float | None) -> str | None:
    """The bias's lift over the naive's, unless both are within 1% of even (then a ratio of two tiny numbers)."""
    if bias is None or baseline is None or max(abs(bias), abs(baseline)) < 0.01:
        return None if bias is None else "both within 1% of even"
    return lift_words(lift)


def page(run: Run) -> None:
    """The whole Evaluate page body for a forecast run (after the run picker)."""
    ev = run.evaluation
    model = ev.get("model") or {}
    target = str((ev.get("target") or {}).get("name") or run.config.data.target_column or "the value")
    classes_view.evaluate_intro(
        run,
        f"Backtest: the forecasts of **{fmt.md_name(target)}** were scored on {state.md_escape(ev.get('scored_on'))}, "
        f"each made only from the dates before it ({fmt.count(model.get('n') or 0)} dated values).",
        lambda: forecast_summary(ev),  # escaped by the summary itself
    )
    headlines(ev)
    choice = ev.get("choice") or {}
    if choice.get("sentence") and run.config.template == AUTOMATIC:
        st.info(f"**Automatic's choice:** {state.md_escape(choice['sentence'])}", icon=":material/auto_awesome:")
    for note in ev.get("notes") or []:
        st.caption(state.md_escape(note))

    tabs = st.tabs(["Forecast chart", "Per series", "Models compared", "Ranges", "How training went"])
    with tabs[0]:
        chart_block(run, target)
    with tabs[1]:
        series_table(ev)
    with tabs[2]:
        models_block(ev)
    with tabs[3]:
        ranges_block(ev)
    with tabs[4]:
        training_block(run, ev)
    predictor = _predictor(run)
    if predictor is not None:
        stock.stock_block(run, predictor)
    classes_view.take_away_then_predict(run, "Next: the forecast, with a what-if and the CSV →")


def headlines(ev: dict[str, Any]) -> None:
    """WAPE, MASE and bias with their lift over the seasonal naive; the 80% and 90% ranges' measured coverage."""
    model, lift = ev.get("model") or {}, ev.get("lift") or {}
    base = ((ev.get("baselines") or {}).get("seasonal_naive")) or {}
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric(
        "% off (WAPE)",
        fmt.percent(model.get("wape")),
        lift_words(lift.get("wape")),
        delta_color=_colour(lift.get("wape")),
        help="Weighted absolute percentage error: the sum of the misses over the sum of the actual values, over "
        "every series and date of the backtest. What a finance person reads as '% off'.",
    )
    c1.caption(f"seasonal naive: {fmt.percent(base.get('wape'))}")
    c2.metric(
        "MASE",
        "—" if model.get("mase") is None else f"{float(model['mase']):.2f}",
        lift_words(lift.get("mase")),
        delta_color=_colour(lift.get("mase")),
        help="Mean absolute scaled error: the average miss divided by the miss of repeating last season inside the "
        "history. Below 1 beats that rule; series of 10 and 10,000 units count alike.",
    )
    c2.caption("seasonal naive: " + ("—" if base.get("mase") is None else f"{float(base['mase']):.2f}"))
    delta = bias_delta(model.get("bias"), base.get("bias"), lift.get("bias"))
    c3.metric(
        "Bias",
        bias_value(model.get("bias")),
        delta,
        delta_color=_colour(lift.get("bias") if delta and delta.endswith("than naive") else None),
        help="Positive: the forecasts were too high on the whole (too much stock); negative: too low (running short).",
    )
    c3.caption(f"seasonal naive: {bias_words(base.get('bias'))}")
    coverage = ev.get("coverage") or {}
    for column, level in ((c4, "80"), (c5, "90")):
        held = (coverage.get(level) or {}).get("coverage")
        column.metric(
            f"{level}% range held",
            fmt.percent(held),
            None if held is None else f"{(held - int(level) / 100) * 100:+.1f} pts vs {level}%",
            delta_color="off",
            help=f"The share of backtest values that fell inside the {level}% range, measured on a window the "
            f"ranges were not calibrated on. Close to {level}% means the ranges can be trusted.",
        )
        column.caption(_coverage_band(coverage.get(level) or {}))


def _coverage_band(entry: dict[str, Any]) -> str:
    if entry.get("low") is None or entry.get("high") is None:
        return "not measurable (history too short)" if not entry else f"n = {fmt.count(entry.get('n') or 0)}"
    return f"95% interval {fmt.percent_range(entry['low'], entry['high'], 0)}, n = {fmt.count(entry.get('n') or 0)}"


def _predictor(run: Run) -> Any:
    try:
        return run_state.predictor(run)
    except Exception as exc:
        state.show_error(exc, "loading the forecast")
        return None


def series_picker(ids: list[str], key: str) -> str | None:
    """A select box of the series (the total first); ``None`` stands for the total."""
    if len(ids) <= 1:
        return ids[0] if ids else None
    picked = st.selectbox("Series", [TOTAL, *ids], key=key)
    return None if picked == TOTAL else picked


def chart_block(run: Run, target: str) -> None:
    """History, backtest, forecast and the 80%/90% ranges of one series or of the total."""
    predictor = _predictor(run)
    if predictor is None:
        return
    ids = list(predictor.series_ids)
    picked = series_picker(ids, key=f"forecast_chart_series_{run.info.run_id}")
    forecast = predictor.forecast()
    total = predictor.total(forecast) if picked is None else None  # the total's own ranges, not a sum of ranges
    figure = charts.forecast_chart(predictor.history, predictor.backtest, forecast, picked, target, total=total)
    st.plotly_chart(figure, width="stretch", key=f"forecast_chart_{run.info.run_id}")
    st.caption(
        "Grey: the history. Dashed: what the model forecast in the backtest, from the dates before each window. "
        "After the last date: the forecast with its 80% (dark) and 90% (light) ranges."
    )


def series_table(ev: dict[str, Any]) -> None:
    """Every series' error, worst first, with the worst named and the seasonal naive beside it."""
    rows = list(ev.get("series") or [])
    if not rows:
        st.caption("No per-series errors were saved.")
        return
    worst = ev.get("worst_series") or rows[0]
    if worst.get("wape") is not None:
        base = worst.get("baseline_wape")
        versus = "" if base is None else f" (the seasonal naive: {fmt.percent(base)})"
        st.markdown(
            f"The worst series is **{fmt.md_name(worst.get('unique_id'))}**: {fmt.percent(worst['wape'])} off"
            f"{versus}. Series with large errors are where a person should look before trusting the forecast."
        )
    table = pd.DataFrame(rows)
    shown = pd.DataFrame(
        {
            "series": table.get("unique_id"),
            "% off (WAPE)": table.get("wape"),
            "seasonal naive % off": table.get("baseline_wape"),
            "MASE": table.get("mase"),
            "bias": table.get("bias"),
            "actual total": table.get("actual"),
        }
    )
    if table.get("actual") is not None:
        shown = overview.rounded(shown, ["actual total"])
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "% off (WAPE)": st.column_config.NumberColumn(format="percent"),
            "seasonal naive % off": st.column_config.NumberColumn(format="percent"),
            "bias": st.column_config.NumberColumn(format="percent"),
            "MASE": st.column_config.NumberColumn(format="%.2f"),
            "actual total": st.column_config.NumberColumn(format="localized"),
        },
    )
    total = int(ev.get("series_total") or len(rows))
    if total > len(rows):
        st.caption(f"The {fmt.count(len(rows))} worst of {fmt.count(total)} series.")
    st.plotly_chart(charts.series_error_chart(ev), width="stretch")


def models_block(ev: dict[str, Any]) -> None:
    """Every candidate's backtest error next to the seasonal naive, and the weight Automatic gave it."""
    candidates = ev.get("candidates") or {}
    if not candidates:
        st.caption("This run fitted one model.")
        return
    rows = [
        {
            "model": entry.get("label") or name,
            "% off (WAPE)": entry.get("wape"),
            "MASE": entry.get("mase"),
            "bias": entry.get("bias"),
            "lift over the seasonal naive": entry.get("wape_lift"),
            "weight in the forecast": entry.get("weight"),
        }
        for name, entry in candidates.items()
    ]
    st.dataframe(
        pd.DataFrame(rows).sort_values("% off (WAPE)", na_position="last"),
        hide_index=True,
        width="stretch",
        column_config={
            "% off (WAPE)": st.column_config.NumberColumn(format="percent"),
            "bias": st.column_config.NumberColumn(format="percent"),
            "lift over the seasonal naive": st.column_config.NumberColumn(format="percent"),
            "weight in the forecast": st.column_config.NumberColumn(format="percent"),
            "MASE": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    st.plotly_chart(charts.model_comparison_chart(ev), width="stretch")
    st.caption("Same backtest windows for every model. Lift = 1 - the model's WAPE / the seasonal naive's.")


def ranges_block(ev: dict[str, Any]) -> None:
    """The 80% and 90% ranges: the share of backtest values they held, and their average width."""
    coverage = ev.get("coverage") or {}
    if not coverage:
        st.caption(
            "The ranges' coverage could not be measured: the history is too short for a backtest window the ranges "
            "were not calibrated on."
        )
        return
    rows, sentences = [], []
    for level in sorted(coverage):
        entry = coverage[level]
        held = entry.get("coverage")
        rows.append(
            {
                "range": f"{level}%",
                "share of backtest values inside": held,
                "95% interval of that share": "—"
                if entry.get("low") is None
                else fmt.percent_range(entry["low"], entry["high"], 0),
                "average width": entry.get("mean_width"),
                "values checked": entry.get("n"),
            }
        )
        if held is not None:
            sentences.append(f"the {level}% range held **{fmt.percent(held)}** of them")
    if sentences:
        st.markdown("Measured on backtest values the ranges were not calibrated on: " + "; ".join(sentences) + ".")
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={
            "share of backtest values inside": st.column_config.NumberColumn(format="percent"),
            "average width": st.column_config.NumberColumn(format="localized"),
        },
    )
    st.plotly_chart(charts.range_coverage_chart(ev), width="stretch")
    st.caption(
        "Ranges come from conformal calibration on the backtest's errors at each step ahead. A range that held "
        "much less than its level is too narrow: plan with the 90% range."
    )


def training_block(run: Run, ev: dict[str, Any]) -> None:
    """How long each phase took, and the network's curves when it was trained."""
    seconds = ev.get("seconds") or {}
    meta = run.meta
    st.caption(
        f"Device: {meta.get('device', '?')} · backtest {fmt.seconds(seconds.get('backtest'))} · refit on all history "
        f"{fmt.seconds(seconds.get('refit'))} · total {fmt.seconds(seconds.get('total') or meta.get('duration_s'))}."
    )
    if run.history:
        st.plotly_chart(curves.run_chart(run), width="stretch")
        st.caption("The network's loss per epoch (training and validation windows).")
