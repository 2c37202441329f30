"""Forecast runs in the run lists: their headline (WAPE and the 80% range's coverage) and several side by side.

The headline is read from ``run.json`` (the generic ``headline`` figures a forecast run saves: ``wape``,
``mase``, ``coverage_80``, ...), so listing runs never loads a model. Compare runs shows each run's backtest
errors, their lift over the seasonal naive and the measured coverage of the ranges.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.runs.store import Run, RunInfo
from ui.run_file import run_json


def headline(info: RunInfo) -> str:
    """'WAPE 6.2% (seasonal naive -11%) · 80% range held 78%' ('—' while the run has no figures)."""
    meta = run_json(info)
    headline_figures = meta.get("headline") if isinstance(meta.get("headline"), dict) else meta
    wape = headline_figures.get("wape")
    if wape is None:
        return "—"
    text = f"WAPE {fmt.percent(wape)}"
    lift = headline_figures.get("wape_lift")
    if lift is not None:
        text += f" ({fmt.share(abs(lift))} {'better' if lift >= 0 else 'worse'} than seasonal naive)"
    held = headline_figures.get("coverage_80")
    if held is not None:
        text += f" · 80% range held {fmt.percent(held, 0)}"
    return text


def comparison(runs: Sequence[Run]) -> None:
    """Forecast runs side by side: backtest errors, lift over the seasonal naive, the ranges' coverage."""
    rows = []
    for run in runs:
        ev = run.evaluation or {}
        model, coverage = ev.get("model") or {}, ev.get("coverage") or {}
        rows.append(
            {
                "run": run.info.run_id,
                "template": run.config.template,
                "% off (WAPE)": model.get("wape"),
                "lift over seasonal naive": (ev.get("lift") or {}).get("wape"),
                "MASE": model.get("mase"),
                "bias": model.get("bias"),
                "80% range held": (coverage.get("80") or {}).get("coverage"),
                "90% range held": (coverage.get("90") or {}).get("coverage"),
                "horizon": ev.get("horizon"),
                "backtest": ev.get("scored_on"),
            }
        )
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "% off (WAPE)": percent,
            "lift over seasonal naive": percent,
            "bias": percent,
            "80% range held": percent,
            "90% range held": percent,
            "MASE": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    st.caption(
        "Lower WAPE and MASE are better. Runs with different horizons or backtest windows were scored on different "
        "dates: compare them with care."
    )


def sentences(runs: Sequence[Run]) -> list[str]:
    """Which run was least off in its backtest, by how much, and whether the runs were scored on the same dates."""
    scored = [(run, (run.evaluation or {}).get("model") or {}) for run in runs]
    ranked = sorted((item for item in scored if item[1].get("wape") is not None), key=lambda item: item[1]["wape"])
    if not ranked:
        return ["None of these runs saved a backtest error to compare."]
    best, figures = ranked[0]
    lift = ((best.evaluation or {}).get("lift") or {}).get("wape")
    versus = (
        "" if lift is None else f", {fmt.share(abs(lift))} {'better' if lift >= 0 else 'worse'} than the seasonal naive"
    )
    out = [
        f"The lowest backtest error is {best.info.run_id} ({best.config.template}): {fmt.percent(figures['wape'])} off"
        f"{versus}."
    ]
    if len(ranked) > 1:
        second, other = ranked[1]
        out.append(f"Next: {second.info.run_id} ({second.config.template}), {fmt.percent(other['wape'])} off.")
    plans = {((run.evaluation or {}).get("horizon"), (run.evaluation or {}).get("scored_on")) for run in runs}
    if len(plans) > 1:
        out.append(
            "The runs were backtested on different horizons or windows, so their errors are not strictly comparable."
        )
    return out
