"""What a Keras run reads, one reader per kind of data: a text column, or an image column.

:class:`~modeling.runs.keras_predictor.KerasPredictor` serves texts and images alike; everything that depends
on which one it reads lives here, looked up by the task's kind in :data:`READERS` (a new kind that a Keras
model reads is one more class and one line). A reader says which column a table to score must have
(:meth:`schema`), turns that column into the model's input (:meth:`column_inputs`) and a labelled table into
inputs and label names (:meth:`labelled`).

Image cells may be PNG or JPEG bytes, the same as base64 text (what a JSON request carries, a ``data:`` URL
prefix allowed), or pixel arrays (an ``.npz`` or an image ZIP read by ModelDeck). Pictures are decoded with
the Predict page's safe reader (:func:`modeling.data.readers.picture.open_picture`); a digit model
(28x28, one channel) finds the digit the way the page does (:func:`modeling.data.digits.prepare_digit`),
other models get the picture fitted to their size (:func:`modeling.data.images.fit_to_model`).
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modeling.data.dataset import Dataset
from modeling.data.digits import prepare_digit
from modeling.data.images import fit_to_model
from modeling.data.readers.columns import dataset_from_table
from modeling.data.readers.picture import open_picture
from modeling.errors import DataError
from modeling.runs.protocol import InputColumn

#: The column an image table holds its pictures in, and the label column of a labelled image file.
IMAGE_COLUMN = "image"
IMAGE_LABEL_COLUMN = "label"
#: The input of a digit model: MNIST-style pictures get the digit found and centred first.
DIGIT_SHAPE = (28, 28, 1)


def _require(frame: pd.DataFrame, column: str, what: str) -> pd.Series:
    names = [str(c) for c in frame.columns]
    if column not in names:
        shown = ", ".join(f"'{c}'" for c in names[:20]) + (", ..." if len(names) > 20 else "")
        raise DataError(f"The table has no {what} column '{column}'. Columns: {shown or 'none'}.")
    return frame[frame.columns[names.index(column)]]


@dataclass(frozen=True)
class TextColumn:
    """A text model reads one column of texts (the one it was trained on, unless told otherwise)."""

    name: str = "text"
    label: str = "label"
    #: ``test.npz`` of the run, read only when the schema's example is asked for.
    examples: Path | None = None

    @classmethod
    def for_run(cls, model: Any, run: Any = None) -> TextColumn:
        if run is None:
            return cls()
        data = run.meta.get("dataset", {})
        return cls(
            name=str(run.config.data.text_column or data.get("text_column") or "text"),
            label=str(run.config.data.label_column or data.get("label_column") or "label"),
            examples=run.path / "test.npz",
        )

    @property
    def shape(self) -> None:
        return None

    def schema(self) -> list[InputColumn]:
        return [InputColumn(self.name, "text", self._example(), description="the text to classify")]

    def _example(self) -> str | None:
        if self.examples is None or not self.examples.is_file():
            return None
        try:
            texts = Dataset.load_npz(str(self.examples)).texts
        except Exception:  # an example is a nicety: a damaged test split must not stop scoring
            return None
        return str(texts[0])[:200] if texts is not None and len(texts) else None

    def model_inputs(self, items: Any) -> np.ndarray:
        return np.asarray([str(t) for t in items], dtype=str)

    def column_inputs(self, frame: pd.DataFrame) -> np.ndarray:
        return _require(frame, self.name, "text").fillna("").astype(str).to_numpy(str)

    def labelled(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str]]:
        """Texts, their label names and notes (rows without text or label are left out, as in training)."""
        data = dataset_from_table(frame, self.name, self.label, name="data")
        return data.texts, [data.class_names[i] for i in data.labels], list(data.notes)


@dataclass(frozen=True)
class ImageColumn:
    """An image model reads one column of pictures (bytes, base64 text or pixel arrays) of any size."""

    shape: tuple[int, ...]
    name: str = IMAGE_COLUMN
    label: str = IMAGE_LABEL_COLUMN
    #: ``test.npz`` of the run: its first picture, as a base64 PNG, is the schema's example.
    examples: Path | None = None

    @classmethod
    def for_run(cls, model: Any, run: Any = None) -> ImageColumn:
        shape = tuple(int(d) for d in model.input_shape[1:])
        return cls(shape, examples=run.path / "test.npz" if run is not None else None)

    def schema(self) -> list[InputColumn]:
        height, width, channels = self.shape
        colour = "grey" if channels == 1 else "colour"
        return [
            InputColumn(
                self.name,
                "image",
                self._example(),
                description=f"a PNG or JPEG picture (base64 in JSON); the model sees it as {height}x{width} {colour}",
            )
        ]

    def _example(self) -> str | None:
        """The first test picture as base64 PNG text (what a JSON request sends), or ``None`` without one."""
        if self.examples is None or not self.examples.is_file():
            return None
        try:
            images = Dataset.load_npz(str(self.examples)).images
        except Exception:  # an example is a nicety: a damaged test split must not stop scoring
            return None
        if images is None or not len(images):
            return None
        from PIL import Image

        pixels = np.clip(np.asarray(images[0]), 0, 255).astype("uint8")
        buffer = io.BytesIO()
        Image.fromarray(pixels[..., 0] if pixels.ndim == 3 and pixels.shape[2] == 1 else pixels).save(buffer, "PNG")
        return base64.b64encode(buffer.getvalue()).decode("ascii")

    def model_inputs(self, items: Any) -> np.ndarray:
        images = np.asarray(items)
        if images.ndim == 3:
            images = images[..., None]
        if images.ndim != 4 or tuple(images.shape[1:]) != tuple(self.shape):
            got = "x".join(str(d) for d in images.shape[1:3]) if images.ndim == 4 else str(images.shape)
            channels = images.shape[3] if images.ndim == 4 else "?"
            raise DataError(
                f"The images are {got} with {channels} channel(s), but the model expects "
                f"{self.shape[0]}x{self.shape[1]} with {self.shape[2]}."
            )
        return images.astype("float32")

    def column_inputs(self, frame: pd.DataFrame) -> np.ndarray:
        cells = _require(frame, self.name, "image")
        pixels = [self.pixels(cell, f"row {i + 1}") for i, cell in enumerate(cells)]
        empty = np.zeros((0, *self.shape), dtype="uint8")
        return self.model_inputs(np.stack(pixels) if pixels else empty)

    def labelled(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str]]:
        labels = _require(frame, self.label, "label")
        if labels.isna().any():
            raise DataError(f"{int(labels.isna().sum())} image(s) have no label; every image needs one to be scored.")
        return self.column_inputs(frame), [str(v).strip() for v in labels], []

    def pixels(self, cell: Any, where: str) -> np.ndarray:
        """One cell as the model's pixels (H x W x C uint8)."""
        if isinstance(cell, np.ndarray):
            array = cell[..., None] if cell.ndim == 2 else cell
            if tuple(array.shape) == tuple(self.shape):
                return array
            return fit_to_model(np.clip(array, 0, 255).astype("uint8"), self.shape)
        picture = open_picture(_picture_bytes(cell, where), where)
        if tuple(self.shape) == DIGIT_SHAPE:
            return prepare_digit(picture)[..., None]
        return fit_to_model(picture, self.shape)


def _picture_bytes(cell: Any, where: str) -> bytes:
    """The bytes of a picture cell: raw bytes, or base64 text (with or without a ``data:image/...;base64,``)."""
    if isinstance(cell, bytes | bytearray | memoryview):
        return bytes(cell)
    if isinstance(cell, str) and cell.strip():
        text = cell.strip()
        if text.startswith("data:") and "," in text:
            text = text.split(",", 1)[1]
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise DataError(f"The image in {where} is text but not base64; send a PNG or JPEG as base64.") from None
    raise DataError(f"The image in {where} is empty or not a picture; send a PNG or JPEG (bytes or base64).")


#: The task's kind (``registry.TASKS[...].kind``) -> the reader its Keras models use.
READERS: dict[str, type[TextColumn] | type[ImageColumn]] = {"text": TextColumn, "image": ImageColumn}
