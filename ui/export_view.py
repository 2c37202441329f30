"""The "Take the model with you" blocks: the Export box (verified ZIPs) and "Show the code".

Every format the run's template can be exported to gets a button; the export is written and checked
(in a fresh process, on the test split, against the Keras model) only when someone asks, behind a
spinner, and the ZIP is offered with its check next to the download. A format the model cannot be
exported to, or whose converter is not installed here, is listed with the one sentence saying why. A
failed check shows its reason and offers nothing. The run is loaded again with the session's owner
before anything is written, so one visitor can never export another's run.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from modeling import format as fmt
from modeling.config import ExperimentConfig
from modeling.errors import RunError
from modeling.export.bundle import ExportResult, build_export, cached_export
from modeling.export.code import facts_from_dataset, run_script, training_script
from modeling.export.formats import input_kind, offers
from modeling.reporting.model_card import model_card_markdown
from modeling.runs.store import Run
from ui import state

log = logging.getLogger("modeldeck.ui")

#: The Export box of a table run, while no export format holds table models (issue 12 leaves them out).
TABLE_EXPORT_NOTE = (
    "Table models are not exported to Keras, SavedModel, ONNX or LiteRT files yet: their trees, encoders and blend "
    "weights live in the run's `table_model/` folder (skops and JSON, no pickle). To use this model outside the app "
    "today, score a whole table on the Predict page (CSV download) or run `python -m modeling predict RUN table.csv`."
)


def prepare_export(run_id: str, fmt_key: str, store: Any = None, owner: Any = ...) -> ExportResult:
    """Load ``run_id`` as this session's owner (another's run reads as missing), then export and check it."""
    store = store if store is not None else state.run_store()
    run = store.load(run_id, owner=state.session_owner() if owner is ... else owner)
    return cached_export(run, fmt_key) or build_export(run, fmt_key, model_card_markdown(run))


def _show_ready(result: ExportResult, key: str) -> None:
    st.success(f"Checked: {result.check.sentence()}")  # our own words and numbers only
    st.download_button(
        f"Download {result.file_name} ({fmt.count(round(result.size_bytes / 1024))} KB)",
        data=result.zip_path.read_bytes,  # read only when clicked
        file_name=result.file_name,
        mime="application/zip",
        key=f"download_{key}",
        type="primary",
    )


def export_box(run: Run) -> None:
    """The Export box for one run: every format, offered (with its check) or with why not."""
    st.subheader("Take the model with you")
    st.caption(
        "Each export is a ZIP with the model, its labels and preparation, a small `predict.py`, a README and a "
        "model card. Before it is offered, it runs in a fresh process on this run's test split and its answers "
        "are compared with the model's here."
    )
    if not run.info.usable:
        st.info("This run has no finished model to export.")
        return
    if input_kind(run.config.template) is None and run.task.startswith("tabular"):
        st.info(TABLE_EXPORT_NOTE)  # one sentence for the whole box instead of the same refusal per format
        return
    for item in offers(run.config.template):
        key = f"{run.info.run_id}_{item.format.key}"
        with st.container(border=True):
            st.markdown(f"**{item.format.title}** — {item.format.description}")
            if not item.supported:
                st.caption(f"Not offered: {state.md_escape(item.reason)}")
                continue
            ready = st.session_state.get(f"export_{key}") or cached_export(run, item.format.key)
            if ready is not None:
                _show_ready(ready, key)
                continue
            if st.button(f"Prepare the {item.format.title} export", key=f"prepare_{key}"):
                with st.spinner(f"Exporting and checking {item.format.title} on the test split…"):
                    try:
                        result = prepare_export(run.info.run_id, item.format.key)
                    except Exception as exc:
                        state.show_error(exc, f"exporting to {item.format.title}")
                        continue
                st.session_state[f"export_{key}"] = result
                _show_ready(result, key)


def _no_code(exc: Exception) -> None:
    """A template without a code writer (the table templates, for now) is a fact to state, not an error."""
    if isinstance(exc, RunError):
        st.info(state.md_escape(str(exc)))
    else:
        state.show_error(exc, "writing the code")


def _code_block(script: str, file_name: str, key: str) -> None:
    st.download_button("Download train.py", script, file_name=file_name, mime="text/x-python", key=f"code_{key}")
    st.code(script, language="python", line_numbers=True)


def show_run_code(run: Run) -> None:
    """The "Show the code" block of a saved run: the standalone script, downloadable."""
    with st.expander("Show the code: this run as a plain Keras script"):
        st.caption(
            "Reproduces this run without ModelDeck: the same data file, split, preparation, model, optimizer and "
            f"early stopping, then the test figures. Command line: `python -m modeling code {run.info.run_id}`."
        )
        try:
            script = run_script(run)
        except Exception as exc:
            _no_code(exc)
            return
        _code_block(script, f"train_{run.info.run_id}.py", run.info.run_id)


def show_config_code(config: ExperimentConfig, dataset: object) -> None:
    """The "Show the code" block of the Model page: the script these settings would run on the active data."""
    with st.expander("Show the code: these settings as a plain Keras script"):
        st.caption("What training with these settings does, as a script you can run without ModelDeck.")
        try:
            script = training_script(config, facts_from_dataset(dataset))
        except Exception as exc:
            _no_code(exc)
            return
        _code_block(script, "train.py", "model_page")
