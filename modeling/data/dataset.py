"""The one in-memory shape every reader produces and every later step consumes.

Four kinds of data share it: texts, images, business tables and time series. Each kind keeps its examples
in one field (:data:`PAYLOADS`: ``texts``, ``images`` or ``frame``); what is predicted is always ``labels``:
class indices for classification (with ``class_names``), the numbers themselves when the task predicts a
number (a regression table, a forecast; ``class_names`` empty). Which task a dataset serves comes from the
template registry (:mod:`modeling.templates.registry`), so a new kind registers its task there and adds one
row to :data:`PAYLOADS` here.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from modeling.data.frame_arrays import frame_arrays, frame_from_arrays
from modeling.errors import DataError
from modeling.templates import registry

if TYPE_CHECKING:
    import pandas as pd

Kind = Literal["text", "image", "table", "series"]


@dataclass(frozen=True)
class Payload:
    """Where one kind of data keeps its examples, how they are checked, and what its labels may be."""

    #: The ``Dataset`` field that holds the examples (its model inputs).
    field: str
    #: Checks (and normalises in place) the examples; returns how many there are.
    check: Callable[[Dataset], int]
    #: Labels may be numbers (no ``class_names``): a regression table, a forecast.
    numbers: bool = False
    #: ``"module:Class"`` of the fitted preparation saved with the data as JSON (``to_json()`` / ``from_json()``,
    #: or ``to_dict()`` / ``from_dict()``).
    preparation: str | None = None


def _check_texts(ds: Dataset) -> int:
    if ds.texts is None:
        raise DataError("A text dataset needs texts.")
    ds.texts = np.asarray(ds.texts, dtype=str)
    return len(ds.texts)


def _check_images(ds: Dataset) -> int:
    if ds.images is None:
        raise DataError("An image dataset needs images.")
    if ds.images.ndim == 3:
        ds.images = ds.images[..., None]
    if ds.images.ndim != 4 or ds.images.shape[-1] not in (1, 3):
        raise DataError(f"Images must be N x H x W (grey) or N x H x W x 3 (colour); got shape {ds.images.shape}.")
    ds.images = np.asarray(ds.images, dtype=np.uint8)
    return len(ds.images)


def _check_frame(ds: Dataset) -> int:
    if ds.frame is None:
        raise DataError(f"A {ds.kind} dataset needs its frame of columns.")
    return len(ds.frame)


#: Every kind of data: the field holding its examples, its check, whether labels may be numbers, its preparation.
#: ``series`` (forecasting) holds the long frame (``unique_id``, ``ds``, ``y``, known-ahead columns) with the
#: ``y`` values as float labels and its ``SeriesPreparation``.
PAYLOADS: dict[str, Payload] = {
    "text": Payload("texts", _check_texts),
    "image": Payload("images", _check_images),
    "table": Payload("frame", _check_frame, numbers=True, preparation="modeling.data.tabular.prepare:TablePreparation"),
    "series": Payload(
        "frame", _check_frame, numbers=True, preparation="modeling.data.series.preparation:SeriesPreparation"
    ),
}


def payload(kind: str) -> Payload:
    """The :class:`Payload` of ``kind``; a ``DataError`` for a kind ModelDeck does not know."""
    try:
        return PAYLOADS[kind]
    except KeyError:
        raise DataError(f"ModelDeck does not know data of kind '{kind}' (it reads {', '.join(PAYLOADS)}).") from None


@dataclass
class Dataset:
    """Labelled examples, ready for splitting and training.

    Text datasets hold ``texts`` (a NumPy array of ``str``); image datasets hold
    ``images`` as ``uint8`` with shape (N, H, W, C), C being 1 (grey) or 3 (colour),
    white ink on black for digits (MNIST convention). Table datasets hold ``frame``, the feature
    columns the model uses (one row per example, typed: numbers as floats with NaN for missing,
    categories as strings with missing values kept missing), the ``target_column`` name, and
    ``columns``, what was inferred about every column of the source (its kind and role; see
    :mod:`modeling.data.tabular`). Series datasets hold the long ``frame`` (``unique_id``, ``ds``, ``y``,
    known-ahead columns). ``labels`` are integer indices into ``class_names``, or when the task predicts a
    number (``class_names`` empty) the values themselves as floats.
    """

    kind: Kind
    name: str
    labels: np.ndarray
    class_names: list[str]
    texts: np.ndarray | None = None
    images: np.ndarray | None = None
    source: str = ""
    text_column: str | None = None
    label_column: str | None = None
    notes: list[str] = field(default_factory=list)
    #: True once exact and near duplicate rows were removed (``modeling.data.duplicates.drop_duplicates``).
    deduplicated: bool = False
    #: Tables and series: the columns the model reads, one row per example.
    frame: pd.DataFrame | None = None
    #: Tables: the column that is predicted.
    target_column: str | None = None
    #: Tables: every column of the source with its inferred kind and role (``modeling.data.tabular``).
    columns: list[Any] = field(default_factory=list)
    #: Tables and series: the fitted preparation that turns raw rows into ``frame`` (``TablePreparation``,
    #: ``SeriesPreparation``); saved beside the model (``preparation.to_json()``) so prediction reads the same way.
    preparation: Any = None
    #: Tables: the source's columns the model does not read (an ID, a column set to 'ignore'), as written, one row
    #: per example: a ranked list names each row by its ID, and a sensitive column left out can still be audited.
    left_out: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        kind = payload(self.kind)
        self.labels = np.asarray(self.labels, dtype=np.float64 if self.predicts_number else np.int64)
        n = kind.check(self)
        if len(self.labels) != n:
            raise DataError(f"There are {n} examples but {len(self.labels)} labels; each example needs one label.")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def task(self) -> str:
        """The task this data serves, from the registry: the kind's task that answers with classes or a number."""
        tasks = registry.tasks_of_kind(self.kind)
        if not tasks:
            raise DataError(f"No task reads data of kind '{self.kind}' yet.")
        answers = "number" if self.predicts_number else "classes"
        return next((name for name in tasks if registry.task(name).answers == answers), tasks[0])

    @property
    def predicts_number(self) -> bool:
        """True when what is predicted is a number (a regression table, a forecast): no classes."""
        return payload(self.kind).numbers and not self.class_names

    @property
    def is_regression(self) -> bool:
        """The older name of :attr:`predicts_number`, kept for callers not yet moved over."""
        return self.predicts_number

    @property
    def inputs(self) -> Any:
        """The model inputs: texts, images, or the frame of a table or a series."""
        return getattr(self, payload(self.kind).field)

    @property
    def image_shape(self) -> tuple[int, int, int] | None:
        return tuple(self.images.shape[1:]) if self.images is not None else None  # type: ignore[return-value]

    def subset(self, index: np.ndarray) -> Dataset:
        """The examples at ``index``, same classes (so label indices stay valid)."""
        return Dataset(
            kind=self.kind,
            name=self.name,
            labels=self.labels[index],
            class_names=list(self.class_names),
            texts=None if self.texts is None else self.texts[index],
            images=None if self.images is None else self.images[index],
            source=self.source,
            text_column=self.text_column,
            label_column=self.label_column,
            deduplicated=self.deduplicated,
            frame=None if self.frame is None else self.frame.iloc[np.asarray(index)].reset_index(drop=True),
            target_column=self.target_column,
            columns=list(self.columns),
            preparation=self.preparation,
            left_out=None if self.left_out is None else self.left_out.iloc[np.asarray(index)].reset_index(drop=True),
        )

    def fingerprint(self) -> str:
        """A short hash of the content (labels, class names, texts or pixels), computed once per object.

        Caches shared by every visitor of a server key on it: two uploads with the same name and size
        but different content must never share a cached result.
        """
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            import hashlib

            digest = hashlib.blake2b(digest_size=16)
            digest.update(self.kind.encode())
            digest.update("\x1f".join(self.class_names).encode("utf-8", "surrogatepass"))
            digest.update(np.ascontiguousarray(self.labels).tobytes())
            if self.texts is not None:
                for text in self.texts:
                    digest.update(str(text).encode("utf-8", "surrogatepass"))
                    digest.update(b"\x1e")
            if self.images is not None:
                digest.update(np.ascontiguousarray(self.images).tobytes())
            if self.frame is not None:
                import pandas as pd

                digest.update("\x1f".join(map(str, self.frame.columns)).encode("utf-8", "surrogatepass"))
                digest.update(pd.util.hash_pandas_object(self.frame, index=False).to_numpy().tobytes())
            cached = self.__dict__["_fingerprint"] = digest.hexdigest()
        return cached

    def class_counts(self) -> dict[str, int]:
        """Examples per class (empty when a number is predicted)."""
        if self.predicts_number:
            return {}
        counts = np.bincount(self.labels, minlength=len(self.class_names))
        return {name: int(c) for name, c in zip(self.class_names, counts, strict=True)}

    # ---- storage without pickle ---------------------------------------------------------
    def save_npz(self, path: str) -> None:
        """Save as a plain .npz (no pickled objects; text is stored as fixed-width unicode)."""
        arrays: dict[str, np.ndarray] = {
            "labels": self.labels,
            "class_names": np.asarray(self.class_names, dtype=str),
            "kind": np.asarray(self.kind),
            "name": np.asarray(self.name),
        }
        if self.texts is not None:
            arrays["texts"] = np.asarray(self.texts, dtype=str)
        if self.images is not None:
            arrays["images"] = self.images
        if self.frame is not None:
            arrays.update(frame_arrays(self.frame))
            arrays["target_column"] = np.asarray(self.target_column or "")
        if self.left_out is not None:
            arrays.update(frame_arrays(self.left_out, prefix="left_out"))
        if self.preparation is not None:
            arrays["preparation_json"] = np.asarray(_preparation_json(self.preparation))
        if self.columns:
            arrays["columns_json"] = np.asarray(json.dumps([c.to_dict() for c in self.columns], ensure_ascii=False))
        np.savez_compressed(path, **arrays)

    @classmethod
    def load_npz(cls, path: str) -> Dataset:
        with np.load(path, allow_pickle=False) as z:
            kind = str(z["kind"])
            preparation, columns = _saved_facts(z, kind)
            return cls(
                kind=kind,  # type: ignore[arg-type]
                name=str(z["name"]),
                labels=z["labels"],
                class_names=[str(c) for c in z["class_names"]],
                texts=z.get("texts"),
                images=z.get("images"),
                frame=frame_from_arrays(z) if "frame_columns" in z else None,
                left_out=frame_from_arrays(z, prefix="left_out") if "left_out_columns" in z else None,
                target_column=str(z["target_column"]) or None if "target_column" in z else None,
                columns=columns,
                preparation=preparation,
            )


def encode_labels(values: list[str] | np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Map label values to indices 0..K-1, classes sorted (numbers numerically) for a stable order."""
    as_str = np.asarray([str(v).strip() for v in values], dtype=str)
    uniques = sorted(set(as_str.tolist()), key=_natural_key)
    lookup = {name: i for i, name in enumerate(uniques)}
    return np.asarray([lookup[v] for v in as_str], dtype=np.int64), uniques


def _natural_key(value: str) -> tuple[int, float | str]:
    try:
        return (0, float(value))
    except ValueError:
        return (1, value.lower())


def _saved_facts(z: Any, kind: str) -> tuple[Any, list[Any]]:
    """The preparation and column facts saved with a table or a series (JSON text, read without running code)."""
    preparation = None
    if "preparation_json" in z and payload(kind).preparation:
        module, _, name = str(payload(kind).preparation).partition(":")
        kind_class = getattr(importlib.import_module(module), name)
        text = str(z["preparation_json"])
        preparation = (
            kind_class.from_json(text) if hasattr(kind_class, "from_json") else kind_class.from_dict(json.loads(text))
        )
    columns: list[Any] = []
    if "columns_json" in z:
        from modeling.data.tabular.columns import ColumnInfo

        columns = [ColumnInfo.from_dict(c) for c in json.loads(str(z["columns_json"]))]
    return preparation, columns


def _preparation_json(preparation: Any) -> str:
    """A fitted preparation as JSON text: its own ``to_json()``, else its ``to_dict()`` written out."""
    if hasattr(preparation, "to_json"):
        return str(preparation.to_json())
    return json.dumps(preparation.to_dict(), ensure_ascii=False)
