"""Forecasting models behind one small interface (:class:`~.base.Forecaster`): ``fit(train, spec)`` and
``predict(future)`` on Nixtla's long format.

``statistical`` (statsforecast: seasonal naive, AutoETS, AutoTheta, AutoARIMA), ``boosted`` (one
gradient-boosted model over lags, rolling means, calendar and known-ahead columns across all series),
``network`` (a Keras network over windows of all series, trained through an injected trainer, saved as
``.keras``), ``panel`` (the dense series x steps arrays the global models share), ``models`` (forecasters by
name; fit several and forecast the same dates) and ``settings`` (plain-data settings with ``to_dict`` /
``from_dict``; nothing fitted is ever pickled: a saved run refits).
"""

from __future__ import annotations

from modeling.templates.forecast.base import Forecaster, ForecastSpec
from modeling.templates.forecast.models import fit_predict, forecasters_for, model_groups
from modeling.templates.forecast.settings import (
    DEFAULT_CANDIDATES,
    DEFAULT_HORIZON,
    LABELS,
    STATISTICAL,
    BoostedSettings,
    ForecastSettings,
    NetworkSettings,
)

__all__ = [
    "DEFAULT_CANDIDATES",
    "DEFAULT_HORIZON",
    "LABELS",
    "STATISTICAL",
    "BoostedSettings",
    "ForecastSettings",
    "ForecastSpec",
    "Forecaster",
    "NetworkSettings",
    "fit_predict",
    "forecasters_for",
    "model_groups",
]
