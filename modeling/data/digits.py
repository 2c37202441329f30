"""Find one handwritten digit in a drawing or a photo and prepare it the way MNIST was made.

A model trained on MNIST only reads input that looks like MNIST: a white digit on pure black,
fitted into a 20x20 box and centred by mass in 28x28. Canvas drawings are easy (one flat
background). Photos of a digit written on paper are not: the light falls off across the page,
there are shadows, paper grain, camera noise, ruled lines, the page edge, JPEG blocks, and the
digit is small somewhere in a big frame. Taking the background as one number (the border's
median, as the first version did) leaves the lighting gradient in as "ink", and the crop then
holds half the page.

:func:`locate_digit` therefore

1. works on a copy whose longer side is at most :data:`WORK_SIDE` pixels (speed; a digit that is
   at least ~8% of the frame still has more pixels there than MNIST's 20x20 box);
2. decides the polarity (dark ink on light paper, or light strokes on a dark canvas) from which
   side of the local brightness the sparse, strong outliers lie on;
3. estimates the paper *locally* (block minimum of "inkness" followed by a morphological opening,
   so strokes narrower than a few blocks vanish from the estimate) and divides it out, so a page
   half in shadow has the same ink contrast everywhere;
4. thresholds the contrast image adaptively (Otsu above the paper's own noise level), tracing
   components down to a lower cut (hysteresis) so faint joints keep a digit in one piece;
5. removes long thin horizontal ruled lines (mending strokes they cross), drops specks and page
   edges that run along the frame border, and keeps the strongest ink component plus the pieces
   near it (a digit can break into pieces); thin components spanning the frame (a margin line, the
   page edge) are taken only when nothing else is there;
6. hands the kept ink, with its grey levels (MNIST strokes are anti-aliased, not binary) and
   strokes thickened when they are much thinner than MNIST's, to
   :func:`modeling.data.images.mnist_style`.

Only NumPy, Pillow and ``scipy.ndimage`` are used: each step is a handful of array passes over
a picture of at most 400x400, which keeps a photo under a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from modeling.data.digit_ink import (
    BLANK_MESSAGE,
    EIGHT,
    LOW_CUT,
    NOTHING_MESSAGE,
    THIN_STROKE,
    digit_components,
    ink_threshold,
    median,
    paper_level,
    remove_ruled_lines,
    stroke_width,
    thicken,
)
from modeling.data.images import mnist_style
from modeling.errors import DataError

#: Longer side of the working copy. A bigger picture is shrunk first (box average, which also
#: averages camera noise away); the box is reported in the original picture's pixels.
WORK_SIDE = 400


#: Below this spread of the paper's contrast the background is flat (a canvas, a scan, MNIST itself):
#: such pictures keep their own grey levels instead of the photo's stretched ones.
FLAT = 0.005


@dataclass(frozen=True)
class DigitCrop:
    """What :func:`locate_digit` found.

    ``image`` is what the model sees: 28x28 uint8, white digit on black, fitted into 20x20 and
    centred by mass. ``box`` is (left, top, right, bottom) of the digit in the original picture's
    pixels, right and bottom exclusive as in :meth:`PIL.Image.Image.crop`, so the Predict page can
    draw what was read. ``dark_on_light`` tells whether the picture was dark ink on light paper.
    ``contrast`` is the ink's typical contrast against the local paper (0..1; a canvas stroke is
    1.0, a pen on paper about 0.5); ``stroke`` is the stroke width relative to the digit's longer
    side before any thickening (MNIST digits: about 0.11).
    """

    image: np.ndarray
    box: tuple[int, int, int, int]
    dark_on_light: bool
    contrast: float
    stroke: float


def prepare_digit(picture: Any) -> np.ndarray:
    """MNIST-style 28x28 uint8 (white digit on black, fits 20x20, centred by mass) of a drawing or photo."""
    return locate_digit(picture).image


def locate_digit(picture: Any) -> DigitCrop:
    """Find the digit in ``picture`` (PIL image or array: grey, RGB, or RGBA painted onto white).

    Raises :class:`~modeling.errors.DataError` with a sentence for the user when nothing in the
    picture looks like a digit (a blank page, only ruled lines, only specks or paper texture).
    """
    colour, full_size = _load(picture)
    work, factor = _shrink(colour)
    grey = work.convert("L")
    dark_on_light = _dark_on_light(grey)
    x = _inkness(work, grey, dark_on_light)  # ink bright, paper dark
    y = _contrast(x)  # 0 = paper, 1 = ink as strong as it can be
    level, spread = paper_level(y)
    floor = level + max(5.0 * spread, 0.06)  # paper grain, noise and leftover shading stay below
    candidates = y > floor
    if np.count_nonzero(candidates) < 12:
        raise DataError(BLANK_MESSAGE)
    candidates, lines = remove_ruled_lines(candidates, y)
    threshold, core = ink_threshold(y, candidates, level, spread, floor)
    # Hysteresis: components are traced down to a lower cut, so faint joints and thin pieces stay
    # attached to the digit, but only components that reach the threshold somewhere count.
    mask = candidates & (y > max(floor, LOW_CUT * threshold))
    found = digit_components(mask, y, threshold)
    if found is None:
        raise DataError(NOTHING_MESSAGE)
    digit, (top, bottom, left, right) = found

    # The strokes' anti-aliased rim lies below the threshold: take one more pixel around the
    # digit's own pixels (not a ruled line's), with its grey level. In a photo, ink from half the
    # threshold up to 80% of the typical ink contrast maps to 0..255, so stroke cores that blur and
    # noise dimmed unevenly come out solid, as in MNIST.
    t0, b0 = max(0, top - 1), min(y.shape[0], bottom + 1)
    l0, r0 = max(0, left - 1), min(y.shape[1], right + 1)
    kept_crop = np.zeros((b0 - t0, r0 - l0), dtype=bool)
    kept_crop[top - t0 : bottom - t0, left - l0 : right - l0] = digit
    rim = ndimage.binary_dilation(kept_crop, structure=EIGHT) & ~(lines[t0:b0, l0:r0] & ~kept_crop)
    if spread < FLAT:
        low, high = floor, core  # a drawing on a flat background: keep its own grey levels
    else:
        low, high = 0.5 * threshold, max(0.8 * core, threshold + 1e-3)
    ink = np.clip((y[t0:b0, l0:r0] - low) / (high - low), 0.0, 1.0) * rim

    size = max(bottom - top, right - left)
    stroke = stroke_width(digit) / size
    if stroke < THIN_STROKE - 1.0 / size:  # a pixel's leeway: small digits' widths are coarse
        ink = thicken(ink, stroke)
    image = mnist_style(np.rint(ink * 255.0).astype(np.uint8))

    width, height = full_size
    box = (
        int(np.floor(left * factor[0])),
        int(np.floor(top * factor[1])),
        min(width, int(np.ceil(right * factor[0]))),
        min(height, int(np.ceil(bottom * factor[1]))),
    )
    return DigitCrop(image, box, dark_on_light, float(core), float(stroke))


def _load(picture: Any) -> tuple[Image.Image, tuple[int, int]]:
    """A PIL image in mode 'L' or 'RGB' (transparency painted onto white) and its (width, height).

    Canvas drawings arrive as RGBA with a transparent background; painted onto white they are
    dark strokes on light paper, as the user saw them.
    """
    if isinstance(picture, Image.Image):
        img = picture
    else:
        arr = np.asarray(picture)
        if arr.dtype != np.uint8:
            arr = np.clip(np.nan_to_num(arr.astype(np.float64)), 0, 255).astype(np.uint8)
        if arr.ndim == 3 and arr.shape[-1] == 4:
            rgb = arr[..., :3].astype(np.float32)
            alpha = arr[..., 3:4].astype(np.float32) / 255.0
            arr = (rgb * alpha + 255.0 * (1 - alpha)).astype(np.uint8)
        arr = arr.squeeze() if arr.size else arr
        if arr.size == 0:
            raise DataError("The picture is empty.")
        if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] == 3)):
            raise DataError(f"This is not a picture: an array of shape {arr.shape}.")
        img = Image.fromarray(arr)
    if img.width == 0 or img.height == 0:
        raise DataError("The picture is empty.")
    if img.mode in ("RGBA", "LA", "P", "PA", "La", "RGBa"):
        img = Image.alpha_composite(Image.new("RGBA", img.size, (255, 255, 255, 255)), img.convert("RGBA"))
    if img.mode not in ("L", "RGB"):
        img = img.convert("RGB" if len(img.getbands()) >= 3 else "L")
    return img, img.size


def _shrink(img: Image.Image) -> tuple[Image.Image, tuple[float, float]]:
    """The working copy (longer side at most WORK_SIDE) and the factors back to original pixels."""
    longest = max(img.size)
    if longest <= WORK_SIDE:
        return img, (1.0, 1.0)
    step = -(-longest // WORK_SIDE)  # ceil
    small = img.reduce(step)  # box average: cheap, and it averages camera noise away
    return small, (img.width / small.width, img.height / small.height)


def _dark_on_light(grey: Image.Image) -> bool:
    """True when the ink is darker than its surroundings (pen on paper), False for light strokes on dark.

    Ink is the sparse part that stands out from the local background; paper, lighting and grain
    spread both ways. So compare how much stands far below the local background with how much
    stands far above it. The local background is the median of each block of an 8x8 grid, then the
    median of 5x5 neighbouring blocks: it follows a shadow across the page (which the border's or
    the whole picture's median cannot), yet is not fooled by a thick digit that fills a few blocks.
    """
    step = max(1, max(grey.size) // 128)  # the decision needs little detail: ~128 pixels across is plenty
    g = np.asarray(grey.reduce(step) if step > 1 else grey, dtype=np.float32)
    h, w = g.shape
    n = 8 if min(h, w) >= 16 else 1
    bh, bw = -(-h // n), -(-w // n)
    padded = np.pad(g, ((0, bh * n - h), (0, bw * n - w)), mode="edge")
    blocks = padded.reshape(n, bh, n, bw).transpose(0, 2, 1, 3).reshape(n, n, -1)
    middle = blocks.shape[2] // 2
    medians = np.partition(blocks, middle, axis=2)[:, :, middle]
    grid = ndimage.median_filter(medians, size=5, mode="nearest")
    local = np.asarray(Image.fromarray(grid).resize((bw * n, bh * n), Image.Resampling.BILINEAR))[:h, :w]
    residual = g - local
    cut = 3.0 * median(np.abs(residual).ravel()) + 8.0
    darker = float(np.clip(-residual - cut, 0, None).sum())
    lighter = float(np.clip(residual - cut, 0, None).sum())
    if darker == lighter:  # nothing stands out (blank): judge by brightness, as before
        return median(g.ravel()) > 127
    return darker > lighter


def _inkness(work: Image.Image, grey: Image.Image, dark_on_light: bool) -> np.ndarray:
    """uint8 image where ink is bright and paper dark.

    For colour pictures the channel that shows the ink best is used: the darkest channel for dark
    ink (blue ink is dark in red, while white or cream paper is light in every channel), the
    lightest for light strokes.
    """
    if work.mode == "RGB":
        rgb = np.asarray(work)
        pick = np.minimum if dark_on_light else np.maximum  # (faster than a reduction over the colour axis)
        channel = pick(pick(rgb[..., 0], rgb[..., 1]), rgb[..., 2])
    else:
        channel = np.asarray(grey)
    return 255 - channel if dark_on_light else channel


def _contrast(x: np.ndarray) -> np.ndarray:
    """Ink contrast against the local paper, 0..1: lighting gradients and shadows divide out.

    The paper level is the minimum of each block of about a twentieth of the picture (any block
    that touches paper sees it), taken after a 2x2 average so single noisy pixels do not drag it
    down; a 3x3-block opening then removes blocks lying wholly inside a thick stroke, and the grid
    is smoothed and stretched back to full size. Dividing by the paper's brightness (rather than
    subtracting) makes ink in a shadow as strong as ink in the light: both are lit by the same,
    dimmer light.
    """
    h, w = x.shape
    sub = max(2, max(h, w) // 40)  # block side in half-size pixels
    half = np.asarray(Image.fromarray(x).reduce(2)) if min(h, w) >= 2 else x
    hh, hw = half.shape
    gh, gw = -(-hh // sub), -(-hw // sub)
    if (gh * sub, gw * sub) != (hh, hw):
        half = np.pad(half, ((0, gh * sub - hh), (0, gw * sub - hw)), mode="edge")
    # Block minimum by strided slices, one axis at a time (much faster than a reduction over blocks).
    cols = half[:, 0::sub].copy()
    for k in range(1, sub):
        np.minimum(cols, half[:, k::sub], out=cols)
    grid = cols[0::sub].copy()
    for k in range(1, sub):
        np.minimum(grid, cols[k::sub], out=grid)
    grid = ndimage.grey_opening(grid, size=(3, 3), mode="nearest")
    grid = ndimage.uniform_filter(grid.astype(np.float32), size=3, mode="nearest")
    # Block centres sit at the middle of each block; stretching the grid over the blocks' full
    # extent keeps them aligned, and the part beyond the picture is cut off.
    block = 2 * sub
    paper = np.asarray(Image.fromarray(grid).resize((gw * block, gh * block), Image.Resampling.BILINEAR))[:h, :w]
    y = np.subtract(x, paper, dtype=np.float32)
    y /= np.maximum(255.0 - paper, 24.0)  # the paper's brightness (very dark paper: noise would grow)
    return np.clip(y, 0.0, 1.0, out=y)
