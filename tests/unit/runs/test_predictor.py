"""Prediction helpers: MNIST-style preparation, safe CSV export, photo decoding."""

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw

from modeling.data.digits import prepare_digit
from modeling.data.images import fit_to_model
from modeling.data.readers.picture import open_picture
from modeling.errors import DataError
from modeling.runs.safe_csv import to_safe_csv


def _drawing(dark_on_light: bool = True, size=(280, 280), box=(100, 40, 140, 240)) -> Image.Image:
    background, ink = (255, 0) if dark_on_light else (0, 255)
    img = Image.new("L", size, background)
    ImageDraw.Draw(img).rectangle(box, fill=ink)  # a thick vertical stroke: a '1'
    return img


def _mass_centre(img: np.ndarray) -> tuple[float, float]:
    mass = img.astype(float)
    ys, xs = np.indices(img.shape)
    return (ys * mass).sum() / mass.sum(), (xs * mass).sum() / mass.sum()


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_prepare_digit_is_white_on_black_centred_and_fits_20x20(dark_on_light):
    out = prepare_digit(_drawing(dark_on_light))
    assert out.shape == (28, 28) and out.dtype == np.uint8
    assert out[0].max() == 0 and out[:, 0].max() == 0  # black background
    rows = np.flatnonzero(out.max(axis=1) > 0)
    cols = np.flatnonzero(out.max(axis=0) > 0)
    assert rows[-1] - rows[0] + 1 <= 20 and cols[-1] - cols[0] + 1 <= 20
    assert rows[-1] - rows[0] + 1 >= 18  # the tall stroke is scaled to the box height
    cy, cx = _mass_centre(out)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1


def test_prepare_digit_accepts_transparent_canvas_rgba():
    rgba = np.zeros((200, 200, 4), dtype=np.uint8)  # transparent canvas
    rgba[50:150, 90:110] = (0, 0, 0, 255)  # black stroke
    out = prepare_digit(rgba)
    assert out.max() == 255 and out[0, 0] == 0


def test_prepare_digit_refuses_a_blank_picture():
    with pytest.raises(DataError, match="blank"):
        prepare_digit(Image.new("L", (100, 100), 255))


def test_safe_csv_neutralises_formula_cells():
    df = pd.DataFrame({"text": ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "fine"], "n": [1, 2, 3, 4, 5]})
    csv = to_safe_csv(df).decode()
    assert "'=HYPERLINK" in csv and "'+1" in csv and "'-2" in csv and "'@SUM" in csv
    assert "\nfine," in csv
    assert pd.read_csv(io.BytesIO(to_safe_csv(df)))["n"].tolist() == [1, 2, 3, 4, 5]


def test_open_picture_refuses_non_images():
    with pytest.raises(DataError, match="not a readable"):
        open_picture(b"not a png at all", "digit.png")


def test_fit_to_model_resizes_colour_to_grey():
    img = Image.new("RGB", (64, 48), (200, 10, 10))
    out = fit_to_model(img, (32, 32, 1))
    assert out.shape == (32, 32, 1)
