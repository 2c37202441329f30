"""Start here: what ModelDeck does, and one click to a working example (business tables first)."""

import streamlit as st

from modeling.data.sample_catalog import SAMPLES
from ui import kinds, state

state.require_router("pages/home.py")

#: The quick-start cards, in the order people bring their data: business tables and time series first, then texts
#: and images.
QUICK_START = (
    ("churn", "📊", "Use customer churn"),
    ("house_prices", "🏠", "Use house prices"),
    ("chicago_rides", "📈", "Use Chicago train rides"),
    ("reviews", "💬", "Use product reviews"),
    ("digits", "✍️", "Use handwritten digits"),
)

st.title("🧪 ModelDeck")
st.markdown(
    "Train a model on your own business tables, texts or images **without writing code**, see honestly how good "
    "it is, and use it. Five steps, left to right in the sidebar:"
)
cols = st.columns(5)
steps = [
    (
        "1 · Data",
        "Pick a sample or upload a business table (CSV, Excel, Parquet), a table of texts, or a ZIP of images.",
    ),
    ("2 · Model", "Choose a template. The defaults work; every setting explains itself."),
    ("3 · Train", "Training runs in the background with live curves. You can leave the page."),
    ("4 · Evaluate", "How good it is on data it never saw, next to simple baselines, in plain words."),
    ("5 · Predict", "Try a what-if row, type a review, draw a digit, or score a whole file."),
]
for col, (title, text) in zip(cols, steps, strict=True):
    col.markdown(f"**{title}**")
    col.caption(text)

st.subheader("Try it in one click")


def _start(key: str) -> None:
    """Make the sample active the way the Data page's button does, then open the Data page (the kind's view, and
    with it pandas, is imported only now: the first paint stays light)."""
    kinds.view_for(SAMPLES[key].kind).use_sample(key, then="pages/data.py")


for col, (key, icon, label) in zip(st.columns(len(QUICK_START)), QUICK_START, strict=True):
    with col, st.container(border=True):
        st.markdown(f"**{icon} {SAMPLES[key].title}**")
        st.caption(SAMPLES[key].description)
        if st.button(label, key=f"home_{key}", type="primary"):
            _start(key)

st.info(
    "Just want to see a model work? The **Predict** page has ready-trained starter models for digits and "
    "for review sentiment.",
    icon=":material/lightbulb:",  # not an emoji: see app.py's page_icon
)
st.page_link("pages/predict.py", label="Open Predict", icon=":material/online_prediction:")
