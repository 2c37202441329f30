"""The view of texts with a label: a table of texts on the Data page, the encoder's notes and a model search on
the Model page, mistakes with their words explained on the Evaluate page, one text or a whole table on Predict.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.data.dataset import Dataset
from modeling.runs.store import Run
from ui import common_view, state
from ui.kind_view import SearchWording
from ui.text import encoder, explain, predict


class TextView(common_view.CommonView):
    """Texts with a label (sentiment, topics, ...)."""

    size_note = "Text models count the vocabulary learnt from up to 2,000 texts here; training uses all texts."

    # ---- Data page ---------------------------------------------------------------------------------------------
    def read_table(self, df: pd.DataFrame, name: str, signature: str, sheet: str | None) -> None:
        """Which columns hold the text and the label (guessed), and a button that makes them the active data."""
        from modeling.data.readers import dataset_from_table, guess_columns

        rows = f"{len(df):,} row{'s' if len(df) != 1 else ''}"
        st.markdown(f"**{rows}, {len(df.columns)} columns.** Which columns hold the text and the label?")
        guess_text, guess_label = guess_columns(df)
        columns = [str(c) for c in df.columns]
        c1, c2 = st.columns(2)
        text_col = c1.selectbox("Text column", columns, index=columns.index(guess_text) if guess_text in columns else 0)
        label_default = guess_label if guess_label in columns else columns[min(1, len(columns) - 1)]
        label_col = c2.selectbox("Label column", columns, index=columns.index(label_default))
        if st.button("Use these columns", type="primary"):
            try:
                state.set_dataset(dataset_from_table(df, text_col, label_col, name=name, source=name))
            except Exception as exc:
                state.show_error(exc, "preparing the table")

    def kind_metric(self, ds: Dataset) -> str:
        return "Texts"

    def preview(self, ds: Dataset) -> None:
        preview = pd.DataFrame({"text": ds.texts[:200], "label": [ds.class_names[i] for i in ds.labels[:200]]})
        st.dataframe(preview, hide_index=True, height=320)

    # ---- Model page --------------------------------------------------------------------------------------------
    def settings_notes(self, ds: Dataset, values: dict[str, Any]) -> None:
        if "encoder_mode" in values:  # a template that reads the texts with the pretrained encoder
            encoder.encoder_notes(ds, values)

    def search_wording(self, ds: Dataset) -> SearchWording | None:
        return SearchWording(
            key="automl",
            session_key="automl_search_id",
            place_key="search_place",
            caption=(
                "Trains the text templates that suit your data, with their default settings, on the same split, "
                "within the time you allow; then ranks them on the held-out test texts next to the keyword baseline "
                "(TF-IDF + logistic regression). Templates that would not fit in the time left are skipped."
            ),
            budget=(30, 900, 120, 30),
            budget_help="The search stops starting new templates when the budget is spent and stops the running one.",
            progress_caption="Finished so far, best first:",
            stop_toast="Stopping after the current batch…",
            stopped_message="The search was stopped before it started.",
            notes_as_warnings=True,
            column_formats={"accuracy": "percent", "F1 (macro)": "%.3f"},
            pick_label="Model to keep (the best is preselected)",
            summary=search_summary,
        )

    # ---- Evaluate page -----------------------------------------------------------------------------------------
    def show_mistakes(self, run: Run, wrong: list[dict[str, Any]]) -> None:
        test = common_view.load_test(run)
        if test is None:
            return
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
            explain.explain_mistake(run, test, wrong)

    def mistakes_extra(self, run: Run, ev: dict[str, Any]) -> None:
        st.markdown("#### Most telling words")
        explain.telling_words(ev, run.class_names)

    # ---- Predict page ------------------------------------------------------------------------------------------
    def predict(self, run: Run, predictor: Any) -> None:
        predict.page(run, predictor)

    # ---- code --------------------------------------------------------------------------------------------------
    def code_libraries(self, template: str) -> str:
        return "Keras + scikit-learn" if common_view.fitted_in_one_step(template) else "Keras"

    def code_steps(self, template: str) -> str:
        if common_view.fitted_in_one_step(template):
            return "the same data file, split, vocabulary, term weights and regressions chosen on the validation texts"
        return super().code_steps(template)


def search_summary(board: Any) -> str:
    """'Same split for every template: ... Keyword baseline accuracy: 81.0%. Search time: 1 min.'"""
    base = fmt.percent(board.baseline_accuracy) if getattr(board, "baseline_accuracy", None) is not None else "n/a"
    split = getattr(board, "split", None) or {}
    sizes = (
        f"{split['train']:,} training, {split['validation']:,} validation and {split['test']:,} test texts"
        if split
        else "the same texts"
    )
    return (
        f"Same split for every template: {sizes}. Keyword baseline accuracy: **{base}**. "
        f"Search time: {fmt.seconds(board.elapsed_s)}."
    )
