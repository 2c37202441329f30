"""The Train page's view of one training job: its state, timings, device and live curves, redrawn every second.

Everything is read from the job's thread-safe ``snapshot()``; the training never waits for the page. What the
steps are called and how the curves are drawn follow what the trainer counts (:mod:`ui.curves`: trees count
boosting rounds, the automatic table template candidates, the others epochs).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from modeling.format import seconds as format_seconds
from modeling.training.jobs import JOBS
from ui import curves, state

STATUS = {
    "queued": "⏳ Waiting for a free training slot",
    "finished": "✅ Finished",
    "stopped": "⏹️ Stopped — the best model so far was kept",
    "failed": "❌ Failed",
    "interrupted": "⚠️ Interrupted",
}


def status_line(job: Any, snap: dict[str, Any]) -> str:
    """The progress bar's words: the state, the phase while running, the place in the queue while waiting."""
    status = f"🏃 {snap['phase']}" if snap["state"] == "running" else STATUS.get(snap["state"], snap["state"])
    if job.remote and snap["state"] == "queued":
        status = f"⏳ {snap['phase']}"
    if snap["state"] == "queued":
        pos = JOBS.queue_position(job)
        status += f" (position {pos} in the queue)" if pos else ""
    return status


def draw_job(job: Any) -> None:
    """Progress, timings, device and curves of one job, then how it ended."""
    job_id = job.job_id
    snap = job.snapshot()
    st.subheader(f"Run: {snap['template']} on {state.md_escape(snap['dataset'])}")
    st.progress(snap["fraction"], text=status_line(job, snap))
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric(curves.step_label(snap.get("unit")), f"{snap['epoch']} / {snap['epochs']}")
    c2.metric("Step", f"{snap['step']} / {snap['steps']}" if snap["steps"] else "—")
    c3.metric("Elapsed", format_seconds(snap["elapsed_s"]))
    c4.metric("Remaining", format_seconds(snap["remaining_s"]) if snap["state"] == "running" else "—")
    device = snap["device"] or "—"
    c5.metric("Device", "GPU" if device.startswith("GPU") else device.split(" (")[0], help=device)
    if snap["device"]:
        st.caption(f"Training on {device}" + (" on the Ray cluster." if job.remote else "."))
    chart = curves.training_chart(snap["history"], snap["task"], snap.get("unit"))
    if chart is not None:  # a forecast's statistical models have no curve; its network has
        st.plotly_chart(chart, width="stretch", key=f"curves_{job_id}")
    if snap.get("candidates"):  # a trainer of several models (the automatic table template): which are done
        st.caption("Models finished so far, each scored on rows it did not learn from (lower is better):")
        st.dataframe(curves.finished_models(snap["candidates"]), hide_index=True)

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


def show_job(job: Any) -> None:
    """A finished job drawn once; a running one redrawn every second."""
    if job.done:
        draw_job(job)
    else:
        live_progress(job.job_id)
