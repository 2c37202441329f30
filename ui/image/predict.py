"""The Predict page for an image model: draw a digit on a canvas, or upload a photo of one.

A digit model (28 x 28 x 1, MNIST style) gets the digit found in the drawing or photo (local paper estimate,
adaptive threshold, ruled lines and specks removed: :mod:`modeling.data.digits`), shown with a box around
what was taken as the digit; other image models get the picture fitted to their input size. Beside it, what
the model sees and its answer under the run's saved rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from modeling.errors import DataError
from modeling.runs.store import Run
from ui import prediction_view, state
from ui.image.photo import photo_with_box

#: What a digit model reads (MNIST style).
DIGIT_SHAPE = (28, 28, 1)


def page(run: Run, predictor: Any) -> None:
    """The Draw and Upload-a-photo tabs, then what the model sees and its answer."""
    predictor = prediction_view.calibrated_rule(run, predictor)
    draw_tab, photo_tab = st.tabs(["Draw", "Upload a photo"])
    picture, is_photo = None, False
    with draw_tab:
        picture = drawing()
    with photo_tab:
        photo = photo_upload()
        if photo is not None:
            picture, is_photo = photo, True
    if picture is None:
        st.info("Draw a digit or upload a photo to see the prediction.")
        return
    answer(predictor, picture, is_photo)


def drawing() -> Any:
    """The canvas; the drawing's pixels once something was drawn, else ``None``."""
    from streamlit_drawable_canvas import st_canvas

    st.caption("Draw one digit, big, in the middle of the box. The bin icon clears it.")
    st.write("")  # room for the canvas toolbar, which floats above the drawing area
    result = st_canvas(
        stroke_width=18,
        stroke_color="#000000",
        background_color="#FFFFFF",
        height=280,
        width=280,
        drawing_mode="freedraw",
        return_image_data=True,
        key="digit_canvas",
    )
    if result is not None and result.image_data is not None:
        drawn = np.asarray(result.image_data)
        if drawn[..., :3].min() < 200:  # something was drawn
            return drawn
    return None


def photo_upload() -> Any:
    """A photo of a digit (PNG or JPEG) as an image, or ``None``."""
    photo = st.file_uploader("Photo of a digit (PNG or JPEG)", type=["png", "jpg", "jpeg"], key="digit_photo")
    if photo is None:
        return None
    from modeling.data.readers.picture import open_picture

    try:
        return open_picture(photo.getvalue(), photo.name)
    except Exception as exc:
        state.show_error(exc, "reading the photo")
        return None


def answer(predictor: Any, picture: Any, is_photo: bool) -> None:
    """What the model sees (with the box on a photo) and its answer; a photo without a digit says so."""
    from modeling.data.digits import locate_digit

    shape = predictor.image_shape
    is_digit_model = tuple(shape) == DIGIT_SHAPE
    try:
        found = None
        if is_digit_model:
            found = locate_digit(picture)
            seen = found.image[..., None]
        else:
            from modeling.data.images import fit_to_model

            seen = fit_to_model(picture, shape)
        left, right = st.columns([1, 2])
        with left:
            if found is not None and is_photo:
                st.markdown("**Your photo**")
                st.image(photo_with_box(picture, found.box), width=240)
                st.caption("The blue box is what was taken as the digit.")
            st.markdown("**What the model sees**")
            st.image(seen.squeeze(), width=168, clamp=True)
            st.caption(f"{shape[0]}x{shape[1]} pixels" + (", MNIST style" if is_digit_model else ""))
        with right:
            prediction_view.show_prediction(predictor, predictor.predict_one(seen))
    except DataError as exc:
        if is_photo:
            st.image(photo_with_box(picture, None), width=240)
        st.warning(f"{state.md_escape(exc)} Nothing was predicted, so no guess is shown.")
    except Exception as exc:
        state.show_error(exc, "reading the picture")
