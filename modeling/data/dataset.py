"""The one in-memory shape every reader produces and every later step consumes.

Three kinds of data share it: texts, images and tables. A table's feature columns travel as a pandas
DataFrame (``frame``); what is predicted is always ``labels``: class indices for classification (with
``class_names``), the numbers themselves for regression (``class_names`` empty).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from modeling.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

Kind = Literal["text", "image", "table"]


@dataclass
class Dataset:
    """Labelled examples, ready for splitting and training.

    Text datasets hold ``texts`` (a NumPy array of ``str``); image datasets hold
    ``images`` as ``uint8`` with shape (N, H, W, C), C being 1 (grey) or 3 (colour),
    white ink on black for digits (MNIST convention). Table datasets hold ``frame``, the feature
    columns the model uses (one row per example, typed: numbers as floats with NaN for missing,
    categories as strings with missing values kept missing), the ``target_column`` name, and
    ``columns``, what was inferred about every column of the source (its kind and role; see
    :mod:`modeling.data.tabular`). ``labels`` are integer indices into ``class_names``, or for a
    regression table (``class_names`` empty) the target values as floats.
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
    #: Tables: the feature columns used by the model, one row per example.
    frame: pd.DataFrame | None = None
    #: Tables: the column that is predicted.
    target_column: str | None = None
    #: Tables: every column of the source with its inferred kind and role (``modeling.data.tabular``).
    columns: list[Any] = field(default_factory=list)
    #: Tables: the fitted ``modeling.data.tabular.TablePreparation`` that turns raw rows into ``frame``;
    #: save it beside the model (``preparation.to_json()``) so prediction reads tables the same way.
    preparation: Any = None

    def __post_init__(self) -> None:
        regression = self.kind == "table" and not self.class_names
        self.labels = np.asarray(self.labels, dtype=np.float64 if regression else np.int64)
        if self.kind == "table":
            if self.frame is None:
                raise DataError("A table dataset needs its feature columns.")
            n = len(self.frame)
        elif self.kind == "text":
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
        if self.kind == "table":
            return "tabular_regression" if self.is_regression else "tabular_classification"
        return "image_classification" if self.kind == "image" else "text_classification"

    @property
    def is_regression(self) -> bool:
        """True for a table whose target is a number to predict (no classes)."""
        return self.kind == "table" and not self.class_names

    @property
    def inputs(self) -> Any:
        """The model inputs: texts, images, or a table's feature frame."""
        if self.kind == "table":
            return self.frame
        return self.texts if self.kind == "text" else self.images

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
        """Examples per class (empty for regression)."""
        if self.is_regression:
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
            arrays.update(_frame_arrays(self.frame))
            arrays["target_column"] = np.asarray(self.target_column or "")
            if self.preparation is not None:
                arrays["preparation_json"] = np.asarray(self.preparation.to_json())
            if self.columns:
                arrays["columns_json"] = np.asarray(json.dumps([c.to_dict() for c in self.columns], ensure_ascii=False))
        np.savez_compressed(path, **arrays)

    @classmethod
    def load_npz(cls, path: str) -> Dataset:
        with np.load(path, allow_pickle=False) as z:
            kind = str(z["kind"])
            preparation, columns = _table_facts(z)
            return cls(
                kind=kind,  # type: ignore[arg-type]
                name=str(z["name"]),
                labels=z["labels"],
                class_names=[str(c) for c in z["class_names"]],
                texts=z.get("texts"),
                images=z.get("images"),
                frame=_frame_from_arrays(z) if "frame_columns" in z else None,
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


def _table_facts(z: Any) -> tuple[Any, list[Any]]:
    """The preparation and column facts saved with a table (JSON text, read without running code)."""
    if "preparation_json" not in z and "columns_json" not in z:
        return None, []
    from modeling.data.tabular.columns import ColumnInfo
    from modeling.data.tabular.prepare import TablePreparation

    preparation = TablePreparation.from_json(str(z["preparation_json"])) if "preparation_json" in z else None
    columns = [ColumnInfo.from_dict(c) for c in json.loads(str(z["columns_json"]))] if "columns_json" in z else []
    return preparation, columns


def _frame_arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A DataFrame as plain arrays (no pickle): numbers as float64 with NaN, text as unicode plus a missing mask."""
    import pandas as pd

    arrays: dict[str, np.ndarray] = {"frame_columns": np.asarray([str(c) for c in frame.columns], dtype=str)}
    for i, name in enumerate(frame.columns):
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            arrays[f"frame_{i}"] = column.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            missing = column.isna().to_numpy()
            arrays[f"frame_{i}"] = column.astype("string").fillna("").to_numpy(str)
            arrays[f"frame_missing_{i}"] = missing
    return arrays


def _frame_from_arrays(z: Any) -> pd.DataFrame:
    """The inverse of :func:`_frame_arrays`: numbers come back as float64, text as strings with missing kept."""
    import pandas as pd

    data = {}
    for i, name in enumerate(str(c) for c in z["frame_columns"]):
        values = z[f"frame_{i}"]
        if f"frame_missing_{i}" in z:
            column = pd.Series(values.astype(str), dtype="str")
            column[z[f"frame_missing_{i}"]] = None
            data[name] = column
        else:
            data[name] = values.astype(np.float64)
    return pd.DataFrame(data)
