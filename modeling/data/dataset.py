"""The one in-memory shape every reader produces and every later step consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from modeling.errors import DataError

Kind = Literal["text", "image"]


@dataclass
class Dataset:
    """Labelled examples, ready for splitting and training.

    Text datasets hold ``texts`` (a NumPy array of ``str``); image datasets hold
    ``images`` as ``uint8`` with shape (N, H, W, C), C being 1 (grey) or 3 (colour),
    white ink on black for digits (MNIST convention). ``labels`` are integer
    indices into ``class_names``.
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

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels, dtype=np.int64)
        if self.kind == "text":
            if self.texts is None:
                raise DataError("A text dataset needs texts.")
            self.texts = np.asarray(self.texts, dtype=str)
            n = len(self.texts)
        else:
            if self.images is None:
                raise DataError("An image dataset needs images.")
            if self.images.ndim == 3:
                self.images = self.images[..., None]
            if self.images.ndim != 4 or self.images.shape[-1] not in (1, 3):
                raise DataError(
                    f"Images must be N x H x W (grey) or N x H x W x 3 (colour); got shape {self.images.shape}."
                )
            self.images = np.asarray(self.images, dtype=np.uint8)
            n = len(self.images)
        if len(self.labels) != n:
            raise DataError(f"There are {n} examples but {len(self.labels)} labels; each example needs one label.")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def task(self) -> str:
        return "image_classification" if self.kind == "image" else "text_classification"

    @property
    def inputs(self) -> np.ndarray:
        """The model inputs: texts or images."""
        return self.texts if self.kind == "text" else self.images  # type: ignore[return-value]

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
            cached = self.__dict__["_fingerprint"] = digest.hexdigest()
        return cached

    def class_counts(self) -> dict[str, int]:
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
        np.savez_compressed(path, **arrays)

    @classmethod
    def load_npz(cls, path: str) -> Dataset:
        with np.load(path, allow_pickle=False) as z:
            kind = str(z["kind"])
            return cls(
                kind=kind,  # type: ignore[arg-type]
                name=str(z["name"]),
                labels=z["labels"],
                class_names=[str(c) for c in z["class_names"]],
                texts=z.get("texts"),
                images=z.get("images"),
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
