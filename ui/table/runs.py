"""Regression runs in the run lists: their headline figure, and several of them side by side.

A classification run's headline is its test accuracy (the shared view's); a regression run's is its typical
miss (RMSE) and R², read from ``run.json`` (written when the run was saved). Compare runs uses
:func:`regression_comparison` for runs that predict a number: the errors with intervals instead of the
accuracy table, which does not apply to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from modeling.reporting.charts import tables as table_charts
from modeling.reporting.compare_report import compare_table, error_rows
from modeling.reporting.regression_summary import amount
from modeling.runs.store import RunInfo
from ui.run_file import run_json


def headline(info: RunInfo) -> str:
    """A regression run's 'RMSE 31,155 · R² 0.843' ('—' while it has no figures)."""
    meta = run_json(info)
    if meta.get("rmse") is None:
        return "—"
    currency = str(((info.dataset or {}).get("target") or {}).get("currency") or "")
    r2 = meta.get("r2")
    return f"RMSE {amount(meta['rmse'], currency)}" + (f" · R² {float(r2):.3f}" if r2 is not None else "")


def regression_comparison(figures: Sequence[Any], currency: str = "") -> None:
    """Regression runs side by side: a table of their errors and a chart of their RMSE with 95% intervals."""
    header, rows = compare_table(figures, currency)
    st.dataframe(pd.DataFrame(rows, columns=header), hide_index=True, width="stretch")
    st.plotly_chart(table_charts.compare_errors(error_rows(figures), currency), width="stretch")
    st.caption("Lower is better. Runs whose intervals overlap cannot be told apart on this test set.")
