"""What texts and images share on the pages, as the default :class:`~ui.kind_view.KindView`.

Their answers are classes, read by one Keras-family model trained in epochs (or fitted in one step): the
Data page's active-data section with a preview the kind draws, the task line, the default settings (the
chooser's template where the task has one), the model's size, the "ready" line in epochs, the classification
Evaluate page, accuracy as the headline and in Compare. :class:`~ui.text.view.TextView` and
:class:`~ui.image.view.ImageView` add their previews, mistakes and Predict page; the table view overrides
what tables do differently and keeps the classification Evaluate page for table classes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.reporting import charts
from modeling.reporting.compare_report import accuracy_rows, compare_table
from modeling.reporting.comparison import comparison_sentences
from modeling.runs.store import Run, RunInfo
from modeling.templates import defaults, registry
from ui import classes_view, data_view, decision_view, model_size, settings_view, state, template_picker
from ui.kind_view import SearchWording, TableClaim


def fitted_in_one_step(template: str, task: str | None = None) -> bool:
    """True for a template that reads no epochs (fitted exactly, like a logistic regression)."""
    return "epochs" not in registry.spec(template).setting_names(task)


def load_test(run: Run) -> Dataset | None:
    """The run's saved test split, or ``None`` with the reason shown."""
    try:
        return run.load_test()
    except Exception as exc:
        state.show_error(exc, "loading the test split")
        return None


class CommonView:
    """The default view: what every kind shares, and the class answers of texts and images; the table and
    series views subclass it and draw their own answers (see the module docstring)."""

    #: A sentence under the model's size (how it was measured), or ``""``.
    size_note = ""

    # ---- Data page ---------------------------------------------------------------------------------------------
    def use_sample(self, key: str, then: str | None = None) -> None:
        from modeling.data.samples import SAMPLES, load_sample

        try:
            with st.spinner(f"Loading {SAMPLES[key].title}…"):
                state.set_dataset(load_sample(key))
        except Exception as exc:
            state.show_error(exc, "loading the sample")
            return
        if then:
            st.switch_page(then)

    def claim_table(self, df: pd.DataFrame, signature: str) -> TableClaim | None:
        return None

    def read_table(self, df: pd.DataFrame, name: str, signature: str, sheet: str | None) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not read uploaded tables")

    def pending(self) -> bool:
        return False

    def data_section(self, ds: Dataset | None, shown_notes: set[str]) -> None:
        if ds is not None:
            data_view.active_data(ds, shown_notes, self.kind_metric(ds), self.preview)

    def kind_metric(self, ds: Dataset) -> str:
        """The Data page's "Kind" figure ('Texts', 'Images 28x28')."""
        raise NotImplementedError

    def preview(self, ds: Dataset) -> None:
        """A look at the first examples on the Data page."""
        raise NotImplementedError

    # ---- Model page --------------------------------------------------------------------------------------------
    def task_line(self, ds: Dataset) -> str:
        label = registry.task(ds.task).label
        return f"**Task:** {label} — follows from your data ({len(ds.class_names)} classes)."

    def default_config(self, ds: Dataset) -> ExperimentConfig:
        template, _ = template_picker.suggested_template(ds)
        return defaults.config_for_data(ds, template=template, **self.data_fields(ds)).config

    def data_fields(self, ds: Dataset) -> dict[str, Any]:
        return defaults.data_fields(ds)

    def holdout_setting(self, test_share: float) -> float:
        return settings_view.test_share_slider(test_share)

    def settings_notes(self, ds: Dataset, values: dict[str, Any]) -> None:
        return None

    def model_summary(self, ds: Dataset, cfg: ExperimentConfig) -> None:
        model_size.model_size(ds, cfg, self.size_note)

    def search_wording(self, ds: Dataset) -> SearchWording | None:
        return None

    # ---- Train page --------------------------------------------------------------------------------------------
    def ready_line(self, cfg: ExperimentConfig, ds: Dataset) -> str:
        s = cfg.settings
        how = (
            "fitted in one step (no epochs)"
            if fitted_in_one_step(cfg.template, cfg.task)
            else f"up to {s.epochs} epochs, batch {s.batch_size}, {s.optimizer} at learning rate {s.learning_rate:g}"
        )
        return (
            f"**Ready to train:** template `{cfg.template}` on **{state.md_escape(ds.name)}** "
            f"({len(ds):,} examples), {how}. {cfg.data.test_share:.0%} of the data is kept aside for the final test."
        )

    # ---- Evaluate page -----------------------------------------------------------------------------------------
    def evaluate(self, run: Run) -> None:
        classes_view.evaluate_classes(run, self)

    def show_mistakes(self, run: Run, wrong: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def mistakes_extra(self, run: Run, ev: dict[str, Any]) -> None:
        return None

    def classes_extra(self, run: Run, ev: dict[str, Any]) -> None:
        return None

    def copies_fix(self, run: Run) -> None:
        decision_view.drop_and_resplit(run)

    # ---- Predict page ------------------------------------------------------------------------------------------
    def predict(self, run: Run, predictor: Any) -> None:
        raise NotImplementedError

    # ---- run lists and code ------------------------------------------------------------------------------------
    def headline(self, info: RunInfo) -> str:
        return "—" if info.accuracy is None else f"accuracy {fmt.percent(info.accuracy)}"

    def compare_figures(self, runs: list[Run], figures: list[Any]) -> None:
        header, rows = compare_table(figures)
        st.dataframe(pd.DataFrame(rows, columns=header), hide_index=True, width="stretch")
        st.plotly_chart(charts.compare_accuracy(accuracy_rows(runs, figures)), width="stretch")

    def compare_sentences(self, runs: list[Run], figures: list[Any], same_split: bool) -> list[str]:
        return comparison_sentences(figures, same_split)

    def code_libraries(self, template: str) -> str:
        return "Keras"

    def code_steps(self, template: str) -> str:
        return "the same data file, split, preparation, model, optimizer and early stopping"
