"""Step 3 · Train: start a background run and watch it live; leaving the page does not stop it."""

import streamlit as st

from modeling.errors import ModelDeckError
from modeling.format import seconds as format_seconds
from modeling.reporting.tracked import after_save
from modeling.templates import registry
from modeling.training.jobs import JOBS
from ui import state, table_train, team_view

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

if ds is not None and cfg is None:
    from modeling.config import default_config

    cfg = default_config(ds.task, source=ds.source or ds.name)
    if ds.kind == "text":  # straight here from the Data page: the template Automatic picks, as the Model page would
        from modeling.templates.automatic import automatic_config

        cfg, _ = automatic_config(ds, source=ds.source or ds.name)
    if ds.kind == "table":  # the Data page's target and roles, for the settings file of the run
        from ui import table_draft

        cfg = table_draft.config_for(ds, cfg, fresh=True)
    state.set_config(cfg)

if ds is None and job is None:
    state.require_dataset()

if ds is not None and cfg is not None:
    busy = job is not None and not job.done
    with st.container(border=True):
        if ds.kind == "table":  # rounds, budget and the target instead of epochs and batches
            st.markdown(table_train.ready_line(cfg, ds))
        else:
            one_step = registry.spec(cfg.template).settings is not None  # fitted exactly: no epochs or batches
            how = (
                "fitted in one step (no epochs)"
                if one_step
                else f"up to {cfg.settings.epochs} epochs, batch {cfg.settings.batch_size}, "
                f"{cfg.settings.optimizer} at learning rate {cfg.settings.learning_rate:g}"
            )
            st.markdown(
                f"**Ready to train:** template `{cfg.template}` on **{state.md_escape(ds.name)}** "
                f"({len(ds):,} examples), {how}. "
                f"{cfg.data.test_share:.0%} of the data is kept aside for the final test."
            )
        on_cluster = team_view.training_place()
        if st.button("Start training", type="primary", disabled=busy, help="Runs in the background."):
            store = state.run_store()
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


def draw_job(job) -> None:
    """Progress, timings, device and curves of one job, from a thread-safe snapshot."""
    from modeling.reporting import charts

    job_id = job.job_id
    snap = job.snapshot()
    st.subheader(f"Run: {snap['template']} on {state.md_escape(snap['dataset'])}")
    status = {
        "queued": "⏳ Waiting for a free training slot",
        "running": f"🏃 {snap['phase']}",
        "finished": "✅ Finished",
        "stopped": "⏹️ Stopped — the best model so far was kept",
        "failed": "❌ Failed",
        "interrupted": "⚠️ Interrupted",
    }.get(snap["state"], snap["state"])
    if job.remote and snap["state"] == "queued":
        status = f"⏳ {snap['phase']}"
    if snap["state"] == "queued":
        pos = JOBS.queue_position(job)
        status += f" (position {pos} in the queue)" if pos else ""
    st.progress(snap["fraction"], text=status)
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric(table_train.step_label(snap), f"{snap['epoch']} / {snap['epochs']}")
    c2.metric("Step", f"{snap['step']} / {snap['steps']}" if snap["steps"] else "—")
    c3.metric("Elapsed", format_seconds(snap["elapsed_s"]))
    c4.metric("Remaining", format_seconds(snap["remaining_s"]) if snap["state"] == "running" else "—")
    device = snap["device"] or "—"
    c5.metric("Device", "GPU" if device.startswith("GPU") else device.split(" (")[0], help=device)
    if snap["device"]:
        st.caption(f"Training on {device}" + (" on the Ray cluster." if job.remote else "."))
    rounds = table_train.round_chart(snap)  # trees: the loss after each boosting round
    curves = rounds if rounds is not None else charts.training_curves(snap["history"])
    st.plotly_chart(curves, width="stretch", key=f"curves_{job_id}")

    if not job.done:
        if st.button("Stop", key=f"stop_{job_id}", help="Ends after the current batch and keeps the best model."):
            job.stop()
            st.toast("Stopping after the current batch…")
        return
    if snap["state"] in ("interrupted", "stopped") and snap["error"]:  # no model came back from the cluster
        st.warning(state.md_escape(snap["error"]))
        return
    if snap["state"] == "failed":
        st.error(state.md_escape(snap["error"] or "The run failed."))
        if snap.get("hint"):
            st.info(f"Hint: {state.md_escape(snap['hint'])}")
        return
    if snap["run_id"] and state.run_id() != snap["run_id"]:
        state.set_run_id(snap["run_id"])
        st.rerun(scope="app")
    st.success(f"Saved as run `{snap['run_id']}`.")
    st.page_link("pages/evaluate.py", label="Next: see how good it is →", icon=":material/fact_check:")


@st.fragment(run_every=1.0)
def live_progress(job_id: str) -> None:
    """Redrawn every second while the job runs; training itself never waits for the page."""
    job = JOBS.get(job_id)
    if job is None:
        return
    if job.done:
        st.rerun(scope="app")  # one last full redraw, without the timer
    draw_job(job)


if job is not None:
    if job.done:
        draw_job(job)
    else:
        live_progress(job.job_id)
