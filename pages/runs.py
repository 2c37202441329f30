"""Saved runs: every finished, stopped, failed or interrupted run, kept across restarts."""

import pandas as pd
import streamlit as st

from modeling.progress import format_seconds
from ui import state

state.require_router("pages/runs.py")

st.title("Saved runs")
store = state.run_store()
infos = store.list_runs()
if not infos:
    st.info("No runs yet.")
    st.stop()

status_icon = {"finished": "✅", "stopped": "⏹️", "failed": "❌", "interrupted": "⚠️", "running": "🏃"}
table = pd.DataFrame(
    [
        {
            "run": i.run_id,
            "kind": "⭐ starter" if i.starter else "yours",
            "status": f"{status_icon.get(i.status, '')} {i.status}",
            "task": i.task.replace("_", " "),
            "template": i.template,
            "data": i.dataset.get("name", ""),
            "test accuracy": i.accuracy,
            "training time": format_seconds(i.duration_s),
            "created": i.created,
        }
        for i in infos
    ]
)
st.dataframe(table, hide_index=True, column_config={"test accuracy": st.column_config.NumberColumn(format="percent")})

ids = [i.run_id for i in infos]
by_id = {i.run_id: i for i in infos}
chosen = st.selectbox("Run", ids, format_func=lambda r: by_id[r].label)
info = by_id[chosen]
if info.status == "failed":
    st.error(f"This run failed: {info.error or 'no reason recorded'}")
    if info.hint:
        st.info(f"Hint: {info.hint}")
elif info.status == "interrupted":
    st.warning("This run was interrupted (the server stopped while it trained). Start it again from Train.")
c1, c2, c3 = st.columns(3)
if c1.button("Open in Evaluate", disabled=not info.usable, type="primary"):
    state.set_run_id(chosen)
    st.switch_page("pages/evaluate.py")
try:
    run = store.load(chosen)
    c2.download_button("Download settings (YAML)", run.config.to_yaml(), file_name=f"{chosen}.yaml")
    st.caption(f"Reproduce from the command line: `python -m modeling train {chosen}.yaml`")
except Exception as exc:
    state.show_error(exc, "reading the run")
if not info.starter and c3.button("Delete this run"):
    try:
        store.delete(chosen)
        if state.run_id() == chosen:
            state.set_run_id(None)
        st.rerun()
    except Exception as exc:
        state.show_error(exc, "deleting the run")
