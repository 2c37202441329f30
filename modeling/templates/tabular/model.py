"""A trained table model: the column encoder plus one or more members whose answers are blended.

A single template (trees, linear, neural network) is a :class:`TableModel` with one member; the automatic
template blends several with weights chosen on the validation rows. Every member answers in the task's
terms: class probabilities (N x K) for classification, the target in the user's units (N,) for regression
(members that learned the logarithm of the target, or a standardised target, convert back here).

Saving and loading (skops for scikit-learn members, ``.keras`` for the network, JSON for the rest) lives in
:mod:`modeling.runs.table.bundle`; this module only holds and runs the objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from modeling.templates import registry
from modeling.templates.tabular.encoding import TableEncoder

#: Member kinds and the input each reads: tree codes (NaN kept) or the dense one-hot / scaled matrix.
INPUTS = {"trees": "codes", "extra_trees": "codes", "linear": "dense", "neural_network": "dense"}
#: What follows a member's name when it is one of the k fold models of a bagged model ("trees, fold 2").
FOLD_SUFFIX = ", fold "


def model_of(member_name: str) -> tuple[str, bool]:
    """``(the model's name, whether this member is one of its fold models)``: "trees, fold 2" -> ("trees", True)."""
    name, fold, _ = member_name.partition(FOLD_SUFFIX)
    return name, bool(fold)


#: Plain names for member kinds, for leaderboards and reports.
KIND_NAMES = {
    "trees": "gradient-boosted trees",
    "extra_trees": "extra trees (a random forest)",
    "linear": "linear model",
    "neural_network": "neural network",
}


@dataclass
class Member:
    """One fitted model inside a :class:`TableModel`."""

    kind: str
    estimator: Any
    weight: float = 1.0
    log_target: bool = False
    #: Neural-network regression learns a standardised target: answer = output * y_std + y_mean.
    y_mean: float = 0.0
    y_std: float = 1.0
    name: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def is_network(self) -> bool:
        """A Keras network (saved as ``.keras``, answered batch by batch); otherwise a scikit-learn estimator."""
        return self.kind == "neural_network"

    def answer(self, inputs: dict[str, np.ndarray], regression: bool, n_classes: int) -> np.ndarray:
        """Probabilities (N x K) or values (N,) in the target's units."""
        x = inputs[INPUTS[self.kind]]
        if self.is_network:
            from modeling.templates.inference import predict_probabilities

            out = predict_probabilities(self.estimator, x.astype("float32"), batch_size=1024).astype(np.float64)
            if regression:
                values = out.reshape(len(x), -1)[:, 0] * self.y_std + self.y_mean
                return _from_log(values) if self.log_target else values
            return out
        if regression:
            values = np.asarray(self.estimator.predict(x), dtype=np.float64) if len(x) else np.zeros(0)
            return _from_log(values) if self.log_target else values
        probs = np.zeros((len(x), n_classes))
        if len(x):
            fitted = self.estimator.predict_proba(x)
            probs[:, np.asarray(self.estimator.classes_, dtype=int)] = fitted
        return probs


def _from_log(values: np.ndarray) -> np.ndarray:
    # exp of a wild extrapolation would overflow to infinity: cap it far beyond any real target.
    return np.expm1(np.clip(values, -50.0, 50.0))


class TableModel:
    """Encoder + members; ``predict(frame)`` gives probabilities or values. Thread-safe for reading."""

    def __init__(
        self,
        task: str,
        class_names: list[str],
        encoder: TableEncoder,
        members: list[Member],
        template: str,
    ) -> None:
        if not members:
            raise ValueError("A table model needs at least one fitted member.")
        self.task = task
        self.class_names = list(class_names)
        self.encoder = encoder
        self.members = members
        self.template = template

    @property
    def predicts_number(self) -> bool:
        """True when the task's answer is a number (regression), from the registry."""
        return registry.task(self.task).predicts_number

    @property
    def is_regression(self) -> bool:
        """The older name of :attr:`predicts_number`, kept for callers not yet moved over."""
        return self.predicts_number

    def inputs(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """The encodings the members need (each computed once)."""
        needed = {INPUTS[m.kind] for m in self.members}
        out = {}
        if "codes" in needed:
            out["codes"] = self.encoder.codes(frame)
        if "dense" in needed:
            out["dense"] = self.encoder.dense(frame)
        return out

    def member_answers(self, frame: pd.DataFrame) -> list[np.ndarray]:
        inputs = self.inputs(frame)
        return [m.answer(inputs, self.predicts_number, len(self.class_names)) for m in self.members]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Blended probabilities (N x K, rows sum to 1) or values (N,)."""
        answers = self.member_answers(frame)
        weights = np.asarray([max(m.weight, 0.0) for m in self.members], dtype=np.float64)
        weights = weights / weights.sum() if weights.sum() > 0 else np.full(len(weights), 1.0 / len(weights))
        blended = sum(w * a for w, a in zip(weights, answers, strict=True))
        if not self.predicts_number:
            blended = np.clip(blended, 0.0, None)
            blended = blended / np.maximum(blended.sum(axis=1, keepdims=True), 1e-12)
        return np.asarray(blended, dtype=np.float64)

    def describe(self) -> str:
        """'gradient-boosted trees' or 'a blend of 3 models: ...' for summaries."""
        if len(self.members) == 1:
            return KIND_NAMES.get(self.members[0].kind, self.members[0].kind)
        weights: dict[str, float] = {}
        folds: dict[str, int] = {}
        for m in self.members:  # a model answering with its fold models is one model of the blend
            name, is_fold = model_of(m.name or KIND_NAMES.get(m.kind, m.kind))
            weights[name] = weights.get(name, 0.0) + m.weight
            folds[name] = folds.get(name, 0) + is_fold
        if len(weights) == 1:
            name = next(iter(weights))
            return name + (f" ({folds[name]} fold models)" if folds[name] else "")
        parts = [f"{n} ({w:.0%}" + (f", {folds[n]} fold models)" if folds[n] else ")") for n, w in weights.items()]
        return f"a blend of {len(weights)} models: " + ", ".join(parts)
