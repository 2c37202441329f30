"""The view of images sorted by class: a grid of pictures on the Data page, the mistakes as pictures on the
Evaluate page, a canvas and a photo upload on the Predict page."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from modeling.data.dataset import Dataset
from modeling.runs.store import Run
from ui import common_view, state
from ui.image import predict


class ImageView(common_view.CommonView):
    """Pictures sorted by class (digits, photos)."""

    def kind_metric(self, ds: Dataset) -> str:
        return f"Images {ds.images.shape[1]}x{ds.images.shape[2]}"

    def preview(self, ds: Dataset) -> None:
        rng = np.random.default_rng(0)
        pick = rng.choice(len(ds), size=min(24, len(ds)), replace=False)
        st.image(
            [ds.images[i].squeeze() for i in pick],
            caption=[state.md_escape(ds.class_names[ds.labels[i]]) for i in pick],
            width=64,
        )

    def show_mistakes(self, run: Run, wrong: list[dict[str, Any]]) -> None:
        test = common_view.load_test(run)
        if test is None:
            return
        shown = wrong[:40]
        st.image(
            [test.images[w["index"]].squeeze() for w in shown],
            caption=[f"true {w['true']} → {w['predicted']} ({w['confidence']:.0%})" for w in shown],
            width=84,
        )

    def predict(self, run: Run, predictor: Any) -> None:
        predict.page(run, predictor)
