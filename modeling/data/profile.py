"""A quick health check of a dataset, in plain words, before anyone spends time training on it.

Most disappointing models come from the data, not the network: a class with four examples, labels
that contradict each other, copies that leak into the test set. The Data page shows these warnings
next to the class balance chart so people can fix the data first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.dataset import Dataset

#: Fewer examples than this in a class earn a warning.
TINY_CLASS = 10
#: Largest / smallest class above this earns an imbalance warning.
IMBALANCE_RATIO = 5.0
#: Texts longer than this many words earn a warning (sequence templates read 200 words by default).
LONG_TEXT_WORDS = 1000
#: Fewer rows than this earn a warning that scores will be noisy.
SMALL_DATASET = 100


@dataclass
class DataProfile:
    """Counts, statistics and warnings (plain sentences) about one dataset."""

    rows: int
    class_counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    duplicates: int = 0
    conflicting: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, for saving next to a run."""
        return {
            "rows": self.rows,
            "class_counts": dict(self.class_counts),
            "warnings": list(self.warnings),
            "stats": dict(self.stats),
            "duplicates": self.duplicates,
            "conflicting": self.conflicting,
        }


def profile_dataset(ds: Dataset) -> DataProfile:
    """Counts, text-length or image statistics, and warnings about problems worth fixing before training."""
    counts = ds.class_counts()
    profile = DataProfile(rows=len(ds), class_counts=counts)
    profile.warnings.extend(_class_warnings(counts))
    if len(ds) == 0:
        profile.warnings.append("The dataset is empty. Load data with at least a few hundred labelled examples.")
        return profile
    if len(ds) < SMALL_DATASET:
        profile.warnings.append(
            f"There are only {fmt.count(len(ds))} examples; the test set will be tiny and scores will jump around. "
            "Add more data if you can (a few hundred at least)."
        )
    checks = PROFILE_CHECKS.get(ds.kind)
    if checks is None:  # tables and series have their own checks (modeling.data.tabular.checks, ...)
        return profile
    _duplicate_warnings(ds, _codes(checks.keys(ds)), checks, profile)
    checks.stats(ds, profile)
    return profile


def _class_warnings(counts: dict[str, int]) -> list[str]:
    warnings: list[str] = []
    empty = [name for name, c in counts.items() if c == 0]
    tiny = [(name, c) for name, c in counts.items() if 0 < c < TINY_CLASS]
    if empty:
        shown = ", ".join(f"'{name}'" for name in empty[:5]) + (", ..." if len(empty) > 5 else "")
        warnings.append(f"{fmt.count(len(empty))} classes have no examples here ({shown}).")
    if len(tiny) > 3:
        shown = ", ".join(f"'{name}' ({c})" for name, c in tiny[:5]) + (", ..." if len(tiny) > 5 else "")
        warnings.append(
            f"{fmt.count(len(tiny))} classes have fewer than {TINY_CLASS} examples ({shown}); the model will hardly "
            "learn them. Add more examples or merge them into bigger classes."
        )
    else:
        for name, c in tiny:
            warnings.append(
                f"Class '{name}' has only {fmt.count(c)} example{'s' if c != 1 else ''}; the model will hardly learn "
                "it. "
                "Add more or merge it."
            )
    present = {name: c for name, c in counts.items() if c > 0}
    if len(present) >= 2:
        largest = max(present, key=lambda k: present[k])
        smallest = min(present, key=lambda k: present[k])
        ratio = present[largest] / present[smallest]
        if ratio > IMBALANCE_RATIO:
            warnings.append(
                f"The classes are unbalanced: '{largest}' has {fmt.count(present[largest])} examples but "
                f"'{smallest}' only "
                f"{fmt.count(present[smallest])} ({ratio:,.0f} to 1). Accuracy can look good while the small class is "
                "missed; check the per-class scores and the confusion matrix, or collect more of the small class."
            )
    return warnings


def _text_keys(ds: Dataset) -> Any:
    return np.asarray(ds.texts, dtype=str)


def _pixel_keys(ds: Dataset) -> Any:
    images = np.ascontiguousarray(ds.images)
    flat = images.reshape(len(images), -1)
    return [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in flat]


def _codes(values: Any) -> np.ndarray:
    """One integer code per example; equal codes mean byte-identical inputs."""
    codes, _ = pd.factorize(pd.Series(values, dtype=object))
    return np.asarray(codes, dtype=np.int64)


def _duplicate_warnings(ds: Dataset, codes: np.ndarray, checks: ProfileChecks, profile: DataProfile) -> None:
    n = len(codes)
    distinct = int(codes.max()) + 1 if n else 0
    duplicates = n - distinct
    profile.duplicates = duplicates
    if duplicates == 0:
        return
    profile.warnings.append(
        f"{fmt.count(duplicates)} {checks.noun} are exact copies of another example. Copies can land in both the "
        "training and the test set and make the test score look better than it is; consider removing them."
    )
    # Inputs that appear with more than one label.
    k = max(len(ds.class_names), 1)
    pairs = np.unique(codes * k + ds.labels)
    labels_per_input = np.bincount(pairs // k, minlength=distinct)
    conflicted = np.flatnonzero(labels_per_input > 1)
    profile.conflicting = len(conflicted)
    if len(conflicted) == 0:
        return
    first = int(np.flatnonzero(codes == conflicted[0])[0])
    names = sorted({ds.class_names[i] for i in ds.labels[codes == conflicted[0]]})
    example = ""
    if checks.quote:
        example = f" (for example '{fmt.one_line(ds.texts[first])}' is labelled {' and '.join(repr(x) for x in names)})"
    noun = "input appears" if len(conflicted) == 1 else "inputs appear"
    profile.warnings.append(
        f"{fmt.count(len(conflicted))} {noun} more than once with different labels{example}. The model cannot get "
        "these right; check the labels."
    )


def _text_stats(ds: Dataset, profile: DataProfile) -> None:
    texts = np.asarray(ds.texts, dtype=str)
    words = np.fromiter((len(t.split()) for t in texts), dtype=np.int64, count=len(texts))
    chars = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    profile.stats.update(
        {
            "median_words": float(np.median(words)),
            "mean_words": round(float(words.mean()), 1),
            "max_words": int(words.max()),
            "max_chars": int(chars.max()),
        }
    )
    empty = int((words == 0).sum())
    if empty:
        profile.warnings.append(
            f"{fmt.count(empty)} text{'s are' if empty != 1 else ' is'} empty; they carry no information. Remove them."
        )
    long = int((words > LONG_TEXT_WORDS).sum())
    if long:
        profile.warnings.append(
            f"{fmt.count(long)} text{'s are' if long != 1 else ' is'} longer than {fmt.count(LONG_TEXT_WORDS)} "
            "words; sequence "
            "models read only the first 200 words (the Sequence length setting)."
        )


def _image_stats(ds: Dataset, profile: DataProfile) -> None:
    images = ds.images
    assert images is not None
    height, width, channels = images.shape[1:]
    sample = images[: min(len(images), 5000)]
    profile.stats.update(
        {
            "image_shape": [int(height), int(width), int(channels)],
            "channels": int(channels),
            "colour": "grey" if channels == 1 else "colour",
            "mean_pixel": round(float(sample.mean()), 1),
        }
    )
    blank = int((images.reshape(len(images), -1).max(axis=1) == images.reshape(len(images), -1).min(axis=1)).sum())
    if blank:
        profile.warnings.append(
            f"{fmt.count(blank)} image{'s are' if blank != 1 else ' is'} a single flat colour (blank); check them."
        )


@dataclass(frozen=True)
class ProfileChecks:
    """What the health check reads in one kind of data: the inputs compared for copies, and its statistics."""

    #: What one example is called in a warning ("12 texts are exact copies ...").
    noun: str
    #: One hashable value per example; equal values are exact copies.
    keys: Callable[[Dataset], Any]
    stats: Callable[[Dataset, DataProfile], None]
    #: Quote an example of a conflicting label (texts); pictures cannot be quoted in a sentence.
    quote: bool = False


#: The kinds this health check reads; tables and series are checked by their own modules.
PROFILE_CHECKS: dict[str, ProfileChecks] = {
    "text": ProfileChecks("texts", _text_keys, _text_stats, quote=True),
    "image": ProfileChecks("images", _pixel_keys, _image_stats),
}
