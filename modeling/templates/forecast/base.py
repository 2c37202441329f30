"""The one small interface every forecasting model implements, and what it is told about the data.

A :class:`Forecaster` learns from a long frame (``unique_id``, ``ds``, ``y`` and known-ahead columns) and
forecasts the dates it is given in ``future`` (``unique_id``, ``ds`` and the known-ahead values planned for
them): the dates, not just a count of steps, so a backtest and a what-if ask exactly what they mean. It
returns ``unique_id``, ``ds`` and one column per name in ``names`` (the statistical wrapper fits several
statsforecast models in one pass, so it answers for several names). ``to_dict`` is its settings, never its
fitted state: a saved run refits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd


@dataclass(frozen=True)
class ForecastSpec:
    """What every model is told: the horizon, the frequency alias, the season and the known-ahead columns."""

    horizon: int
    freq: str
    season_length: int
    known_ahead: tuple[str, ...] = ()


class Forecaster(Protocol):
    """A model that fits on a long frame and forecasts given future dates."""

    #: The forecast columns it produces (``"auto_ets"``, ``"boosted"``, ...).
    names: tuple[str, ...]

    def fit(self, train: pd.DataFrame, spec: ForecastSpec) -> Forecaster:
        """Learn from ``train`` (sorted by series and date, no gaps); returns ``self``."""
        ...

    def predict(self, future: pd.DataFrame) -> pd.DataFrame:
        """``unique_id``, ``ds`` and one column per name, for every row of ``future``."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """The settings that rebuild this (unfitted) model."""
        ...


def on_future(forecast: pd.DataFrame, future: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """``forecast`` restricted and ordered to ``future``'s (``unique_id``, ``ds``) rows."""
    keys = future[["unique_id", "ds"]].reset_index(drop=True)
    return keys.merge(forecast[["unique_id", "ds", *names]], on=["unique_id", "ds"], how="left")
