"""Step 5 · Predict: one review, one drawing or photo, one what-if row, or a whole file."""

import streamlit as st

from modeling.templates import registry
from ui import kinds, run_state, state

state.require_router("pages/predict.py")

st.title("5 · Predict")

tasks = list(registry.TASKS)
active = state.dataset()
start = active.task if active is not None else registry.TEXT  # no data yet: the review starter answers at once
task = st.radio(
    "What do you want to predict?",
    tasks,
    format_func=lambda name: registry.task(name).label,
    horizontal=True,
    index=tasks.index(start),
    key="predict_task",
)
run = run_state.pick_run("Model", task=task, key=f"predict_run_{task}")
if run is None:
    st.info("No model for this task yet: train one first.")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()
if run.info.starter:
    st.caption(
        "⭐ Starter model: trained on the built-in sample by `scripts/train_starters.py`. Train your own for your data."
    )

try:
    predictor = run_state.predictor(run)
except Exception as exc:
    state.show_error(exc, "loading the model")
    st.stop()
# A review, a drawing or a photo, a what-if row; and a whole table: drawn by the kind of data the task reads.
kinds.view_for_task(task).predict(run, predictor)
