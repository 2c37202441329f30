"""Forecasters by name, and one call that fits several and forecasts the same future dates with each.

The statistical models are grouped into one statsforecast pass; the boosted model and the network are fitted
on their own. ``on_model(name)`` is called before each fit, so the orchestration can report progress and stop
between models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from modeling.templates.forecast.base import Forecaster, ForecastSpec
from modeling.templates.forecast.boosted import BoostedForecaster
from modeling.templates.forecast.network import NetworkForecaster, Trainer
from modeling.templates.forecast.settings import LABELS, STATISTICAL, ForecastSettings
from modeling.templates.forecast.statistical import StatisticalForecaster


def forecasters_for(
    names: Sequence[str], settings: ForecastSettings | None = None, trainer: Trainer | None = None
) -> list[Forecaster]:
    """Unfitted forecasters that together answer for every name in ``names`` (statistical ones share one)."""
    settings = settings or ForecastSettings()
    unknown = [n for n in names if n not in LABELS]
    if unknown:
        raise ValueError(f"unknown forecasting models {unknown}; known: {list(LABELS)}")
    out: list[Forecaster] = []
    statistical = tuple(n for n in STATISTICAL if n in names)
    if statistical:
        out.append(StatisticalForecaster(statistical))
    if "boosted" in names:
        out.append(BoostedForecaster(settings.boosted))
    if "network" in names:
        out.append(NetworkForecaster(settings.network, trainer))
    return out


def fit_predict(
    names: Sequence[str],
    train: pd.DataFrame,
    future: pd.DataFrame,
    spec: ForecastSpec,
    settings: ForecastSettings | None = None,
    trainer: Trainer | None = None,
    on_model: Callable[[str], None] | None = None,
    keep: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """``unique_id``, ``ds`` and one column per name: each model fitted on ``train``, forecasting ``future``.

    ``keep``, when given, receives each fitted forecaster by its first name (to save the network afterwards).
    """
    result = future[["unique_id", "ds"]].reset_index(drop=True)
    for forecaster in forecasters_for(names, settings, trainer):
        label = " and ".join(LABELS[n] for n in forecaster.names)
        if on_model is not None:
            on_model(label)
        forecaster.fit(train, spec)
        answer = forecaster.predict(future)
        for name in forecaster.names:
            result[name] = answer[name].to_numpy()
        if keep is not None:
            keep[forecaster.names[0]] = forecaster
    return result


def model_groups(names: Sequence[str]) -> int:
    """How many separate fits ``names`` take (the statistical ones count once): for progress fractions."""
    return int(any(n in STATISTICAL for n in names)) + sum(n in ("boosted", "network") for n in names)
