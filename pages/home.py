"""Start here: what ModelDeck does, and one click to a working example."""

import streamlit as st

from modeling.data.sample_catalog import SAMPLES
from ui import state

state.require_router("pages/home.py")

st.title("🧪 ModelDeck")
st.markdown(
    "Train a deep-learning model on your own data **without writing code**, see honestly how good it is, "
    "and use it. Five steps, left to right in the sidebar:"
)
cols = st.columns(5)
steps = [
    ("1 · Data", "Pick a sample or upload a table of texts, a ZIP of images or an .npz file."),
    ("2 · Model", "Choose a template. The defaults work; every setting explains itself."),
    ("3 · Train", "Training runs in the background with live curves. You can leave the page."),
    ("4 · Evaluate", "Accuracy on data the model never saw, next to simple baselines, in plain words."),
    ("5 · Predict", "Type a review, draw a digit, or score a whole CSV."),
]
for col, (title, text) in zip(cols, steps, strict=True):
    col.markdown(f"**{title}**")
    col.caption(text)

st.subheader("Try it in one click")
left, right = st.columns(2)


def _start(key: str) -> None:
    from modeling.data.samples import load_sample

    try:
        with st.spinner("Loading the sample…"):
            state.set_dataset(load_sample(key))
    except Exception as exc:
        state.show_error(exc, "loading the sample")
        return
    st.switch_page("pages/data.py")


with left, st.container(border=True):
    st.markdown(f"**✍️ {SAMPLES['digits'].title}**")
    st.caption(SAMPLES["digits"].description)
    if st.button("Use handwritten digits", key="home_digits", type="primary"):
        _start("digits")
with right, st.container(border=True):
    st.markdown(f"**💬 {SAMPLES['reviews'].title}**")
    st.caption(SAMPLES["reviews"].description)
    if st.button("Use product reviews", key="home_reviews", type="primary"):
        _start("reviews")

st.info(
    "Just want to see a model work? The **Predict** page has ready-trained starter models for digits and "
    "for review sentiment.",
    icon=":material/lightbulb:",  # not an emoji: see app.py's page_icon
)
st.page_link("pages/predict.py", label="Open Predict", icon=":material/online_prediction:")
