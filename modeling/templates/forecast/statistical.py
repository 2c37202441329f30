"""Nixtla's statsforecast models: seasonal naive, AutoETS, AutoTheta and AutoARIMA, fitted per series.

All requested models are fitted in one statsforecast pass (``n_jobs=1``: ModelDeck's own jobs decide how many
trainings share the machine). Two adaptations, both said in the model's documentation for people:

* Series with less than two seasons of history get the non-seasonal version of each model (a seasonal model
  cannot estimate a season it has seen once; statsforecast's seasonal naive returns nothing for them).
* Seasons longer than 24 steps (weekly data: 52) make ETS and ARIMA slow and poorly estimated (R's ``ets``
  refuses them). As Hyndman & Athanasopoulos recommend (``stlf``), ETS and ARIMA then model the seasonally
  adjusted series after an STL decomposition (statsforecast's ``MSTL`` with that trend model), and the season
  is added back; AutoTheta decomposes by itself.

statsforecast is imported inside the functions: it takes about a second to import.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from modeling.templates.forecast.base import ForecastSpec, on_future
from modeling.templates.forecast.settings import STATISTICAL

#: Longest season ETS and ARIMA model directly; longer ones go through an STL decomposition.
LONG_SEASON = 24
#: AutoARIMA's seconds per series and fit on one core (measured on the benchmark sets): its seasonal order search
#: costs about this much per step of the season; non-seasonal or STL-adjusted series cost the flat amount.
ARIMA_SECONDS_PER_SEASON_STEP = 0.2
ARIMA_SECONDS_FLAT = 0.3


def arima_seconds(series: int, season_length: int, fits: int = 1) -> float:
    """About how long AutoARIMA takes for ``series`` series, ``fits`` times (a rough, deliberately simple estimate).

    >>> arima_seconds(147, 12, fits=4)
    1411.2
    """
    seasonal = 1 < season_length <= LONG_SEASON
    per_series = ARIMA_SECONDS_PER_SEASON_STEP * season_length if seasonal else ARIMA_SECONDS_FLAT
    return round(series * per_series * fits, 1)


def statsforecast_models(names: tuple[str, ...], season_length: int) -> list[Any]:
    """statsforecast model objects for ``names`` at ``season_length``, each aliased by its ModelDeck name."""
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    m = max(1, int(season_length))
    long_season = m > LONG_SEASON
    build = {
        "seasonal_naive": lambda: SeasonalNaive(season_length=m, alias="seasonal_naive"),
        "auto_ets": lambda: (
            MSTL(season_length=m, trend_forecaster=AutoETS(model="ZZN"), alias="auto_ets")
            if long_season
            else AutoETS(season_length=m, alias="auto_ets")
        ),
        "auto_theta": lambda: AutoTheta(season_length=m, alias="auto_theta"),
        "auto_arima": lambda: (
            MSTL(season_length=m, trend_forecaster=AutoARIMA(), alias="auto_arima")
            if long_season
            else AutoARIMA(season_length=m, alias="auto_arima")
        ),
    }
    return [build[name]() for name in names]


class StatisticalForecaster:
    """One or more statsforecast models over every series (see the module docstring)."""

    def __init__(self, names: tuple[str, ...] | list[str] = STATISTICAL) -> None:
        unknown = [n for n in names if n not in STATISTICAL]
        if unknown:
            raise ValueError(f"not statistical models: {unknown}; expected some of {STATISTICAL}")
        self.names = tuple(names)
        self.train_: pd.DataFrame | None = None
        self.spec_: ForecastSpec | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "statistical", "names": list(self.names)}

    def fit(self, train: pd.DataFrame, spec: ForecastSpec) -> StatisticalForecaster:
        # statsforecast fits and forecasts in one pass (``forecast``), which keeps no fitted model in memory
        self.train_ = train[["unique_id", "ds", "y"]].copy()
        self.spec_ = spec
        return self

    def predict(self, future: pd.DataFrame) -> pd.DataFrame:
        if self.train_ is None or self.spec_ is None:
            raise RuntimeError("fit the forecaster before predicting")
        from statsforecast import StatsForecast
        from statsforecast.models import Naive

        spec, train = self.spec_, self.train_
        sizes = train.groupby("unique_id", sort=False).size()
        seasonal = sizes.index[sizes >= 2 * spec.season_length] if spec.season_length > 1 else sizes.index[:0]
        groups = [(seasonal, spec.season_length), (sizes.index.difference(seasonal), 1)]
        frames = []
        for ids, season in groups:
            if len(ids) == 0:
                continue
            part = train[train["unique_id"].isin(ids)]
            engine = StatsForecast(
                models=statsforecast_models(self.names, season), freq=spec.freq, n_jobs=1, fallback_model=Naive()
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frames.append(engine.forecast(df=part, h=spec.horizon))
        forecast = pd.concat(frames, ignore_index=True)
        forecast["unique_id"] = forecast["unique_id"].astype(str)
        forecast["ds"] = forecast["ds"].astype("datetime64[ns]")
        forecast = _fill_missing(forecast, train, self.names)
        return on_future(forecast, future, self.names)


def _fill_missing(forecast: pd.DataFrame, train: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """Any forecast a model could not make (NaN) becomes the series' last value, the naive forecast."""
    last = train.sort_values("ds").groupby("unique_id", sort=False)["y"].last()
    fallback = forecast["unique_id"].map(last).to_numpy(dtype=np.float64)
    for name in names:
        values = forecast[name].to_numpy(dtype=np.float64)
        forecast[name] = np.where(np.isfinite(values), values, fallback)
    return forecast
