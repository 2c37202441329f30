"""Calibration: the error is ~0 when confidence means what it says, and temperature scaling repairs it when not."""

from __future__ import annotations

import json

import numpy as np
import pytest

from modeling.evaluation.calibration import (
    apply_temperature,
    calibration_report,
    calibration_sentence,
    chance_ece,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    reliability,
)


def _calibrated(n: int, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from the stated probabilities themselves: perfectly calibrated by construction."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.0, (n, k))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (rng.random((n, 1)) > p.cumsum(axis=1)).sum(axis=1)
    return y, p


def _sharpen(p: np.ndarray, power: float) -> np.ndarray:
    q = p**power
    return q / q.sum(axis=1, keepdims=True)


def test_ece_of_a_perfectly_calibrated_set_is_about_zero() -> None:
    y, p = _calibrated(40_000)
    assert expected_calibration_error(y, p) < 0.01
    assert expected_calibration_error(y, p) <= chance_ece(p) * 1.5


def test_ece_of_an_over_confident_set_is_large_and_the_verdict_says_so() -> None:
    y, p = _calibrated(5_000)
    sharp = _sharpen(p, 3.0)
    assert expected_calibration_error(y, sharp) > 0.08
    report = calibration_report(y, sharp)
    assert report["verdict"] == "over-confident"
    assert report["applied"] is False and "No validation predictions" in report["reason"]


def test_under_confident_verdict() -> None:
    y, p = _calibrated(5_000)
    assert calibration_report(y, _sharpen(p, 0.4))["verdict"] == "under-confident"


def test_temperature_scaling_lowers_nll_keeps_argmax_and_recovers_the_temperature() -> None:
    y, p = _calibrated(8_000, k=4, seed=1)
    over = _sharpen(p, 2.0)  # the same as dividing log-probabilities by T = 0.5
    t = fit_temperature(y, over)
    assert t == pytest.approx(2.0, rel=0.08)
    fixed = apply_temperature(over, t)
    assert negative_log_likelihood(y, fixed) < negative_log_likelihood(y, over) - 0.05
    assert np.array_equal(fixed.argmax(axis=1), over.argmax(axis=1))
    assert np.allclose(fixed.sum(axis=1), 1.0)


def test_report_fits_on_validation_and_improves_the_test_ece() -> None:
    y_val, p_val = _calibrated(3_000, seed=2)
    y_test, p_test = _calibrated(3_000, seed=3)
    report = calibration_report(y_test, _sharpen(p_test, 2.5), y_val, _sharpen(p_val, 2.5))
    assert report["applied"] is True
    assert report["temperature"] > 1.5
    assert report["ece_after"] < report["ece_before"] / 2
    assert report["verdict"] == "over-confident"
    assert set(report["reliability"]) == {"bins", "before", "after"}
    json.dumps(report)  # plain types only
    sentence = calibration_sentence(report, "texts")
    assert "over-confident" in sentence and "calibrated" in sentence


def test_no_temperature_when_validation_is_tiny_or_perfect() -> None:
    y, p = _calibrated(500)
    small = calibration_report(y, p, y[:10], p[:10])
    assert not small["applied"] and small["temperature"] == 1.0 and "at least" in small["reason"]
    perfect = np.eye(3)[y[:100]] * 0.9 + 0.1 / 3
    assert not calibration_report(y, p, y[:100], perfect)["applied"]


def test_well_calibrated_model_is_left_alone() -> None:
    y_val, p_val = _calibrated(4_000, seed=4)
    y, p = _calibrated(4_000, seed=5)
    report = calibration_report(y, p, y_val, p_val)
    assert report["verdict"] == "well calibrated"
    assert abs(report["temperature"] - 1.0) < 0.1 or not report["applied"]


def test_reliability_bins_hold_counts_and_means() -> None:
    y = np.array([0, 0, 1, 1])
    p = np.array([[0.95, 0.05], [0.92, 0.08], [0.45, 0.55], [0.6, 0.4]])
    curve = reliability(y, p, bins=10)
    assert curve["count"] == [1, 1, 2]
    assert curve["low"] == [0.5, 0.6, 0.9]
    assert curve["accuracy"] == [1.0, 0.0, 1.0]
    assert curve["confidence"][2] == pytest.approx(0.935)
    # ECE by hand: (1*|1-0.55| + 1*|0-0.6| + 2*|1-0.935|) / 4
    assert expected_calibration_error(y, p) == pytest.approx((0.45 + 0.6 + 0.13) / 4)


def test_chance_ece_shrinks_with_more_cases() -> None:
    _, p = _calibrated(20_000)
    assert chance_ece(p[:100]) > chance_ece(p) * 3


def test_apply_temperature_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="positive"):
        apply_temperature(np.array([[0.5, 0.5]]), 0.0)


def test_a_temperature_that_only_fits_noise_is_not_used() -> None:
    """60 calibrated validation examples: any fitted T is chance, and the report keeps the model's own scores."""
    y_val, p_val = _calibrated(60, k=2, seed=11)
    y, p = _calibrated(2_000, k=2, seed=12)
    report = calibration_report(y, p, y_val, p_val)
    assert not report["applied"] and report["temperature"] == 1.0
    assert "within chance" in report["reason"] or "would not help" in report["reason"]
    assert report["ece_after"] == report["ece_before"]
