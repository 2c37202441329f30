"""Step 1 · Data: pick a sample or upload a file, then see what is in it."""

import streamlit as st

from modeling.data.samples import SAMPLES, sample_status
from ui import kinds, state, upload_view

state.require_router("pages/data.py")

st.title("1 · Data")
st.caption(
    "Everything starts with labelled examples: a business table with a column to predict, a history of dated values "
    "to forecast, texts with a label, or images sorted by class."
)

shown_notes: set[str] = set()
samples_tab, upload_tab = st.tabs(["Built-in samples", "Upload your own"])

#: Sample cards per row (seven in one row were too narrow to read).
PER_ROW = 4

with samples_tab:
    items = list(SAMPLES.items())
    for first in range(0, len(items), PER_ROW):  # one row of cards at a time (the last row may be short)
        for col, (key, info) in zip(st.columns(PER_ROW), items[first : first + PER_ROW], strict=False):
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
# The active data's kind, or a set-up that awaits a fix (the kind the upload is read as first).
view = kinds.view_for_data(ds, prefer=upload_view.reading())
if view is None:
    setting_up = upload_view.reading() is not None  # a file is being set up above
    st.info(
        "Finish setting up the file above to continue." if setting_up else "Pick a sample or upload a file to continue."
    )
    st.stop()
view.data_section(ds, shown_notes)
