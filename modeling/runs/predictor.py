"""Use a saved model: one text or drawing at a time, or a whole table.

:class:`Predictor` loads a run's ``model.keras`` with ``safe_mode=True`` and
answers with probabilities. It calls the model directly rather than
``model.predict`` (which costs ~40 ms of set-up per call), so a single answer
is quick enough to feel instant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modeling.errors import DataError, RunError
from modeling.evaluation.calibration import apply_temperature
from modeling.evaluation.decisions import Decision, decide, needs_review, review_reason
from modeling.evaluation.probabilities import check_finite
from modeling.runs.decision_rules import load_decision
from modeling.runs.store import Run


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


def load_bundle_model(path: Path):
    """Load one of our own ``.keras`` bundles, refusing anything that would run code."""
    import keras

    from modeling.templates.layers import import_encoder_libraries  # registers ModelDeck's own layers too

    import_encoder_libraries()

    path = Path(path)
    if path.suffix != ".keras" or path.is_symlink() or not path.is_file():
        raise RunError("Only ModelDeck's own .keras model files can be loaded.")
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:
        text = str(exc).strip()
        first = text.splitlines()[0][:200] if text else type(exc).__name__
        first = first.replace(str(path.parent), "…").replace(str(path.resolve().parent), "…")  # no server paths
        if "Lambda" in text or "lambda" in text:
            raise RunError(
                "This model file contains a Lambda layer (Python code inside the model), so it was not loaded: "
                "ModelDeck only loads models it built itself, which never contain code."
            ) from None
        unknown = re.search(r"Could not locate (?:class|function) '([^']{1,80})'", text)
        if unknown:
            raise RunError(
                f"This model file was refused: it uses an object ModelDeck does not know ('{unknown.group(1)}'). "
                "Only models trained in ModelDeck can be used."
            ) from None
        raise RunError(
            f"This model file is damaged or is not a model ModelDeck can load safely ({first}). "
            "Only models trained in ModelDeck can be used."
        ) from None


class Predictor:
    """A loaded model plus its class names, task, calibration and decision rule; thread-safe.

    ``temperature`` (from the run's calibration) softens or sharpens the model's probabilities without
    changing the top class; ``decision`` (the run's saved ``decision.json``) turns them into answers:
    a threshold for two classes or a cost matrix, and a confidence below which a person should look.
    """

    def __init__(
        self,
        model: Any,
        class_names: Sequence[str],
        task: str,
        image_shape: tuple[int, ...] | None = None,
        temperature: float = 1.0,
        decision: Any = None,
    ):

        self.model = model
        self.class_names = list(class_names)
        self.task = task
        self.image_shape = image_shape or (tuple(model.input_shape[1:]) if task == "image_classification" else None)
        self.temperature = float(temperature)
        self.decision = decision if decision is not None else Decision()
        self._forward: Any = None  # compiled on first use

    @classmethod
    def from_run(cls, run: Run) -> Predictor:
        """``run`` is a :class:`modeling.runs.store.Run`; its calibration and saved decision rule come along."""
        if run.task in ("tabular_classification", "tabular_regression"):
            # Tables load through skops / .keras / JSON and answer rows: a TablePredictor (same decision rule API).
            from modeling.runs.table_predictor import TablePredictor

            return TablePredictor.from_run(run)  # type: ignore[return-value]

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
        )

    def using(self, decision: Any) -> Predictor:
        """The same loaded model with another decision rule (cheap: the model is shared, not copied)."""
        import copy

        decision.check_classes(self.class_names)
        other = copy.copy(self)
        other.decision = decision
        return other

    # ---- many at once ---------------------------------------------------------------------
    def predict(self, inputs: Sequence[str] | np.ndarray, batch_size: int = 256, calibrated: bool = True) -> np.ndarray:
        """Probabilities, shape (N, classes); calibrated with the run's temperature unless ``calibrated=False``."""
        probs = self._raw_predict(inputs, batch_size)
        if calibrated and self.temperature != 1.0:
            probs = apply_temperature(probs, self.temperature).astype("float32")
        return probs

    def answers(self, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Under the decision rule: class index per row, whether a person should look, and why."""

        chosen = decide(probs, self.class_names, self.decision)
        flagged = needs_review(probs, self.decision)
        top = np.asarray(probs).max(axis=1) if len(probs) else np.zeros(0)
        reasons = [review_reason(float(t), self.decision) if f else "" for t, f in zip(top, flagged, strict=True)]
        return chosen, flagged, reasons

    def _raw_predict(self, inputs: Sequence[str] | np.ndarray, batch_size: int = 256) -> np.ndarray:
        from modeling.templates.inference import predict_probabilities

        if self.task == "text_classification":
            arr = np.asarray([str(t) for t in inputs], dtype=str)
        else:
            arr = self._check_images(np.asarray(inputs))
        if self._forward is None:
            from modeling.templates.inference import compiled_forward

            self._forward = compiled_forward(self.model)
        probs = predict_probabilities(self.model, arr, batch_size=batch_size, call=self._forward)
        check_finite(probs, "This model")  # a diverged bundle must say so, not answer at random
        return probs

    def _check_images(self, images: np.ndarray) -> np.ndarray:
        if images.ndim == 3:
            images = images[..., None]
        expected = tuple(self.image_shape or ())
        if tuple(images.shape[1:]) != expected:
            raise DataError(
                f"The images are {images.shape[1]}x{images.shape[2]} with {images.shape[3]} channel(s), "
                f"but the model expects {expected[0]}x{expected[1]} with {expected[2]}."
            )
        return images.astype("float32")

    # ---- one at a time --------------------------------------------------------------------
    def predict_one(self, item: str | np.ndarray) -> Prediction:
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

    # ---- tables ---------------------------------------------------------------------------
    def score_table(
        self,
        df: pd.DataFrame,
        column: str,
        on_progress: Callable[[float], None] | None = None,
        batch_size: int = 512,
    ) -> pd.DataFrame:
        """Add 'predicted_label', 'confidence', 'needs_review', 'review_reason' and one probability column per class.

        Labels follow the run's decision rule (threshold or cost matrix); ``needs_review`` is True for rows
        the model is less sure of than the rule's ``min_confidence``, and ``review_reason`` says why.
        """
        if self.task != "text_classification":
            raise DataError("Scoring a table needs a text model; this run classifies images.")
        if column not in df.columns:
            raise DataError(f"The table has no column '{column}'. Columns: {', '.join(map(str, df.columns))}.")
        texts = df[column].fillna("").astype(str).to_numpy(str)
        chunks = []
        for start in range(0, len(texts), batch_size):
            chunks.append(self.predict(texts[start : start + batch_size]))
            if on_progress:
                on_progress(min(1.0, (start + batch_size) / max(1, len(texts))))
        probs = np.concatenate(chunks) if chunks else np.zeros((0, len(self.class_names)))
        out = df.copy()
        chosen, flagged, reasons = self.answers(probs)
        out["predicted_label"] = [self.class_names[i] for i in chosen]
        out["confidence"] = probs[np.arange(len(probs)), chosen].round(4) if len(probs) else []
        out["needs_review"] = flagged.tolist()
        out["review_reason"] = reasons
        for k, name in enumerate(self.class_names):
            out[f"probability_{name}"] = probs[:, k].round(4) if len(probs) else []
        if on_progress:
            on_progress(1.0)
        return out


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_safe_csv(df: pd.DataFrame) -> bytes:
    """CSV bytes safe to open in Excel or Google Sheets (no formula injection)."""
    safe = df.copy()
    safe.columns = [neutralise_cell(str(c)) for c in safe.columns]
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(neutralise_cell)
    return safe.to_csv(index=False).encode("utf-8")
