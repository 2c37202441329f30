"""Step 4 · Evaluate: how good is it on data it never saw, compared with simple baselines?"""

import streamlit as st

from ui import kinds, run_state, state

state.require_router("pages/evaluate.py")

st.title("4 · Evaluate")
run = run_state.pick_run("Run to evaluate")
if run is None:
    st.info("No trained model yet. Train one first (or use a starter model on the Predict page).")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()
if not run.evaluation:
    st.warning("This run has no evaluation saved (it did not finish).")
    st.stop()

# Classes (texts, images, table classes) or a number (a table's regression), drawn by the run's kind.
kinds.view_for_task(run.task).evaluate(run)
