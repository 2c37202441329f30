"""Conformal ranges: coverage near nominal on fresh noise, scaled when series differ in size, the newsvendor."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from modeling.errors import ConfigError
from modeling.evaluation.forecast import Ranges, calibrate, coverage, critical_ratio, fit_ranges
from modeling.evaluation.forecast.newsvendor import stock_for_horizon, stock_per_period
from modeling.evaluation.forecast.ranges import effective_size


def _errors(
    seed: int, series: int = 40, windows: int = 2, horizon: int = 6, sizes=None, growth: float = 0.5
) -> pd.DataFrame:
    """Backtest rows whose error is normal with a spread that grows with the step (``step ** growth``) and the
    series' size."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(series):
        size = 1.0 if sizes is None else sizes[s]
        for w in range(windows):
            for step in range(1, horizon + 1):
                forecast = 100.0 * size
                rows.append((f"s{s}", w, step, forecast + rng.normal(0, size * step**growth), forecast, size))
    return pd.DataFrame(rows, columns=["unique_id", "cutoff", "step", "y", "forecast", "scale"])


def test_coverage_on_fresh_noise_is_near_nominal():
    ranges = calibrate(_errors(0), 6)
    measured = coverage(ranges, _errors(1, windows=4))
    assert measured["80"]["coverage"] == pytest.approx(0.8, abs=0.06)
    assert measured["90"]["coverage"] == pytest.approx(0.9, abs=0.05)
    assert measured["90"]["low"] < measured["90"]["coverage"] < measured["90"]["high"]
    widths = ranges.half_widths["90"]
    assert widths == sorted(widths) and widths[-1] > widths[0]  # later steps are less certain


def test_shocks_shared_by_every_series_on_a_date_count_once():
    rng = np.random.default_rng(0)
    dates = np.repeat(np.arange(12), 20)  # 20 series x 12 dates
    independent = rng.random(240) < 0.8
    assert effective_size(independent, dates) == pytest.approx(240, rel=0.15)
    shared = np.repeat(rng.random(12) < 0.8, 20)  # a date is in or out of range for every series at once
    assert effective_size(shared, dates) == pytest.approx(12, rel=0.05)
    assert effective_size(independent, np.arange(240)) == 240  # one value per cluster: nothing to shrink


def test_the_coverage_interval_widens_when_a_window_shares_its_misses():
    ranges = calibrate(_errors(0), 6)
    fresh = _errors(1, windows=1)
    calm = coverage(ranges, fresh)["80"]
    shocked = fresh.copy()
    shift = np.random.default_rng(2).normal(0, 1.5, 6)[fresh["step"].to_numpy() - 1]  # one shock per date
    shocked["y"] = shocked["y"] + shift * np.sqrt(shocked["step"])
    stormy = coverage(ranges, shocked)["80"]
    assert calm["n"] == stormy["n"] == 240 and stormy["n_effective"] < calm["n_effective"] / 2
    assert stormy["high"] - stormy["low"] > 1.5 * (calm["high"] - calm["low"])


@pytest.mark.parametrize("growth", [0.0, 0.5, 1.0])
def test_the_growth_of_errors_with_the_step_is_fitted_and_coverage_holds_at_every_step(growth):
    ranges = calibrate(_errors(0, windows=3, horizon=12, growth=growth), 12)
    assert ranges.growth == pytest.approx(growth, abs=0.15)
    fresh = _errors(1, windows=6, horizon=12, growth=growth)
    measured = coverage(ranges, fresh)
    # a running maximum of per-step quantiles held 84% here when errors do not grow
    assert measured["80"]["coverage"] == pytest.approx(0.8, abs=0.025)
    assert measured["90"]["coverage"] == pytest.approx(0.9, abs=0.02)
    for early, late in ((1, 3), (10, 12)):  # neither the first steps nor the last are left short
        part = fresh[fresh["step"].between(early, late)]
        assert coverage(ranges, part)["80"]["coverage"] == pytest.approx(0.8, abs=0.07)


def test_windows_rougher_than_the_ones_before_them_widen_the_ranges():
    calm = _errors(0, windows=3)
    assert max(fit_ranges(calm, 6).widened.values()) < 1.1  # alike windows: next to nothing to widen
    rough = calm.copy()
    later = rough["cutoff"] > 0
    rough.loc[later, "y"] = rough.loc[later, "forecast"] + 2 * (rough.loc[later, "y"] - rough.loc[later, "forecast"])
    plain = calibrate(rough, 6, scaled=True)
    widened = fit_ranges(rough, 6)
    assert widened.widened["80"] > 1.2 and widened.half_widths["80"][0] > plain.half_widths["80"][0] * 1.2
    # the newsvendor's 90% quantile widens alike, so its stock stays beside the 90% range
    q90 = widened.quantile_levels.index(0.95)
    assert widened.error_quantiles[0][q90] > plain.error_quantiles[0][q90] * 1.2
    assert fit_ranges(rough[rough["cutoff"] == 0], 6).widened == {"80": 1.0, "90": 1.0}  # one window: nothing


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
