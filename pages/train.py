"""Step 3 · Train: start a background run and watch it live; leaving the page does not stop it."""

import streamlit as st

from modeling.errors import ModelDeckError
from modeling.reporting.tracked import after_save
from modeling.training.jobs import JOBS
from ui import job_view, kinds, run_state, state, team_view

state.require_router("pages/train.py")

st.title("3 · Train")
# After a server restart: trainings still running (or finished) on the Ray cluster are followed again.
team_view.reattach_remote_work()


def _current_job():
    """This session's job, or (after a browser refresh) the newest job this visitor may see."""
    owner = state.session_owner()
    job = JOBS.get(st.session_state.get(state.JOB_ID), owner=owner)
    if job is None:
        jobs = JOBS.jobs(owner=owner)
        job = jobs[0] if jobs else None
        if job is not None:
            st.session_state[state.JOB_ID] = job.job_id
    return job


def server_load() -> str:
    """How busy the server is, in counts only (whose jobs they are is nobody else's business)."""
    slots = JOBS.max_concurrent
    running = sum(1 for j in JOBS.jobs() if j.progress.state == "running")
    waiting = JOBS.waiting()
    line = f"This server trains {slots} model{'s' if slots != 1 else ''} at a time"
    if running or waiting:
        line += f"; {running} training now, {waiting} waiting"
        if running + waiting >= slots:
            line += ". Yours will wait in the queue until a slot is free"
    return line + "."


job = _current_job()
ds = state.dataset()
cfg = state.config()
if ds is None and job is None:
    state.require_dataset()

if ds is not None:
    view = kinds.view_for(ds.kind)
    if cfg is None:  # straight here from the Data page: the settings the Model page would start from
        cfg = view.default_config(ds)
        state.set_config(cfg)
    busy = job is not None and not job.done
    with st.container(border=True):
        st.markdown(view.ready_line(cfg, ds))
        on_cluster = team_view.training_place()
        if st.button("Start training", type="primary", disabled=busy, help="Runs in the background."):
            store = run_state.run_store()
            try:
                job = JOBS.start(
                    cfg, ds, store, owner=state.session_owner(), remote=on_cluster, after_save=after_save(store)
                )
            except ModelDeckError as exc:  # e.g. the server is near its memory limit
                state.show_error(exc)
            else:
                st.session_state[state.JOB_ID] = job.job_id
                st.rerun()
        if busy:
            st.caption("A run is in progress; wait for it or stop it to start another.")
        else:
            st.caption(team_view.cluster_line() if on_cluster else server_load())

if job is not None:
    job_view.show_job(job)
