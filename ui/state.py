"""What the pages share through ``st.session_state``, behind names a newcomer can read.

The active dataset, the settings chosen on the Model page, the job being
trained and the run being looked at all live here, so each page reads what the
previous one produced and says plainly what is missing.

The router, the sidebar and the Start page import this module, so it imports nothing heavy: no
pandas, NumPy or pydantic (``tests/unit/test_light_start.py`` holds it to that). The run store and
loaded models live in :mod:`ui.run_state`, which pages import themselves.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from typing import TYPE_CHECKING, Any

import streamlit as st

from modeling import settings
from modeling.errors import ModelDeckError
from modeling.format import count, md_escape, plural
from modeling.templates import registry

if TYPE_CHECKING:  # only a type here: importing it would load pydantic and YAML on the Start page
    from modeling.config import ExperimentConfig

log = logging.getLogger("modeldeck.ui")

#: Set by app.py once st.navigation has run in this server process (see require_router).
ROUTER_READY = False


def _keep_keras_state_between_reruns() -> None:
    """Stop Streamlit from calling ``keras.backend.clear_session()`` after every script run.

    Streamlit does that (``_clean_problem_modules``) for apps that build a model in the script on
    every rerun. ModelDeck builds models in background training threads instead, and the Train
    page reruns a fragment every second for each visitor: each clean-up ran a full garbage
    collection, emptied TensorFlow's kernel cache and swapped Keras's global state under a
    running training. With two visitors watching, training took 1.7x as long on this machine
    (see the report of issue 5). Matplotlib's clean-up, the other half of that function, is kept.
    """
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:  # pragma: no cover - a Streamlit without that module has nothing to undo
        return
    original = getattr(script_runner, "_clean_problem_modules", None)
    if original is None or getattr(original, "_modeldeck", False):
        return

    def clean_matplotlib_only() -> None:
        import contextlib
        import sys

        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            with contextlib.suppress(Exception):  # as in Streamlit: never crash a rerun over a figure
                plt.close("all")

    clean_matplotlib_only._modeldeck = True  # type: ignore[attr-defined]
    script_runner._clean_problem_modules = clean_matplotlib_only


_keep_keras_state_between_reruns()

DATASET = "dataset"
CONFIG = "config"
JOB_ID = "job_id"
RUN_ID = "run_id"


def require_router(page_path: str) -> None:
    """Send a deep link on a fresh server through app.py's router first.

    Until app.py has called ``st.navigation`` once in the process, Streamlit treats the pages/
    folder as an old-style multipage app: a first visit to /train would run pages/train.py alone,
    without the router's sidebar. Pages call this first; the router then opens the same page.
    """
    if not ROUTER_READY:
        st.session_state["deep_link"] = page_path
        st.switch_page("app.py")


def hosted_mode() -> bool:
    """Private sessions unless the server runs with ``MODELDECK_MODE=local`` (see ``modeling.settings``)."""
    return settings.hosted_mode()


_WORKSPACE_KEY = "workspace_key"
_KEY_FORMAT = re.compile(r"^[0-9a-f]{32}$")


def workspace_key() -> str | None:
    """This session's private workspace key (hosted mode), created on first use; ``None`` in local mode."""
    if not hosted_mode():
        return None
    if _WORKSPACE_KEY not in st.session_state:
        st.session_state[_WORKSPACE_KEY] = secrets.token_hex(16)
    return st.session_state[_WORKSPACE_KEY]


def open_workspace(key: str) -> bool:
    """Switch this session to the workspace of ``key`` (as shown on the Saved runs page); False if malformed."""
    key = key.strip().lower()
    if not hosted_mode() or not _KEY_FORMAT.match(key):
        return False
    st.session_state[_WORKSPACE_KEY] = key
    for name in (JOB_ID, RUN_ID):
        st.session_state.pop(name, None)
    return True


def session_owner() -> str | None:
    """Who owns new runs and jobs: ``None`` in local mode (everyone sees all), else this session's workspace.

    The owner written into run.json is a hash of the workspace key, so reading the files on the
    server does not give anyone the key that opens the workspace in the app.
    """
    key = workspace_key()
    return None if key is None else owner_for_key(key)


def owner_for_key(key: str) -> str:
    """The owner recorded on disk for a workspace key: a one-way hash, so the files never reveal the key."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()[:32]


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
    """A sentence for the user; a traceback only in the server log, and only for real bugs.

    Messages quote file names, column names and labels from uploads, so they are escaped: a
    name like ``[x](http://…)`` or ``<b>`` shows as typed instead of becoming a link or markup.
    """
    if isinstance(exc, ModelDeckError):
        st.error(md_escape(str(exc)))
    else:
        log.exception("Unexpected error %s", context)
        st.error(
            "Something went wrong on our side"
            + (f" while {context}" if context else "")
            + ". Nothing you did is lost; please try again, and if it repeats, report it with the server log."
        )


def describe_dataset(ds: Any) -> str:
    """The sidebar's line about the active data: its name, size, and what is predicted (from the task's facts)."""
    if ds is None:
        return "none yet"
    task = registry.task(ds.task)
    what = plural(len(ds.class_names), "class", "classes") if task.answers == "classes" else "a number"
    size = f"{md_escape(ds.name)} · {count(len(ds))} {task.noun}"
    target = getattr(ds, "target_column", None)
    if target:
        return f"{size} · predicts '{md_escape(target)}' ({what})"
    return f"{size} · {what}"
