"""The Data page's "Active data" section for examples with a label (texts, images): figures, checks, a preview.

The kind draws its own preview and names itself in the "Kind" figure; the rest is shared: the dataset's
notes (each said once), the profile's warnings, finding and dropping copies and near-copies, and the class
balance. Tables have their own section (column roles, target, leakage checks: :mod:`ui.table.setup`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from modeling.data.profile import profile_dataset
from modeling.reporting import charts
from ui import state

DEDUPE_MESSAGE = "dedupe_message"


def active_data(ds: Any, shown_notes: set[str], kind: str, preview: Callable[[Any], None]) -> None:
    """Everything under "Active data" for ``ds``; ``shown_notes`` were already said under the upload."""
    st.divider()
    st.subheader(f"Active data: {state.md_escape(ds.name)}")
    prof = profile_dataset(ds)
    m1, m2, m3 = st.columns(3)
    m1.metric("Examples", f"{len(ds):,}")
    m2.metric("Classes", len(ds.class_names))
    m3.metric("Kind", kind)
    for note in ds.notes:
        if note not in shown_notes:  # said once, under the upload
            st.info(state.md_escape(note))
    for warning in prof.warnings:
        st.warning(state.md_escape(warning))
    if not prof.warnings:
        st.success("No problems found: classes are big enough, no duplicates or empty rows.")
    copies_block(ds)
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Preview**")
        preview(ds)
    with right:
        st.plotly_chart(charts.class_balance(ds.class_counts()), width="stretch")
    st.page_link("pages/model.py", label="Next: choose a model →", icon=":material/tune:")


def copies_block(ds: Any) -> None:
    """Find exact copies and near-copies and keep one of each (the result is said once, after the rerun)."""
    with st.expander("Copies and near-copies"):
        st.caption(
            "A copy that lands in both the training and the test split makes the test score look better than it "
            "is. This finds exact copies and near-copies (a changed word, a re-saved picture) and keeps one of each."
        )
        if st.button("Find and drop duplicates", key="drop_duplicates_data"):
            from modeling.data.duplicates import drop_duplicates

            with st.spinner("Comparing every example with every other…"):
                cleaned, found = drop_duplicates(ds)
            if found["drop"]:
                state.set_dataset(cleaned)
                st.session_state[DEDUPE_MESSAGE] = (
                    f"Removed {len(found['drop']):,} rows ({found['exact']:,} exact and {found['near']:,} near "
                    f"copies); {len(cleaned):,} remain."
                )
                st.rerun()
            st.success("No copies or near-copies found.")
    if DEDUPE_MESSAGE in st.session_state:
        st.success(st.session_state.pop(DEDUPE_MESSAGE))
