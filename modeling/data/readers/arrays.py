"""NumPy ``.npz`` files (``images`` and ``labels``) -> an image Dataset, without ever unpickling."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

import numpy as np

from modeling import format as fmt
from modeling.data.dataset import Dataset, encode_labels
from modeling.data.readers.columns import check_classes
from modeling.data.readers.limits import LIMITS, MB, check_upload_size
from modeling.data.readers.safe_zip import MEMBER_ERRORS, check_zip_members, open_zip
from modeling.errors import DataError


def read_npz(data: bytes, filename: str) -> Dataset:
    """An image Dataset from an .npz holding ``images`` (N,H,W) or (N,H,W,C) and ``labels`` (N).

    Loaded with ``allow_pickle=False`` so a file can never run code. Float images in 0..1 are
    scaled to 0..255; other ranges are rescaled with a note.
    """
    check_upload_size(data, filename)
    message = (
        f"'{filename}' is not a valid .npz file. Save your arrays with "
        "numpy.savez('data.npz', images=images, labels=labels)."
    )
    with open_zip(data, message) as zf:
        check_zip_members(zf, filename, zf.infolist(), ratio_check=False)
        _check_npy_headers(zf, filename)
    try:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as archive:
            keys = list(archive.files)
            missing = [k for k in ("images", "labels") if k not in keys]
            if missing:
                shown = ", ".join(keys[:10]) + (", ..." if len(keys) > 10 else "")
                raise DataError(
                    f"'{filename}' has no array named {' or '.join(repr(m) for m in missing)} (it has: "
                    f"{shown or 'nothing'}). Save it with numpy.savez('data.npz', images=images, labels=labels)."
                )
            images = archive["images"]
            labels = archive["labels"]
    except DataError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DataError(
                f"'{filename}' stores Python objects, which ModelDeck does not load for safety. Save plain "
                "numeric images and string or number labels with numpy.savez."
            ) from None
        raise DataError(f"'{filename}' could not be read as an .npz file ({fmt.first_line(exc)}).") from None
    except AttributeError:
        raise DataError(
            f"'{filename}' holds a single array, not an .npz archive. Save it with "
            "numpy.savez('data.npz', images=images, labels=labels)."
        ) from None
    except (*MEMBER_ERRORS, KeyError, TypeError, MemoryError, RuntimeError, NotImplementedError) as exc:
        raise DataError(
            f"'{filename}' could not be read as an .npz file ({fmt.first_line(exc)}). Save it again with numpy.savez."
        ) from None
    return dataset_from_arrays(images, labels, name=PurePosixPath(filename).stem or filename, source=filename)


def _check_npy_headers(zf: zipfile.ZipFile, filename: str) -> None:
    """Refuse arrays whose header declares more memory than the unpack limit, before NumPy allocates it."""
    from numpy.lib import format as npy_format

    for info in zf.infolist():
        if not info.filename.endswith(".npy"):
            continue
        try:
            with zf.open(info) as fh:
                version = npy_format.read_magic(fh)
                if version == (1, 0):
                    shape, _, dtype = npy_format.read_array_header_1_0(fh)
                else:
                    shape, _, dtype = npy_format.read_array_header_2_0(fh)
        except (*MEMBER_ERRORS, RuntimeError, NotImplementedError, TypeError):
            continue  # np.load reports damaged members below
        declared = int(np.prod(shape, dtype=np.float64)) * max(dtype.itemsize, 1)
        if declared > LIMITS.max_unzipped_mb * MB:
            raise DataError(
                f"'{filename}' declares an array of {declared / MB:,.0f} MB; the limit is "
                f"{fmt.count(LIMITS.max_unzipped_mb)} MB. Save a smaller sample."
            )


def dataset_from_arrays(images: np.ndarray, labels: np.ndarray, name: str, source: str = "") -> Dataset:
    """Validate image and label arrays (any numeric dtype) and build an image Dataset."""
    images = np.asarray(images)
    labels = np.asarray(labels)
    notes: list[str] = []
    if images.dtype.kind not in "uifb":
        raise DataError(f"The images must be numbers (pixel values); they are of type {images.dtype}.")
    if images.ndim == 4 and images.shape[-1] == 4:
        images = images[..., :3]
        notes.append("The transparency channel of the images was dropped.")
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
        raise DataError(
            f"The images have shape {images.shape}; expected N x height x width (grey) or N x height x width x 3 "
            "(colour)."
        )
    if images.shape[0] == 0:
        raise DataError("There are no images in the file.")
    if images.shape[1] * images.shape[2] > LIMITS.max_image_pixels:
        raise DataError(
            f"Each image has {fmt.count(images.shape[1] * images.shape[2])} pixels; the limit is "
            f"{fmt.count(LIMITS.max_image_pixels)}. Shrink the images first."
        )
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise DataError(f"The labels have shape {labels.shape}; expected one label per image (a 1-D array).")
    if len(labels) != len(images):
        raise DataError(
            f"There are {fmt.count(len(images))} images but {fmt.count(len(labels))} labels; each image needs "
            "exactly one label."
        )
    if labels.dtype.kind not in "uifbUS":
        raise DataError(f"The labels must be numbers or text; they are of type {labels.dtype}.")
    pixels, note = _to_uint8(images)
    if note:
        notes.append(note)
    label_strings = _array_label_strings(labels)
    check_classes(label_strings, "The labels", len(label_strings), advice="Check the labels array.")
    encoded, class_names = _encode_fast(label_strings)
    return Dataset(
        kind="image", name=name, labels=encoded, class_names=class_names, images=pixels, source=source, notes=notes
    )


def _to_uint8(images: np.ndarray) -> tuple[np.ndarray, str]:
    if images.dtype == np.uint8:
        return images, ""
    if np.issubdtype(images.dtype, np.bool_):
        return images.astype(np.uint8) * 255, ""
    floats = np.issubdtype(images.dtype, np.floating)
    values = images.astype(np.float64) if floats else images
    if floats and not np.all(np.isfinite(values)):
        raise DataError("Some pixel values are not numbers (NaN or infinity). Clean the images and save them again.")
    low, high = float(values.min()), float(values.max())
    if floats and low >= 0.0 and high <= 1.0:
        return np.rint(values * 255.0).astype(np.uint8), ""
    if low >= 0 and high <= 255:
        return np.rint(values).astype(np.uint8) if floats else values.astype(np.uint8), ""
    span = high - low or 1.0
    scaled = np.rint((values.astype(np.float64) - low) / span * 255.0).astype(np.uint8)
    return scaled, f"Pixel values ranged from {low:g} to {high:g}; they were rescaled to 0..255."


def _array_label_strings(labels: np.ndarray) -> np.ndarray:
    if np.issubdtype(labels.dtype, np.bytes_):
        return np.char.strip(np.char.decode(labels, "utf-8", errors="replace")).astype(str)
    if np.issubdtype(labels.dtype, np.str_):
        return np.char.strip(labels).astype(str)
    if np.issubdtype(labels.dtype, np.floating):
        if not np.all(np.isfinite(labels)):
            raise DataError("Some labels are missing (NaN). Every image needs a label.")
        if np.all(labels == np.round(labels)):
            return labels.astype(np.int64).astype(str)
    return labels.astype(str)


def _encode_fast(label_strings: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """encode_labels on the distinct values only, then map back: fast for 70,000 labels."""
    uniques, inverse = np.unique(label_strings, return_inverse=True)
    order, class_names = encode_labels(uniques)
    return order[inverse.ravel()], class_names
