"""The Model page's "Model size": the chosen model built once per settings, its parameters and size on disk.

Building needs the data (a text model adapts its vocabulary), so it is built on up to 2,000 examples and
cached per settings and dataset; the layer-by-layer table is in an expander.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling.config import ExperimentConfig
from ui import state


@st.cache_data(show_spinner="Building the model to measure it…", max_entries=16)
def measure(cfg_yaml: str, _ds: Any, ds_key: str) -> dict:
    """Build the model once per settings to count parameters (vocabulary adapted on a sample)."""
    from modeling.templates import build_model, parameter_summary

    cfg = ExperimentConfig.from_yaml(cfg_yaml)
    sample = _ds.subset(slice(0, min(len(_ds), 2000)))
    return parameter_summary(build_model(cfg, sample))


def model_size(ds: Any, cfg: ExperimentConfig, note: str = "") -> None:
    """Parameters, size on disk and the layers of the model these settings build (``note``: how it was measured)."""
    st.subheader("Model size")
    try:
        size = measure(cfg.to_yaml(), ds, ds.fingerprint())
    except Exception as exc:
        state.show_error(exc, "building the model")
        return
    s1, s2 = st.columns(2)
    s1.metric("Parameters", f"{size['parameters']:,}")
    s2.metric("Size on disk (approx.)", f"{size['megabytes']:.2f} MB")
    with st.expander("Layer by layer"):
        st.dataframe(pd.DataFrame(size["layers"]), hide_index=True)
    if note:
        st.caption(note)
