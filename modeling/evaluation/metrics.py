"""How good is a trained model: accuracy, per-class scores, curves, mistakes, and the lift over baselines.

Every number here ends up in a run's saved JSON and on the Results page, so each
function returns plain Python values (``float``, ``int``, ``list``, ``None``): no
NumPy scalars that ``json.dumps`` would choke on. Metrics are computed with
scikit-learn so they match what a data scientist would get by hand; sklearn is
imported inside functions because importing this module must stay cheap (pages
import it on every rerun).

The baselines it is compared with are computed in :mod:`modeling.evaluation.baselines`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from modeling.errors import DataError
from modeling.evaluation import intervals
from modeling.evaluation.probabilities import check_finite

#: Most points kept for a saved ROC or precision-recall curve; plenty for a smooth line, small in JSON.
MAX_CURVE_POINTS = 200


# ---- metrics -------------------------------------------------------------------------------------------------
def compute_metrics(y_true: np.ndarray, probs: np.ndarray, class_names: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro and per-class scores, confusion matrix, confidence and (two classes) ROC / PR curves.

    ``probs`` holds one row of class probabilities per example (N x K, K = ``len(class_names)``); for two
    classes a 1-D array is read as the probability of class 1 (a sigmoid output). The prediction is the
    most probable class. Macro averages follow scikit-learn's default and average over the classes that
    occur in the true or predicted labels, so a class missing from a small test set does not drag the
    average down; ``per_class`` lists every class all the same (zeros where undefined).

    Returns a JSON-serialisable dict; AUCs are ``None`` where they are undefined (e.g. a two-class test set
    holding only one class) rather than raising, because a small test set should not break a finished run.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    y, p = _check_inputs(y_true, probs, class_names)
    k = len(class_names)
    y_pred = p.argmax(axis=1)
    labels = list(range(k))

    precision, recall, f1, _ = precision_recall_fscore_support(y, y_pred, average="macro", zero_division=0)
    cls_p, cls_r, cls_f, cls_s = precision_recall_fscore_support(
        y, y_pred, labels=labels, average=None, zero_division=0
    )
    confusion = confusion_matrix(y, y_pred, labels=labels)

    metrics: dict[str, Any] = {
        "n": len(y),
        "accuracy": float(accuracy_score(y, y_pred)),
        "precision_macro": float(precision),
        "recall_macro": float(recall),
        "f1_macro": float(f1),
        "per_class": {
            str(name): {
                "precision": float(cls_p[i]),
                "recall": float(cls_r[i]),
                "f1": float(cls_f[i]),
                "support": int(cls_s[i]),
            }
            for i, name in enumerate(class_names)
        },
        "confusion": [[int(v) for v in row] for row in confusion],
        "confidence": _confidence(y, p, y_pred),
        "most_common_mistake": _most_common_mistake(confusion, class_names),
    }
    if k == 2:
        metrics["roc"] = _roc(y, p[:, 1])
        metrics["pr"] = _pr(y, p[:, 1])
    return metrics


def _check_inputs(y_true: np.ndarray, probs: np.ndarray, class_names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Validate shapes once, with sentences a user can act on (a saved model may not fit new data)."""
    k = len(class_names)
    if k < 2:
        raise DataError("Evaluation needs at least two classes; check the label column.")
    y = np.asarray(y_true).reshape(-1)
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 1 and k == 2:
        p = np.column_stack([1.0 - p, p])
    if p.ndim == 2 and len(p):
        check_finite(p)
    if p.ndim != 2 or p.shape[1] != k:
        raise DataError(
            f"The model gives {p.shape[-1] if p.ndim else 0} scores per example but the data has {k} classes; "
            "evaluate the model on data with the same labels it was trained on."
        )
    if len(y) != len(p):
        raise DataError(f"There are {len(y)} labels but {len(p)} predictions; each test example needs one of each.")
    if len(y) == 0:
        raise DataError("The test set is empty, so there is nothing to evaluate; use a larger test share.")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise DataError("Test labels must be class numbers (0, 1, 2, ...); check how the labels were encoded.")
        y = y.astype(np.int64)
    if y.min() < 0 or y.max() >= k:
        bad = int(y.min()) if y.min() < 0 else int(y.max())
        raise DataError(f"Test labels must lie between 0 and {k - 1} (one per class); found {bad}.")
    return y.astype(np.int64), p


def _confidence(y: np.ndarray, p: np.ndarray, y_pred: np.ndarray) -> dict[str, float | None]:
    """Mean top probability when right and when wrong: tells users whether a low score is a warning sign."""
    top = p.max(axis=1)
    right = y_pred == y
    return {
        "mean_correct": float(top[right].mean()) if right.any() else None,
        "mean_wrong": float(top[~right].mean()) if (~right).any() else None,
    }


def _most_common_mistake(confusion: np.ndarray, class_names: Sequence[str]) -> dict[str, Any] | None:
    """The largest off-diagonal cell (first in reading order on ties): the one error worth explaining first."""
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    if off.max(initial=0) == 0:
        return None
    true_i, pred_i = np.unravel_index(int(off.argmax()), off.shape)
    return {"true": str(class_names[true_i]), "predicted": str(class_names[pred_i]), "count": int(off.max())}


def _roc(y: np.ndarray, score: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score, roc_curve

    if len(np.unique(y)) < 2:
        return {"fpr": [], "tpr": [], "auc": None}
    fpr, tpr, _ = roc_curve(y, score, pos_label=1)
    fpr, tpr = _thin(fpr, tpr)
    return {"fpr": fpr, "tpr": tpr, "auc": _clean_float(roc_auc_score(y, score))}


def _pr(y: np.ndarray, score: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    if not (y == 1).any():
        # Precision-recall is about finding positives; with none in the test set it means nothing.
        return {"precision": [], "recall": [], "auc": None}
    precision, recall, _ = precision_recall_curve(y, score, pos_label=1)
    precision, recall = _thin(precision, recall)
    return {"precision": precision, "recall": recall, "auc": _clean_float(average_precision_score(y, score))}


def _thin(a: np.ndarray, b: np.ndarray, max_points: int = MAX_CURVE_POINTS) -> tuple[list[float], list[float]]:
    """At most ``max_points`` evenly spaced points, both ends kept, rounded: curves stay small in saved JSON."""
    if len(a) > max_points:
        keep = np.unique(np.linspace(0, len(a) - 1, max_points).round().astype(int))
        a, b = a[keep], b[keep]
    return [round(float(v), 6) for v in a], [round(float(v), 6) for v in b]


def _clean_float(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


# ---- putting it together ---------------------------------------------------------------------------------------
def evaluate_predictions(
    y_true: np.ndarray,
    probs: np.ndarray,
    class_names: Sequence[str],
    baselines: dict[str, dict[str, Any]] | None,
) -> dict[str, Any]:
    """The evaluation saved with a run: model metrics, the baselines and the lift over each.

    ``lift[name]`` is the model's accuracy minus the baseline's, in percentage points rounded to one
    decimal (positive = the model is better), which is how the summary and charts phrase the comparison.
    Every headline figure also gets a 95% interval (see :mod:`modeling.evaluation.intervals` for the saved form).
    """
    model = compute_metrics(y_true, probs, class_names)
    baselines = baselines or {}
    lift = {
        name: round(100.0 * (model["accuracy"] - float(entry["accuracy"])), 1)
        for name, entry in baselines.items()
        if entry and entry.get("accuracy") is not None
    }
    report = {"model": model, "baselines": baselines, "lift": lift}
    add_intervals(report, y_true, probs, class_names)
    return report


def add_intervals(
    report: dict[str, Any], y_true: np.ndarray, probs: np.ndarray, class_names: Sequence[str]
) -> dict[str, Any]:
    """Add ``intervals``, ``per_class_intervals`` and each baseline's ``accuracy_interval`` to ``report``."""

    y, p = _check_inputs(y_true, probs, class_names)
    model = report["model"]
    report["intervals"] = intervals.headline_intervals(y, p, model)
    report["per_class_intervals"] = intervals.per_class_intervals(model["confusion"], class_names)
    for entry in (report.get("baselines") or {}).values():
        if entry and entry.get("accuracy") is not None and entry.get("n"):
            n = int(entry["n"])
            entry["accuracy_interval"] = intervals.wilson_entry(round(float(entry["accuracy"]) * n), n)
    return report


def misclassified(
    y_true: np.ndarray, probs: np.ndarray, class_names: Sequence[str], limit: int = 60
) -> list[dict[str, Any]]:
    """The wrong answers, most confident first: confident mistakes reveal label noise or a blind spot.

    Each item holds ``index`` (position in the test set), ``true`` and ``predicted`` class names and
    ``confidence`` (the probability of the predicted class). Ties keep test-set order.
    """
    y, p = _check_inputs(y_true, probs, class_names)
    y_pred = p.argmax(axis=1)
    confidence = p.max(axis=1)
    wrong = np.flatnonzero(y_pred != y)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][: max(limit, 0)]
    return [
        {
            "index": int(i),
            "true": str(class_names[y[i]]),
            "predicted": str(class_names[y_pred[i]]),
            "confidence": float(confidence[i]),
        }
        for i in order
    ]
