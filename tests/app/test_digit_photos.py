"""Predict page, digits: an uploaded photo is shown with a box around what was read; a blank page says so."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from tests.app.helpers import app, goto, texts


def _photo(blank: bool = False) -> bytes:
    """Light paper lit from the left, a dark '7' small and off-centre (unless blank), saved as JPEG."""
    width, height = 640, 480
    gradient = np.linspace(120, 235, width)[None, :].repeat(height, axis=0)
    img = Image.fromarray(gradient.astype("uint8")).convert("RGB")
    if not blank:
        draw = ImageDraw.Draw(img)
        draw.line((380, 150, 450, 150), fill=(20, 20, 30), width=9)
        draw.line((450, 150, 405, 270), fill=(20, 20, 30), width=9)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _open_digit_photos() -> object:
    at = goto(app(), "pages/predict.py")
    at.radio(key="predict_task").set_value("image_classification").run()
    return at


def test_a_photo_is_shown_with_the_box_around_the_digit(local_home: Path):
    at = _open_digit_photos()
    at.file_uploader(key="digit_photo").upload("seven.jpg", _photo(), "image/jpeg").run()
    assert not at.exception, [e.value for e in at.exception]
    text = texts(at)
    assert "Your photo" in text and "The blue box is what was taken as the digit" in text
    assert "What the model sees" in text
    assert any(m.label == "Prediction" for m in at.metric)


def test_a_blank_page_says_no_digit_was_found_and_guesses_nothing(local_home: Path):
    at = _open_digit_photos()
    at.file_uploader(key="digit_photo").upload("blank.jpg", _photo(blank=True), "image/jpeg").run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = " ".join(w.value for w in at.warning)
    assert "No digit found" in warnings and "Nothing was predicted" in warnings
    assert not any(m.label == "Prediction" for m in at.metric)
