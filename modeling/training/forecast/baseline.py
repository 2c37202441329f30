"""The seasonal naive beside a single-model run, so every forecast run has its lift over the naive rule.

Automatic backtests the seasonal naive among its candidates. A run of one model (``auto_ets``, the boosted
trees, the network) does not, so :func:`with_baseline` backtests it on exactly the same windows (it takes a
fraction of a second) and scores the run's model, Automatic's column and the naive on the same rows.
"""

from __future__ import annotations

import pandas as pd

from modeling.data.series.frequency import frequency_from_alias
from modeling.data.series.preparation import SeriesPreparation
from modeling.evaluation.forecast.backtest import backtest
from modeling.evaluation.forecast.scores import BASELINE, model_scores, series_table
from modeling.templates.forecast import ForecastSpec, fit_predict
from modeling.training.forecast.result import ForecastResult

KEYS = ["unique_id", "ds", "cutoff"]


def scored_rows(cv: pd.DataFrame) -> pd.DataFrame:
    """The backtest rows a run is judged on: those with Automatic's honest (walk-forward) forecast."""
    return cv[cv["automatic"].notna()]


def with_baseline(result: ForecastResult, long: pd.DataFrame, preparation: SeriesPreparation) -> ForecastResult:
    """``result`` with the seasonal naive backtested beside it and the scores taken again (unchanged if it has it)."""
    if BASELINE in result.candidates:
        return result
    frequency = frequency_from_alias(preparation.frequency)
    spec = ForecastSpec(result.horizon, frequency.alias, preparation.season_length, ())

    def naive(train: pd.DataFrame, future: pd.DataFrame) -> pd.DataFrame:
        return fit_predict([BASELINE], train, future, spec)

    cv = backtest(long, result.horizon, result.windows, frequency.alias, preparation.season_length, naive)
    merged = result.backtest.merge(cv[[*KEYS, BASELINE]], on=KEYS, how="left")
    scored = scored_rows(merged)
    result.backtest = merged
    result.scores = model_scores(scored, [*result.candidates, "automatic", BASELINE])
    result.series = series_table(scored, "automatic")
    return result
