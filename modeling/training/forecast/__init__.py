"""Forecast runs: backtest the candidates, let Automatic choose or blend, calibrate ranges, refit, forecast.

``run`` (:func:`fit_forecast`, with progress and Stop), ``result`` (:class:`ForecastResult`, JSON via
``to_dict``) and ``network_trainer`` (the network trained by the app's ``fit_with_controls``). The newsvendor
quantities live in :mod:`modeling.evaluation.forecast.newsvendor`, below the run folder, so a loaded run can
answer them without this package.
"""

from __future__ import annotations

from modeling.training.forecast.network_trainer import network_trainer, training_settings
from modeling.training.forecast.result import ForecastResult, ForecastStopped
from modeling.training.forecast.run import fit_forecast

__all__ = ["ForecastResult", "ForecastStopped", "fit_forecast", "network_trainer", "training_settings"]
