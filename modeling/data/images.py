"""Small image operations shared by the digit sample and the Predict page's drawing preparation.

MNIST digits were made this way (LeCun et al.): the ink's bounding box is scaled, keeping its
aspect ratio, to fit a 20x20 box, and that box is placed in a 28x28 field so that the centre of
mass of the ink sits at the centre. A model trained on such images only works well on new
drawings prepared the same way, so both the training sample and the Predict page use these
functions.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def _as_uint8_2d(img: np.ndarray) -> np.ndarray:
    """A 2-D uint8 copy of ``img`` (a trailing channel axis of 1 is dropped; floats are clipped to 0..255)."""
    arr = np.asarray(img)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = np.clip(np.rint(arr.astype(np.float64)), 0, 255).astype(np.uint8)
    return arr


def crop_to_ink(img: np.ndarray, threshold: int = 0) -> np.ndarray:
    """The smallest rectangle holding every pixel brighter than ``threshold`` (white ink on black).

    An image with no ink is returned unchanged, so callers can decide what an empty drawing means.
    """
    arr = _as_uint8_2d(img)
    rows = np.flatnonzero((arr > threshold).any(axis=1))
    cols = np.flatnonzero((arr > threshold).any(axis=0))
    if rows.size == 0:
        return arr.copy()
    return arr[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].copy()


def fit_into_box(img: np.ndarray, box: int = 20) -> np.ndarray:
    """Scale ``img`` so its longer side is ``box`` pixels, keeping the aspect ratio, centred in a box x box square.

    Upscaling uses bilinear interpolation (smooth strokes, no ringing); downscaling uses Lanczos
    (keeps thin strokes visible). The padding is black (0), as the background in MNIST.
    """
    arr = _as_uint8_2d(img)
    h, w = arr.shape
    if h == 0 or w == 0:
        return np.zeros((box, box), dtype=np.uint8)
    scale = box / max(h, w)
    new_h = max(1, min(box, round(h * scale)))
    new_w = max(1, min(box, round(w * scale)))
    method = Image.Resampling.BILINEAR if scale >= 1 else Image.Resampling.LANCZOS
    resized = np.asarray(Image.fromarray(arr).resize((new_w, new_h), method), dtype=np.uint8)
    out = np.zeros((box, box), dtype=np.uint8)
    top = (box - new_h) // 2
    left = (box - new_w) // 2
    out[top : top + new_h, left : left + new_w] = resized
    return out


def center_by_mass(img28: np.ndarray) -> np.ndarray:
    """Shift the image so the centre of mass of its ink sits at the centre of the field.

    The shift is the rounded offset between the mass centre and the field centre ((H-1)/2, (W-1)/2,
    i.e. 13.5 for 28 pixels), limited so that no ink is pushed off the edge. An empty image is
    returned unchanged.
    """
    arr = _as_uint8_2d(img28)
    h, w = arr.shape
    mass = arr.astype(np.float64)
    total = mass.sum()
    if total <= 0:
        return arr.copy()
    cy = float((mass.sum(axis=1) * np.arange(h)).sum() / total)
    cx = float((mass.sum(axis=0) * np.arange(w)).sum() / total)
    dy = round((h - 1) / 2 - cy)
    dx = round((w - 1) / 2 - cx)
    rows = np.flatnonzero(arr.any(axis=1))
    cols = np.flatnonzero(arr.any(axis=0))
    # Keep the ink's bounding box inside the field.
    dy = int(np.clip(dy, -rows[0], h - 1 - rows[-1]))
    dx = int(np.clip(dx, -cols[0], w - 1 - cols[-1]))
    out = np.zeros_like(arr)
    src_y0, src_y1 = max(0, -dy), min(h, h - dy)
    src_x0, src_x1 = max(0, -dx), min(w, w - dx)
    out[src_y0 + dy : src_y1 + dy, src_x0 + dx : src_x1 + dx] = arr[src_y0:src_y1, src_x0:src_x1]
    return out


def mnist_style(img: np.ndarray, box: int = 20, size: int = 28, threshold: int = 0) -> np.ndarray:
    """White-on-black grey digit -> MNIST-style ``size`` x ``size`` uint8: crop to ink, fit the box, centre by mass."""
    cropped = crop_to_ink(img, threshold=threshold)
    boxed = fit_into_box(cropped, box=box)
    field = np.zeros((size, size), dtype=np.uint8)
    offset = (size - box) // 2
    field[offset : offset + box, offset : offset + box] = boxed
    return center_by_mass(field)


def fit_to_model(picture, shape: tuple[int, ...]) -> np.ndarray:
    """Resize any picture to a (non-digit) image model's input: H x W x C uint8."""
    img = picture if isinstance(picture, Image.Image) else Image.fromarray(np.asarray(picture).squeeze())
    img = img.convert("L" if shape[-1] == 1 else "RGB").resize((shape[1], shape[0]), Image.Resampling.LANCZOS)
    arr = np.asarray(img, dtype="uint8")
    return arr[..., None] if arr.ndim == 2 else arr
