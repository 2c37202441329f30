"""How far off could a test score be? 95% intervals for every headline figure.

A test set is a sample: 90% right on 100 reviews is consistent with anything from about 83% to 94% on
the next 100. Every figure the app and the report show carries its test-set size and such an interval.

* Shares of counts (accuracy, one class's precision or recall) get the **Wilson** score interval: exact
  enough at any size, never outside 0..1, sensible at 0% and 100% where the textbook ±1.96·SE breaks.
* Figures that are not a simple share (macro F1, macro precision and recall, ROC AUC) get a seeded
  percentile **bootstrap**: resample the test set with replacement 1,000 times and read the middle 95%.
  The resampling is vectorised over confusion matrices, so it takes milliseconds even on large sets.

Contract (``evaluation.json["intervals"]``, read by the report and compare views): a dict from metric
name (``accuracy``, ``f1_macro``, ``precision_macro``, ``recall_macro`` and, for two classes, ``auc``) to
``{"value", "low", "high", "n", "method"}`` with shares in 0..1 and ``method`` ``"wilson"`` or
``"bootstrap"``. ``evaluation.json["per_class_intervals"]`` maps each class name to
``{"precision": entry, "recall": entry}`` (Wilson), and each baseline gains ``"accuracy_interval"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from modeling import format as fmt
from modeling.evaluation.probabilities import probability_matrix

Z95 = 1.959963984540054
#: An accuracy interval wider than this either side (0.05 = ±5 points) makes summaries and reports call the
#: figure rough: one threshold, used by the summary, the limitations and the report alike.
WIDE_HALF_WIDTH = 0.05
#: Bootstrap resamples: enough for stable 2.5% / 97.5% percentiles, cheap thanks to vectorising.
RESAMPLES = 1000
#: Largest (resamples x examples) block held in memory at once while bootstrapping.
MAX_BLOCK = 2_000_000


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``successes`` out of ``n`` (``(0, 1)`` when n is 0: nothing is known)."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie between 0 and n = {n}; got {successes}.")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def entry(value: float | None, low: float | None, high: float | None, n: int, method: str) -> dict[str, Any]:
    """One interval as saved in JSON (rounded, plain floats)."""

    def r(v: float | None) -> float | None:
        return None if v is None or not math.isfinite(v) else round(float(v), 6)

    return {"value": r(value), "low": r(low), "high": r(high), "n": int(n), "method": method}


def wilson_entry(successes: int, n: int) -> dict[str, Any]:
    low, high = wilson(successes, n)
    return entry(successes / n if n else None, low, high, n, "wilson")


def _resample_counts(n: int, resamples: int, rng: np.random.Generator):
    """Yield blocks of bootstrap weights: how often each example is drawn, shape (rows, n)."""
    step = max(1, MAX_BLOCK // max(n, 1))
    for start in range(0, resamples, step):
        rows = min(step, resamples - start)
        draws = rng.integers(0, n, size=(rows, n))
        flat = (draws + np.arange(rows)[:, None] * n).ravel()
        yield np.bincount(flat, minlength=rows * n).reshape(rows, n)


def _macro_scores(confusions: np.ndarray) -> dict[str, np.ndarray]:
    """Macro precision, recall and F1 per confusion matrix (B x K x K), averaged as scikit-learn does.

    scikit-learn's macro average runs over the classes present in the true or predicted labels, with a
    score of 0 where it is undefined (``zero_division=0``); matching that keeps intervals around the same
    figure the page shows.
    """
    tp = np.diagonal(confusions, axis1=1, axis2=2).astype(np.float64)
    support = confusions.sum(axis=2).astype(np.float64)
    predicted = confusions.sum(axis=1).astype(np.float64)
    present = (support + predicted) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(support + predicted > 0, 2 * tp / (support + predicted), 0.0)
    count = np.maximum(present.sum(axis=1), 1)
    return {
        "precision_macro": (precision * present).sum(axis=1) / count,
        "recall_macro": (recall * present).sum(axis=1) / count,
        "f1_macro": (f1 * present).sum(axis=1) / count,
    }


def _auc_from_weights(weights: np.ndarray, y_sorted: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """ROC AUC per row of example weights (examples sorted by score, ``groups`` the starts of tie groups)."""
    pos = weights * (y_sorted == 1)
    neg = weights * (y_sorted == 0)
    pos_g = np.add.reduceat(pos, groups, axis=1).astype(np.float64)
    neg_g = np.add.reduceat(neg, groups, axis=1).astype(np.float64)
    below = np.cumsum(neg_g, axis=1) - neg_g
    total_pos, total_neg = pos_g.sum(axis=1), neg_g.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (pos_g * (below + 0.5 * neg_g)).sum(axis=1) / (total_pos * total_neg)
    return np.where((total_pos > 0) & (total_neg > 0), auc, np.nan)


def bootstrap(
    y: np.ndarray, probs: np.ndarray, resamples: int = RESAMPLES, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """95% percentile intervals for the macro scores (and AUC for two classes) by resampling the test set."""
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    p = probability_matrix(probs)
    n, k = p.shape
    pred = p.argmax(axis=1)
    cell = y * k + pred
    rng = np.random.default_rng(seed)
    samples: dict[str, list[np.ndarray]] = {"precision_macro": [], "recall_macro": [], "f1_macro": []}
    if k == 2:
        order = np.argsort(p[:, 1], kind="stable")
        score_sorted = p[order, 1]
        groups = np.flatnonzero(np.r_[True, np.diff(score_sorted) != 0])
        y_sorted = y[order]
        samples["auc"] = []
    for weights in _resample_counts(n, resamples, rng):
        rows = len(weights)
        flat = (np.arange(rows)[:, None] * (k * k) + cell).ravel()
        confusions = np.bincount(flat, weights=weights.ravel(), minlength=rows * k * k).reshape(rows, k, k)
        for name, values in _macro_scores(confusions).items():
            samples[name].append(values)
        if k == 2:
            samples["auc"].append(_auc_from_weights(weights[:, order], y_sorted, groups))
    out = {}
    for name, parts in samples.items():
        values = np.concatenate(parts)
        values = values[np.isfinite(values)]
        if len(values):
            out[name] = (float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975)))
    return out


def headline_intervals(
    y: np.ndarray,
    probs: np.ndarray,
    metrics: dict[str, Any],
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Intervals for the figures in ``metrics`` (from ``evaluation.compute_metrics`` on the same data)."""
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    p = probability_matrix(probs)
    n = len(y)
    right = int((p.argmax(axis=1) == y).sum())
    out = {"accuracy": wilson_entry(right, n)}
    boot = bootstrap(y, p, resamples=resamples, seed=seed) if n else {}
    for name in ("f1_macro", "precision_macro", "recall_macro"):
        low, high = boot.get(name, (None, None))
        out[name] = entry(metrics.get(name), low, high, n, "bootstrap")
    auc = (metrics.get("roc") or {}).get("auc")
    if p.shape[1] == 2 and auc is not None:
        low, high = boot.get("auc", (None, None))
        out["auc"] = entry(auc, low, high, n, "bootstrap")
    return out


def per_class_intervals(confusion: Sequence[Sequence[int]], class_names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Wilson intervals for each class's precision (right among flagged) and recall (found among true)."""
    c = np.asarray(confusion, dtype=np.int64)
    out = {}
    for i, name in enumerate(class_names):
        tp = int(c[i, i])
        out[str(name)] = {
            "precision": wilson_entry(tp, int(c[:, i].sum())),
            "recall": wilson_entry(tp, int(c[i].sum())),
        }
    return out


def half_width(interval: dict[str, Any] | None) -> float | None:
    """Half the interval's width (0..1), or ``None`` when it is missing."""
    if not interval or interval.get("low") is None or interval.get("high") is None:
        return None
    return (float(interval["high"]) - float(interval["low"])) / 2.0


def describe(interval: dict[str, Any] | None, percent: bool = True) -> str:
    """'n = 1,600 test examples, 95% interval 97.6–98.8%' (or '0.912–0.951' for scores that are not shares)."""
    if not interval:
        return ""
    n = int(interval.get("n") or 0)
    text = f"n = {n:,} test example{'s' if n != 1 else ''}"
    low, high = interval.get("low"), interval.get("high")
    if low is None or high is None:
        return text
    return f"{text}, 95% interval {fmt.percent_range(low, high, 1 if percent else 3, percent)}"
