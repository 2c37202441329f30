"""The stacker of the automatic table template: greedy ensemble selection over the members' held-out answers.

Caruana et al. (2004), "Ensemble selection from libraries of models", as AutoGluon's ``WeightedEnsemble``
does it: start from the best member and, round after round, add (with replacement) the member that makes the
running average best; a member's weight is its share of the picks. The weights are therefore never negative
and sum to 1, a member that only adds noise gets 0, and a handful of rounds cannot over-fit the way a free
linear stacker with one coefficient per member and class can on a few hundred rows.

The answers it weighs must be held out from the member that gave them: out-of-fold answers when the members
are bagged (:mod:`modeling.training.table.bagging`), the validation rows' answers otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

#: Rounds of greedy selection: weights in steps of 1/ROUNDS (AutoGluon's default ensemble size is 25 too).
ROUNDS = 25

Score = Callable[[np.ndarray, np.ndarray], float]


def greedy_weights(answers: Sequence[np.ndarray], y: np.ndarray, score: Score, rounds: int = ROUNDS) -> list[float]:
    """The share of picks of each member after ``rounds`` of greedy selection with replacement (lower is better).

    Every round adds the member that makes the running average best; all rounds are played (picking one again
    refines its weight) and the picks of the best-scoring round are kept, so the result is never worse on
    ``y`` than the best single member.
    """
    if not answers:
        raise ValueError("Greedy ensemble selection needs at least one member's answers.")
    counts = np.zeros(len(answers))
    total = np.zeros_like(answers[0], dtype=np.float64)
    best_score, best_counts = math.inf, counts.copy()
    for r in range(1, rounds + 1):
        scores = [score(y, (total + a) / r) for a in answers]
        pick = int(np.argmin(scores))
        counts[pick] += 1
        total = total + answers[pick]
        if scores[pick] < best_score - 1e-12:
            best_score, best_counts = scores[pick], counts.copy()
    return (best_counts / best_counts.sum()).tolist()


def blend(answers: Sequence[np.ndarray], weights: Sequence[float], predicts_number: bool) -> np.ndarray:
    """The weighted average of answers, probabilities renormalised: what the saved model's ``predict`` gives."""
    w = np.maximum(np.asarray(weights, dtype=np.float64), 0.0)
    w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w))
    out = np.asarray(sum(wi * a for wi, a in zip(w, answers, strict=True)), dtype=np.float64)
    if not predicts_number:
        out = np.clip(out, 0.0, None)
        out = out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
    return out
