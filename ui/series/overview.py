"""The active time series at a glance: how many series, how often, from when to when, its notes and a chart.

Drawn at the bottom of the Data page's series section (:mod:`ui.series.setup`) and used for the short line
the Model and Train pages show (:func:`describe_series`). The chart is the total over every series, or one
series picked by the person; the preview is the prepared long frame (series, date, value, known ahead).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.data.dataset import Dataset
from ui import state

#: The picker's entry for the sum over every series.
TOTAL = "Total over every series"


def rounded(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with ``columns`` rounded to what a reader needs: whole units from 100 up, else 1 or 2 decimals."""
    out = frame.copy()
    for column in columns:
        size = float(out[column].abs().median()) if len(out) else 0.0
        out[column] = out[column].round(0 if size >= 100 else 1 if size >= 10 else 2)
    return out


def describe_series(ds: Dataset) -> str:
    """The short line: forecasts 'rides' per 'station' (20 series, weekly on Mondays, 2013-09-02 to 2016-08-22)."""
    prep = ds.preparation
    per = f" {prep.series_label}" if prep.series_columns else ""
    return (
        f"forecasts '{fmt.md_name(prep.target_column, 30)}'{fmt.md_escape(per)} "
        f"({fmt.plural(prep.series_count, 'series', 'series')}, {prep.frequency_words}, "
        f"{prep.first_date} to {prep.last_date})"
    )


def overview(ds: Dataset) -> None:
    """Metrics, the dataset's notes, the history chart with a series picker and a preview of the rows."""
    prep = ds.preparation
    st.markdown("#### The series in use")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Series", fmt.count(prep.series_count))
    m2.metric("Dated values", fmt.count(len(ds)))
    m3.metric("Frequency", prep.frequency_words.split()[0].capitalize(), help=prep.frequency_words)
    m4.metric("Forecasts", fmt.md_name(prep.target_column, 24), help=fmt.md_name(prep.target_column, 200))
    for note in ds.notes:
        st.info(state.md_escape(note))
    frame = ds.frame
    ids = sorted(frame["unique_id"].unique().tolist())
    picked = TOTAL
    if len(ids) > 1:
        picked = st.selectbox("Series to look at", [TOTAL, *ids], key=f"series_overview_pick_{ds.fingerprint()}")
    rows = frame if picked == TOTAL else frame[frame["unique_id"] == picked]
    history = rows.groupby("ds", sort=True)["y"].sum().rename(prep.target_column)
    st.line_chart(history, x_label=str(prep.date_column), y_label=str(prep.target_column), height=260)
    with st.expander("The rows as ModelDeck reads them (first 200)"):
        preview = frame.head(200).rename(
            columns={"unique_id": "series", "ds": str(prep.date_column), "y": str(prep.target_column)}
        )
        st.dataframe(pd.DataFrame(preview), hide_index=True)
