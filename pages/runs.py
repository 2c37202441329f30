"""Saved runs: every finished, stopped, failed or interrupted run of this workspace, kept across restarts.

In hosted mode a visitor sees only the runs of their own workspace (plus the starters) and can
reopen that workspace later in another tab with its private key, shown at the bottom.
"""

import pandas as pd
import streamlit as st

from modeling.format import seconds as format_seconds
from ui import kinds, run_state, serve_view, state, team_view

state.require_router("pages/runs.py")
team_view.reattach_remote_work()  # after a restart, runs still training on the cluster show as running again

st.title("Saved runs")
store = run_state.run_store()
owner = state.session_owner()


def workspace_section() -> None:
    """The private key of this session's workspace, and a box to open another workspace with its key."""
    key = state.workspace_key()
    if key is None:
        st.caption("Single-user mode: every run on this server is listed here.")
        return
    with st.expander("Your private workspace (come back later, or in another tab)"):
        st.markdown(
            "Runs you train here are visible only in this browser tab's workspace. To open it again later, "
            "keep this key and paste it below. Anyone with the key can see and delete these runs."
        )
        st.code(key, language=None)
        other = st.text_input("Open a workspace with its key", key="workspace_key_input", type="password")
        if st.button("Open workspace", key="open_workspace") and other:
            if state.open_workspace(other):
                st.rerun()
            st.error("That is not a workspace key: it has 32 characters, digits and the letters a to f.")


infos = store.list_runs(owner=owner)
if not infos:
    st.info("No runs yet.")
    team_view.tracked_runs_section(store, owner)
    workspace_section()
    st.stop()

status_icon = {"finished": "✅", "stopped": "⏹️", "failed": "❌", "interrupted": "⚠️", "running": "🏃"}
table = pd.DataFrame(
    [
        {
            "run": i.run_id,
            "kind": "⭐ starter" if i.starter else ("yours" if owner else "saved"),
            "status": f"{status_icon.get(i.status, '')} {i.status}",
            "task": i.task.replace("_", " "),
            "template": i.template,
            "data": i.dataset.get("name", ""),
            "test accuracy": i.accuracy,
            "headline": kinds.view_for_task(i.task).headline(i),  # the task's own figure: accuracy, RMSE and R²
            "training time": format_seconds(i.duration_s),
            "created": i.created,
        }
        for i in infos
    ]
)
st.dataframe(table, hide_index=True, column_config={"test accuracy": st.column_config.NumberColumn(format="percent")})

ids = [i.run_id for i in infos]
by_id = {i.run_id: i for i in infos}
own = [i.run_id for i in infos if not i.starter]
default = state.run_id() if state.run_id() in by_id else (own[0] if own else ids[0])
chosen = st.selectbox("Run", ids, index=ids.index(default), format_func=lambda r: by_id[r].label)
info = by_id[chosen]
if info.status == "failed":
    st.error(f"This run failed: {state.md_escape(info.error or 'no reason recorded')}")
    if info.hint:
        st.info(f"Hint: {state.md_escape(info.hint)}")
elif info.status == "interrupted":
    st.warning("This run was interrupted (the server stopped while it trained). Start it again from Train.")
c1, c2, c3 = st.columns(3)
if c1.button("Open in Evaluate", disabled=not info.usable, type="primary"):
    state.set_run_id(chosen)
    st.switch_page("pages/evaluate.py")
try:
    run = store.load(chosen, owner=owner)
    c2.download_button("Download settings (YAML)", run.config.to_yaml(), file_name=f"{chosen}.yaml")
    st.caption(f"Reproduce from the command line: `python -m modeling train {chosen}.yaml`")
    team_view.register_box(run)
except Exception as exc:
    state.show_error(exc, "reading the run")
    run = None
if run is not None:
    from ui import export_view

    export_view.show_run_code(run)
    with st.expander("Export the model (Keras, SavedModel, ONNX, LiteRT)"):
        export_view.export_box(run)
    with st.expander("Serve it as a REST API (for your product to call)"):
        serve_view.serve_box(run)
if not info.starter and c3.button("Delete this run"):
    try:
        store.delete(chosen, owner=owner)
        if state.run_id() == chosen:
            state.set_run_id(None)
        st.rerun()
    except Exception as exc:
        state.show_error(exc, "deleting the run")
team_view.tracked_runs_section(store, owner)
workspace_section()
