"""One gate for class probabilities: every function that receives them calls :func:`probability_matrix`.

A diverged model can emit NaN probabilities while its logged loss stays finite (TensorFlow's fused oneDNN
kernels on some CPUs turn a NaN into 0 inside ``matmul + relu``), so the check cannot live in training
alone: metrics, calibration, intervals, decisions, charts and the predictor all pass their input through
here and get an :class:`~modeling.errors.InvalidPredictions` with a sentence a person can act on.
"""

from __future__ import annotations

import numpy as np

from modeling.errors import InvalidPredictions

#: What the user is told to do about a model that produces NaN; the same words as the training failure hint.
DIVERGED_HINT = "Lower the learning rate (for example divide it by 10) or pick the Adam optimizer."


def probability_matrix(probs: object, what: str = "The model") -> np.ndarray:
    """``probs`` as an N x K float64 matrix whose values are all finite; a 1-D array is P(class 1) of two.

    Raises :class:`InvalidPredictions` naming how many rows hold NaN or infinity, and ``ValueError`` for
    a shape that is not one row of class probabilities per example (a programming error, not user input).
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 1:
        p = np.column_stack([1.0 - p, p])
    if p.ndim != 2:
        raise ValueError(f"Probabilities must be one row per example (N x classes); got shape {p.shape}.")
    check_finite(p, what)
    return p


def check_finite(values: np.ndarray, what: str = "The model") -> None:
    """Raise :class:`InvalidPredictions` when any value is NaN or infinite (rows are examples)."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if finite.all():
        return
    rows = finite.reshape(len(values), -1).all(axis=1) if values.ndim and len(values) else finite.reshape(1)
    bad = int((~rows).sum())
    total = max(len(rows), 1)
    raise InvalidPredictions(
        f"{what} produced invalid probabilities (NaN or infinity) for {bad:,} of {total:,} "
        f"{'example' if total == 1 else 'examples'}, which usually means training diverged. {DIVERGED_HINT}"
    )


def all_finite(values: object) -> bool:
    """True when every value is a finite number (for checks that decide rather than raise)."""
    return bool(np.isfinite(np.asarray(values, dtype=np.float64)).all())
