"""Step 1 · Data: pick a sample or upload a file, then see what is in it."""

import streamlit as st

from modeling.data.samples import SAMPLES, sample_status
from ui import kinds, state, upload_view

state.require_router("pages/data.py")

st.title("1 · Data")
st.caption(
    "Everything starts with labelled examples: a business table with a column to predict, texts with a label, "
    "or images sorted by class."
)

shown_notes: set[str] = set()
samples_tab, upload_tab = st.tabs(["Built-in samples", "Upload your own"])

with samples_tab:
    cols = st.columns(len(SAMPLES))
    for col, (key, info) in zip(cols, SAMPLES.items(), strict=True):
        with col, st.container(border=True):
            st.markdown(f"**{info.title}**")
            st.caption(info.description)
            available, reason = sample_status(key)
            if not available:
                st.caption(f"⚠️ Unavailable here: {reason}")
            if st.button("Use this sample", key=f"sample_{key}", disabled=not available):
                kinds.view_for(info.kind).use_sample(key)

with upload_tab:
    upload_view.upload_tab(shown_notes)

ds = state.dataset()
view = kinds.view_for_data(ds)  # the active data's kind (or a table whose set-up awaits a fix)
if view is None:
    st.info("Pick a sample or upload a file to continue.")
    st.stop()
view.data_section(ds, shown_notes)
