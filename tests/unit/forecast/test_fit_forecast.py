"""The whole forecast run: Automatic against the seasonal naive, progress, Stop, refusals, plain-JSON results."""

from __future__ import annotations

import json
import threading

import pandas as pd
import pytest

from modeling.data.series import prepare_series
from modeling.errors import DataError
from modeling.templates.forecast import BoostedSettings, ForecastSettings
from modeling.training.forecast import ForecastStopped, fit_forecast
from modeling.training.progress import Progress
from tests.unit.forecast.conftest import seasonal_panel

FAST = ["seasonal_naive", "auto_ets", "auto_theta", "boosted"]


@pytest.fixture(scope="module")
def result(monthly):
    progress = Progress()
    settings = ForecastSettings(horizon=6, candidates=FAST, boosted=BoostedSettings(max_iter=60))
    outcome = fit_forecast(monthly.long, monthly.preparation, settings, progress)
    return outcome, progress


def test_automatic_beats_or_matches_the_seasonal_naive(result):
    outcome, _ = result
    assert outcome.scores["automatic"]["wape"] <= outcome.scores["seasonal_naive"]["wape"] * 1.02
    assert outcome.choice.sentence and set(outcome.choice.models) <= set(FAST)
    assert "the first only taught Automatic" in outcome.scored_on


def test_the_forecast_has_ranges_for_every_series_and_step(result):
    outcome, _ = result
    forecast = outcome.forecast
    assert len(forecast) == 4 * 6 and list(forecast["step"].unique()) == list(range(1, 7))
    assert (forecast["low_90"] <= forecast["low_80"]).all() and (forecast["low_80"] <= forecast["forecast"]).all()
    assert (forecast["forecast"] <= forecast["high_80"]).all() and (forecast["high_80"] <= forecast["high_90"]).all()
    assert forecast["ds"].min() == pd.Timestamp("2024-01-01")
    assert set(outcome.coverage) == {"80", "90"} and outcome.coverage["90"]["n"] == 4 * 6


def test_the_backtest_holds_every_candidate_and_automatic(result):
    outcome, _ = result
    assert {*FAST, "automatic", "y", "cutoff", "step"} <= set(outcome.backtest.columns)
    assert outcome.series["wape"].is_monotonic_decreasing or outcome.series["wape"].isna().any()


def test_the_result_is_plain_json(result):
    outcome, _ = result
    data = json.loads(json.dumps(outcome.to_dict()))
    assert data["choice"]["sentence"] == outcome.choice.sentence and data["worst_series"]["unique_id"]
    assert set(outcome.headline) >= {"wape", "mase", "bias", "coverage_80", "coverage_90"}


def test_progress_counts_the_fits(result):
    _, progress = result
    snapshot = progress.snapshot()
    assert snapshot["phase"] == "Forecast ready" and snapshot["epoch"] == snapshot["epochs"]


def test_stop_ends_the_run_with_a_sentence(monthly):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ForecastStopped, match="nothing was kept"):
        fit_forecast(monthly.long, monthly.preparation, ForecastSettings(horizon=6, candidates=FAST), cancel=cancel)


def test_autoarima_is_left_out_when_it_would_take_too_long_and_the_reason_says_so(monthly):
    settings = ForecastSettings(horizon=6, candidates=["seasonal_naive", "auto_ets", "auto_arima"], arima_budget_s=1)
    outcome = fit_forecast(monthly.long, monthly.preparation, settings)
    assert outcome.candidates == ["seasonal_naive", "auto_ets"] and "auto_arima" not in outcome.backtest
    assert "AutoARIMA was left out: fitting it to 4 series 4 times" in outcome.choice.sentence
    assert any(note.startswith("AutoARIMA was left out") for note in outcome.notes)


def test_autoarima_alone_is_always_fitted(monthly):
    from modeling.training.forecast.run import affordable

    alone = ForecastSettings(candidates=["auto_arima"], arima_budget_s=0)
    assert affordable(alone, 10_000, 12, 4) == (["auto_arima"], "")
    pool = ForecastSettings()
    assert "auto_arima" in affordable(pool, 4, 12, 4)[0]  # the seat-belt set: 4 monthly series
    assert "auto_arima" in affordable(pool, 20, 52, 4)[0]  # the Chicago set: 20 weekly series
    kept, why = affordable(pool, 147, 12, 4)  # the employment set: 147 monthly series
    assert "auto_arima" not in kept and "147 series" in why and "the AutoARIMA template fits it alone" in why


@pytest.mark.slow
def test_ranges_hold_near_their_nominal_share_on_a_held_out_year():
    # 30 shops, six years of months, the last year held out: nothing about it reaches the run
    table = seasonal_panel(series=30, periods=72, seed=11)
    prepared = prepare_series(table, "date", "units", ["shop"])
    long = prepared.long
    cutoff = long["ds"].max() - pd.DateOffset(months=12)
    train, test = long[long["ds"] <= cutoff].reset_index(drop=True), long[long["ds"] > cutoff]
    preparation = type(prepared.preparation).from_dict(
        {**prepared.preparation.to_dict(), "last_date": f"{cutoff:%Y-%m-%d}"}
    )
    settings = ForecastSettings(horizon=12, candidates=["seasonal_naive", "auto_ets"], windows=3)
    outcome = fit_forecast(train, preparation, settings)
    held = test.merge(outcome.forecast, on=["unique_id", "ds"])
    assert len(held) == 30 * 12
    for level, nominal in (("80", 0.8), ("90", 0.9)):
        inside = ((held["y"] >= held[f"low_{level}"]) & (held["y"] <= held[f"high_{level}"])).mean()
        assert inside == pytest.approx(nominal, abs=0.06), level  # a running maximum of per-step widths held 90%


def test_unfilled_gaps_and_long_horizons_are_refused():
    table = seasonal_panel(series=2, periods=40).drop(index=[5])
    prepared = prepare_series(table, "date", "units", ["shop"])
    with pytest.raises(DataError, match="1 missing month"):
        fit_forecast(prepared.long, prepared.preparation, ForecastSettings(horizon=6, candidates=["seasonal_naive"]))
    full = prepare_series(seasonal_panel(series=1, periods=20), "date", "units")
    with pytest.raises(DataError, match="horizon of 24 months is longer than the history"):
        fit_forecast(full.long, full.preparation, ForecastSettings(horizon=24, candidates=["seasonal_naive"]))


@pytest.mark.slow
def test_the_network_trains_through_the_apps_trainer(monthly):
    from modeling.templates.forecast import NetworkSettings
    from modeling.training.forecast import network_trainer

    settings = ForecastSettings(
        horizon=6,
        candidates=["seasonal_naive", "network"],
        windows=2,
        network=NetworkSettings(epochs=3, hidden_units=16),
    )
    own = Progress()
    outcome = fit_forecast(
        monthly.long, monthly.preparation, settings, trainer=network_trainer(settings.network, progress=own)
    )
    assert outcome.backtest["network"].notna().all()
    assert own.snapshot()["epoch"] >= 1  # epochs were reported by fit_with_controls
