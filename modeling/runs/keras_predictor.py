"""A saved text or image run that answers: one text or drawing at a time, or a whole table.

:class:`KerasPredictor` is what :func:`modeling.runs.loading.load_predictor` returns for the ``keras`` family.
It loads the run's ``model.keras`` with ``safe_mode=True`` (:mod:`modeling.runs.keras_file`) and calls the
model directly rather than through ``model.predict`` (which costs ~40 ms of set-up per call), so a single
answer is quick enough to feel instant. What it reads (a text column, or pictures) is its reader from
:mod:`modeling.runs.keras_inputs`, chosen by the task's kind; everything else is the same for both.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from modeling.errors import DataError
from modeling.evaluation.calibration import apply_temperature
from modeling.evaluation.decisions import Decision
from modeling.evaluation.metrics import compute_metrics
from modeling.evaluation.probabilities import check_finite
from modeling.runs.answers import add_class_columns, class_answers, label_indices
from modeling.runs.decision_rules import load_decision
from modeling.runs.keras_file import load_bundle_model
from modeling.runs.keras_inputs import READERS, TextColumn
from modeling.runs.protocol import InputColumn, ScoredBatch
from modeling.runs.store import Run
from modeling.templates import registry


@dataclass(frozen=True)
class Prediction:
    """One answer: the label the run's decision rule gives, its probability and every class's probability.

    ``needs_review`` is True when the model is less sure than the run's saved ``min_confidence``
    ("not sure: send to a person"); ``reason`` says why in words. Probabilities are calibrated.
    """

    label: str
    confidence: float
    probabilities: dict[str, float]
    needs_review: bool = False
    reason: str = ""


class KerasPredictor:
    """A loaded model plus its class names, task, calibration and decision rule; thread-safe.

    ``temperature`` (from the run's calibration) softens or sharpens the model's probabilities without
    changing the top class; ``decision`` (the run's saved ``decision.json``) turns them into answers:
    a threshold for two classes or a cost matrix, and a confidence below which a person should look.
    ``reads`` is what the model reads (default: the reader of the task's kind, built from the model).
    """

    def __init__(
        self,
        model: Any,
        class_names: Sequence[str],
        task: str,
        temperature: float = 1.0,
        decision: Decision | None = None,
        reads: Any = None,
    ):
        self.model = model
        self.class_names = list(class_names)
        self.task = task
        self.temperature = float(temperature)
        self.decision = decision if decision is not None else Decision()
        self.reads = reads if reads is not None else READERS[registry.task(task).kind].for_run(model)
        self._forward: Any = None  # compiled on first use

    @classmethod
    def from_run(cls, run: Run) -> KerasPredictor:
        """The run's ``model.keras`` with its calibration and saved decision rule."""
        model = load_bundle_model(run.model_path)
        calibration = (run.evaluation or {}).get("calibration") or {}
        decision = load_decision(run.path)
        decision.check_classes(run.class_names)
        return cls(
            model,
            run.class_names,
            run.task,
            temperature=float(calibration.get("temperature") or 1.0),
            decision=decision,
            reads=READERS[registry.task(run.task).kind].for_run(model, run),
        )

    @property
    def image_shape(self) -> tuple[int, ...] | None:
        """The pictures' H x W x C an image model reads (``None`` for texts)."""
        return self.reads.shape

    def using(self, decision: Decision) -> KerasPredictor:
        """The same loaded model with another decision rule (cheap: the model is shared, not copied)."""
        decision.check_classes(self.class_names)
        other = copy.copy(self)
        other.decision = decision
        return other

    # ---- the protocol ------------------------------------------------------------------------------------------
    def input_schema(self) -> list[InputColumn]:
        return self.reads.schema()

    def score_frame(self, frame: pd.DataFrame, on_progress: Callable[[float], None] | None = None) -> ScoredBatch:
        """Every row of ``frame`` with its label, confidence, review flag and reason, and each class's probability."""
        return self._score(frame, self.reads.column_inputs(frame), on_progress)

    def evaluate_frame(self, frame: pd.DataFrame) -> dict[str, Any]:
        """:func:`~modeling.evaluation.metrics.compute_metrics` on a labelled table (labels matched by name)."""
        inputs, names, notes = self.reads.labelled(frame)
        metrics = compute_metrics(label_indices(names, self.class_names), self.predict(inputs), self.class_names)
        metrics["notes"] = notes
        return metrics

    # ---- many at once ------------------------------------------------------------------------------------------
    def predict(self, inputs: Sequence[str] | np.ndarray, batch_size: int = 256, calibrated: bool = True) -> np.ndarray:
        """Probabilities, shape (N, classes); calibrated with the run's temperature unless ``calibrated=False``."""
        probs = self._raw_predict(inputs, batch_size)
        if calibrated and self.temperature != 1.0:
            probs = apply_temperature(probs, self.temperature).astype("float32")
        return probs

    def answers(self, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Under the decision rule: class index per row, whether a person should look, and why."""
        return class_answers(probs, self.class_names, self.decision)

    def score_texts(
        self,
        df: pd.DataFrame,
        column: str,
        on_progress: Callable[[float], None] | None = None,
        batch_size: int = 512,
    ) -> pd.DataFrame:
        """``df`` with the answer columns, reading the texts of ``column`` (any column, not only the trained one)."""
        if not isinstance(self.reads, TextColumn):
            raise DataError("Scoring a column of texts needs a text model; this run classifies images.")
        inputs = replace(self.reads, name=str(column)).column_inputs(df)
        return self._score(df, inputs, on_progress, batch_size).frame

    def _score(
        self,
        frame: pd.DataFrame,
        inputs: np.ndarray,
        on_progress: Callable[[float], None] | None,
        batch_size: int = 512,
    ) -> ScoredBatch:
        chunks = []
        for start in range(0, len(inputs), batch_size):
            chunks.append(self.predict(inputs[start : start + batch_size]))
            if on_progress:
                on_progress(min(1.0, (start + batch_size) / max(1, len(inputs))))
        probs = np.concatenate(chunks) if chunks else np.zeros((0, len(self.class_names)), dtype="float32")
        out = frame.copy()
        added = add_class_columns(out, probs, self.class_names, self.decision)
        if on_progress:
            on_progress(1.0)
        return ScoredBatch(out, [], added)

    def _raw_predict(self, inputs: Sequence[str] | np.ndarray, batch_size: int = 256) -> np.ndarray:
        from modeling.templates.inference import compiled_forward, predict_probabilities

        arr = self.reads.model_inputs(inputs)
        if self._forward is None:
            self._forward = compiled_forward(self.model)
        probs = predict_probabilities(self.model, arr, batch_size=batch_size, call=self._forward)
        check_finite(probs, "This model")  # a diverged bundle must say so, not answer at random
        return probs

    # ---- one at a time -----------------------------------------------------------------------------------------
    def predict_one(self, item: str | np.ndarray) -> Prediction:
        """One text, or one picture as the model's pixels (H x W x C)."""
        probs = self.predict([item] if isinstance(item, str) else np.asarray(item)[None, ...])
        chosen, flagged, reasons = self.answers(probs)
        top = int(chosen[0])
        return Prediction(
            label=self.class_names[top],
            confidence=float(probs[0][top]),
            probabilities={name: float(p) for name, p in zip(self.class_names, probs[0], strict=True)},
            needs_review=bool(flagged[0]),
            reason=reasons[0],
        )
