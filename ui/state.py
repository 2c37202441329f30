"""What the pages share through ``st.session_state``, behind names a newcomer can read.

The active dataset, the settings chosen on the Model page, the job being
trained and the run being looked at all live here, so each page reads what the
previous one produced and says plainly what is missing.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from typing import Any

import streamlit as st

from modeling.config import ExperimentConfig
from modeling.errors import ModelDeckError
from modeling.store import RunStore, default_store

log = logging.getLogger("modeldeck.ui")

#: Set by app.py once st.navigation has run in this server process (see require_router).
ROUTER_READY = False

DATASET = "dataset"
CONFIG = "config"
JOB_ID = "job_id"
RUN_ID = "run_id"


@st.cache_resource(show_spinner=False)
def run_store() -> RunStore:
    """One store per server process (it is only folders and files, so sharing is safe)."""
    return default_store()


def require_router(page_path: str) -> None:
    """Send a deep link on a fresh server through app.py's router first.

    Until app.py has called ``st.navigation`` once in the process, Streamlit treats the pages/
    folder as an old-style multipage app: a first visit to /train would run pages/train.py alone,
    without the router's sidebar. Pages call this first; the router then opens the same page.
    """
    if not ROUTER_READY:
        st.session_state["deep_link"] = page_path
        st.switch_page("app.py")


def session_owner() -> str | None:
    """Who owns new jobs: ``None`` in single-user local mode (everyone sees all), else this browser session."""
    if os.environ.get("MODELDECK_MODE", "local") == "local":
        return None
    if "owner" not in st.session_state:
        st.session_state["owner"] = uuid.uuid4().hex
    return st.session_state["owner"]


def dataset():
    return st.session_state.get(DATASET)


def set_dataset(ds) -> None:
    """A new dataset invalidates settings made for another kind of data."""
    old = st.session_state.get(DATASET)
    st.session_state[DATASET] = ds
    cfg: ExperimentConfig | None = st.session_state.get(CONFIG)
    if cfg is not None and (old is None or cfg.task != ds.task):
        st.session_state.pop(CONFIG, None)


def config() -> ExperimentConfig | None:
    return st.session_state.get(CONFIG)


def set_config(cfg: ExperimentConfig) -> None:
    st.session_state[CONFIG] = cfg


def run_id() -> str | None:
    return st.session_state.get(RUN_ID)


def set_run_id(value: str | None) -> None:
    st.session_state[RUN_ID] = value


def require_dataset():
    """The active dataset, or a friendly stop with a link to the Data page."""
    ds = dataset()
    if ds is None:
        st.info("No data yet. Pick a built-in sample or upload your own file first.")
        st.page_link("pages/data.py", label="Go to Data", icon=":material/upload_file:")
        st.stop()
    return ds


def show_error(exc: BaseException, context: str = "") -> None:
    """A sentence for the user; a traceback only in the server log, and only for real bugs."""
    if isinstance(exc, ModelDeckError):
        st.error(str(exc))
    else:
        log.exception("Unexpected error %s", context)
        st.error(
            "Something went wrong on our side"
            + (f" while {context}" if context else "")
            + ". Nothing you did is lost; please try again, and if it repeats, report it with the server log."
        )


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_escape(text: object) -> str:
    """Escape user text for st.markdown so a file name or review cannot inject links, images or HTML."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def describe_dataset(ds: Any) -> str:
    if ds is None:
        return "none yet"
    noun = "texts" if ds.kind == "text" else "images"
    return f"{md_escape(ds.name)} · {len(ds):,} {noun} · {len(ds.class_names)} classes"


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def _cached_predictor(run_path: str, stamp: float):
    from modeling.predict import Predictor

    return Predictor.from_run(run_store().load(run_path))


def predictor(run):
    """A loaded model, shared between visitors (Keras models are safe to call from several threads)."""
    path = run.model_path
    return _cached_predictor(str(run.path), path.stat().st_mtime if path.exists() else 0.0)


def pick_run(label: str, task: str | None = None, key: str = "run_picker"):
    """A select box of usable runs (starters included), defaulting to the active run; returns a Run or None."""
    infos = run_store().list_runs(task=task, usable_only=True)
    if not infos:
        return None
    ids = [i.run_id for i in infos]
    current = run_id()
    if current not in ids:
        # Prefer the newest own run over starters.
        own = [i.run_id for i in infos if not i.starter]
        current = own[0] if own else ids[0]
    labels = {i.run_id: i.label for i in infos}
    chosen = st.selectbox(label, ids, index=ids.index(current), format_func=labels.get, key=key)
    if chosen != run_id():
        set_run_id(chosen)
    try:
        return run_store().load(chosen)
    except ModelDeckError as exc:
        st.error(str(exc))
        return None
