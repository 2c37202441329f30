"""The Predict page for a text model: one text with the words that pushed its answer, or a whole table of texts.

One text gets its answer under the run's saved rule and a highlight of the words that mattered
(:mod:`ui.text.explain`). A whole table (CSV, TSV, Excel, Parquet) is scored on the column the person picks
(the trained column is proposed) and comes back with the label, confidence, one probability per class and
``needs_review``; the download is safe to open in a spreadsheet (no cell runs as a formula).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling.runs.safe_csv import to_safe_csv
from modeling.runs.store import Run
from ui import prediction_view, state
from ui.text import explain

SCORED = "scored"


def page(run: Run, predictor: Any) -> None:
    """Both tabs of the Predict page for a text run."""
    predictor = prediction_view.calibrated_rule(run, predictor)
    one, many = st.tabs(["One text", "A whole CSV"])
    with one:
        one_text(predictor)
    with many:
        whole_table(run, predictor)


def one_text(predictor: Any) -> None:
    """A text area, its answer and why."""
    text = st.text_area("Text", placeholder="Type or paste a review…", max_chars=20_000, key="predict_text")
    if st.button("Predict", type="primary", disabled=not text.strip()):
        try:
            prediction = predictor.predict_one(text)
            prediction_view.show_prediction(predictor, prediction)
            st.markdown("**Why?**")
            explain.explain_prediction(predictor, text, prediction.label)
        except Exception as exc:
            state.show_error(exc, "predicting")


def whole_table(run: Run, predictor: Any) -> None:
    """Upload a table with a text column, score it, show the first rows and offer the scored CSV."""
    st.caption(
        "Upload a table with a text column; you get it back with the predicted label, the confidence, "
        "one probability per class, and `needs_review` (True where a person should look) with the reason."
    )
    table_file = st.file_uploader("Table to score", type=["csv", "tsv", "txt", "xlsx", "parquet"], key="score_upload")
    if table_file is None:
        return
    from modeling.data.readers import guess_columns, read_upload

    try:
        df = read_upload(table_file.getvalue(), table_file.name)
        if not isinstance(df, pd.DataFrame):
            raise ValueError
    except ValueError:
        st.error("This file is not a table. Upload a CSV, TSV, Excel or Parquet file.")
        return
    except Exception as exc:
        state.show_error(exc, "reading the table")
        return
    columns = [str(c) for c in df.columns]
    trained_col = run.meta.get("dataset", {}).get("text_column")
    default = trained_col if trained_col in columns else (guess_columns(df)[0] or columns[0])
    column = st.selectbox("Text column", columns, index=columns.index(default))
    if st.button("Score the table", type="primary"):
        bar = st.progress(0.0, text="Scoring…")
        try:
            scored = predictor.score_texts(df, column, on_progress=lambda f: bar.progress(f, text="Scoring…"))
            st.session_state[SCORED] = (table_file.name, scored)
        except Exception as exc:
            state.show_error(exc, "scoring the table")
    entry = st.session_state.get(SCORED)
    if entry is None or entry[0] != table_file.name:
        return
    scored = entry[1]
    flagged = int(scored["needs_review"].sum()) if "needs_review" in scored else 0
    st.success(
        f"Scored {len(scored):,} rows."
        + (f" {flagged:,} {'needs' if flagged == 1 else 'need'} a person (needs\\_review is True)." if flagged else "")
    )
    st.dataframe(scored.head(100), hide_index=True)
    st.download_button(
        "Download scored CSV", to_safe_csv(scored), file_name="scored.csv", mime="text/csv", type="primary"
    )
