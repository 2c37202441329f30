"""Finding a digit in drawings and in photos of paper (modeling.data.digits): box, MNIST-style output, refusals.

The photos are made here: a dark stroke shape on light paper lit strongly from one side, with grain,
camera noise, specks, ruled lines, sometimes the desk beyond the page's edge, the digit small and
off-centre in a big frame. No TensorFlow, no shared data.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from modeling.data.digits import DigitCrop, locate_digit, prepare_digit
from modeling.errors import DataError

Box = tuple[int, int, int, int]


def _shape_mask(size: tuple[int, int], box: Box, width: int) -> np.ndarray:
    """A digit-like stroke shape (a '4': two strokes and a bar) filling ``box`` (left, top, right, bottom)."""
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    left, top, right, bottom = box
    half = width // 2
    mid_y = top + (bottom - top) * 6 // 10
    draw.line([(left + half, top + half), (left + half, mid_y)], fill=255, width=width)
    draw.line([(left + half, mid_y), (right - half, mid_y)], fill=255, width=width)
    stem_x = left + (right - left) * 7 // 10
    draw.line([(stem_x, top + half), (stem_x, bottom - half)], fill=255, width=width)
    return np.asarray(mask, dtype=np.float32) / 255.0


def _true_box(mask: np.ndarray) -> Box:
    rows = np.flatnonzero(mask.max(axis=1) > 0.5)
    cols = np.flatnonzero(mask.max(axis=0) > 0.5)
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _photo(
    size: tuple[int, int] = (800, 600),
    box: Box = (520, 340, 580, 430),
    stroke: int = 7,
    ink: tuple[int, int, int] = (35, 35, 40),
    lines: bool = True,
    desk: bool = False,
    seed: int = 0,
) -> tuple[Image.Image, Box]:
    """An RGB photo of paper with the shape written on it, and the shape's true box."""
    rng = np.random.default_rng(seed)
    width, height = size
    shape = _shape_mask(size, box, stroke) if stroke else np.zeros((size[1], size[0]), dtype=np.float32)
    surface = np.empty((height, width, 3), dtype=np.float32)
    surface[:] = (222, 218, 205)  # paper, not pure white
    if lines:
        rows = (np.arange(height) % 36) < 2
        surface[rows] *= np.array([0.75, 0.82, 0.95])  # light blue ruled lines every 36 px
    for _ in range(12):  # specks of dust
        y, x = rng.integers(0, height - 3), rng.integers(0, width - 3)
        surface[y : y + 2, x : x + 2] *= 0.6
    soft = ndimage.gaussian_filter(shape, 0.8)[..., None]
    surface = surface * (1 - soft) + np.array(ink, dtype=np.float32) * soft
    if desk:
        surface[:, int(width * 0.85) :] = (70, 55, 45)  # the desk beyond the page's edge
    light = np.linspace(0.45, 1.0, width, dtype=np.float32)[None, :, None]  # left side at 45% of the light
    grain = ndimage.gaussian_filter(rng.normal(0, 6, (height, width)), 1.5)[..., None]
    noise = rng.normal(0, 4, (height, width, 3))
    pixels = np.clip(surface * light + grain + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels), _true_box(shape) if shape.any() else (0, 0, 0, 0)


def _iou(a: Box, b: Box) -> float:
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union


def _mass_centre(img: np.ndarray) -> tuple[float, float]:
    mass = img.astype(float)
    ys, xs = np.indices(img.shape)
    return (ys * mass).sum() / mass.sum(), (xs * mass).sum() / mass.sum()


def _assert_mnist_like(out: np.ndarray) -> None:
    """28x28 uint8, white ink on black, inside 20x20, centred by mass within a pixel.

    (Centring by mass may push a lopsided digit such as a '7' against one edge, as in MNIST itself.)
    """
    assert out.shape == (28, 28) and out.dtype == np.uint8
    assert out.max() == 255
    assert np.median(out) == 0 and out[0, 0] == 0  # mostly black: white on black, not the other way round
    rows = np.flatnonzero(out.max(axis=1) > 0)
    cols = np.flatnonzero(out.max(axis=0) > 0)
    assert rows[-1] - rows[0] + 1 <= 20 and cols[-1] - cols[0] + 1 <= 20
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 >= 18  # the longer side fills the box
    cy, cx = _mass_centre(out)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1


# ---- photos -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({}, "dark ink, gradient, grain, specks, ruled lines"),
        ({"ink": (30, 45, 150)}, "blue ink"),
        ({"box": (90, 60, 150, 150), "lines": False}, "in the dark corner"),
        ({"box": (300, 200, 420, 380), "stroke": 4}, "bigger, thin pen"),
        ({"box": (450, 300, 520, 400), "desk": True}, "the desk beyond the page's edge"),
    ],
)
def test_locates_the_digit_in_a_photo_of_paper(kwargs, where):
    photo, truth = _photo(**kwargs)
    found = locate_digit(photo)
    assert isinstance(found, DigitCrop)
    assert found.dark_on_light
    assert _iou(found.box, truth) > 0.7, (where, found.box, truth)
    _assert_mnist_like(found.image)


def test_grey_photo_and_array_input_give_the_same_answer():
    photo, truth = _photo(seed=3)
    grey = photo.convert("L")
    from_image = locate_digit(grey)
    from_array = locate_digit(np.asarray(grey))
    assert from_image.box == from_array.box
    np.testing.assert_array_equal(from_image.image, from_array.image)
    assert _iou(from_image.box, truth) > 0.7


def test_big_photo_box_is_in_the_original_pixels():
    photo, truth = _photo(size=(2400, 1800), box=(1500, 1000, 1700, 1300), stroke=20, seed=5)
    found = locate_digit(photo)
    assert _iou(found.box, truth) > 0.7
    assert found.box[2] <= 2400 and found.box[3] <= 1800
    _assert_mnist_like(found.image)


def test_photo_output_keeps_grey_levels_like_mnist():
    """MNIST strokes have soft anti-aliased edges: the output is not just black and white."""
    out = prepare_digit(_photo()[0])
    middle = np.count_nonzero((out > 0) & (out < 255))
    assert middle >= 10


# ---- drawings -----------------------------------------------------------------------------


def _drawing(dark_on_light: bool = True, size=(280, 280), box=(100, 40, 140, 240)) -> Image.Image:
    background, ink = (255, 0) if dark_on_light else (0, 255)
    img = Image.new("L", size, background)
    ImageDraw.Draw(img).rectangle(box, fill=ink)  # a thick vertical stroke: a '1'
    return img


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_prepare_digit_is_white_on_black_centred_and_fits_20x20(dark_on_light):
    """The same assertions as tests/unit/test_predict.py, on this module's prepare_digit."""
    out = prepare_digit(_drawing(dark_on_light))
    assert out.shape == (28, 28) and out.dtype == np.uint8
    assert out[0].max() == 0 and out[:, 0].max() == 0  # black background
    rows = np.flatnonzero(out.max(axis=1) > 0)
    cols = np.flatnonzero(out.max(axis=0) > 0)
    assert rows[-1] - rows[0] + 1 <= 20 and cols[-1] - cols[0] + 1 <= 20
    assert rows[-1] - rows[0] + 1 >= 18  # the tall stroke is scaled to the box height
    cy, cx = _mass_centre(out)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1
    assert locate_digit(_drawing(dark_on_light)).dark_on_light is dark_on_light


def test_prepare_digit_accepts_transparent_canvas_rgba():
    rgba = np.zeros((200, 200, 4), dtype=np.uint8)  # transparent canvas
    rgba[50:150, 90:110] = (0, 0, 0, 255)  # black stroke
    out = prepare_digit(rgba)
    assert out.max() == 255 and out[0, 0] == 0
    assert locate_digit(rgba).box == (90, 50, 110, 150)


def test_prepare_digit_accepts_a_pil_rgba_canvas():
    img = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(img).line([(60, 60), (200, 60), (110, 230)], fill=(0, 0, 0, 255), width=18)  # a '7'
    found = locate_digit(img)
    assert found.dark_on_light
    assert _iou(found.box, (51, 51, 210, 240)) > 0.8
    _assert_mnist_like(found.image)


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_canvas_digit_small_and_off_centre(dark_on_light):
    background, ink = (255, 0) if dark_on_light else (0, 255)
    img = Image.new("L", (280, 280), background)
    mask = _shape_mask((280, 280), (170, 20, 250, 120), 14)
    img = Image.fromarray(np.where(mask > 0.5, ink, background).astype(np.uint8))
    found = locate_digit(img)
    assert _iou(found.box, _true_box(mask)) > 0.9
    _assert_mnist_like(found.image)


def test_a_one_drawn_from_edge_to_edge_is_still_read():
    """A stroke touching both edges (a tall '1', or a tight crop) is kept, even beside a stray dot."""
    img = _drawing(box=(130, 0, 150, 279))
    ImageDraw.Draw(img).rectangle((30, 30, 37, 37), fill=0)  # a dot of ink
    found = locate_digit(img)
    assert _iou(found.box, (130, 0, 151, 280)) > 0.9
    _assert_mnist_like(found.image)


def test_digit_touching_the_canvas_edge_is_kept():
    img = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(img).ellipse((150, 120, 279, 279), outline=255, width=16)  # a '0' cut by the edge
    found = locate_digit(img)
    assert found.box[2] == 280 and found.box[3] == 280
    _assert_mnist_like(found.image)


# ---- refusals -----------------------------------------------------------------------------


def test_prepare_digit_refuses_a_blank_picture():
    with pytest.raises(DataError, match="blank"):
        prepare_digit(Image.new("L", (100, 100), 255))
    with pytest.raises(DataError, match="blank"):
        prepare_digit(np.zeros((280, 280, 4), dtype=np.uint8))  # an untouched transparent canvas


@pytest.mark.parametrize(
    ("what", "kwargs"),
    [
        ("a blank page lit from one side, with grain and specks", {"lines": False}),
        ("a page of only ruled lines", {"lines": True}),
    ],
)
def test_refuses_a_page_without_a_digit(what, kwargs):
    photo, _ = _photo(box=(0, 0, 0, 0), stroke=0, **kwargs)
    with pytest.raises(DataError, match="No digit found"):
        locate_digit(photo)


@pytest.mark.parametrize("seed", [0, 1])
def test_refuses_pure_noise(seed):
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (300, 400), dtype=np.uint8)
    with pytest.raises(DataError, match="No digit found"):
        locate_digit(noise)
    grey_noise = np.clip(rng.normal(128, 20, (300, 400, 3)), 0, 255).astype(np.uint8)
    with pytest.raises(DataError, match="No digit found"):
        locate_digit(grey_noise)


def test_refuses_an_empty_or_odd_array():
    with pytest.raises(DataError):
        prepare_digit(np.zeros((0, 0), dtype=np.uint8))
    with pytest.raises(DataError):
        prepare_digit(np.zeros((4, 5, 6, 7), dtype=np.uint8))
