"""Benchmark · digit photos a model reads right: the old border-median preparation vs ``locate_digit``.

The app's default digit model (template ``small_cnn``, default settings) is trained on the first
6,000 digits of ``../shared/data/mnist_8k.npz`` as they are (clean MNIST). The held-out digits are
then rendered three ways and passed through the preparation exactly as the Predict page does:

* clean: the 28x28 digit as is, enlarged to 280x280 like an upload;
* canvas: the digit redrawn with a 12-24 px round pen (the Predict page's is 18 px) on a 280x280
  canvas, 100-250 px tall at a random place; half white on black, half black on a transparent
  RGBA canvas (what the Predict page's canvas sends);
* photo: pen on paper in a 600-1000 px frame: paper not pure white, a lighting gradient and a soft
  shadow (one side noticeably darker), paper grain, camera noise, blur, blue or black ink, ruled
  lines on half of them, the digit 12-45% of the frame's short side at a random place, written
  with a pen 4-18% of the digit's size wide, JPEG at quality 35-90. Seeded: every run renders the
  same photos.

The digits as they are (28x28, no enlarging) are also passed through both preparations, so a
regression on MNIST-sized uploads would show.

Printed per set and per method: accuracy, points below clean, pictures where no digit was found
(counted wrong) and the preparation time per digit (decoding the JPEG is not timed).
Goals: photos within 2 points of clean, canvas within 1 point, under 5 ms per digit.
It also saves a contact sheet of the first 8 photos with the detected box (red; the true ink box
green) and the 28x28 the model sees, in ``benchmarks/output/``.

    .venv/bin/python benchmarks/bench_digit_photos.py                 # 6,000 train, 2,000 test, 15 epochs
    .venv/bin/python benchmarks/bench_digit_photos.py --limit 300 --epochs 3   # a quick look
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from common import MNIST_8K, ROOT, require_shared_data
from PIL import Image, ImageDraw

OUTPUT = ROOT / "benchmarks" / "output"
SEED = 13
TRAIN_ROWS = 6000


def legacy_prepare_digit(image: Any) -> np.ndarray:
    """The first version of ``modeling.predict.prepare_digit`` (background = the border's median), kept to compare."""
    from modeling.data.images import mnist_style
    from modeling.errors import DataError

    if isinstance(image, Image.Image):
        img = image
    else:
        arr = np.asarray(image)
        if arr.ndim == 3 and arr.shape[-1] == 4:
            # Canvas drawings are RGBA with a transparent background: paint them on white.
            rgb = arr[..., :3].astype("float32")
            alpha = arr[..., 3:4].astype("float32") / 255.0
            arr = (rgb * alpha + 255.0 * (1 - alpha)).astype("uint8")
        img = Image.fromarray(arr.squeeze().astype("uint8"))
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", img.size, (255, 255, 255, 255)), img)
    grey = np.asarray(img.convert("L"), dtype="float32")
    if grey.size == 0:
        raise DataError("The picture is empty.")
    # The border tells the background: a light border means dark ink on paper, so invert.
    background = float(np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])))
    if background > 127:
        grey, background = 255.0 - grey, 255.0 - background
    ink = np.clip(grey - background, 0, None)
    if ink.max() < 30:
        raise DataError("No digit found: the picture looks blank. Draw or upload a clearer digit.")
    ink = ink / ink.max() * 255.0
    ink[ink < 0.15 * 255] = 0  # paper texture and JPEG noise are not ink
    return mnist_style(ink.astype("uint8"))


# ---- rendering ------------------------------------------------------------------------------


def _centre_line(mask: np.ndarray) -> np.ndarray:
    """One-pixel-wide centre line of a shape (Zhang-Suen thinning, vectorised): stays connected."""
    img = np.pad(mask, 1).astype(np.uint8)
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            p = img
            # Neighbours P2..P9 clockwise from north, as in Zhang & Suen (1984).
            n = [p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:], p[2:, 2:], p[2:, 1:-1], p[2:, :-2], p[1:-1, :-2], p[:-2, :-2]]
            count = sum(v.astype(np.int16) for v in n)
            turns = sum(((n[k] == 0) & (n[(k + 1) % 8] == 1)).astype(np.int16) for k in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            triples = ((p2, p4, p6), (p4, p6, p8)) if step == 0 else ((p2, p4, p8), (p2, p6, p8))
            side = (np.prod(triples[0], axis=0) == 0) & (np.prod(triples[1], axis=0) == 0)
            delete = (p[1:-1, 1:-1] == 1) & (count >= 2) & (count <= 6) & (turns == 1) & side
            if delete.any():
                img[1:-1, 1:-1][delete] = 0
                changed = True
    return img[1:-1, 1:-1].astype(bool)


def _glyph(digit: np.ndarray, longest: int, pen_width: float) -> np.ndarray:
    """The digit redrawn with a round pen: a 0..1 ink mask, ``longest`` pixels on its longer side.

    The MNIST digit's centre line is drawn again with a pen ``pen_width`` times the digit's size
    wide, so photos get the even strokes of a real pen at any width, from a fine ballpoint (0.04)
    to a marker (0.18), not MNIST's blur enlarged.
    """
    from scipy import ndimage

    rows = np.flatnonzero(digit.max(axis=1) > 0)
    cols = np.flatnonzero(digit.max(axis=0) > 0)
    crop = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    design = 120  # drawn at this size, then resized: a pen's edge stays smooth at any size
    scale = design / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    big = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BICUBIC), dtype=np.float32) / 255.0
    centre = _centre_line(np.pad(big > 0.3, 30))
    radius = pen_width * design / 2
    pen = np.clip(radius + 0.5 - ndimage.distance_transform_edt(~centre), 0.0, 1.0).astype(np.float32)
    rows = np.flatnonzero(pen.max(axis=1) > 0)
    cols = np.flatnonzero(pen.max(axis=0) > 0)
    pen = pen[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = longest / max(pen.shape)
    size = (max(1, round(pen.shape[1] * scale)), max(1, round(pen.shape[0] * scale)))
    pen = np.asarray(Image.fromarray(pen).resize(size, Image.Resampling.BILINEAR))
    return np.clip((pen - 0.5) * 2.0 + 0.5, 0.0, 1.0)


def render_clean(digit: np.ndarray) -> Image.Image:
    """The MNIST digit as an upload: white on black, enlarged to 280x280."""
    return Image.fromarray(digit).resize((280, 280), Image.Resampling.BILINEAR)


def render_canvas(digit: np.ndarray, rng: np.random.Generator, rgba: bool) -> Any:
    """A drawing on a 280x280 canvas: random size and place, strokes a little thicker than MNIST's."""
    longest = int(rng.integers(100, 251))
    pen = _glyph(digit, longest, float(rng.uniform(12, 24)) / longest)  # the Predict page's pen is 18 px
    h, w = pen.shape
    top, left = int(rng.integers(0, 281 - h)), int(rng.integers(0, 281 - w))
    field = np.zeros((280, 280), dtype=np.float32)
    field[top : top + h, left : left + w] = pen
    strokes = np.rint(field * 255).astype(np.uint8)
    if not rgba:
        return Image.fromarray(strokes)  # white strokes on black
    out = np.zeros((280, 280, 4), dtype=np.uint8)  # black strokes on a transparent canvas
    out[..., 3] = strokes
    return out


def render_photo(digit: np.ndarray, rng: np.random.Generator) -> tuple[bytes, tuple[int, int, int, int]]:
    """A phone photo (JPEG bytes) of the digit written on paper, and the true box (left, top, right, bottom) of its ink.

    Kept as JPEG bytes: 2,000 decoded photos would take gigabytes.
    """
    longest_side = int(rng.integers(600, 1001))
    aspect = float(rng.choice([0.75, 1.0, 4 / 3]))
    if aspect >= 1:
        width, height = longest_side, round(longest_side / aspect)
    else:
        width, height = round(longest_side * aspect), longest_side
    pen = _glyph(digit, int(rng.uniform(0.12, 0.45) * min(width, height)), float(rng.uniform(0.04, 0.18)))
    gh, gw = pen.shape
    margin = int(0.04 * min(width, height))
    top = int(rng.integers(margin, height - gh - margin + 1))
    left = int(rng.integers(margin, width - gw - margin + 1))
    alpha = np.zeros((height, width), dtype=np.float32)
    alpha[top : top + gh, left : left + gw] = pen * float(rng.uniform(0.8, 1.0))
    rows, cols = np.flatnonzero(alpha.max(axis=1) > 0.5), np.flatnonzero(alpha.max(axis=0) > 0.5)
    box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)

    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    paper = float(rng.uniform(175, 235)) * np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.86, 0.98)])
    surface = np.empty((height, width, 3), dtype=np.float32)
    surface[:] = paper
    if rng.random() < 0.5:  # ruled lines, light blue or grey, slightly tilted
        spacing = float(rng.uniform(0.05, 0.09) * height)
        thick = float(rng.uniform(1.0, 3.0))
        tilt = np.tan(np.radians(rng.uniform(-1.0, 1.0)))
        offset = (yy - xx * tilt - rng.uniform(0, spacing)) % spacing
        line = (offset < thick).astype(np.float32)[..., None]
        tone = np.array([0.70, 0.80, 0.95]) if rng.random() < 0.7 else np.array([0.72, 0.72, 0.72])
        surface *= 1.0 - line * (1.0 - tone * rng.uniform(0.9, 1.05))
    ink = np.array([0.12, 0.16, 0.55]) if rng.random() < 0.5 else np.array([0.08, 0.08, 0.10])
    ink = ink * float(rng.uniform(0.7, 1.4)) * 255.0
    surface = surface * (1.0 - alpha[..., None]) + ink * alpha[..., None]

    # Light: a gradient across the page and a soft shadow over one side.
    angle = rng.uniform(0, 2 * np.pi)
    ramp = xx * np.cos(angle) + yy * np.sin(angle)
    ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
    light = 1.0 - float(rng.uniform(0.25, 0.45)) * ramp
    angle = rng.uniform(0, 2 * np.pi)
    side = xx * np.cos(angle) + yy * np.sin(angle)
    edge = float(rng.uniform(0.55, 0.85)) * side.max() + float(rng.uniform(0.15, 0.45)) * side.min()
    soft = float(rng.uniform(0.04, 0.15)) * min(width, height)
    light *= 1.0 - float(rng.uniform(0.2, 0.4)) / (1.0 + np.exp(-(side - edge) / soft))
    # Paper grain: smooth low-amplitude noise at a few pixels' scale.
    grain = rng.normal(0, 1, (height // 3 + 1, width // 3 + 1)).astype(np.float32)
    grain = np.asarray(Image.fromarray(grain).resize((width, height), Image.Resampling.BILINEAR))
    photo = surface * light[..., None] + float(rng.uniform(2, 6)) * grain[..., None]
    photo = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8))
    from PIL import ImageFilter

    photo = photo.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 1.5))))
    noisy = np.asarray(photo, dtype=np.float32) + rng.normal(0, rng.uniform(2, 6), (height, width, 3))
    photo = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    jpeg = io.BytesIO()
    photo.save(jpeg, "JPEG", quality=int(rng.integers(35, 91)))
    return jpeg.getvalue(), box


# ---- measuring ------------------------------------------------------------------------------


def _train(epochs: int | None):
    """The default digit model (small_cnn, default settings) trained on the first 6,000 clean digits."""
    from modeling.config import default_config
    from modeling.data.sources import load_source
    from modeling.data.split import train_validation_split
    from modeling.templates import build_model
    from modeling.training.fit import train_model

    data = load_source(str(MNIST_8K))
    cfg = default_config(data.task, "benchmark")
    if epochs:
        cfg = cfg.model_copy(update={"settings": cfg.settings.model_copy(update={"epochs": epochs})})
    rest = data.subset(np.arange(TRAIN_ROWS))
    train_idx, val_idx = train_validation_split(rest.labels, cfg.settings.validation_share, cfg.settings.seed)
    train, validation = rest.subset(train_idx), rest.subset(val_idx)
    import keras

    keras.utils.set_random_seed(cfg.settings.seed)
    model = build_model(cfg, train)
    start = time.perf_counter()
    train_model(model, train, validation, cfg.settings)
    return model, cfg, data, time.perf_counter() - start


def _open(item: Any) -> Any:
    """A picture as the Predict page gets it: JPEG bytes decoded to a PIL image, anything else as is."""
    if isinstance(item, bytes):
        img = Image.open(io.BytesIO(item))
        img.load()
        return img
    return item


def _prepare_all(items: list[Any], prepare: Callable[[Any], np.ndarray]) -> tuple[np.ndarray, np.ndarray, float]:
    """Prepared 28x28 inputs, which ones failed (DataError: counted wrong), and mean ms per picture.

    Only the preparation is timed, not the JPEG decoding.
    """
    from modeling.errors import DataError

    out = np.zeros((len(items), 28, 28), dtype=np.uint8)
    failed = np.zeros(len(items), dtype=bool)
    seconds = 0.0
    for i, item in enumerate(items):
        picture = _open(item)
        start = time.perf_counter()
        try:
            out[i] = prepare(picture)
        except DataError:
            failed[i] = True
        seconds += time.perf_counter() - start
    return out, failed, seconds * 1000 / max(1, len(items))


def _accuracy(model, images: np.ndarray, failed: np.ndarray, labels: np.ndarray) -> float:
    from modeling.templates.inference import predict_probabilities

    probs = predict_probabilities(model, images[..., None].astype("float32"))
    right = (probs.argmax(axis=1) == labels) & ~failed
    return float(right.mean())


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def _contact_sheet(photos: list[bytes], boxes: list[tuple[int, int, int, int]], path: Path) -> None:
    """Each photo shrunk to 240 px with the true box (green) and the detected one (red), and what the model sees."""
    from modeling.data.digits import locate_digit
    from modeling.errors import DataError

    tiles = []
    for item, true_box in zip(photos, boxes, strict=True):
        photo = _open(item)
        scale = 240 / max(photo.size)
        thumb = photo.convert("RGB").resize((round(photo.width * scale), round(photo.height * scale)))
        draw = ImageDraw.Draw(thumb)
        draw.rectangle([round(v * scale) for v in true_box], outline=(0, 200, 0), width=2)
        try:
            found = locate_digit(photo)
            draw.rectangle([round(v * scale) for v in found.box], outline=(230, 0, 0), width=2)
            seen = Image.fromarray(found.image).resize((112, 112), Image.Resampling.NEAREST).convert("RGB")
        except DataError:
            seen = Image.new("RGB", (112, 112), (90, 0, 0))
        tile = Image.new("RGB", (240 + 8 + 112, 240), (255, 255, 255))
        tile.paste(thumb, (0, 0))
        tile.paste(seen, (248, 64))
        tiles.append(tile)
    columns = 2
    rows = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (columns * 368, rows * 248), (255, 255, 255))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % columns) * 368, (i // columns) * 248))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=2000, help="held-out digits to render (at most 2,000)")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default: the template's 15)")
    args = parser.parse_args()
    require_shared_data()

    from modeling.data.digits import locate_digit, prepare_digit

    model, cfg, data, train_s = _train(args.epochs)
    held = np.arange(TRAIN_ROWS, min(len(data), TRAIN_ROWS + max(1, args.limit)))
    digits = data.images[held, :, :, 0]
    labels = data.labels[held]
    print(
        f"Model: {cfg.template}, {cfg.settings.epochs} epochs, trained on {TRAIN_ROWS:,} clean digits in "
        f"{train_s:.0f} s; evaluated on {len(held):,} held-out digits (mnist_8k rows {held[0]}-{held[-1]})."
    )

    rng = np.random.default_rng(SEED)
    sets: dict[str, list[Any]] = {"clean": [], "canvas": [], "photo": []}
    photo_boxes: list[tuple[int, int, int, int]] = []
    start = time.perf_counter()
    for i, digit in enumerate(digits):
        sets["clean"].append(render_clean(digit))
        sets["canvas"].append(render_canvas(digit, rng, rgba=bool(i % 2)))
        photo, box = render_photo(digit, rng)
        sets["photo"].append(photo)
        photo_boxes.append(box)
    sets["28x28 as is"] = list(digits)
    print(f"Rendered {len(held):,} digits three ways in {time.perf_counter() - start:.0f} s (seed {SEED}).")
    unprepared = _accuracy(model, digits, np.zeros(len(digits), dtype=bool), labels)
    print(f"The model on the held-out digits as they are, without any preparation: {unprepared:.2%}.\n")

    methods = {"old (border median)": legacy_prepare_digit, "new (locate_digit)": prepare_digit}
    results: dict[tuple[str, str], tuple[float, float]] = {}
    print("| method | set | accuracy | points below clean | no digit found | prepare, ms per digit |")
    print("|---|---|---|---|---|---|")
    for name, prepare in methods.items():
        for set_name, pictures in sets.items():
            images, failed, ms = _prepare_all(pictures, prepare)
            acc = _accuracy(model, images, failed, labels)
            results[name, set_name] = acc, ms
            gap = (results[name, "clean"][0] - acc) * 100
            print(f"| {name} | {set_name} | {acc:.2%} | {gap:+.2f} | {failed.sum()} | {ms:.2f} |", flush=True)

    from modeling.errors import DataError

    ious = []
    for photo, box in zip(sets["photo"], photo_boxes, strict=True):
        try:
            ious.append(_iou(locate_digit(_open(photo)).box, box))
        except DataError:
            ious.append(0.0)
    ious_arr = np.array(ious)
    print(
        f"\nPhoto boxes (new): median IoU with the true ink box {np.median(ious_arr):.2f}; "
        f"IoU > 0.5 for {(ious_arr > 0.5).mean():.1%} of the photos."
    )
    new = "new (locate_digit)"
    clean = results[new, "clean"][0]
    photo_gap = (clean - results[new, "photo"][0]) * 100
    canvas_gap = (clean - results[new, "canvas"][0]) * 100
    slowest = max(ms for (name, _), (_, ms) in results.items() if name == new)
    print(
        f"Goals (new): photo within 2 points of clean: {photo_gap:.2f} ({'met' if photo_gap <= 2 else 'NOT met'}); "
        f"canvas within 1 point: {canvas_gap:.2f} ({'met' if canvas_gap <= 1 else 'NOT met'}); "
        f"under 5 ms per digit: {slowest:.2f} ms at most ({'met' if slowest < 5 else 'NOT met'})."
    )
    sheet = OUTPUT / "digit_photos_contact_sheet.png"
    _contact_sheet(sets["photo"][:8], photo_boxes[:8], sheet)
    print(f"Contact sheet: {sheet.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
