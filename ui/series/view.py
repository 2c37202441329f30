"""The view of time series: recognised on upload, set up on the Data page, forecast, backtested and used.

A table with dates and a number is proposed as time series when it is uploaded (:mod:`ui.series.setup`), and
the person confirms or switches. Its Model page says what the forecasting template does (no layers to count:
statistical models are fitted per series); its Train page names the horizon and the backtest; its Evaluate
page shows WAPE, MASE and bias against the seasonal naive, the ranges with their measured coverage, the
per-series table and the chart with a series picker, the summary and how much to stock
(:mod:`ui.series.evaluate`); its Predict page the next horizon with ranges, a what-if on the known-ahead
columns and the CSV (:mod:`ui.series.predict`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.runs.store import Run, RunInfo
from modeling.templates import registry
from ui import common_view
from ui.kind_view import SearchWording, TableClaim
from ui.series import draft, evaluate, model, overview, predict, runs, setup

#: What the upload tab's choice says for this kind.
READ_AS_SERIES = "As time series: forecast a number per date"


class SeriesView(common_view.CommonView):
    """Time series to forecast (sales per store per week, rides per station, sign-ups per month)."""

    # ---- Data page ---------------------------------------------------------------------------------------------
    def use_sample(self, key: str, then: str | None = None) -> None:
        draft.use_sample(key, then)  # the raw table, through the same roles and checks as an upload

    def claim_table(self, df: pd.DataFrame, signature: str) -> TableClaim | None:
        proposal = draft.proposal_for(df, signature)
        if proposal is not None:
            return TableClaim(READ_AS_SERIES, proposed=True, why=setup.claim_sentence(proposal))
        if draft.date_columns(df):
            return TableClaim(READ_AS_SERIES, proposed=False)
        return None

    def read_table(self, df: pd.DataFrame, name: str, signature: str, sheet: str | None) -> None:
        setup.start_upload(df, name, signature, sheet)

    def pending(self) -> bool:
        return draft.draft() is not None

    def data_section(self, ds: Dataset | None, shown_notes: set[str]) -> None:
        st.divider()
        setup.series_section(ds)

    def kind_metric(self, ds: Dataset) -> str:
        return "Time series"

    def preview(self, ds: Dataset) -> None:
        overview.overview(ds)

    # ---- Model page --------------------------------------------------------------------------------------------
    def task_line(self, ds: Dataset) -> str:
        return f"**Task:** {registry.task(ds.task).label} — your data {overview.describe_series(ds)}."

    def data_fields(self, ds: Dataset) -> dict[str, Any]:
        return draft.data_fields(ds)

    def holdout_setting(self, test_share: float) -> float:
        st.caption(
            "Nothing is set aside at random: the backtest holds out the last horizon of every series, as many "
            "times as there are backtest windows, and forecasts it from the dates before."
        )
        return test_share

    def settings_notes(self, ds: Dataset, values: dict[str, Any]) -> None:
        model.settings_notes(ds, values)

    def model_summary(self, ds: Dataset, cfg: ExperimentConfig) -> None:
        model.what_you_get(ds, cfg)

    def search_wording(self, ds: Dataset) -> SearchWording | None:
        return model.search_wording(ds)

    # ---- Train page --------------------------------------------------------------------------------------------
    def ready_line(self, cfg: ExperimentConfig, ds: Dataset) -> str:
        return model.ready_line(cfg, ds)

    # ---- Evaluate page -----------------------------------------------------------------------------------------
    def evaluate(self, run: Run) -> None:
        evaluate.page(run)

    def show_mistakes(self, run: Run, wrong: list[dict[str, Any]]) -> None:
        evaluate.series_table(run.evaluation or {})  # a forecast's "mistakes" are its worst series

    def copies_fix(self, run: Run) -> None:
        st.caption("Two rows of one series on one date are added up (or refused) on the Data page.")

    # ---- Predict page ------------------------------------------------------------------------------------------
    def predict(self, run: Run, predictor: Any) -> None:
        predict.page(run, predictor)

    # ---- run lists and code ------------------------------------------------------------------------------------
    def headline(self, info: RunInfo) -> str:
        return runs.headline(info)

    def compare_figures(self, runs_: list[Run], figures: list[Any]) -> None:
        runs.comparison(runs_)

    def compare_sentences(self, runs_: list[Run], figures: list[Any], same_split: bool) -> list[str]:
        return runs.sentences(runs_)

    def code_libraries(self, template: str) -> str:
        return model.CODE_LIBRARIES.get(template, "statsforecast + scikit-learn")

    def code_steps(self, template: str) -> str:
        return "the same data file, date reading, series, backtest windows and models"
