"""Reproducible splits that keep every class in both parts when the data allows it.

Stratifying keeps the class balance of the test and validation sets equal to the whole, so a
small test set does not by chance miss a class. It is impossible when a class has a single
example, or when the held-out part is smaller than the number of classes; then the split is
simply random (same seed, same split).
"""

from __future__ import annotations

import numpy as np

from modeling.errors import DataError


def _can_stratify(labels: np.ndarray, n_held_out: int) -> bool:
    _, counts = np.unique(labels, return_counts=True)
    n_classes = len(counts)
    return bool(
        n_classes >= 2 and counts.min() >= 2 and n_held_out >= n_classes and len(labels) - n_held_out >= n_classes
    )


def _split(labels: np.ndarray | list, share: float, seed: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels).ravel()
    n = len(labels)
    if not 0.0 < float(share) < 1.0:
        raise DataError(f"The {what} share must be between 0 and 1 (for example 0.2); got {share}.")
    if n < 2:
        raise DataError(f"At least 2 examples are needed to set some aside for {what}; there are {n}.")
    n_held_out = min(max(1, int(np.ceil(n * float(share)))), n - 1)
    indices = np.arange(n)
    stratify = labels if _can_stratify(labels, n_held_out) else None
    try:
        kept, held_out = train_test_split(
            indices, test_size=n_held_out, random_state=int(seed), shuffle=True, stratify=stratify
        )
    except ValueError:
        kept, held_out = train_test_split(indices, test_size=n_held_out, random_state=int(seed), shuffle=True)
    return np.sort(np.asarray(kept, dtype=np.int64)), np.sort(np.asarray(held_out, dtype=np.int64))


def split_indices(labels: np.ndarray | list, test_share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, test_idx), sorted: stratified when every class has at least 2 examples, else random."""
    return _split(labels, test_share, seed, "test")


def train_validation_split(
    labels: np.ndarray | list, validation_share: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, validation_idx) within the training rows, by the same rule as :func:`split_indices`."""
    return _split(labels, validation_share, seed, "validation")
