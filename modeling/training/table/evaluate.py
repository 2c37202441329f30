"""A table run's evaluation on the test rows, against two baselines, and which columns matter.

Classification tables get the evaluation texts and images get (metrics with intervals, calibration,
ROC/PR, mistakes) against always the majority class and the linear template; regression tables get
:func:`~modeling.evaluation.schema.build_regression_evaluation` against the training mean and the linear
template, with split-conformal prediction intervals. Both add which columns matter (permutation importance
on the test rows) and partial dependence for the top columns. Which report a run gets is chosen once, by
:mod:`modeling.training.table.target`.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from modeling.data.dataset import Dataset
from modeling.evaluation import importance
from modeling.evaluation.metrics import compute_metrics
from modeling.evaluation.regression import baseline_entry
from modeling.evaluation.schema import build_evaluation, build_regression_evaluation
from modeling.format import amount
from modeling.runs.store import atomic_write
from modeling.runs.table.scoring import REGRESSION_PREDICTIONS
from modeling.templates.tabular.encoding import TableEncoder, is_number_column
from modeling.templates.tabular.model import TableModel
from modeling.training.table.estimators import fit_linear_model

log = logging.getLogger(__name__)

#: Columns whose categories get an error-by-segment table (the most common values of each).
MAX_SEGMENT_COLUMNS = 8
#: Top columns that get a partial-dependence curve.
PARTIAL_DEPENDENCE_COLUMNS = 3


def target_summary(dataset: Dataset) -> dict[str, Any]:
    """The number to predict in a few figures (its name, currency, mean, median, range)."""
    y = dataset.labels
    info = next((c for c in dataset.columns if getattr(c, "name", None) == dataset.target_column), None)
    currency = str(getattr(getattr(info, "format", None), "currency", "") or "")
    return {
        "name": dataset.target_column or "target",
        "currency": currency,
        "mean": float(np.mean(y)),
        "median": float(np.median(y)),
        "min": float(np.min(y)),
        "max": float(np.max(y)),
    }


def shared_rows(train: Dataset, validation: Dataset, test: Dataset) -> dict[str, Any]:
    """Test rows whose feature values exactly repeat a training or validation row (they flatter the score)."""
    import pandas as pd

    seen = pd.concat([train.frame, validation.frame], ignore_index=True)
    known = set(pd.util.hash_pandas_object(seen, index=False).tolist())
    hashes = pd.util.hash_pandas_object(test.frame, index=False).tolist()
    index = [i for i, h in enumerate(hashes) if h in known]
    return {
        "checked": True,
        "method": "exact rows (same value in every column the model reads)",
        "near_checked": False,
        "exact": len(index),
        "near": 0,
        "share_of_test": len(index) / len(test) if len(test) else 0.0,
        "test_indices": index,
        "examples": [],
    }


def _linear(config: Any, train: Dataset, test: Dataset, regression: bool) -> tuple[Any, np.ndarray, float]:
    """The linear template fitted on the training rows: (estimator, encoded test rows, training seconds)."""
    began = time.perf_counter()
    encoder = TableEncoder.fit(train.frame)
    estimator = fit_linear_model(encoder.dense(train.frame), train.labels, config.settings, regression)
    return estimator, encoder.dense(test.frame), time.perf_counter() - began


def classification_report(config: Any, train: Dataset, validation: Dataset, test: Dataset, raw_test, raw_val):
    """``evaluation.json`` of a classification table, against the majority class and logistic regression."""
    names = list(train.class_names)
    k = len(names)
    top = int(np.bincount(train.labels, minlength=k).argmax())
    majority_probs = np.zeros((len(test), k))
    majority_probs[:, top] = 1.0
    majority = compute_metrics(test.labels, majority_probs, names)
    majority.update(
        title="Always the majority class",
        description=f"Always answers '{names[top]}', the most common value of the target",
        always_answers=names[top],
        train_seconds=0.0,
    )
    estimator, x_test, seconds = _linear(config, train, test, regression=False)
    linear_probs = np.zeros((len(test), k))
    linear_probs[:, estimator.classes_.astype(int)] = estimator.predict_proba(x_test)
    linear = compute_metrics(test.labels, linear_probs, names)
    linear.update(
        title="Linear model (logistic regression)",
        description="Logistic regression on one-hot categories and scaled numbers: a strong, fast baseline",
        train_seconds=round(seconds, 4),
    )
    return build_evaluation(
        test.labels,
        raw_test,
        names,
        baselines={"majority": majority, "logistic": linear},
        y_validation=validation.labels if raw_val is not None else None,
        raw_validation=raw_val,
        shared_copies=shared_rows(train, validation, test),
    )


def regression_report(config: Any, model: TableModel, train, validation, test, predicted, predicted_val):
    """``evaluation.json`` of a regression table and the interval widths the bundle keeps for predictions."""
    mean = float(np.mean(train.labels))
    baselines = {
        "mean": baseline_entry(
            "Always the training average",
            f"Always answers {amount(mean)}, the average of the training rows",
            test.labels,
            np.full(len(test), mean),
        )
    }
    estimator, x_test, seconds = _linear(config, train, test, regression=True)
    baselines["linear"] = baseline_entry(
        "Linear model (ridge regression)",
        "Ridge regression on one-hot categories and scaled numbers: a strong, fast baseline",
        test.labels,
        np.asarray(estimator.predict(x_test), dtype=np.float64),
        seconds,
    )
    scale = "log" if any(m.log_target for m in model.members) and float(np.min(train.labels)) >= 0 else "absolute"
    segments = {}
    for name in test.frame.columns:
        if not is_number_column(test.frame[name]) and len(segments) < MAX_SEGMENT_COLUMNS:
            segments[str(name)] = test.frame[name].astype("string").fillna("(blank)").tolist()
    report = build_regression_evaluation(
        test.labels,
        predicted,
        y_validation=validation.labels if predicted_val is not None else np.zeros(0),
        predicted_validation=predicted_val if predicted_val is not None else np.zeros(0),
        baselines=baselines,
        segments=segments,
        target=target_summary(train),
        interval_scale=scale,
        seed=config.settings.seed,
    )
    report["duplicates"] = shared_rows(train, validation, test)
    interval = {
        "scale": scale,
        "half_widths": {k: v.get("half_width") for k, v in report["prediction_intervals"]["levels"].items()},
    }
    return report, interval


def add_importance(
    report: dict[str, Any], model: TableModel, test: Dataset, seed: int, cancel: threading.Event, regression: bool
) -> None:
    """Permutation importance and partial dependence; a failure here never loses the trained model."""
    if cancel.is_set() or len(test) < 5:
        return
    try:
        imp = importance.permutation_importance(model.predict, test.frame, test.labels, regression, seed=seed)
        report["importance"] = imp
        top = [r["column"] for r in imp["columns"][:PARTIAL_DEPENDENCE_COLUMNS]]
        numeric = [is_number_column(test.frame[c]) for c in top]
        report["partial_dependence"] = importance.partial_dependence(model.predict, test.frame, top, numeric, seed=seed)
    except Exception:
        log.exception("Could not measure which columns matter")


def save_regression_predictions(run_dir: Path, y_test, predicted, y_val, predicted_val) -> None:
    """The test and validation values with the model's answers (the Evaluate page re-derives from them)."""
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        test_values=np.asarray(y_test, dtype=np.float64),
        test_predicted=np.asarray(predicted, dtype=np.float64),
        validation_values=np.asarray(y_val if predicted_val is not None else [], dtype=np.float64),
        validation_predicted=np.asarray(predicted_val if predicted_val is not None else [], dtype=np.float64),
    )
    atomic_write(Path(run_dir) / REGRESSION_PREDICTIONS, buffer.getvalue())
