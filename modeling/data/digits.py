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

from modeling.data.images import mnist_style
from modeling.errors import DataError

#: Longer side of the working copy. A bigger picture is shrunk first (box average, which also
#: averages camera noise away); the box is reported in the original picture's pixels.
WORK_SIDE = 400

#: Stroke width relative to the digit's longer side, as this module measures it (2 x area /
#: perimeter of the thresholded ink): MNIST digits enlarged to 280x280 give a median of 0.11 and a
#: 5th percentile of 0.087. Strokes thinner than THIN_STROKE (a fine pen on a big digit) are grown
#: to MNIST_STROKE; a model trained on MNIST misreads hairline digits.
MNIST_STROKE = 0.11
THIN_STROKE = 0.085

#: Pieces of a broken digit (a pen that skipped, a faint joint) are taken together when they lie
#: within this share of the digit's size from it.
GROUP_GAP = 0.35

#: Components are traced down to this share of the threshold (hysteresis), never below the paper's
#: floor: a faint joint keeps a digit in one piece, while texture that never reaches the threshold
#: is not ink.
LOW_CUT = 0.4

#: Below this spread of the paper's contrast the background is flat (a canvas, a scan, MNIST itself):
#: such pictures keep their own grey levels instead of the photo's stretched ones.
FLAT = 0.005

BLANK_MESSAGE = "No digit found: the picture looks blank. Draw or upload a clearer digit."
NOTHING_MESSAGE = (
    "No digit found: the picture shows only lines, specks or paper texture. "
    "Write the digit larger and darker, or take the photo closer."
)

_EIGHT = np.ones((3, 3), dtype=bool)  # 8-connectivity: diagonal stroke pixels belong together


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
    level, spread = _paper_level(y)
    floor = level + max(5.0 * spread, 0.06)  # paper grain, noise and leftover shading stay below
    candidates = y > floor
    if np.count_nonzero(candidates) < 12:
        raise DataError(BLANK_MESSAGE)
    candidates, lines = _remove_ruled_lines(candidates, y)
    threshold, core = _threshold(y, candidates, level, spread, floor)
    # Hysteresis: components are traced down to a lower cut, so faint joints and thin pieces stay
    # attached to the digit, but only components that reach the threshold somewhere count.
    mask = candidates & (y > max(floor, LOW_CUT * threshold))
    found = _digit_components(mask, y, threshold)
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
    rim = ndimage.binary_dilation(kept_crop, structure=_EIGHT) & ~(lines[t0:b0, l0:r0] & ~kept_crop)
    if spread < FLAT:
        low, high = floor, core  # a drawing on a flat background: keep its own grey levels
    else:
        low, high = 0.5 * threshold, max(0.8 * core, threshold + 1e-3)
    ink = np.clip((y[t0:b0, l0:r0] - low) / (high - low), 0.0, 1.0) * rim

    size = max(bottom - top, right - left)
    stroke = _stroke_width(digit) / size
    if stroke < THIN_STROKE - 1.0 / size:  # a pixel's leeway: small digits' widths are coarse
        ink = _thicken(ink, stroke)
    image = mnist_style(np.rint(ink * 255.0).astype(np.uint8))

    width, height = full_size
    box = (
        int(np.floor(left * factor[0])),
        int(np.floor(top * factor[1])),
        min(width, int(np.ceil(right * factor[0]))),
        min(height, int(np.ceil(bottom * factor[1]))),
    )
    return DigitCrop(image, box, dark_on_light, float(core), float(stroke))


# ---- reading the picture --------------------------------------------------------------------


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
    cut = 3.0 * _median(np.abs(residual).ravel()) + 8.0
    darker = float(np.clip(-residual - cut, 0, None).sum())
    lighter = float(np.clip(residual - cut, 0, None).sum())
    if darker == lighter:  # nothing stands out (blank): judge by brightness, as before
        return _median(g.ravel()) > 127
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


def _paper_level(y: np.ndarray) -> tuple[float, float]:
    """The paper's contrast level and spread (median and MAD of a sample: the few ink pixels do not count)."""
    sample = y[::3, ::3].ravel()
    level = _median(sample)
    return level, 1.4826 * _median(np.abs(sample - level))


def _median(values: np.ndarray) -> float:
    """The median (upper middle value) by partial sorting: several times faster than ``np.median``."""
    middle = values.size // 2
    return float(np.partition(values, middle)[middle])


def _threshold(y: np.ndarray, candidates: np.ndarray, level: float, spread: float, floor: float) -> tuple[float, float]:
    """(threshold, typical ink contrast) for the contrast image; raises when nothing stands out.

    ``candidates`` are the pixels above the paper's floor, ruled lines already taken out (lines
    can outnumber a small digit's pixels and would pass for its ink). Otsu's method splits them
    into faint rim and ink; the cut is capped at 60% of the ink's typical contrast so faint
    strokes of a digit written with a strong pen still count.
    """
    above = y[candidates]
    if above.size < 12:
        raise DataError(NOTHING_MESSAGE)
    k = int(0.9 * (above.size - 1))
    core = float(np.partition(above, k)[k])
    if core - level < max(8.0 * spread, 0.12):
        raise DataError(BLANK_MESSAGE)
    return min(max(_otsu(above), floor), 0.6 * core), core


def _otsu(values: np.ndarray, bins: int = 64) -> float:
    """Otsu's threshold of ``values`` (0..1): the cut that best separates two groups."""
    counts = np.bincount(np.minimum((values * bins).astype(np.int64), bins - 1), minlength=bins)
    edges = np.linspace(0.0, 1.0, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(counts).astype(np.float64)
    total = weight[-1]
    mass = np.cumsum(counts * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_low = mass / weight
        mean_high = (mass[-1] - mass) / (total - weight)
        between = weight * (total - weight) * (mean_low - mean_high) ** 2
    between = np.nan_to_num(between[:-1])
    return float(edges[int(np.argmax(between)) + 1])


# ---- what is ink of the digit ---------------------------------------------------------------


def _remove_ruled_lines(mask: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mask without ruled lines (long thin horizontal lines), and the line pixels taken out.

    Line pieces are runs longer than a sixth of the frame, at most a few pixels thick. They are
    found with a 1-D opening on a copy pooled 4 to 1 along the rows (fast, and it bridges the small
    breaks noise leaves in a faint line) and widened by a row, so a slightly tilted line still forms
    long runs. Uneven light can still break a faint line into dashes, so pieces lying on one
    straight, nearly horizontal line are counted together: together at least half the frame wide,
    they are a ruled line. A digit's own bar is shorter, and on its own.
    Where the digit's strokes cross or sit on a line, they are given back: gaps as tall as the
    line are closed vertically, and pixels much darker than the line itself are ink.
    """
    h, w = mask.shape
    none = np.zeros_like(mask)
    pool = 4
    pw = -(-w // pool)
    padded = np.pad(mask, ((0, 0), (0, pw * pool - w))) if pw * pool != w else mask
    counts = padded[:, 0::pool].astype(np.uint8)  # ink pixels in each 4-pixel cell of a row
    for k in range(1, pool):
        counts += padded[:, k::pool]
    length = max(2, w // (6 * pool))
    band = ndimage.maximum_filter1d(counts, 3, axis=0)
    band = ndimage.maximum_filter1d(band, max(2, w // 160), axis=1)  # bridge breaks in a faint line
    runs = ndimage.maximum_filter1d(ndimage.minimum_filter1d(band, length, axis=1), length, axis=1)
    if not runs.any():
        return mask, none
    labels, count = ndimage.label(runs, structure=_EIGHT)
    ink = np.bincount(labels.ravel(), weights=counts.ravel(), minlength=count + 1)  # mask pixels per piece
    thin = max(1.0, 0.015 * h)  # relative, so a small picture's digit strokes are not taken for lines
    pieces = []  # (centre row, centre column, width, label) of each thin piece, in picture pixels
    for index, (rows, cols) in enumerate(ndimage.find_objects(labels), start=1):
        width = (cols.stop - cols.start) * pool
        if ink[index] / width <= thin:
            pieces.append(((rows.start + rows.stop) / 2, (cols.start + cols.stop) * pool / 2, width, index))
    pieces.sort()
    is_line = np.zeros(count + 1, dtype=bool)
    used: set[int] = set()
    for i, (row, col, width, index) in enumerate(pieces):
        if index in used:
            continue
        same = [index]
        total = width
        for other_row, other_col, other_width, other in pieces[i + 1 :]:
            if other_row - row > 3 + 0.03 * w:
                break  # sorted by row: no later piece can be on this line
            if other not in used and abs(other_row - row) <= 3 + 0.03 * abs(other_col - col):
                same.append(other)
                total += other_width
        if total >= 0.5 * w:
            is_line[same] = True
            used.update(same)
    if not is_line.any():
        return mask, none
    lines = np.repeat(is_line[labels], pool, axis=1)[:, :w] & mask
    rest = mask & ~lines
    # Strokes that crossed a line: close vertical gaps as tall as the line is thick.
    span = int(np.ceil(thin)) + 3
    closed = ndimage.minimum_filter1d(ndimage.maximum_filter1d(rest.view(np.uint8), span, axis=0), span, axis=0)
    rest |= closed.astype(bool) & lines
    # Strokes written along a line: much darker than the printed line.
    rest |= lines & (y > 1.8 * _median(y[lines]))
    return rest, lines & ~rest


def _digit_components(
    mask: np.ndarray, y: np.ndarray, threshold: float
) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """The digit's pixels: the strongest ink component plus the pieces close to it, or None.

    Returned as a mask of the digit's box and the box (top, bottom, left, right) in working pixels.
    Dropped: specks; components with no pixel above ``threshold`` (texture, not ink); components
    that run along the frame border (the page edge, a shadow's edge); long thin horizontal strays.
    Components spanning the frame from side to side and thin tall ones (a margin line, but also a
    tall '1' or a tightly cropped digit) are only taken when nothing else of substance is left.
    """
    h, w = mask.shape
    labels, count = ndimage.label(mask, structure=_EIGHT)
    if count == 0:
        return None
    boxes = ndimage.find_objects(labels)
    min_area = max(3.0, 2e-4 * h * w)
    areas: dict[int, int] = {}
    good: list[int] = []
    fallback: list[int] = []
    for index, (rows, cols) in enumerate(boxes, start=1):
        height, width = rows.stop - rows.start, cols.stop - cols.start
        if height * width < min_area:
            continue  # a speck (its box is already too small)
        own = labels[rows, cols] == index
        area = areas[index] = int(np.count_nonzero(own))
        if area < min_area or not (y[rows, cols][own] > threshold).any():
            continue
        contact = 0
        if rows.start == 0:
            contact += np.count_nonzero(own[0])
        if rows.stop == h:
            contact += np.count_nonzero(own[-1])
        if cols.start == 0:
            contact += np.count_nonzero(own[:, 0])
        if cols.stop == w:
            contact += np.count_nonzero(own[:, -1])
        if contact >= 0.25 * min(h, w):
            continue  # lies along the border: the page edge or a shadow, not a digit
        if width >= 0.4 * w and area / width <= max(1.5, 0.03 * h):
            continue  # a stray piece of ruled line
        spans = (rows.start == 0 and rows.stop == h) or (cols.start == 0 and cols.stop == w)
        thin_tall = height >= 0.6 * h and area / height <= max(1.5, 0.02 * w)
        (fallback if spans or thin_tall else good).append(index)
    if not good and not fallback:
        return None

    def mass(index: int) -> float:  # the component's ink, summed over its box only (cheap)
        where = boxes[index - 1]
        return float(y[where][labels[where] == index].sum())

    if fallback and good:
        # A digit cropped tightly (touching two opposite edges) must not lose to a speck.
        largest = max(areas[i] for i in fallback)
        good = [i for i in good if areas[i] >= 0.03 * largest]
    main = max(good or fallback, key=mass)
    rows, cols = boxes[main - 1]
    top, bottom, left, right = rows.start, rows.stop, cols.start, cols.stop
    group = [main]
    # Pieces of the same digit: not specks (a few percent of the main stroke's area at least) and
    # within GROUP_GAP of the digit's size of what is already taken; repeat while the box grows.
    pieces = [i for i in good if i != main and areas[i] >= 0.04 * areas[main]]
    grown = True
    while grown and pieces:
        grown = False
        gap = GROUP_GAP * max(bottom - top, right - left)
        for index in list(pieces):
            r, c = boxes[index - 1]
            if r.start <= bottom + gap and r.stop >= top - gap and c.start <= right + gap and c.stop >= left - gap:
                group.append(index)
                pieces.remove(index)
                top, bottom = min(top, r.start), max(bottom, r.stop)
                left, right = min(left, c.start), max(right, c.stop)
                grown = True
    return np.isin(labels[top:bottom, left:right], group), (top, bottom, left, right)


def _stroke_width(mask: np.ndarray) -> float:
    """Typical stroke width in pixels: 2 x area / perimeter (exact for a long stroke of any width)."""
    area = float(mask.sum())
    m = mask.view(np.uint8)
    perimeter = float(
        np.count_nonzero(np.diff(m, axis=0)) + np.count_nonzero(np.diff(m, axis=1)) + m[0].sum() + m[-1].sum()
    )
    perimeter += float(m[:, 0].sum() + m[:, -1].sum())
    return 2.0 * area / max(perimeter, 1.0)


def _thicken(ink: np.ndarray, stroke: float) -> np.ndarray:
    """Strokes much thinner than MNIST's (a fine pen on a big digit) grown to MNIST's width.

    The crop is first resized so the digit is 80 pixels (``mnist_style`` shrinks it to 20x20
    afterwards anyway), so the growth is a few whole pixels and cheap. Shrinking averages a thin
    stroke into a fainter one, so the strokes' contrast is stretched back before growing them.
    """
    h, w = ink.shape
    scale = 80.0 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    method = Image.Resampling.BILINEAR if scale >= 1 else Image.Resampling.BOX
    ink = np.asarray(Image.fromarray(ink.astype(np.float32)).resize(size, method))
    if scale < 1:
        strokes = ink[ink > 0.05]
        if strokes.size:
            ink = ink / max(float(np.percentile(strokes, 95)), 0.2)
    grow = round((MNIST_STROKE - stroke) * 80.0)
    if grow >= 1:
        ink = ndimage.grey_dilation(ink, footprint=_disk(grow))
    return np.clip(ink, 0.0, 1.0)


def _disk(grow: int) -> np.ndarray:
    """A round footprint that widens a stroke by ``grow`` pixels (a square would make corners blocky)."""
    radius = grow / 2.0
    size = grow + 1
    centre = (size - 1) / 2.0
    yy, xx = np.mgrid[:size, :size]
    return (yy - centre) ** 2 + (xx - centre) ** 2 <= (radius + 0.5) ** 2
