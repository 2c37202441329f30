"""The team's pieces on the pages: where a training runs (here or on Ray), runs on the tracking server, the registry.

Each block explains itself when its engine is absent (greyed out with the reason and the setting that turns
it on), so a deployment without Ray or MLflow looks finished rather than broken.
"""

from __future__ import annotations

import logging

import streamlit as st

from modeling import settings
from modeling.errors import ModelDeckError
from modeling.format import md_escape, percent
from modeling.reporting.tracked import after_save
from modeling.runs import tracking
from modeling.runs.store import Run, RunStore
from modeling.training import remote
from modeling.training.jobs import JOBS
from ui import run_state, state

log = logging.getLogger(__name__)

HERE = "this server"
CLUSTER = "the Ray cluster"


def training_place(key: str = "training_place", label: str = "Where to train") -> bool:
    """Where the next training (or model search) runs: ``True`` for the Ray cluster.

    Drawn only when a cluster is configured; ``key`` and ``label`` tell the Train page's picker from the
    Model page's "Find the best model" one.
    """
    address = settings.ray_address()
    if not address:
        return False
    reason = remote.unavailable_reason(address)
    choice = st.radio(
        label,
        [CLUSTER, HERE],
        horizontal=True,
        key=key,
        disabled=reason is not None,
        index=1 if reason else 0,
        help="The Ray cluster trains with its own CPUs or GPU; this server's memory and CPU stay free for the app.",
    )
    if reason:
        st.caption(f"The Ray cluster is greyed out: {md_escape(reason)}")
    return choice == CLUSTER and reason is None


def cluster_line() -> str:
    """The Train page's one line about where trainings go, when they go to a cluster."""
    return (
        f"Trainings sent to the Ray cluster at {md_escape(settings.ray_address() or '')} wait in the cluster's own "
        "queue; the first one on a fresh cluster also installs ModelDeck's requirements there (about a minute)."
    )


def reattach_remote_work() -> None:
    """Once per server process: follow again the trainings and searches a restarted server left on the cluster.

    Without a cluster configured nothing is read. A job that ended while the app was down gives its run (or
    its reason) at once; one still running shows on the Train page (or the Model page's search) again.
    """
    if settings.ray_address() is None:
        return
    store = run_state.run_store()
    try:
        found = JOBS.reattach(store, after_save(store))  # tracked in MLflow with the report, as any training
    except Exception:  # following old jobs is a convenience: the page must draw regardless
        log.exception("Could not follow remote jobs again")
        return
    if found:
        st.toast(f"Following {found} job(s) on the Ray cluster again after the app restarted.")


def tracked_runs_section(store: RunStore, owner: str | None) -> None:
    """Runs on the tracking server (in hosted mode only this workspace's), and a button to open one here."""
    st.subheader("On the tracking server (MLflow)")
    reason = tracking.unavailable_reason()
    if reason:
        st.caption(md_escape(reason))
        return
    try:
        runs = tracking.tracked_runs(owner)
    except ModelDeckError as exc:
        st.warning(md_escape(str(exc)))
        return
    if not runs:
        st.caption("No runs of this workspace on the tracking server yet; each new run is added when it ends.")
        return
    local = {info.run_id for info in store.list_runs(owner=owner)}
    st.caption(
        "Every run is also logged in MLflow"
        + (" (only this workspace's are listed here)." if owner else ", including teammates' runs from other machines.")
    )
    st.dataframe(
        [
            {
                "run": r.run_id,
                "title": r.title,
                "status": r.status,
                "test accuracy": percent(r.accuracy),
                "started": r.started,
                "by": r.user if r.user and r.user != "unknown" else "—",
                "here": "yes" if r.run_id in local else "no: open it below",
            }
            for r in runs
        ],
        hide_index=True,
    )
    missing = [r for r in runs if r.run_id not in local]
    if not missing:
        return
    labels = {r.mlflow_run_id: f"{r.title} ({r.started})" for r in missing}
    chosen = st.selectbox("Open a tracked run here", list(labels), format_func=labels.get, key="tracked_pick")
    if st.button("Download it into this workspace", key="tracked_open"):
        try:
            path = tracking.import_run(chosen, store, owner)
        except ModelDeckError as exc:
            st.error(md_escape(str(exc)))
            return
        state.set_run_id(path.name)
        st.rerun()


def register_box(run: Run) -> None:
    """'Register this model': the run's model into the MLflow registry, its model card as the description."""
    reason = tracking.unavailable_reason()
    usable = run.info.usable and not run.info.starter
    with st.expander("Register this model (MLflow model registry)"):
        if reason:
            st.caption(md_escape(reason))
        elif not usable:
            st.caption("Only a finished or stopped run of yours, with its model, can be registered.")
        name = st.text_input(
            "Registered model name", value=run.info.template.replace("_", "-"), key="register_name", max_chars=100
        )
        production = st.checkbox("Point the alias 'production' at this version", key="register_production")
        if st.button("Register this model", key="register_model", disabled=bool(reason) or not usable):
            try:
                registered, version = tracking.register_model(run.path, name, model_card(run), production)
            except ModelDeckError as exc:
                st.error(md_escape(str(exc)))
                return
            st.success(
                f"Registered as **{md_escape(registered)}** version {version}"
                + (" and marked production." if production else ".")
            )


def model_card(run: Run) -> str:
    """The run's model card (Markdown) for the registry; the plain-words summary when no card can be drawn."""
    try:
        from modeling.reporting.model_card import model_card_markdown

        return model_card_markdown(run)
    except Exception:  # a card is a description: the summary still says what the model is
        from modeling.reporting.summary import business_summary

        lines = [f"# {run.info.title}", "", f"Run {run.info.run_id}, template {run.info.template}."]
        if run.evaluation:
            lines += ["", business_summary(run.evaluation, run.class_names, run.task)]
        return "\n".join(lines)
