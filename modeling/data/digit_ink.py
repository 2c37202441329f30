"""From a contrast image of a page to the digit's ink: adaptive thresholds, ruled lines, components, stroke width.

The steps 4-6 of :func:`modeling.data.digits.locate_digit`, kept apart so each module reads in one sitting.
Only NumPy and ``scipy.ndimage``: a handful of array passes over a picture of at most 400x400 pixels.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from modeling.errors import DataError

BLANK_MESSAGE = "No digit found: the picture looks blank. Draw or upload a clearer digit."
NOTHING_MESSAGE = (
    "No digit found: the picture shows only lines, specks or paper texture. "
    "Write the digit larger and darker, or take the photo closer."
)

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


EIGHT = np.ones((3, 3), dtype=bool)  # 8-connectivity: diagonal stroke pixels belong together


def paper_level(y: np.ndarray) -> tuple[float, float]:
    """The paper's contrast level and spread (median and MAD of a sample: the few ink pixels do not count)."""
    sample = y[::3, ::3].ravel()
    level = median(sample)
    return level, 1.4826 * median(np.abs(sample - level))


def median(values: np.ndarray) -> float:
    """The median (upper middle value) by partial sorting: several times faster than ``np.median``."""
    middle = values.size // 2
    return float(np.partition(values, middle)[middle])


def ink_threshold(
    y: np.ndarray, candidates: np.ndarray, level: float, spread: float, floor: float
) -> tuple[float, float]:
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
    return min(max(otsu(above), floor), 0.6 * core), core


def otsu(values: np.ndarray, bins: int = 64) -> float:
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


def remove_ruled_lines(mask: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    labels, count = ndimage.label(runs, structure=EIGHT)
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
    rest |= lines & (y > 1.8 * median(y[lines]))
    return rest, lines & ~rest


def digit_components(
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
    labels, count = ndimage.label(mask, structure=EIGHT)
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


def stroke_width(mask: np.ndarray) -> float:
    """Typical stroke width in pixels: 2 x area / perimeter (exact for a long stroke of any width)."""
    area = float(mask.sum())
    m = mask.view(np.uint8)
    perimeter = float(
        np.count_nonzero(np.diff(m, axis=0)) + np.count_nonzero(np.diff(m, axis=1)) + m[0].sum() + m[-1].sum()
    )
    perimeter += float(m[:, 0].sum() + m[:, -1].sum())
    return 2.0 * area / max(perimeter, 1.0)


def thicken(ink: np.ndarray, stroke: float) -> np.ndarray:
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
        ink = ndimage.grey_dilation(ink, footprint=disk(grow))
    return np.clip(ink, 0.0, 1.0)


def disk(grow: int) -> np.ndarray:
    """A round footprint that widens a stroke by ``grow`` pixels (a square would make corners blocky)."""
    radius = grow / 2.0
    size = grow + 1
    centre = (size - 1) / 2.0
    yy, xx = np.mgrid[:size, :size]
    return (yy - centre) ** 2 + (xx - centre) ** 2 <= (radius + 0.5) ** 2
