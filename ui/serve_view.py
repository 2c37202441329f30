"""The Serve box on Saved runs: how to put a run behind a REST endpoint, an example request, and its real answer.

The command comes first (it needs nothing loaded). The example request (curl and Python) is built from the
run's ``input_schema()`` examples only when asked, because it loads the model; its answer is then computed
here by the same code the server runs for ``POST /predict`` (:meth:`modeling.serving.contract.ServedRun.answer`),
with the decision rule saved with the run now, which is the one a server started now would load.
"""

from __future__ import annotations

import streamlit as st

from modeling import settings
from modeling.runs.decision_rules import load_decision
from modeling.runs.store import Run
from modeling.serving.contract import ServedRun
from modeling.serving.examples import example_request, serve_command
from ui import run_state, state


def serve_box(run: Run) -> None:
    """The command, and on request the example request with the answer it gets."""
    if not run.info.usable:
        st.info("This run has no finished model, so there is nothing to serve.")
        return
    st.markdown(
        "Any product can ask this model for answers over HTTP: start the server on the machine that holds "
        "this workspace, then send rows as JSON in the column names the model was trained on."
    )
    st.code(serve_command(run.info.run_id), language="bash")
    st.caption(
        "It listens on 127.0.0.1 (this machine only) unless --host says otherwise. Before other machines can "
        "reach it, set MODELDECK_API_KEY and put it behind TLS: see docs/serving.md. The OpenAPI page is at /docs."
    )
    shown = f"serve_example_{run.info.run_id}"
    if st.button("Show an example request and its answer", key=f"serve_{run.info.run_id}"):
        st.session_state[shown] = True
    if not st.session_state.get(shown):
        return
    try:
        predictor = run_state.predictor(run).using(load_decision(run.path))
        served = ServedRun(run.info.run_id, predictor, title=run.info.title)
        example = example_request(served, with_key=bool(settings.api_key()))
    except Exception as exc:
        state.show_error(exc, "building the example request")
        return
    st.markdown("**An example request** (built from the run's own examples)")
    st.code(example.curl, language="bash")
    st.code(example.python, language="python")
    st.markdown("**Its answer**, computed here by the same code the server runs for `POST /predict`:")
    st.json(example.answer)
