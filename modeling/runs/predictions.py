"""A run's test (and validation) probabilities, saved beside the model so charts never re-run it.

Calibration, coverage and money-on-the-threshold charts all need the probability of every class for
every test example. :func:`run_experiment` saves them in ``predictions.npz`` (plain arrays, no pickle):

    test_labels (N,) int64          test_probs (N, K) float32         raw model output, before calibration
    validation_labels (M,) int64    validation_probs (M, K) float32   M may be 0
    temperature () float64          the calibration temperature (1.0 = none)

:func:`load_predictions` reads them, or, for runs saved before this file existed (and the read-only
starters), recomputes the test probabilities from ``model.keras`` and ``test.npz`` once; an own run
then keeps the file, a starter keeps it in memory only. ``SavedPredictions.test_probs`` is calibrated.

:func:`complete_evaluation` fills in what an older ``evaluation.json`` lacks (intervals, calibration
measured on the test split) from those probabilities, so every run gets the same Evaluate page.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from modeling.errors import RunError
from modeling.evaluation import schema
from modeling.evaluation.calibration import apply_temperature
from modeling.evaluation.schema import Evaluation
from modeling.runs.loading import load_predictor
from modeling.runs.store import Run, atomic_write

log = logging.getLogger(__name__)

PREDICTIONS_FILE = "predictions.npz"
_MEMORY: dict[tuple[str, float], SavedPredictions] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class SavedPredictions:
    test_labels: np.ndarray
    test_raw: np.ndarray
    validation_labels: np.ndarray
    validation_raw: np.ndarray
    temperature: float = 1.0

    @property
    def test_probs(self) -> np.ndarray:
        """Calibrated test probabilities: what Predict would have said for each test example."""
        return apply_temperature(self.test_raw, self.temperature)

    @property
    def validation_probs(self) -> np.ndarray:
        return (
            apply_temperature(self.validation_raw, self.temperature)
            if len(self.validation_raw)
            else self.validation_raw
        )


def save_predictions(
    run_dir: Path,
    test_labels: np.ndarray,
    test_raw: np.ndarray,
    validation_labels: np.ndarray | None,
    validation_raw: np.ndarray | None,
    temperature: float,
) -> None:
    """Write ``predictions.npz`` atomically (float32 probabilities, int64 labels)."""

    k = np.asarray(test_raw).shape[1]
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        test_labels=np.asarray(test_labels, dtype=np.int64),
        test_probs=np.asarray(test_raw, dtype=np.float32),
        validation_labels=np.asarray(validation_labels if validation_labels is not None else [], dtype=np.int64),
        validation_probs=np.asarray(
            validation_raw if validation_raw is not None else np.zeros((0, k)), dtype=np.float32
        ).reshape(-1, k),
        temperature=np.float64(temperature),
    )
    atomic_write(Path(run_dir) / PREDICTIONS_FILE, buffer.getvalue())


def _read(path: Path) -> SavedPredictions:
    try:
        with np.load(path, allow_pickle=False) as z:
            return SavedPredictions(
                test_labels=z["test_labels"].astype(np.int64),
                test_raw=z["test_probs"].astype(np.float64),
                validation_labels=z["validation_labels"].astype(np.int64),
                validation_raw=z["validation_probs"].astype(np.float64),
                temperature=float(z["temperature"]),
            )
    except (OSError, KeyError, ValueError) as exc:
        raise RunError(f"The saved predictions of this run are damaged ({exc}).") from None


def load_predictions(run: Run, compute_if_missing: bool = True) -> SavedPredictions:
    """The run's saved probabilities; computed from the model and test split when the file is missing.

    ``run`` is a :class:`modeling.runs.store.Run`. Raises :class:`RunError` with a sentence when neither works.
    """
    path = Path(run.path) / PREDICTIONS_FILE
    if path.exists():
        return _read(path)
    if not compute_if_missing:
        raise RunError("This run has no saved predictions.")
    model_path = Path(run.path) / "model.keras"
    key = (str(Path(run.path).resolve()), model_path.stat().st_mtime if model_path.exists() else 0.0)
    with _LOCK:
        if key in _MEMORY:
            return _MEMORY[key]

    test = run.load_test()
    predictor = load_predictor(run)
    raw = predictor.predict(test.inputs, calibrated=False).astype(np.float64)
    temperature = float(((run.evaluation or {}).get("calibration") or {}).get("temperature") or 1.0)
    saved = SavedPredictions(
        test_labels=test.labels.astype(np.int64),
        test_raw=raw,
        validation_labels=np.zeros(0, dtype=np.int64),
        validation_raw=np.zeros((0, raw.shape[1])),
        temperature=temperature,
    )
    if not getattr(run.info, "starter", False):
        try:
            save_predictions(Path(run.path), saved.test_labels, raw, None, None, temperature)
        except OSError:
            log.warning("Could not keep the recomputed predictions of %s", run.path, exc_info=True)
    with _LOCK:
        _MEMORY[key] = saved
    return saved


def complete_evaluation(
    evaluation: Mapping[str, Any], predictions: SavedPredictions, class_names: list[str]
) -> Evaluation:
    """``evaluation`` with intervals and calibration added where an older run lacks them (a new dict)."""
    has_val = len(predictions.validation_labels) > 0
    return schema.complete_evaluation(
        evaluation,
        predictions.test_labels,
        predictions.test_probs,
        predictions.test_raw,
        class_names,
        predictions.validation_labels if has_val else None,
        predictions.validation_raw if has_val else None,
    )
