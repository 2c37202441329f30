"""The Model page for business tables below the shared settings: what training will do with the rows.

The settings themselves are the shared block (:mod:`ui.settings_view`, from the template's setting groups);
this says in a sentence what the chosen template does with the training rows (the spec's ``what_it_does``
with the chosen values), how the rows are split, how many inputs the columns become once encoded and, for a
network, how many weights it has.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from modeling import format as fmt
from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.templates import registry
from modeling.templates.tabular.encoding import TableEncoder
from ui import settings_view, state


def what_you_get(ds: Dataset, cfg: ExperimentConfig) -> None:
    """What training will do with these rows, the encoded inputs and (network) the number of weights."""
    st.subheader("What you get")
    s = cfg.settings
    rows = len(ds)
    test = round(rows * cfg.data.test_share)
    validation = round((rows - test) * s.validation_share)
    sentence = settings_view.what_it_does(registry.spec(cfg.template), s)
    st.markdown(
        f"On {fmt.count(rows - test - validation)} training rows it {sentence} "
        f"{fmt.count(validation)} validation rows watch for over-fitting and {fmt.count(test)} test rows are kept "
        "aside for the final, honest score."
    )
    try:
        inputs, parameters = encoded_size(ds, cfg.to_yaml(), ds.fingerprint())
    except Exception as exc:
        state.show_error(exc, "measuring the model")
        return
    s1, s2 = st.columns(2)
    s1.metric(
        "Inputs after encoding",
        fmt.count(inputs),
        help="Numbers (scaled), a 'was blank' flag per column with blanks, and one input per category (one-hot), "
        "as the linear model and the network read them. Trees read the columns as they are.",
    )
    if parameters is not None:
        s2.metric("Weights (parameters)", fmt.count(parameters))


def is_network(template: str) -> bool:
    """True for a template that trains a network (it reads hidden units): its weights can be counted."""
    return "hidden_units" in registry.spec(template).setting_names()


@st.cache_data(show_spinner="Measuring the model…", max_entries=16)
def encoded_size(_ds: Dataset, cfg_yaml: str, ds_key: str) -> tuple[int, int | None]:
    """(inputs after one-hot encoding, the network's parameter count or None), learned on up to 2,000 rows."""
    cfg = ExperimentConfig.from_yaml(cfg_yaml)
    sample = _ds.subset(np.arange(min(len(_ds), 2000)))
    inputs = len(TableEncoder.fit(sample.frame).dense_names())
    if not is_network(cfg.template):
        return inputs, None
    from modeling.templates import build_model

    return inputs, int(build_model(cfg, sample).count_params())
