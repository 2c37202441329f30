"""From probabilities to actions: when to let the model answer, where to set the threshold, what it is worth.

Three rules a founder can set on the Evaluate page and that then travel with the run:

* **Coverage** (any number of classes): the model only answers when its (calibrated) top probability is
  at least ``min_confidence``; the rest go to a person. :func:`coverage_at` and :func:`coverage_curve`
  say what share it answers and how often it is right on those.
* **Threshold with money** (two classes): act on ``positive_class`` when its probability is at least
  ``threshold``. With a value for each of the four outcomes (:class:`OutcomeValues`, in the user's own
  currency), :func:`value_curve` gives the expected value per 1,000 cases at every threshold and
  :func:`best_threshold` the one that earns most.
* **Cost matrix** (three or more classes): ``cost[true][answer]`` per case; :func:`min_cost_decisions`
  answers the class with the lowest expected cost instead of the most probable one.

The saved rule is ``decision.json`` in the run folder (contract, read by Predict, the batch export, the
command line, the report and the compare view)::

    {"min_confidence": float | null,      # 0..1; answers below it are flagged for a person
     "threshold": float | null,           # two classes: act on positive_class when p >= threshold
     "positive_class": str | null,        # the class the threshold is about
     "outcome_values": {"tp", "fp", "fn", "tn": float} | null,   # value per case (negative = cost)
     "outcome_names": {"tp", "fp", "fn", "tn": str} | null,      # the user's words for each outcome
     "currency": str,                     # free text such as "€" or "USD", shown escaped
     "cost_matrix": [[float]] | null,     # three or more classes: cost[true][answer]
     "expected_value_per_1000": float | null,          # at the saved rule, on the test split
     "expected_value_default_per_1000": float | null,  # at 0.5 / most probable class
     "coverage": {"level", "n", "answered", "answered_share", "accuracy_answered", "right_answered"} | null,
                                          # at min_confidence, on the test split (from coverage_at)
     "saved": str | null}                 # ISO time of saving; null = nothing saved (defaults)

Reading and writing ``decision.json`` lives in :mod:`modeling.runs.decision_rules`; this module is maths only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from modeling import format as fmt
from modeling.errors import ConfigError
from modeling.evaluation.probabilities import probability_matrix
from modeling.format import money

#: Thresholds tried on the value chart: 0.00, 0.01, ..., 1.00.
THRESHOLDS = np.round(np.linspace(0.0, 1.0, 101), 2)
#: Confidence levels on the coverage chart (in 0..1).
COVERAGE_LEVELS = np.round(np.linspace(0.0, 1.0, 101), 2)
MAX_VALUE = 1e12


class OutcomeValues(BaseModel):
    """What one case is worth, per outcome, in the user's currency (costs are negative numbers)."""

    model_config = ConfigDict(extra="forbid")

    tp: float = Field(100.0, description="acted on, and rightly so (a caught case)")
    fp: float = Field(-20.0, description="acted on, but it was not needed (a wasted action)")
    fn: float = Field(-50.0, description="not acted on, but it was needed (a missed case)")
    tn: float = Field(0.0, description="left alone, rightly")

    @field_validator("tp", "fp", "fn", "tn")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value) or abs(value) > MAX_VALUE:
            raise ValueError(f"must be a finite amount between -{MAX_VALUE:,.0f} and {MAX_VALUE:,.0f}")
        return value


class OutcomeNames(BaseModel):
    """The user's own words for the four outcomes (e.g. 'unhappy customer caught', 'wasted offer')."""

    model_config = ConfigDict(extra="forbid")

    tp: str = Field("caught", max_length=80)
    fp: str = Field("false alarm", max_length=80)
    fn: str = Field("missed", max_length=80)
    tn: str = Field("rightly left alone", max_length=80)


class Decision(BaseModel):
    """How a run's probabilities become answers; see the module docstring for the saved form."""

    model_config = ConfigDict(extra="ignore")

    min_confidence: float | None = Field(None, ge=0.0, le=1.0)
    threshold: float | None = Field(None, ge=0.0, le=1.0)
    positive_class: str | None = None
    outcome_values: OutcomeValues | None = None
    outcome_names: OutcomeNames | None = None
    currency: str = Field("", max_length=12)
    cost_matrix: list[list[float]] | None = None
    expected_value_per_1000: float | None = None
    expected_value_default_per_1000: float | None = None
    coverage: dict[str, Any] | None = None
    saved: str | None = None

    @field_validator("cost_matrix")
    @classmethod
    def _square(cls, value: list[list[float]] | None) -> list[list[float]] | None:
        if value is None:
            return None
        k = len(value)
        if k < 2 or any(len(row) != k for row in value):
            raise ValueError("must be square: one row and one column per class")
        if not all(math.isfinite(v) and abs(v) <= MAX_VALUE for row in value for v in row):
            raise ValueError("must hold finite amounts")
        return value

    def check_classes(self, class_names: Sequence[str]) -> None:
        """Refuse a rule that does not fit the run's classes, with a sentence saying why."""
        if self.positive_class is not None and self.positive_class not in class_names:
            raise ConfigError(
                f"positive_class = '{self.positive_class}' is not one of the model's classes "
                f"({', '.join(map(str, class_names))})."
            )
        if self.threshold is not None and len(class_names) != 2:
            raise ConfigError(f"A threshold needs a two-class model; this one has {len(class_names)} classes.")
        if self.cost_matrix is not None and len(self.cost_matrix) != len(class_names):
            raise ConfigError(
                f"The cost matrix is {len(self.cost_matrix)}x{len(self.cost_matrix)} but the model has "
                f"{len(class_names)} classes."
            )


# ---- applying a rule --------------------------------------------------------------------------------------------
def decide(probs: np.ndarray, class_names: Sequence[str], decision: Decision) -> np.ndarray:
    """Class index per row under ``decision``: threshold (two classes), lowest expected cost, or most probable."""
    p = probability_matrix(probs)
    if len(p) == 0:
        return np.zeros(0, dtype=np.int64)
    if decision.threshold is not None and p.shape[1] == 2:
        pos = _positive_index(class_names, decision.positive_class)
        return np.where(p[:, pos] >= decision.threshold - 1e-12, pos, 1 - pos).astype(np.int64)
    if decision.cost_matrix is not None and len(decision.cost_matrix) == p.shape[1]:
        return min_cost_decisions(p, decision.cost_matrix)
    return p.argmax(axis=1).astype(np.int64)


def needs_review(probs: np.ndarray, decision: Decision) -> np.ndarray:
    """True where the top probability is below ``min_confidence`` (such rows go to a person)."""
    p = probability_matrix(probs)
    if decision.min_confidence is None or len(p) == 0:
        return np.zeros(len(p), dtype=bool)
    return p.max(axis=1) < decision.min_confidence - 1e-12


def review_reason(top_probability: float, decision: Decision) -> str:
    """Why one row was flagged, in words ('' when it was not)."""
    if decision.min_confidence is None or top_probability >= decision.min_confidence - 1e-12:
        return ""
    return f"only {top_probability:.0%} sure, below the {decision.min_confidence:.0%} set for automatic answers"


def describe_rule(decision: Decision, class_names: Sequence[str]) -> str:
    """The saved rule in one plain sentence (class names are returned raw: escape them when rendering)."""
    parts = []
    if decision.threshold is not None and len(class_names) == 2:
        pos = class_names[_positive_index(class_names, decision.positive_class)]
        parts.append(f"answers '{pos}' when its probability is at least {decision.threshold:.0%}")
    elif decision.cost_matrix is not None:
        parts.append("answers the class with the lowest expected cost (saved cost matrix)")
    else:
        parts.append("answers the most probable class")
    if decision.min_confidence:
        parts.append(f"sends answers below {decision.min_confidence:.0%} sure to a person")
    return "The model " + " and ".join(parts) + "."


def positive_index(class_names: Sequence[str], positive_class: str | None) -> int:
    """Index of the class a threshold is about: ``positive_class`` when it is one of them, else the second."""
    names = [str(c) for c in class_names]
    if positive_class is not None and positive_class in names:
        return names.index(positive_class)
    return 1


_positive_index = positive_index  # the report module uses the older private name


# ---- coverage ---------------------------------------------------------------------------------------------------
def coverage_at(y: np.ndarray, probs: np.ndarray, level: float) -> dict[str, Any]:
    """Answer only when the top probability is >= ``level``: share answered and accuracy on those."""
    p = probability_matrix(probs)
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    n = len(y)
    top = p.max(axis=1)
    answered = top >= level - 1e-12
    count = int(answered.sum())
    right = int((p.argmax(axis=1)[answered] == y[answered]).sum())
    return {
        "level": float(level),
        "n": n,
        "answered": count,
        "answered_share": count / n if n else 0.0,
        "accuracy_answered": right / count if count else None,
        "right_answered": right,
    }


def coverage_curve(y: np.ndarray, probs: np.ndarray, levels: Sequence[float] | None = None) -> dict[str, list]:
    """Share answered and accuracy among the answered at every confidence level (vectorised)."""
    p = probability_matrix(probs)
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    levels = np.asarray(COVERAGE_LEVELS if levels is None else levels, dtype=np.float64)
    n = max(len(y), 1)
    top = p.max(axis=1)
    right = (p.argmax(axis=1) == y).astype(np.float64)
    order = np.argsort(-top, kind="stable")
    top_sorted, right_cum = top[order], np.cumsum(right[order])
    # answered at level L = examples with top >= L = the first m in descending order
    m = np.searchsorted(-top_sorted, -levels + 1e-12, side="right")
    right_at = np.where(m > 0, right_cum[np.maximum(m - 1, 0)], 0.0)
    return {
        "level": [round(float(v), 4) for v in levels],
        "answered_share": [round(float(v) / n, 6) for v in m],
        "accuracy_answered": [round(float(r / c), 6) if c else None for r, c in zip(right_at, m, strict=True)],
        "answered": [int(v) for v in m],
    }


def coverage_sentence(coverage: dict[str, Any]) -> str:
    """'If the model only answers when it is at least 90% sure, it answers 72% of cases and is right in 98% ...'"""
    level = coverage["level"]
    share = coverage["answered_share"]
    if coverage["answered"] == 0:
        return (
            f"If the model only answers when it is at least {level:.0%} sure, it answers none of the "
            f"{coverage['n']:,} test cases: every case would go to a person. Lower the level."
        )
    accuracy = coverage["accuracy_answered"]
    rest = 1.0 - share
    everything = coverage["answered"] >= coverage["n"]
    tail = "none go to a person." if everything else f"the other {fmt.share(rest)} go to a person."
    return (
        f"If the model only answers when it is at least {level:.0%} sure, it answers {fmt.share(share)} of cases "
        f"and is right in {fmt.share(accuracy)} of those; {tail}"
    )


# ---- money on the threshold (two classes) -------------------------------------------------------------------------
def value_curve(
    y: np.ndarray,
    probs: np.ndarray,
    values: OutcomeValues,
    positive: int = 1,
    thresholds: Sequence[float] | None = None,
) -> dict[str, list]:
    """Expected value per 1,000 cases at each threshold, acting on class ``positive`` when p >= threshold.

    Also returns the four outcome counts per threshold, so a chart or table can say where the money comes from.
    """
    p = probability_matrix(probs)
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    t = np.asarray(THRESHOLDS if thresholds is None else thresholds, dtype=np.float64)
    score = p[:, positive]
    is_pos = y == positive
    n = max(len(y), 1)
    # For each threshold, count positives/negatives with score >= t, via sorted scores.
    pos_scores = np.sort(score[is_pos])
    neg_scores = np.sort(score[~is_pos])
    tp = len(pos_scores) - np.searchsorted(pos_scores, t - 1e-12, side="left")
    fp = len(neg_scores) - np.searchsorted(neg_scores, t - 1e-12, side="left")
    fn = len(pos_scores) - tp
    tn = len(neg_scores) - fp
    total = tp * values.tp + fp * values.fp + fn * values.fn + tn * values.tn
    return {
        "threshold": [round(float(v), 4) for v in t],
        "value_per_1000": [round(1000.0 * float(v) / n, 4) for v in total],
        "tp": tp.tolist(),
        "fp": fp.tolist(),
        "fn": fn.tolist(),
        "tn": tn.tolist(),
    }


def best_threshold(curve: dict[str, list], default: float = 0.5) -> tuple[float, float]:
    """(threshold, value per 1,000) that earns most; among equals, the one nearest ``default``."""
    t = np.asarray(curve["threshold"], dtype=np.float64)
    v = np.asarray(curve["value_per_1000"], dtype=np.float64)
    best = v.max()
    candidates = np.flatnonzero(np.isclose(v, best, rtol=0, atol=1e-9))
    pick = candidates[np.argmin(np.abs(t[candidates] - default))]
    return float(t[pick]), float(v[pick])


def value_at(curve: dict[str, list], threshold: float) -> float:
    """Value per 1,000 at the tried threshold nearest ``threshold``."""
    t = np.asarray(curve["threshold"], dtype=np.float64)
    return float(curve["value_per_1000"][int(np.argmin(np.abs(t - threshold)))])


def value_sentence(best: tuple[float, float], default_value: float, currency: str = "", n: int = 0) -> str:
    """The difference in money between the best threshold and 0.5, per 1,000 cases (raw currency text)."""
    threshold, value = best
    diff = value - default_value
    where = f" (measured on {n:,} test cases)" if n else ""
    if abs(diff) < 0.5:
        return (
            f"The default threshold of 50% is already as good as any{where}: about {money(value, currency)} "
            "per 1,000 cases."
        )
    return (
        f"At a threshold of {threshold:.0%} the model earns about {money(value, currency)} per 1,000 cases, "
        f"against {money(default_value, currency)} at the default 50%: {money(diff, currency)} more per 1,000 "
        f"cases{where}."
    )


# ---- cost matrix (three or more classes) --------------------------------------------------------------------------
def default_cost_matrix(k: int) -> list[list[float]]:
    """0 for a right answer, 1 for any mistake: minimising it is plain most-probable-class answering."""
    return [[0.0 if i == j else 1.0 for j in range(k)] for i in range(k)]


def min_cost_decisions(probs: np.ndarray, cost: Sequence[Sequence[float]]) -> np.ndarray:
    """For each row, the answer i minimising sum_j p_j * cost[j][i] (expected cost; ties -> lowest index)."""
    p = probability_matrix(probs)
    c = np.asarray(cost, dtype=np.float64)
    if c.shape != (p.shape[1], p.shape[1]):
        raise ConfigError(f"The cost matrix must be {p.shape[1]}x{p.shape[1]} (one row and column per class).")
    return (p @ c).argmin(axis=1).astype(np.int64)


def cost_per_1000(y: np.ndarray, answers: np.ndarray, cost: Sequence[Sequence[float]]) -> float:
    """Average cost[true][answer] on the test set, per 1,000 cases."""
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    c = np.asarray(cost, dtype=np.float64)
    if len(y) == 0:
        return 0.0
    return float(1000.0 * c[y, np.asarray(answers, dtype=np.int64)].mean())


def cost_comparison(y: np.ndarray, probs: np.ndarray, cost: Sequence[Sequence[float]]) -> dict[str, float]:
    """Expected cost per 1,000 cases with the lowest-cost rule and with plain most-probable answers."""
    p = probability_matrix(probs)
    rule = min_cost_decisions(p, cost)
    plain = p.argmax(axis=1)
    return {
        "min_cost_per_1000": round(cost_per_1000(y, rule, cost), 4),
        "argmax_cost_per_1000": round(cost_per_1000(y, plain, cost), 4),
        "changed_share": float((rule != plain).mean()) if len(p) else 0.0,
    }
