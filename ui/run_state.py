"""The run store and the loaded models that every page shares, kept in ``st.cache_resource``.

Apart from :mod:`ui.state` because the store and the predictor load NumPy and pandas: the router
and the Start page import ``ui.state`` only, and paint before either is needed. Pages that need a run
import this module.
"""

from __future__ import annotations

import streamlit as st

from modeling.errors import ModelDeckError
from modeling.format import md_escape
from modeling.runs.loading import load_predictor
from modeling.runs.protocol import Predictor
from modeling.runs.store import Run, RunStore, default_store
from ui.state import run_id, session_owner, set_run_id


@st.cache_resource(show_spinner=False)
def run_store() -> RunStore:
    """One store per server process (it is only folders and files, so sharing is safe)."""
    return default_store()


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def _cached_predictor(run_path: str, stamp: float) -> Predictor:
    return load_predictor(run_store().load(run_path))


def predictor(run: Run) -> Predictor:
    """The run's model loaded by its family (:func:`~modeling.runs.loading.load_predictor`), shared between
    visitors: predictors are thread-safe, and a decision rule is applied to a copy (``using``)."""
    path = run.model_path
    return _cached_predictor(str(run.path), path.stat().st_mtime if path.exists() else 0.0)


def pick_run(label: str, task: str | None = None, key: str = "run_picker") -> Run | None:
    """A select box of this session's usable runs (starters included), defaulting to the active run.

    Returns a Run or None. Only runs of :func:`ui.state.session_owner` are offered or loaded.
    """
    owner = session_owner()
    infos = run_store().list_runs(task=task, usable_only=True, owner=owner)
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
        return run_store().load(chosen, owner=owner)
    except ModelDeckError as exc:
        st.error(md_escape(str(exc)))
        return None
