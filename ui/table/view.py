"""The view of business tables: column roles on the Data page, rounds and budgets, numbers as answers.

A table is set up on the Data page as a draft (target, task, roles, fixes: :mod:`ui.table.draft`) whose
choices also travel into the settings file. Its Model page says what training does with the rows; its Train
page what will train (rounds, epochs or one step) within which budget; its Evaluate page is the shared
classification page (with the rows it got wrong, who to contact first, which columns matter and whether it
is fair) or, for a number, the regression page in the target's units; its Predict page is a what-if form (and
what would change its answer) and whole tables (each row with its reasons, the file checked for drift).
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
from ui.kind_view import SearchWording
from ui.table import actions_view, draft, evaluate, importance, model, overview, predict, search, setup, train
from ui.table import rows as table_rows
from ui.table import runs as table_runs


def _number(task: str) -> bool:
    return registry.task(task).predicts_number


class TableView(common_view.CommonView):
    """Business tables (classification and regression)."""

    # ---- Data page ---------------------------------------------------------------------------------------------
    def use_sample(self, key: str, then: str | None = None) -> None:
        draft.use_sample(key, then)  # the raw table, through the same target, roles and checks as an upload

    def read_table(self, df: pd.DataFrame, name: str, signature: str, sheet: str | None) -> None:
        rows_line = f"{len(df):,} row{'s' if len(df) != 1 else ''}"
        st.markdown(f"**{rows_line}, {len(df.columns)} columns.**")
        setup.start_upload(df, name, signature, sheet)

    def pending(self) -> bool:
        return draft.draft() is not None

    def data_section(self, ds: Dataset | None, shown_notes: set[str]) -> None:
        st.divider()
        setup.table_section(ds)

    # ---- Model page --------------------------------------------------------------------------------------------
    def task_line(self, ds: Dataset) -> str:
        return f"**Task:** {registry.task(ds.task).label} — your table {overview.describe_table(ds)}."

    def default_config(self, ds: Dataset) -> ExperimentConfig:
        cfg = super().default_config(ds)
        if draft.wants_log_target(ds):  # the Data page's "predict the log" fix
            cfg = cfg.model_copy(update={"settings": cfg.settings.model_copy(update={"log_target": "yes"})})
        return cfg

    def data_fields(self, ds: Dataset) -> dict[str, Any]:
        return draft.data_fields(ds)

    def model_summary(self, ds: Dataset, cfg: ExperimentConfig) -> None:
        model.what_you_get(ds, cfg)

    def search_wording(self, ds: Dataset) -> SearchWording | None:
        return search.search_wording(ds)

    # ---- Train page --------------------------------------------------------------------------------------------
    def ready_line(self, cfg: ExperimentConfig, ds: Dataset) -> str:
        return train.ready_line(cfg, ds)

    # ---- Evaluate page -----------------------------------------------------------------------------------------
    def evaluate(self, run: Run) -> None:
        if _number(run.task):  # errors in the target's units, ranges, misses, columns that matter
            evaluate.regression_page(run)
        else:
            super().evaluate(run)

    def show_mistakes(self, run: Run, wrong: list[dict[str, Any]]) -> None:
        table_rows.mistakes_table(run, wrong)  # the customers (rows) it got wrong, with their values

    def classes_extra(self, run: Run, ev: dict[str, Any]) -> None:
        target = str(run.meta.get("dataset", {}).get("target_column") or "the target")
        actions_view.gains_block(run, ev)  # who to contact first: gains, lift, the ranked rows with their reasons
        importance.columns_that_matter(run, ev, target)  # permutation importance with intervals, partial dependence
        actions_view.fairness_block(run)  # only once a sensitive column is chosen

    def copies_fix(self, run: Run) -> None:
        # Tables drop exact copies of rows on the Data page, before the split.
        st.caption("For a table: on the Data page, click the fix under 'rows are exact copies', then train again.")
        st.page_link("pages/data.py", label="Open the Data page", icon=":material/upload_file:")

    # ---- Predict page ------------------------------------------------------------------------------------------
    def predict(self, run: Run, predictor: Any) -> None:
        predict.page(run, predictor)  # a what-if form, and whole tables

    # ---- run lists and code ------------------------------------------------------------------------------------
    def headline(self, info: RunInfo) -> str:
        return table_runs.headline(info) if _number(info.task) else super().headline(info)

    def compare_figures(self, runs: list[Run], figures: list[Any]) -> None:
        if not _number(runs[0].task):
            super().compare_figures(runs, figures)
            return
        target_facts = (runs[0].evaluation or {}).get("target") or {}  # numbers: errors in the target's units
        table_runs.regression_comparison(figures, str(target_facts.get("currency") or ""))

    def code_libraries(self, template: str) -> str:
        return "pandas + scikit-learn"

    def code_steps(self, template: str) -> str:
        return "the same data file, column reading, split, encoding and model settings"
