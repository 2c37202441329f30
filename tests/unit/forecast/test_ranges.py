"""Conformal ranges: coverage near nominal on fresh noise, scaled when series differ in size, the newsvendor."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from modeling.errors import ConfigError
from modeling.evaluation.forecast import Ranges, calibrate, coverage, critical_ratio, fit_ranges
from modeling.evaluation.forecast.newsvendor import stock_for_horizon, stock_per_period


def _errors(seed: int, series: int = 40, windows: int = 2, horizon: int = 6, sizes=None) -> pd.DataFrame:
    """Backtest rows whose error is normal with a spread that grows with the step and the series' size."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(series):
        size = 1.0 if sizes is None else sizes[s]
        for w in range(windows):
            for step in range(1, horizon + 1):
                forecast = 100.0 * size
                rows.append((f"s{s}", w, step, forecast + rng.normal(0, size * np.sqrt(step)), forecast, size))
    return pd.DataFrame(rows, columns=["unique_id", "cutoff", "step", "y", "forecast", "scale"])


def test_coverage_on_fresh_noise_is_near_nominal():
    ranges = calibrate(_errors(0), 6)
    measured = coverage(ranges, _errors(1, windows=4))
    assert measured["80"]["coverage"] == pytest.approx(0.8, abs=0.06)
    assert measured["90"]["coverage"] == pytest.approx(0.9, abs=0.05)
    assert measured["90"]["low"] < measured["90"]["coverage"] < measured["90"]["high"]
    widths = ranges.half_widths["90"]
    assert widths == sorted(widths) and widths[-1] > widths[0]  # later steps are less certain


def test_few_errors_pool_the_steps():
    ranges = calibrate(_errors(0, series=2, windows=1), 6)
    assert ranges.pooled
    assert ranges.half_widths["80"][5] == pytest.approx(ranges.half_widths["80"][0] * np.sqrt(6))


def test_series_of_different_sizes_get_scaled_ranges():
    sizes = np.geomspace(1, 100, 40)
    ranges = fit_ranges(_errors(0, sizes=sizes), 6)
    assert ranges.scaled
    fresh = _errors(1, windows=4, sizes=sizes)
    small, big = fresh[fresh["scale"] < 3], fresh[fresh["scale"] > 30]
    assert coverage(ranges, small)["80"]["coverage"] > 0.65 and coverage(ranges, big)["80"]["coverage"] > 0.65


def test_low_ends_stop_at_zero_for_sales():
    ranges = calibrate(_errors(0), 6, nonnegative=True)
    low = ranges.bounds(np.array([0.5]), np.array([6]), np.array([1.0]))["low_90"]
    assert low[0] == 0.0


def test_ranges_round_trip_through_json():
    ranges = fit_ranges(_errors(0), 6)
    assert Ranges.from_dict(json.loads(json.dumps(ranges.to_dict()))) == ranges


def test_critical_ratio_and_its_refusals():
    assert critical_ratio(3.0, 1.0) == pytest.approx(0.75)
    with pytest.raises(ConfigError, match="Both costs must be positive"):
        critical_ratio(0.0, 1.0)


def test_stock_grows_with_the_share_covered_and_the_total_needs_less_than_the_weeks():
    ranges = calibrate(_errors(0), 6)
    forecast = pd.DataFrame(
        {"unique_id": "s0", "ds": pd.date_range("2024-01-01", periods=6, freq="W-MON"), "step": range(1, 7)}
    ).assign(forecast=100.0)
    scale = pd.Series({"s0": 1.0})
    low, high = stock_per_period(forecast, ranges, scale, 0.5), stock_per_period(forecast, ranges, scale, 0.95)
    assert (high["stock"] > low["stock"]).all()
    assert low["stock"].to_numpy() == pytest.approx(100.0, abs=1.0)
    total = stock_for_horizon(forecast, ranges, scale, 0.95)
    assert 600 < total["stock"].item() < high["stock"].sum()
    with pytest.raises(ConfigError, match="between 0% and 100%"):
        stock_per_period(forecast, ranges, scale, 1.2)
