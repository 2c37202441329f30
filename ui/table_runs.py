"""Table runs in the run lists: each run's headline figure for its task, and regression runs side by side.

A classification run's headline is its test accuracy (already in the run list); a regression run's is its
typical miss (RMSE) and R², read from ``run.json`` (written when the run was saved). Compare runs uses
:func:`regression_comparison` for runs that predict a number: the errors with intervals instead of the
accuracy table, which does not apply to them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.reporting.regression_summary import amount
from modeling.runs.store import RunInfo
from ui import table_charts


def _meta(info: RunInfo) -> dict[str, Any]:
    try:
        data = json.loads((info.path / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def headline(info: RunInfo) -> str:
    """'accuracy 79.2%' or 'RMSE 31,155 · R² 0.843' ('—' while a run has no figures)."""
    if info.task != "tabular_regression":
        return "—" if info.accuracy is None else f"accuracy {fmt.percent(info.accuracy)}"
    meta = _meta(info)
    if meta.get("rmse") is None:
        return "—"
    currency = str(((info.dataset or {}).get("target") or {}).get("currency") or "")
    r2 = meta.get("r2")
    return f"RMSE {amount(meta['rmse'], currency)}" + (f" · R² {float(r2):.3f}" if r2 is not None else "")


def regression_comparison(figures: Sequence[Any], currency: str = "") -> None:
    """Regression runs side by side: a table of their errors and a chart of their RMSE with 95% intervals."""
    labels = [f.label for f in figures]

    def row(name: str, values: list[str]) -> list[str]:
        return [name, *values]

    def band(f: Any) -> str:
        if f.rmse_low is None or f.rmse_high is None:
            return "—"
        return f"{amount(f.rmse_low, currency)}–{amount(f.rmse_high, currency)}"

    rows = [
        row("Typical miss (RMSE)", [amount(f.rmse, currency) for f in figures]),
        row("95% interval (RMSE)", [band(f) for f in figures]),
        row("Average miss (MAE)", [amount(f.mae, currency) for f in figures]),
        row("R²", ["—" if f.r2 is None else f"{float(f.r2):.3f}" for f in figures]),
        row("Test size", [fmt.count(f.n) for f in figures]),
        row("Training time", [fmt.seconds(f.train_seconds) for f in figures]),
        row("Rounds or epochs run", ["—" if f.epochs_run is None else fmt.count(f.epochs_run) for f in figures]),
    ]
    st.dataframe(pd.DataFrame(rows, columns=["Figure", *labels]), hide_index=True, width="stretch")
    chart_rows = [{"label": f.label, "rmse": f.rmse, "low": f.rmse_low, "high": f.rmse_high} for f in figures]
    st.plotly_chart(table_charts.compare_errors(chart_rows, currency), width="stretch")
    st.caption("Lower is better. Runs whose intervals overlap cannot be told apart on this test set.")
