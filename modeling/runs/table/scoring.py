"""A saved table model judged on a labelled file, with scikit-learn's metrics under scikit-learn's names.

:meth:`TablePredictor.evaluate_frame <modeling.runs.table.predictor.TablePredictor.evaluate_frame>` calls
:func:`evaluate_table`. Metrics are keyed the way scikit-learn names them (``accuracy``,
``balanced_accuracy``, ``f1_macro``, ``roc_auc``, ``log_loss``; ``rmse``, ``mae``, ``r2``, ``mape``) and
computed with scikit-learn's functions, so they match a hand-written check. Rows without a target, or with a
class the model never saw, are left out and counted in ``notes``; missing feature columns are named in the
error. Also here: a number-predicting run's saved test and validation predictions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modeling.data.tabular.columns import infer_column
from modeling.data.tabular.labels import read_labels
from modeling.errors import DataError
from modeling.evaluation.regression import regression_metrics

#: A number-predicting run's test and validation values and predictions (plain arrays, no pickle).
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


def evaluate_table(predictor: Any, table: pd.DataFrame, target: str, target_info: Any = None) -> dict[str, Any]:
    """Metrics of the table ``predictor`` on ``table``, which must hold the target column ``target``.

    ``target_info`` is the training's ``ColumnInfo`` of the target (how its cells were written); without
    it the column is inferred from this table.
    """
    if target not in [str(c) for c in table.columns]:
        raise DataError(f"The table has no target column '{target}', so the model cannot be scored on it.")
    table = table.rename(columns=str)
    series = table[target]
    info = target_info if target_info is not None else infer_column(series, target)
    labels = read_labels(series, info, predictor.task, predictor.class_names)
    kept = table.loc[labels.keep].reset_index(drop=True)
    if len(kept) == 0:
        raise DataError(f"No row of the table has a usable value in '{target}'; nothing to evaluate.")
    frame, report = predictor.features(kept.drop(columns=[target]))
    answers = predictor.predict(frame, prepared=True)
    if predictor.predicts_number:
        out = regression_metrics(labels.labels, answers)
    else:
        chosen, _, _ = predictor.answers(answers)
        out = classification_scores(labels.labels, answers, chosen, len(predictor.class_names))
    out["notes"] = list(labels.notes) + list(report.notes)
    return out
