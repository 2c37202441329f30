"""A saved table model on a whole file: metrics on a labelled table, predictions for an unlabelled one.

The command line's ``evaluate`` and ``predict`` call these for table runs. Metrics are keyed the way
scikit-learn names them (``accuracy``, ``balanced_accuracy``, ``f1_macro``, ``roc_auc``, ``log_loss``;
``rmse``, ``mae``, ``r2``, ``mape``) and computed with scikit-learn's functions, so they match a
hand-written check. Rows without a target, or with a class the model never saw, are left out and counted
in ``notes``; missing feature columns are named in the error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modeling.data.readers import read_upload
from modeling.data.tabular.columns import infer_column
from modeling.data.tabular.labels import read_labels
from modeling.errors import DataError
from modeling.evaluation.regression import regression_metrics
from modeling.runs.table_predictor import TablePredictor

#: A regression run's test and validation values and predictions (plain arrays, no pickle).
REGRESSION_PREDICTIONS = "regression_predictions.npz"


def saved_regression_predictions(run_dir: str | Path) -> dict[str, np.ndarray]:
    """``test_values``, ``test_predicted``, ``validation_values``, ``validation_predicted`` of a regression run."""
    path = Path(run_dir) / REGRESSION_PREDICTIONS
    try:
        with np.load(path, allow_pickle=False) as z:
            return {name: z[name].astype(np.float64) for name in z.files}
    except FileNotFoundError:
        raise DataError("This run has no saved predictions (it did not finish).") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"The saved predictions of this run are damaged ({exc}).") from None


def read_table_file(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"The data file '{path}' does not exist.")
    loaded = read_upload(path.read_bytes(), path.name)
    if not isinstance(loaded, pd.DataFrame):
        raise DataError("A table model needs a table (CSV, TSV, Excel or Parquet), not images.")
    return loaded


def classification_scores(y: np.ndarray, probs: np.ndarray, chosen: np.ndarray, k: int) -> dict[str, Any]:
    """scikit-learn's metrics under their own names (``roc_auc`` for two classes, one-vs-rest for more)."""
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    out: dict[str, Any] = {
        "n": len(y),
        "accuracy": float(accuracy_score(y, chosen)),
        "balanced_accuracy": float(balanced_accuracy_score(y, chosen)),
        "f1_macro": float(f1_score(y, chosen, average="macro", zero_division=0)),
        "precision_macro": float(precision_score(y, chosen, average="macro", zero_division=0)),
        "recall_macro": float(recall_score(y, chosen, average="macro", zero_division=0)),
        "log_loss": float(log_loss(y, np.clip(probs, 1e-15, 1.0), labels=list(range(k)))),
    }
    if len(np.unique(y)) > 1:
        if k == 2:
            out["roc_auc"] = float(roc_auc_score(y, probs[:, 1]))
        elif len(np.unique(y)) == k:
            out["roc_auc_ovr"] = float(roc_auc_score(y, probs, multi_class="ovr", labels=list(range(k))))
    return out


def evaluate_table_file(
    predictor: TablePredictor, table: pd.DataFrame, target: str, target_info: Any = None
) -> dict[str, Any]:
    """Metrics of ``predictor`` on ``table``, which must hold the target column ``target``.

    ``target_info`` is the training's ``ColumnInfo`` of the target (how its cells were written); without
    it the column is inferred from this table.
    """
    if target not in [str(c) for c in table.columns]:
        raise DataError(f"The table has no target column '{target}', so the model cannot be scored on it.")
    table = table.rename(columns=str)
    series = table[target]
    info = target_info if target_info is not None else infer_column(series, target)
    task = "tabular_regression" if predictor.is_regression else "tabular_classification"
    labels = read_labels(series, info, task, predictor.class_names)
    kept = table.loc[labels.keep].reset_index(drop=True)
    if len(kept) == 0:
        raise DataError(f"No row of the table has a usable value in '{target}'; nothing to evaluate.")
    frame, report = predictor.features(kept.drop(columns=[target]))
    if predictor.is_regression:
        out = regression_metrics(labels.labels, predictor.predict(frame, prepared=True))
    else:
        probs = predictor.predict(frame, prepared=True)
        chosen, _, _ = predictor.answers(probs)
        out = classification_scores(labels.labels, probs, chosen, len(predictor.class_names))
    out["notes"] = list(labels.notes) + list(report.notes)
    return out


def run_table_scoring(run: Any, data_path: str | Path) -> dict[str, Any]:
    """``python -m modeling evaluate RUN TABLE`` for a table run: the metrics as a dict (JSON-ready)."""
    predictor = TablePredictor.from_run(run)
    target = str((run.meta.get("dataset") or {}).get("target_column") or "")
    info = None
    try:
        info = next((c for c in run.load_test().columns if getattr(c, "name", None) == target), None)
    except Exception:  # an older test split without column facts: infer from the table instead
        info = None
    return evaluate_table_file(predictor, read_table_file(data_path), target, info)


def predict_table_file(predictor: Any, data_path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """The scored table and the notes on what was handled (``python -m modeling predict`` for a table run)."""
    scored, report = predictor.score_table(read_table_file(data_path))
    return scored, report.notes
