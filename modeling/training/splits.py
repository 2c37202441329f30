"""Train, validation and test parts of a dataset: the one split every family and every search uses.

The test part is cut first and never seen in training. Classes are split stratified (each part keeps the
class shares, so a rare class is not left out of the test part); numbers are split plainly, seeded. Which of
the two follows from what the task answers (``registry.task(...).answers``), not from the kind of data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from modeling.data.dataset import Dataset
from modeling.data.split import split_indices, train_validation_split
from modeling.templates import registry


def strata(dataset: Dataset) -> np.ndarray:
    """What the split keeps in proportion: the class of every example, or nothing (one stratum) for numbers."""
    if registry.task(dataset.task).predicts_number:
        return np.zeros(len(dataset))
    return dataset.labels


def split(dataset: Dataset, config: Any) -> tuple[Dataset, Dataset, Dataset]:
    """Train, validation and test parts with ``config``'s shares and seed; the test part is cut first."""
    seed = config.settings.seed
    rest_idx, test_idx = split_indices(strata(dataset), config.data.test_share, seed)
    rest = dataset.subset(rest_idx)
    train_idx, val_idx = train_validation_split(strata(rest), config.settings.validation_share, seed)
    return rest.subset(train_idx), rest.subset(val_idx), dataset.subset(test_idx)


def split_options(config: Any) -> dict[str, Any]:
    """The seed and shares that make a split, as keyword arguments (a search splits once with them)."""
    return {
        "seed": config.settings.seed,
        "test_share": config.data.test_share,
        "validation_share": config.settings.validation_share,
    }
