"""The active table at a glance: rows, columns used, what is predicted, notes, a preview and the target's spread.

Drawn at the bottom of the Data page's table section (:mod:`ui.table.setup`). The preview is the table as
the person gave it (target first); the chart is the class balance for classification, the distribution of
the number for regression. Dataset notes (rows left out, categories grouped, dates expanded) are
sentences from :mod:`modeling.data.tabular` with column names in them: escaped.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.data.dataset import Dataset
from modeling.reporting import charts
from modeling.reporting.charts import tables as table_charts
from modeling.templates import registry
from ui import state


def target_currency(ds: Dataset) -> str:
    """The target's currency sign as read from its cells ('$1,200' -> '$'), or ''."""
    info = next((c for c in ds.columns if getattr(c, "name", None) == ds.target_column), None)
    return str(getattr(getattr(info, "format", None), "currency", "") or "")


def predicts_number(ds: Dataset) -> bool:
    """True for a table whose target is a number (regression), from the task's facts."""
    return registry.task(ds.task).predicts_number


def describe_table(ds: Dataset) -> str:
    """'predicts churn (2 classes) from 19 columns': the sidebar's and the Train page's short line."""
    used = len(ds.preparation.input_columns) if ds.preparation is not None else len(ds.frame.columns)
    what = "a number" if predicts_number(ds) else fmt.plural(len(ds.class_names), "class", "classes")
    return f"predicts '{fmt.md_name(ds.target_column or '', 30)}' ({what}) from {fmt.plural(used, 'column')}"


def overview(ds: Dataset, draft: Any = None) -> None:
    """Metrics, the dataset's notes, a preview of the rows and the target chart."""
    st.markdown("#### The table in use")
    used = len(ds.preparation.input_columns) if ds.preparation is not None else len(ds.frame.columns)
    number = predicts_number(ds)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Rows", fmt.count(len(ds)))
    m2.metric("Columns used", fmt.count(used))
    target = str(ds.target_column or "?")
    m3.metric("Predicts", fmt.md_name(target, 24), help=fmt.md_name(target, 200))
    m4.metric(
        "Task",
        "A number" if number else f"{len(ds.class_names)} classes",
        help="Regression: predict a number." if number else "Classification: choose one of the classes.",
    )
    for note in ds.notes:
        st.info(state.md_escape(note))
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Preview** (the first 200 rows as read, the target first)")
        st.dataframe(_preview(ds, draft), hide_index=True, height=320)
    with right:
        if number:
            fig = table_charts.target_histogram(ds.labels, str(ds.target_column or "target"), target_currency(ds))
        else:
            fig = charts.class_balance(ds.class_counts())
        st.plotly_chart(fig, width="stretch")


def _preview(ds: Dataset, draft: Any) -> pd.DataFrame:
    """The raw table with the target first (from the draft), else the prepared feature frame and the target."""
    target = ds.target_column
    if draft is not None and target in [str(c) for c in draft.df.columns]:
        raw = draft.df.head(200)
        ordered = [target, *[c for c in raw.columns if str(c) != target]]
        return raw[ordered]
    frame = ds.frame.head(200).copy()
    values = ds.labels[:200] if predicts_number(ds) else [ds.class_names[i] for i in ds.labels[:200]]
    frame.insert(0, str(target or "target"), values)
    return frame
