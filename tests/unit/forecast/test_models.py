"""Each model fits and forecasts a tiny panel; the boosted model uses known-ahead columns; settings round-trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modeling.data.series import future_frame, prepare_series
from modeling.errors import ConfigError
from modeling.evaluation.forecast import wape
from modeling.templates.forecast import ForecastSettings, ForecastSpec, fit_predict
from modeling.templates.forecast.boosted import BoostedForecaster
from tests.unit.forecast.conftest import seasonal_panel


@pytest.fixture(scope="module")
def split(monthly):
    long = monthly.long
    cutoff = long["ds"].max() - pd.DateOffset(months=6)
    return long[long["ds"] <= cutoff].reset_index(drop=True), long[long["ds"] > cutoff].reset_index(drop=True)


@pytest.fixture(scope="module")
def statistical(split):
    train, test = split
    spec = ForecastSpec(6, "MS", 12)
    names = ["seasonal_naive", "auto_ets", "auto_theta"]
    return fit_predict(names, train, test[["unique_id", "ds"]], spec), test


@pytest.mark.parametrize("model", ["seasonal_naive", "auto_ets", "auto_theta"])
def test_each_statistical_model_forecasts_every_future_row(statistical, model):
    answers, test = statistical
    assert len(answers) == len(test) and answers[model].notna().all()
    assert wape(test["y"], answers[model]) < 0.3


@pytest.mark.slow
def test_auto_arima_forecasts_every_future_row(split):
    train, test = split
    answers = fit_predict(["auto_arima"], train, test[["unique_id", "ds"]], ForecastSpec(6, "MS", 12))
    assert answers["auto_arima"].notna().all() and wape(test["y"], answers["auto_arima"]) < 0.3


def test_long_seasons_model_the_seasonally_adjusted_series():
    from modeling.templates.forecast.statistical import statsforecast_models

    weekly = statsforecast_models(("auto_ets", "auto_arima", "auto_theta"), 52)
    assert [type(m).__name__ for m in weekly] == ["MSTL", "MSTL", "AutoTheta"]
    assert [type(m).__name__ for m in statsforecast_models(("auto_ets",), 12)] == ["AutoETS"]


def test_short_series_get_non_seasonal_models():
    table = pd.concat([seasonal_panel(series=1, periods=40), seasonal_panel(series=2, periods=14).tail(14)])
    prepared = prepare_series(table, "date", "units", ["shop"])
    future = future_frame(prepared.long, prepared.preparation, 3)
    answers = fit_predict(["seasonal_naive"], prepared.long, future, ForecastSpec(3, "MS", 12))
    assert answers["seasonal_naive"].notna().all()  # statsforecast's seasonal naive alone gives NaN for 14 points


def test_the_boosted_model_learns_a_promotion_known_ahead():
    table = seasonal_panel(series=6, periods=48, promo_effect=0.5, seed=3)
    prepared = prepare_series(table, "date", "units", ["shop"], ["promo"])
    long = prepared.long
    cutoff = long["ds"].max() - pd.DateOffset(months=6)
    train, test = long[long["ds"] <= cutoff], long[long["ds"] > cutoff].reset_index(drop=True)
    spec = ForecastSpec(6, "MS", 12, ("promo",))
    answers = BoostedForecaster().fit(train, spec).predict(test.drop(columns="y"))
    assert answers["boosted"].notna().all()
    plain = fit_predict(["seasonal_naive"], train, test.drop(columns="y"), spec)
    assert wape(test["y"], answers["boosted"]) < wape(test["y"], plain["seasonal_naive"])
    flipped = test.drop(columns="y").assign(promo=1.0)
    more = BoostedForecaster().fit(train, spec).predict(flipped)
    assert more["boosted"].sum() > answers["boosted"].sum()  # the what-if moves the forecast


def test_the_boosted_model_learns_from_a_history_shorter_than_its_seasonal_lag():
    # 30 weeks cannot fill a 52-week lag: that lag is left out instead of failing the whole backtest window
    table = seasonal_panel(series=3, periods=30, freq="W-MON", season=52, seed=4)
    prepared = prepare_series(table, "date", "units", ["shop"])
    spec = ForecastSpec(4, "W-MON", 52)
    forecaster = BoostedForecaster().fit(prepared.long, spec)
    assert 52 not in forecaster.lags_ and forecaster.lags_[0] == 1
    answers = forecaster.predict(future_frame(prepared.long, prepared.preparation, 4))
    assert len(answers) == 12 and np.isfinite(answers["boosted"]).all()


def test_arima_time_estimate_grows_with_series_and_season():
    from modeling.templates.forecast.statistical import arima_seconds

    assert arima_seconds(100, 12) == pytest.approx(10 * arima_seconds(10, 12))
    assert arima_seconds(10, 12) > arima_seconds(10, 4) > 0
    assert arima_seconds(10, 52) < arima_seconds(10, 12)  # a long season is modelled after an STL decomposition
    assert arima_seconds(10, 12, fits=4) == pytest.approx(4 * arima_seconds(10, 12))


def test_settings_round_trip_and_refuse_bad_values():
    settings = ForecastSettings(horizon=8, candidates=["auto_ets", "boosted"])
    again = ForecastSettings.from_dict(settings.to_dict())
    assert again == settings and again.horizon_for("week") == 8
    assert ForecastSettings().horizon_for("week") == 12
    with pytest.raises(ConfigError, match="candidates must name"):
        ForecastSettings.from_dict({"candidates": ["prophet"]})
    with pytest.raises(ConfigError, match=r"boosted\.learning_rate must lie between"):
        ForecastSettings.from_dict({"boosted": {"learning_rate": 5}})
    with pytest.raises(ConfigError, match="no setting 'layers'"):
        ForecastSettings.from_dict({"network": {"layers": 2}})
    with pytest.raises(ConfigError, match=r"forecast\.arima_budget_s must lie between"):
        ForecastSettings.from_dict({"arima_budget_s": -1})


@pytest.mark.slow
def test_the_network_trains_forecasts_and_reloads_in_safe_mode(tmp_path, split):
    from modeling.templates.forecast.network import NetworkForecaster, load_network
    from modeling.templates.forecast.settings import NetworkSettings

    train, test = split
    spec = ForecastSpec(6, "MS", 12, ("promo",))
    forecaster = NetworkForecaster(NetworkSettings(epochs=5, hidden_units=16, hidden_layers=1)).fit(train, spec)
    answers = forecaster.predict(test.drop(columns="y"))
    assert answers["network"].notna().all() and np.isfinite(answers["network"]).all()
    path = tmp_path / "network.keras"
    forecaster.save(path)
    loaded = load_network(path)
    probe = np.random.default_rng(0).random((2, forecaster.model_.input_shape[1])).astype("float32")
    np.testing.assert_allclose(loaded.predict(probe, verbose=0), forecaster.model_.predict(probe, verbose=0), rtol=1e-5)
