"""A ZIP of pictures with one folder per class -> an image Dataset.

Every member is checked before it is decoded (pixel count, size); junk files (``__MACOSX``, thumbnails)
are skipped with a count; pictures are converted to one common size and colour mode.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from modeling import format as fmt
from modeling.data.dataset import Dataset, encode_labels
from modeling.data.readers.columns import check_classes
from modeling.data.readers.formats import IMAGE_EXTENSIONS, LAYOUT_EXAMPLE
from modeling.data.readers.limits import LIMITS, MB, check_upload_size
from modeling.data.readers.safe_zip import check_ratio, check_zip_members, is_junk, open_zip, read_member, safe_parts
from modeling.errors import DataError

_PIL_FORMATS = ["PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF"]


def read_image_zip(data: bytes, filename: str, image_size: int = 28) -> Dataset:
    """Images in class folders (``cats/x.png`` or ``root/cats/x.png``) -> uint8 (N, size, size, C) Dataset.

    Members are read one by one from memory (never extracted), with declared and actual sizes,
    the compression ratio and the pixel count checked before any image is decoded. Images are
    grey (C=1) when every image is grey, otherwise RGB (C=3), resized to image_size x image_size.
    """
    check_upload_size(data, filename)
    if not 4 <= int(image_size) <= 512:
        raise DataError(f"The image size must be between 4 and 512 pixels; got {image_size}.")
    zf = open_zip(
        data, f"'{filename}' is not a valid ZIP archive; it may be damaged or only renamed. Create the ZIP again."
    )
    with zf:
        infos = zf.infolist()
        if len(infos) > LIMITS.max_zip_members:
            raise DataError(
                f"'{filename}' holds {fmt.count(len(infos))} files; the limit is {fmt.count(LIMITS.max_zip_members)}. "
                "Split it into smaller archives or use fewer images."
            )
        images: list[tuple[tuple[str, ...], zipfile.ZipInfo]] = []
        junk = 0
        for info in infos:
            parts = safe_parts(info.filename, filename)
            if not parts or info.is_dir():
                continue
            check_ratio(info, filename)
            if is_junk(parts):
                continue
            if PurePosixPath(parts[-1]).suffix.lower() in IMAGE_EXTENSIONS:
                images.append((parts, info))
            else:
                junk += 1
        check_zip_members(zf, filename, [info for _, info in images], ratio_check=False)
        if not images:
            raise DataError(
                f"'{filename}' contains no PNG or JPEG images. Put the images of each class in its own folder, "
                f"for example {LAYOUT_EXAMPLE}"
            )
        if len(images) > LIMITS.max_images:
            raise DataError(
                f"'{filename}' holds {fmt.count(len(images))} images; the limit is {fmt.count(LIMITS.max_images)}. "
                "Upload a smaller sample."
            )
        classes, loose = _assign_classes([parts for parts, _ in images], filename)
        notes: list[str] = []
        if junk:
            notes.append(
                f"{fmt.plural(junk, 'file')} that {fmt.is_are(junk)} not an image {fmt.was_were(junk)} skipped."
            )
        if loose:
            notes.append(f"{fmt.plural(loose, 'image')} outside any class folder {fmt.was_were(loose)} skipped.")
        pixels, greys, label_values, unreadable = _decode_members(zf, images, classes, filename, image_size)
    if unreadable:
        notes.append(
            f"{fmt.plural(unreadable, 'image')} could not be read (damaged or truncated) and "
            f"{fmt.was_were(unreadable)} skipped."
        )
    if not pixels:
        raise DataError(
            f"None of the {fmt.count(len(images))} images in '{filename}' could be read; they may be damaged. "
            "Check that they open in an image viewer and create the ZIP again."
        )
    stacked = np.stack(pixels)
    stacked = stacked[..., :1] if all(greys) else stacked
    labels = np.asarray(label_values, dtype=str)
    check_classes(labels, f"'{filename}'", len(labels), advice="Put readable images of each class in its own folder.")
    encoded, class_names = encode_labels(labels)
    return Dataset(
        kind="image",
        name=PurePosixPath(filename).stem or filename,
        labels=encoded,
        class_names=class_names,
        images=stacked,
        source=filename,
        notes=notes,
    )


def _assign_classes(paths: list[tuple[str, ...]], filename: str) -> tuple[list[str | None], int]:
    """Class = first folder below the folders every image shares; images sitting in that root are 'loose'."""
    dirs = [p[:-1] for p in paths]
    root: tuple[str, ...] = dirs[0]
    for d in dirs[1:]:
        k = 0
        while k < min(len(root), len(d)) and root[k] == d[k]:
            k += 1
        root = root[:k]
    depth = len(root)
    classes: list[str | None] = [d[depth] if len(d) > depth else None for d in dirs]
    loose = sum(1 for c in classes if c is None)
    named = {c for c in classes if c is not None}
    if not named:
        if root:
            raise DataError(
                f"All images in '{filename}' are in the single folder '{root[-1]}'; a classifier needs one folder "
                f"per class and at least two classes, for example {LAYOUT_EXAMPLE}"
            )
        raise DataError(
            f"The images in '{filename}' are not in class folders. Put the images of each class in its own "
            f"folder named after the class, for example {LAYOUT_EXAMPLE}"
        )
    if len(named) < 2:
        raise DataError(
            f"'{filename}' has only one class folder ('{next(iter(named))}'); a classifier needs at least two. "
            f"Add a folder for each class, for example {LAYOUT_EXAMPLE}"
        )
    return classes, loose


def _decode_members(
    zf: zipfile.ZipFile,
    images: list[tuple[tuple[str, ...], zipfile.ZipInfo]],
    classes: list[str | None],
    filename: str,
    image_size: int,
) -> tuple[list[np.ndarray], list[bool], list[str], int]:
    from PIL import Image

    member_limit = LIMITS.max_upload_mb * MB
    unpacked_total = 0
    pixels: list[np.ndarray] = []
    greys: list[bool] = []
    labels: list[str] = []
    unreadable = 0
    old_max = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = LIMITS.max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
            for (parts, info), label in zip(images, classes, strict=True):
                if label is None:
                    continue
                raw = read_member(zf, info, member_limit, filename)
                if raw is None:
                    unreadable += 1
                    continue
                unpacked_total += len(raw)
                if unpacked_total > LIMITS.max_unzipped_mb * MB:
                    raise DataError(
                        f"'{filename}' unpacks to more than {fmt.count(LIMITS.max_unzipped_mb)} MB, the limit. "
                        "Use fewer or smaller images."
                    )
                decoded = _decode_image(raw, "/".join(parts), filename, image_size)
                if decoded is None:
                    unreadable += 1
                    continue
                array, grey = decoded
                pixels.append(array)
                greys.append(grey)
                labels.append(label)
    finally:
        Image.MAX_IMAGE_PIXELS = old_max
    return pixels, greys, labels, unreadable


def _decode_image(raw: bytes, member: str, filename: str, image_size: int) -> tuple[np.ndarray, bool] | None:
    """Decode one image to an (size, size, 3) uint8 array and whether it is grey; None if unreadable."""
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(raw), formats=_PIL_FORMATS)
    except Image.DecompressionBombError:
        raise _pixel_bomb(member, filename, None) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError):
        return None
    with img:
        width, height = img.size
        if width * height > LIMITS.max_image_pixels:
            raise _pixel_bomb(member, filename, (width, height))
        try:
            if img.format == "JPEG":
                img.draft("RGB", (image_size * 2, image_size * 2))
            img.load()
            rgb = _to_rgb(img)
            small = rgb.resize((image_size, image_size), Image.Resampling.LANCZOS)
            array = np.asarray(small, dtype=np.uint8)
        except Image.DecompressionBombError:
            raise _pixel_bomb(member, filename, (width, height)) from None
        except (OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError, MemoryError):
            return None
    grey = bool(np.array_equal(array[..., 0], array[..., 1]) and np.array_equal(array[..., 1], array[..., 2]))
    return array, grey


def _pixel_bomb(member: str, filename: str, size: tuple[int, int] | None) -> DataError:
    shown = f" ({size[0]:,} x {size[1]:,} pixels)" if size else ""
    return DataError(
        f"'{filename}' was refused: the image '{member}' is far too large{shown}; the limit is "
        f"{fmt.count(LIMITS.max_image_pixels)} pixels per image. Shrink the images before zipping them."
    )


def _to_rgb(img: Any) -> Any:
    """Any PIL mode -> RGB; transparency is flattened onto white, 16-bit and float images are rescaled."""
    from PIL import Image

    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        arr = np.asarray(img, dtype=np.float64)
        low, high = float(arr.min()), float(arr.max())
        scaled = np.zeros_like(arr) if high <= low else (arr - low) / (high - low) * 255.0
        return Image.fromarray(np.rint(scaled).astype(np.uint8)).convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")
