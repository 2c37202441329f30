"""Class answers under a run's decision rule, the same for every family that answers with classes.

A text, an image and a table row all end the same way: calibrated probabilities become a label (threshold
or cost matrix), a "send to a person" flag below the rule's ``min_confidence`` with its reason, and the
columns a scored file gets. Both predictors (:mod:`modeling.runs.keras_predictor`,
:mod:`modeling.runs.table.predictor`) call these, so a batch means the same thing whatever was read.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from modeling.errors import DataError
from modeling.evaluation.decisions import Decision, decide, needs_review, review_reason


def class_answers(
    probs: np.ndarray, class_names: Sequence[str], decision: Decision
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Under ``decision``: the class index per row, whether a person should look, and why (empty when not)."""
    chosen = decide(probs, class_names, decision)
    flagged = needs_review(probs, decision)
    top = np.asarray(probs).max(axis=1) if len(probs) else np.zeros(0)
    reasons = [review_reason(float(t), decision) if f else "" for t, f in zip(top, flagged, strict=True)]
    return chosen, flagged, reasons


def add_class_columns(
    out: pd.DataFrame, probs: np.ndarray, class_names: Sequence[str], decision: Decision
) -> list[str]:
    """Add ``predicted_label``, ``confidence``, ``needs_review``, ``review_reason`` and ``probability_<class>``
    to ``out`` (in place, one row per row of ``probs``); returns the names of the columns added, in order."""
    chosen, flagged, reasons = class_answers(probs, class_names, decision)
    rows = np.arange(len(probs))
    out["predicted_label"] = [class_names[i] for i in chosen]
    out["confidence"] = probs[rows, chosen].round(4) if len(probs) else []
    out["needs_review"] = flagged.tolist()
    out["review_reason"] = reasons
    added = ["predicted_label", "confidence", "needs_review", "review_reason"]
    for k, name in enumerate(class_names):
        out[f"probability_{name}"] = probs[:, k].round(4) if len(probs) else []
        added.append(f"probability_{name}")
    return added


def label_indices(names: Sequence[str], class_names: Sequence[str]) -> np.ndarray:
    """The model's class index of each label name; a ``DataError`` naming labels the model never saw."""
    index = {name: i for i, name in enumerate(class_names)}
    unknown = sorted(set(names) - set(index))
    if unknown:
        raise DataError(
            f"The data has labels the model never saw: {', '.join(map(str, unknown[:5]))}. "
            f"The model knows: {', '.join(class_names)}."
        )
    return np.asarray([index[name] for name in names], dtype=np.int64)
