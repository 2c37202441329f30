"""Does "90% sure" mean right 9 times in 10? Measure it, and fix it with one number when it does not.

A network trained with cross-entropy is often over-confident: it says 99% and is right 90% of the time.
People then trust a score they should not. This module measures the gap and closes it.

* :func:`reliability` bins the test answers by confidence (the top probability) and gives, per bin, the
  mean confidence and the share that was right; a calibrated model lies on the diagonal.
* :func:`expected_calibration_error` (ECE) is the average gap between the two, weighted by bin size.
* :func:`chance_ece` says how large an ECE a *perfectly calibrated* model would still show on this many
  cases (finite samples are noisy): an ECE under it is no evidence of mis-calibration, which keeps the
  verdict honest on small test sets.
* :func:`fit_temperature` fits temperature scaling (Guo et al., 2017) on the validation split: the logits
  (log-probabilities) are divided by one number T before the softmax. T > 1 softens over-confident
  answers, T < 1 sharpens under-confident ones; the most probable class never changes, so accuracy,
  confusion matrix and ROC curves are untouched. Isotonic regression was left out on purpose: it can
  change which class wins and needs more validation data than most uploads have.
* :func:`calibration_report` puts it together for ``evaluation.json``. The temperature is used only when
  it lowers the validation log-loss by clearly more than chance (two standard errors); otherwise the
  model's own probabilities are kept and the report says why.

Contract (``evaluation.json["calibration"]``, read by the report and compare views)::

    {"ece_before": float, "ece_after": float,        # on the test split, 0..1
     "chance_ece": float,                            # ECE a calibrated model could show by chance here
     "temperature": float, "applied": bool,          # T, and whether Predict uses it (T = 1 otherwise)
     "reason": str,                                  # why it was or was not applied, one sentence
     "verdict": "over-confident" | "under-confident" | "well calibrated",   # of the raw model
     "mean_confidence": float, "accuracy": float,    # raw model on the test split
     "validation_n": int,
     "reliability": {"bins": int, "before": CURVE, "after": CURVE}}

    CURVE = {"low": [...], "high": [...], "confidence": [...], "accuracy": [...], "count": [...]}
    (one entry per non-empty bin; confidence and accuracy in 0..1)

Everything here is NumPy; SciPy is imported inside :func:`fit_temperature` only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from modeling.evaluation.probabilities import probability_matrix

#: Equal-width confidence bins for the reliability chart and the ECE.
BINS = 10
#: Fewer validation examples than this and temperature scaling would fit noise: T stays 1.
MIN_VALIDATION = 30
#: Temperature search range; beyond it the model is broken rather than mis-calibrated.
T_RANGE = (0.05, 20.0)
#: Validation log-loss must improve by at least this (relative) for the temperature to be used ...
MIN_IMPROVEMENT = 0.005
#: ... and by at least this many standard errors of the per-example improvement: on a small validation
#: split a fitted temperature often just fits noise and makes the test split worse (the reviews starter's
#: 60 validation examples asked for T = 0.64, which doubled its test calibration error).
MIN_Z = 2.0
_EPS = 1e-12


def as_matrix(probs: np.ndarray) -> np.ndarray:
    """N x K float64 probabilities; a 1-D array is the probability of class 1 of two."""
    return probability_matrix(probs)


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Soften (T > 1) or sharpen (T < 1) probabilities; rows still sum to 1 and the top class is unchanged."""
    p = as_matrix(probs)
    if temperature == 1.0 or len(p) == 0:
        return p
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"The temperature must be a positive number; got {temperature}.")
    logits = np.log(np.clip(p, _EPS, 1.0)) / float(temperature)
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def negative_log_likelihood(y: np.ndarray, probs: np.ndarray) -> float:
    """Mean log-loss: what temperature scaling minimises."""
    p = as_matrix(probs)
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    return float(-np.log(np.clip(p[np.arange(len(y)), y], _EPS, 1.0)).mean()) if len(y) else 0.0


def _per_example_nll(y: np.ndarray, probs: np.ndarray) -> np.ndarray:
    p = as_matrix(probs)
    return -np.log(np.clip(p[np.arange(len(y)), np.asarray(y, dtype=np.int64)], _EPS, 1.0))


def _binned(confidence: np.ndarray, correct: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-bin count, summed confidence and summed correctness (bins of equal width over 0..1)."""
    index = np.minimum((confidence * bins).astype(np.int64), bins - 1)
    count = np.bincount(index, minlength=bins).astype(np.float64)
    conf_sum = np.bincount(index, weights=confidence, minlength=bins)
    right_sum = np.bincount(index, weights=correct.astype(np.float64), minlength=bins)
    return count, conf_sum, right_sum


def reliability(y: np.ndarray, probs: np.ndarray, bins: int = BINS) -> dict[str, list[float] | list[int]]:
    """Per confidence bin: its range, mean confidence, share right and count (empty bins left out)."""
    p = as_matrix(probs)
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    confidence = p.max(axis=1)
    correct = p.argmax(axis=1) == y
    count, conf_sum, right_sum = _binned(confidence, correct, bins)
    keep = np.flatnonzero(count > 0)
    return {
        "low": [round(i / bins, 4) for i in keep],
        "high": [round((i + 1) / bins, 4) for i in keep],
        "confidence": [round(float(conf_sum[i] / count[i]), 6) for i in keep],
        "accuracy": [round(float(right_sum[i] / count[i]), 6) for i in keep],
        "count": [int(count[i]) for i in keep],
    }


def expected_calibration_error(y: np.ndarray, probs: np.ndarray, bins: int = BINS) -> float:
    """Average |share right - mean confidence| over confidence bins, weighted by bin size (0 = calibrated)."""
    p = as_matrix(probs)
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    if len(y) == 0:
        return 0.0
    _, conf_sum, right_sum = _binned(p.max(axis=1), p.argmax(axis=1) == y, bins)
    return float(np.abs(right_sum - conf_sum).sum() / len(y))


def chance_ece(probs: np.ndarray, bins: int = BINS, draws: int = 200, seed: int = 0) -> float:
    """The ECE a perfectly calibrated model with these confidences shows on this many cases, 95 times in 100.

    Simulates right/wrong answers with exactly the stated confidences (vectorised, seeded): whatever ECE
    the simulation produces is pure sampling noise, so a measured ECE below it proves nothing.
    """
    confidence = as_matrix(probs).max(axis=1)
    n = len(confidence)
    if n == 0:
        return 0.0
    rng = np.random.default_rng(seed)
    index = np.minimum((confidence * bins).astype(np.int64), bins - 1)
    ece = np.empty(draws)
    step = max(1, 2_000_000 // n)
    for start in range(0, draws, step):
        rows = min(step, draws - start)
        correct = rng.random((rows, n)) < confidence
        flat = (np.arange(rows)[:, None] * bins + index).ravel()
        right = np.bincount(flat, weights=correct.ravel().astype(np.float64), minlength=rows * bins).reshape(rows, bins)
        conf = np.bincount(flat, weights=np.tile(confidence, rows), minlength=rows * bins).reshape(rows, bins)
        ece[start : start + rows] = np.abs(right - conf).sum(axis=1) / n
    return float(np.quantile(ece, 0.95))


def fit_temperature(y: np.ndarray, probs: np.ndarray) -> float:
    """The temperature that minimises the log-loss of ``probs`` on labels ``y`` (a 1-D bounded search)."""
    from scipy.optimize import minimize_scalar

    p = as_matrix(probs)
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    if len(y) == 0:
        return 1.0
    logits = np.log(np.clip(p, _EPS, 1.0))
    rows = np.arange(len(y))

    def nll(log_t: float) -> float:
        z = logits / math.exp(log_t)
        z -= z.max(axis=1, keepdims=True)
        return float((np.log(np.exp(z).sum(axis=1)) - z[rows, y]).mean())

    low, high = (math.log(v) for v in T_RANGE)
    result = minimize_scalar(nll, bounds=(low, high), method="bounded", options={"xatol": 1e-4})
    return float(math.exp(result.x))


def verdict(ece: float, chance: float, mean_confidence: float, accuracy: float) -> str:
    """'over-confident', 'under-confident' or 'well calibrated' (an ECE within chance is well calibrated)."""
    if ece <= max(chance, 0.02):
        return "well calibrated"
    return "over-confident" if mean_confidence > accuracy else "under-confident"


def calibration_report(
    y_test: np.ndarray,
    probs_test: np.ndarray,
    y_validation: np.ndarray | None = None,
    probs_validation: np.ndarray | None = None,
) -> dict[str, Any]:
    """Measure calibration on the test split and, given validation predictions, fit and judge a temperature.

    The temperature is used (``applied``) only when the validation split is big enough, holds both right
    and wrong answers (with no mistakes the fit would push T towards 0 and make the model *more* sure),
    and the fit lowers the validation log-loss noticeably. The test split is never used to fit anything.
    """
    p_test = as_matrix(probs_test)
    y_test = np.asarray(y_test, dtype=np.int64).reshape(-1)
    temperature, applied, reason, n_val = 1.0, False, "", 0
    if y_validation is None or probs_validation is None:
        reason = "No validation predictions were saved with this run, so it could not be calibrated."
    else:
        p_val = as_matrix(probs_validation)
        y_val = np.asarray(y_validation, dtype=np.int64).reshape(-1)
        n_val = len(y_val)
        right = p_val.argmax(axis=1) == y_val if n_val else np.zeros(0, dtype=bool)
        if n_val < MIN_VALIDATION:
            reason = f"The validation split has {n_val} examples; calibrating needs at least {MIN_VALIDATION}."
        elif right.all() or not right.any():
            reason = "The model was right (or wrong) on every validation example, so there is nothing to calibrate on."
        else:
            fitted = fit_temperature(y_val, p_val)
            gain = _per_example_nll(y_val, p_val) - _per_example_nll(y_val, apply_temperature(p_val, fitted))
            before = negative_log_likelihood(y_val, p_val)
            after = before - float(gain.mean())
            noise = float(gain.std(ddof=1) / math.sqrt(n_val)) if n_val > 1 else math.inf
            if after < before * (1.0 - MIN_IMPROVEMENT) and gain.mean() > MIN_Z * noise:
                temperature, applied = fitted, True
                reason = (
                    f"Temperature scaling fitted on {n_val:,} validation examples (T = {fitted:.2f}) lowered their "
                    f"log-loss from {before:.3f} to {after:.3f}."
                )
            elif after < before * (1.0 - MIN_IMPROVEMENT):
                reason = (
                    f"Temperature scaling on {n_val:,} validation examples (T = {fitted:.2f}) would lower their "
                    f"log-loss only from {before:.3f} to {after:.3f}, within chance on so few examples, so the "
                    "model's own probabilities are kept."
                )
            else:
                reason = f"Temperature scaling on {n_val:,} validation examples would not help (T = {fitted:.2f})."
    calibrated = apply_temperature(p_test, temperature)
    ece_before = expected_calibration_error(y_test, p_test)
    chance = chance_ece(p_test)
    mean_confidence = float(p_test.max(axis=1).mean()) if len(p_test) else 0.0
    accuracy = float((p_test.argmax(axis=1) == y_test).mean()) if len(p_test) else 0.0
    return {
        "ece_before": round(ece_before, 6),
        "ece_after": round(expected_calibration_error(y_test, calibrated), 6),
        "chance_ece": round(chance, 6),
        "temperature": round(float(temperature), 6),
        "applied": applied,
        "reason": reason,
        "verdict": verdict(ece_before, chance, mean_confidence, accuracy),
        "mean_confidence": round(mean_confidence, 6),
        "accuracy": round(accuracy, 6),
        "validation_n": n_val,
        "reliability": {"bins": BINS, "before": reliability(y_test, p_test), "after": reliability(y_test, calibrated)},
    }


def calibration_sentence(calibration: dict[str, Any], noun: str = "examples") -> str:
    """One plain sentence: is the confidence trustworthy, and what was done about it."""
    before, after = float(calibration["ece_before"]), float(calibration["ece_after"])
    kind = calibration.get("verdict", "well calibrated")
    if calibration.get("applied"):
        t = float(calibration["temperature"])
        direction = "softened" if t > 1 else "sharpened"
        start = {
            "over-confident": f"The model was over-confident (calibration error {before:.1%} on the test {noun})",
            "under-confident": f"The model was under-confident (calibration error {before:.1%} on the test {noun})",
        }.get(
            kind,
            f"The model's confidence was off by {before:.1%} on the test {noun}, within what chance allows for "
            "this many, but the validation split showed a clear improvement",
        )
        return (
            f"{start}; its scores were {direction} on the "
            f"validation split (temperature {t:.2f}), which brought the error to {after:.1%}, and the "
            "confidence shown on the Predict page is the calibrated one."
        )
    if kind == "well calibrated":
        return (
            f"Its confidence matches how often it is right (calibration error {before:.1%}, within what chance "
            f"allows on this many {noun}), so no calibration was needed."
        )
    reason = calibration.get("reason", "")
    return f"The model is {kind} (calibration error {before:.1%}) but was not recalibrated: {reason}"
