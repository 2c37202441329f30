"""Regression metrics against scikit-learn, conformal coverage over seeds, importance with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    r2_score,
    root_mean_squared_error,
)

from modeling.errors import InvalidPredictions
from modeling.evaluation import conformal, importance, regression
from modeling.evaluation.schema import build_regression_evaluation


def test_metrics_match_scikit_learn():
    rng = np.random.default_rng(1)
    y = rng.gamma(3, 10, 500) + 1
    p = y + rng.normal(0, 4, 500)
    m = regression.regression_metrics(y, p)
    assert m["mae"] == pytest.approx(mean_absolute_error(y, p))
    assert m["rmse"] == pytest.approx(root_mean_squared_error(y, p))
    assert m["r2"] == pytest.approx(r2_score(y, p))
    assert m["mape"] == pytest.approx(mean_absolute_percentage_error(y, p))
    assert m["n"] == 500
    assert regression.regression_metrics(np.r_[0.0, y], np.r_[1.0, p])["mape"] is None  # undefined with a zero


def test_bootstrap_intervals_hold_the_value_and_are_seeded():
    rng = np.random.default_rng(2)
    y = rng.normal(50, 10, 300)
    p = y + rng.normal(0, 3, 300)
    a = regression.bootstrap_intervals(y, p, seed=0)
    assert a == regression.bootstrap_intervals(y, p, seed=0)
    for name in ("mae", "rmse", "r2", "mape"):
        assert a[name]["low"] <= a[name]["value"] <= a[name]["high"]
        assert a[name]["n"] == 300 and a[name]["method"] == "bootstrap"


def test_invalid_predictions_are_refused():
    with pytest.raises(InvalidPredictions, match="not numbers"):
        regression.regression_metrics([1.0, 2.0], [1.0, np.nan])


def test_conformal_coverage_is_close_to_nominal_over_seeds():
    coverages = {"0.8": [], "0.9": []}
    for seed in range(20):
        rng = np.random.default_rng(seed)
        x = rng.uniform(0, 10, 1400)
        y = 3 * x + rng.standard_t(4, 1400) * 2
        pred = 3 * x  # any fixed model: the guarantee does not depend on it
        report = conformal.interval_report(y[:400], pred[:400], y[400:], pred[400:])
        for level in coverages:
            coverages[level].append(report["levels"][level]["coverage"])
    assert np.mean(coverages["0.9"]) == pytest.approx(0.9, abs=0.02)
    assert np.mean(coverages["0.8"]) == pytest.approx(0.8, abs=0.02)


def test_log_scale_intervals_are_multiplicative():
    low, high = conformal.bounds(np.array([100.0, 10_000.0]), 0.1, "log")
    assert (high - low)[1] > 50 * (high - low)[0]
    assert conformal.half_widths([1.0], [1.0], levels=(0.9,))["0.9"] is None  # too few rows to promise 90%


def _known_model(frame: pd.DataFrame) -> np.ndarray:
    return 5.0 * frame["strong"].to_numpy() + 1.0 * frame["weak"].to_numpy()


def test_permutation_importance_finds_the_columns_that_matter():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"strong": rng.normal(size=800), "weak": rng.normal(size=800), "unused": rng.normal(size=800)})
    y = _known_model(frame) + rng.normal(0, 0.1, 800)
    result = importance.permutation_importance(_known_model, frame, y, regression=True, repeats=5, seed=0)
    order = [r["column"] for r in result["columns"]]
    assert order == ["strong", "weak", "unused"]
    unused = result["columns"][2]
    assert unused["low"] <= 0.0 <= unused["high"] + 1e-12
    assert result["columns"][0]["low"] > result["columns"][1]["high"]
    words = importance.describe_importance(result, "price")
    assert "'strong'" in words and "no measurable use of 'unused'" in words


def test_partial_dependence_follows_the_model():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"strong": rng.normal(size=200), "weak": rng.normal(size=200)})
    (curve,) = importance.partial_dependence(_known_model, frame, ["strong"], [True])
    grid, average = np.asarray(curve["grid"]), np.asarray(curve["average"])
    slope = np.polyfit(grid, average, 1)[0]
    assert slope == pytest.approx(5.0, rel=1e-6)


def test_regression_evaluation_is_built_in_one_call():
    rng = np.random.default_rng(3)
    y_val, y_test = rng.normal(100, 10, 200), rng.normal(100, 10, 300)
    p_val, p_test = y_val + rng.normal(0, 3, 200), y_test + rng.normal(0, 3, 300)
    segments = {"city": rng.choice(["a", "b"], 300).tolist()}
    mean = regression.baseline_entry("mean", "always the mean", y_test, np.full(300, 100.0))
    ev = build_regression_evaluation(
        y_test, p_test, y_validation=y_val, predicted_validation=p_val, baselines={"mean": mean}, segments=segments
    )
    assert ev["kind"] == "regression" and ev["model"]["n"] == 300
    assert ev["error_reduction"]["mean"] == pytest.approx(1 - ev["model"]["rmse"] / mean["rmse"])
    assert 0.8 <= ev["prediction_intervals"]["levels"]["0.9"]["coverage"] <= 1.0
    assert {s["segment"] for s in ev["segments"]["city"]} == {"a", "b"}
    assert ev["largest_misses"][0]["error"] == pytest.approx(max(p_test - y_test, key=abs))
