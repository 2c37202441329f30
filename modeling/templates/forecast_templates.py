"""A forecasting template and its settings -> the models it fits: :func:`forecast_settings` and the builders.

The config speaks ModelDeck's one settings vocabulary (``horizon``, ``backtest_windows``, ``candidates``, and the
network's ``epochs``, ``hidden_units``...); the forecasting models read :class:`ForecastSettings`. This module is
the one translation between them, used by training, the search and the code generator alike. A single-model
template fits its model only (the seasonal naive baseline is backtested beside it by the family, so every run
has its lift); ``automatic_forecast`` fits ``candidates`` (empty: :data:`DEFAULT_CANDIDATES`).

The registry's builders (one per template, ``(settings, train) -> list of unfitted forecasters``) are what the
Model page or a notebook would call; they hold no fitted state, and nothing here is ever pickled.
"""

from __future__ import annotations

from typing import Any

from modeling.templates.forecast import (
    DEFAULT_CANDIDATES,
    BoostedSettings,
    Forecaster,
    ForecastSettings,
    NetworkSettings,
    forecasters_for,
)
from modeling.templates.forecast.settings import shared_fields
from modeling.templates.forecast_specs import AUTOMATIC, TEMPLATE_MODELS


def model_names(template: str, settings: Any) -> list[str]:
    """The models ``template`` fits with these settings (Automatic: its candidates; others: their one model)."""
    if template in TEMPLATE_MODELS:
        return [TEMPLATE_MODELS[template]]
    if template != AUTOMATIC:
        raise ValueError(f"'{template}' is not a forecasting template")
    return list(getattr(settings, "candidates", None) or DEFAULT_CANDIDATES)


def network_settings(settings: Any) -> NetworkSettings:
    """The network's settings from the config's training settings."""
    return NetworkSettings(**shared_fields(settings))


def forecast_settings(template: str, settings: Any) -> ForecastSettings:
    """The :class:`ForecastSettings` a run of ``template`` uses; ``ConfigError`` naming a bad candidate."""
    forecast = ForecastSettings(
        horizon=settings.horizon or None,
        candidates=model_names(template, settings),
        windows=settings.backtest_windows,
        boosted=BoostedSettings(seed=settings.seed),
        network=network_settings(settings),
    )
    forecast.check()
    return forecast


def _builder(template: str) -> Any:
    def build(settings: Any, train: Any = None) -> list[Forecaster]:
        """The unfitted forecasters of this template (statistical models share one), for these settings."""
        chosen = forecast_settings(template, settings)
        return forecasters_for(chosen.candidates, chosen)

    build.__name__ = template
    return build


automatic_forecast = _builder(AUTOMATIC)
seasonal_naive = _builder("seasonal_naive")
auto_ets = _builder("auto_ets")
auto_theta = _builder("auto_theta")
auto_arima = _builder("auto_arima")
boosted_lags = _builder("boosted_lags")
forecast_network = _builder("forecast_network")
