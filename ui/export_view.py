"""The "Take the model with you" blocks: the Export box (verified ZIPs) and "Show the code".

Every format the run's template can be exported to gets a button; the export is written and checked
(in a fresh process, on the test split, against the Keras model) only when someone asks, behind a
spinner, and the ZIP is offered with its check next to the download. A format the model cannot be
exported to, or whose converter is not installed here, is listed with the one sentence saying why. A
failed check shows its reason and offers nothing. The run is loaded again with the session's owner
before anything is written, so one visitor can never export another's run. A new ZIP is also added to the
run's MLflow run when tracking is configured (a failure there never blocks the download).
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from modeling import format as fmt
from modeling import settings
from modeling.config import ExperimentConfig
from modeling.errors import RunError
from modeling.export.bundle import ExportResult, build_export, cached_export
from modeling.export.code import facts_from_dataset, run_script, training_script
from modeling.export.formats import offers
from modeling.export.models import quantized_model_file
from modeling.reporting.model_card import model_card_markdown
from modeling.runs.store import Run
from modeling.runs.tracking import log_file
from ui import kinds, run_state, state

log = logging.getLogger("modeldeck.ui")


def prepare_export(run_id: str, fmt_key: str, store: Any = None, owner: Any = ...) -> ExportResult:
    """Load ``run_id`` as this session's owner (another's run reads as missing), then export and check it."""
    store = store if store is not None else run_state.run_store()
    run = store.load(run_id, owner=state.session_owner() if owner is ... else owner)
    kept = cached_export(run, fmt_key)
    if kept is not None:
        return kept
    result = build_export(run, fmt_key, model_card_markdown(run))
    _track(run, result)
    return result


def _track(run: Run, result: ExportResult) -> None:
    """Add a new export ZIP to the run's MLflow run when tracking is on; never fails the export."""
    if not settings.mlflow_uri():
        return
    try:
        log_file(run.path, result.zip_path)
    except Exception as exc:  # tracking is a copy for the team: the download must not depend on it
        log.warning("Export %s was not added to MLflow: %s", result.file_name, exc)


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
    template = run.config.template
    quantized = quantized_model_file(run.model_path)  # False for a run without model.keras (tables)
    for item in offers(template, quantized):
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
    """A template without a code writer is a fact to state, not an error."""
    if isinstance(exc, RunError):
        st.info(state.md_escape(str(exc)))
    else:
        state.show_error(exc, "writing the code")


def _code_block(script: str, file_name: str, key: str) -> None:
    st.download_button("Download train.py", script, file_name=file_name, mime="text/x-python", key=f"code_{key}")
    st.code(script, language="python", line_numbers=True)


def _libraries(task: str, template: str) -> str:
    """What the script is written in, from the kind's view ('Keras', 'pandas + scikit-learn')."""
    return kinds.view_for_task(task).code_libraries(template)


def show_run_code(run: Run) -> None:
    """The "Show the code" block of a saved run: the standalone script, downloadable."""
    with st.expander(f"Show the code: this run as a plain {_libraries(run.task, run.config.template)} script"):
        steps = kinds.view_for_task(run.task).code_steps(run.config.template)
        st.caption(
            f"Reproduces this run without ModelDeck: {steps}, then the test figures. "
            f"Command line: `python -m modeling code {run.info.run_id}`."
        )
        try:
            script = run_script(run)
        except Exception as exc:
            _no_code(exc)
            return
        _code_block(script, f"train_{run.info.run_id}.py", run.info.run_id)


def show_config_code(config: ExperimentConfig, dataset: object) -> None:
    """The "Show the code" block of the Model page: the script these settings would run on the active data."""
    with st.expander(f"Show the code: these settings as a plain {_libraries(config.task, config.template)} script"):
        st.caption("What training with these settings does, as a script you can run without ModelDeck.")
        try:
            script = training_script(config, facts_from_dataset(dataset))
        except Exception as exc:
            _no_code(exc)
            return
        _code_block(script, "train.py", "model_page")
