"""One table run from split to saved bundle: the table branch of :func:`~modeling.training.experiment.run_experiment`.

Classification tables get the evaluation texts and images get (metrics with intervals, calibration,
ROC/PR, mistakes) against two baselines (always the majority class; the linear template); regression
tables get :func:`~modeling.evaluation.schema.build_regression_evaluation` against the training mean and
the linear template, with split-conformal prediction intervals. Both add which columns matter
(permutation importance on the test rows) and partial dependence for the top columns.

The split is stratified for classes and plain seeded for numbers; the test part is cut first.
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
from modeling.data.split import split_indices, train_validation_split
from modeling.device import detect_device
from modeling.errors import ConfigError, InvalidPredictions, ModelDeckError
from modeling.evaluation import importance
from modeling.evaluation.metrics import compute_metrics
from modeling.evaluation.probabilities import all_finite
from modeling.evaluation.regression import baseline_entry
from modeling.evaluation.schema import build_evaluation, build_regression_evaluation
from modeling.runs.predictions import save_predictions
from modeling.runs.store import RunStore, atomic_write, write_json
from modeling.runs.table_bundle import save_table_model
from modeling.runs.table_scoring import REGRESSION_PREDICTIONS
from modeling.templates.tabular.encoding import TableEncoder, is_number_column
from modeling.templates.tabular.model import TableModel
from modeling.training.progress import Progress
from modeling.training.table_fit import fit, fit_linear_model

log = logging.getLogger(__name__)

#: Columns whose categories get an error-by-segment table (the most common values of each).
MAX_SEGMENT_COLUMNS = 8
#: Top columns that get a partial-dependence curve.
PARTIAL_DEPENDENCE_COLUMNS = 3


def split_table(dataset: Dataset, config: Any) -> tuple[Dataset, Dataset, Dataset]:
    """Train, validation, test: stratified by class for classification, plain seeded for regression."""
    seed = config.settings.seed
    strata = np.zeros(len(dataset)) if dataset.is_regression else dataset.labels
    rest_idx, test_idx = split_indices(strata, config.data.test_share, seed)
    rest = dataset.subset(rest_idx)
    rest_strata = np.zeros(len(rest)) if dataset.is_regression else rest.labels
    train_idx, val_idx = train_validation_split(rest_strata, config.settings.validation_share, seed)
    return rest.subset(train_idx), rest.subset(val_idx), dataset.subset(test_idx)


def table_facts(dataset: Dataset) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "name": dataset.name,
        "kind": "table",
        "rows": len(dataset),
        "source": dataset.source,
        "class_counts": dataset.class_counts(),
        "target_column": dataset.target_column,
        "feature_columns": [str(c) for c in dataset.frame.columns],  # type: ignore[union-attr]
    }
    if dataset.is_regression:
        facts["target"] = target_summary(dataset)
    return facts


def target_summary(dataset: Dataset) -> dict[str, Any]:
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


def run_table_experiment(
    config: Any,
    dataset: Dataset,
    *,
    store: RunStore,
    progress: Progress,
    cancel: threading.Event,
    owner: str | None,
    fail: Any,
) -> Path:
    """Train, evaluate, save a table run; ``fail(store, run_dir, progress, reason, hint, started)`` records errors."""
    import keras

    if config.task != dataset.task:
        raise ConfigError(
            f"task = '{config.task}' does not match the data, which is a {dataset.task.replace('_', ' ')} table "
            f"(use task '{dataset.task}')."
        )
    train, validation, test = split_table(dataset, config)
    if len(train) < 5 or len(test) < 1:
        raise ConfigError("There are too few rows to train and test. Add data or lower test_share.")
    run_dir = store.create(config, table_facts(dataset), dataset.class_names, owner=owner)
    progress.update(run_id=run_dir.name)
    device = detect_device()
    started = time.time()
    store.update_meta(
        run_dir, device=device.label, split={"train": len(train), "validation": len(validation), "test": len(test)}
    )
    test.save_npz(str(run_dir / "test.npz"))
    try:
        progress.start(device.label)
        keras.utils.set_random_seed(config.settings.seed)
        result = fit(config, train, validation, progress, cancel)
        model: TableModel = result.model
        progress.update(phase="Evaluating on the test split")
        raw_test = model.predict(test.frame)
        raw_val = model.predict(validation.frame) if len(validation) else None
        if not all_finite(raw_test) or (raw_val is not None and not all_finite(raw_val)):
            raise InvalidPredictions("The model's answers are not numbers (NaN).")
        if dataset.is_regression:
            report, interval = _regression_report(config, model, train, validation, test, raw_test, raw_val)
            _save_regression_predictions(run_dir, test.labels, raw_test, validation.labels, raw_val)
            headline = {"rmse": report["model"]["rmse"], "mae": report["model"]["mae"], "r2": report["model"]["r2"]}
        else:
            report = _classification_report(config, model, train, validation, test, raw_test, raw_val)
            save_predictions(
                run_dir, test.labels, raw_test, validation.labels, raw_val, report["calibration"]["temperature"]
            )
            interval = None
            headline = {"accuracy": report["model"]["accuracy"]}
        progress.update(phase="Measuring which columns matter")
        _add_importance(report, model, test, config.settings.seed, cancel)
        progress.update(phase="Saving the model")
        preparation = getattr(dataset, "preparation", None)
        save_table_model(run_dir, model, interval, preparation.to_dict() if preparation is not None else None)
        write_json(run_dir / "history.json", result.outcome.history)
        write_json(run_dir / "evaluation.json", report)
        state = "stopped" if result.outcome.stopped_by_user else "finished"
        store.update_meta(
            run_dir,
            status=state,
            duration_s=round(time.time() - started, 2),
            epochs_run=result.outcome.epochs_run,
            best_epoch=result.outcome.best_epoch,
            model_description=model.describe(),
            training_notes=result.outcome.notes,
            candidates=result.outcome.candidates,
            **headline,
        )
        progress.finish(state)
        return run_dir
    except InvalidPredictions:
        from modeling.evaluation.probabilities import DIVERGED_HINT
        from modeling.training.fit import DIVERGED_MESSAGE

        fail(store, run_dir, progress, DIVERGED_MESSAGE, DIVERGED_HINT, started)
        raise ModelDeckError(f"{DIVERGED_MESSAGE} {DIVERGED_HINT}") from None
    except ModelDeckError as exc:
        fail(store, run_dir, progress, str(exc), None, started)
        raise
    except Exception as exc:
        if type(exc).__name__ == "TrainingDiverged":
            from modeling.evaluation.probabilities import DIVERGED_HINT

            fail(store, run_dir, progress, str(exc), DIVERGED_HINT, started)
            raise ModelDeckError(f"{exc} {DIVERGED_HINT}") from None
        log.exception("Table run %s failed", run_dir.name)
        reason = f"Training stopped with an error ({type(exc).__name__}): {str(exc)[:300]}"
        hint = "Try the default settings; if it keeps failing, report it with the run id."
        fail(store, run_dir, progress, reason, hint, started)
        raise ModelDeckError(f"{reason} {hint}") from exc


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


def _linear_baseline(config: Any, train: Dataset, test: Dataset) -> tuple[np.ndarray, float]:
    """The linear template's answers on the test rows (probabilities or values) and its training time."""
    began = time.perf_counter()
    encoder = TableEncoder.fit(train.frame)
    estimator = fit_linear_model(encoder.dense(train.frame), train.labels, config.settings, train.is_regression)
    x_test = encoder.dense(test.frame)
    if train.is_regression:
        return np.asarray(estimator.predict(x_test), dtype=np.float64), time.perf_counter() - began
    probs = np.zeros((len(test), len(train.class_names)))
    probs[:, estimator.classes_.astype(int)] = estimator.predict_proba(x_test)
    return probs, time.perf_counter() - began


def _classification_report(config, model, train, validation, test, raw_test, raw_val) -> dict[str, Any]:
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
    linear_probs, seconds = _linear_baseline(config, train, test)
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


def _regression_report(config, model, train, validation, test, predicted, predicted_val):
    mean = float(np.mean(train.labels))
    baselines = {
        "mean": baseline_entry(
            "Always the training average",
            f"Always answers {mean:,.4g}, the average of the training rows",
            test.labels,
            np.full(len(test), mean),
        )
    }
    linear_pred, seconds = _linear_baseline(config, train, test)
    baselines["linear"] = baseline_entry(
        "Linear model (ridge regression)",
        "Ridge regression on one-hot categories and scaled numbers: a strong, fast baseline",
        test.labels,
        linear_pred,
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


def _add_importance(
    report: dict[str, Any], model: TableModel, test: Dataset, seed: int, cancel: threading.Event
) -> None:
    """Permutation importance and partial dependence; a failure here never loses the trained model."""
    if cancel.is_set() or len(test) < 5:
        return
    try:
        imp = importance.permutation_importance(model.predict, test.frame, test.labels, model.is_regression, seed=seed)
        report["importance"] = imp
        top = [r["column"] for r in imp["columns"][:PARTIAL_DEPENDENCE_COLUMNS]]
        numeric = [is_number_column(test.frame[c]) for c in top]
        report["partial_dependence"] = importance.partial_dependence(model.predict, test.frame, top, numeric, seed=seed)
    except Exception:
        log.exception("Could not measure which columns matter")


def _save_regression_predictions(run_dir: Path, y_test, predicted, y_val, predicted_val) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        test_values=np.asarray(y_test, dtype=np.float64),
        test_predicted=np.asarray(predicted, dtype=np.float64),
        validation_values=np.asarray(y_val if predicted_val is not None else [], dtype=np.float64),
        validation_predicted=np.asarray(predicted_val if predicted_val is not None else [], dtype=np.float64),
    )
    atomic_write(Path(run_dir) / REGRESSION_PREDICTIONS, buffer.getvalue())
