"""``fit_forecast``: backtest the candidates, choose or blend, calibrate ranges, refit on all history, forecast.

The steps, each reported to :class:`~modeling.training.progress.Progress` and each ending with a look at
``cancel`` (Stop takes effect after the model being fitted):

1. check the horizon against the history and refuse unfilled gaps (every model assumes equal steps);
2. a rolling-origin backtest of every candidate over the last ``windows`` horizons (never peeking); AutoARIMA
   is left out of several candidates when it alone would take longer than ``arima_budget_s`` (:func:`affordable`;
   the choice's sentence says so);
3. Automatic's choice on all windows (:func:`~modeling.evaluation.forecast.selection.choose`) and its honest
   walk-forward forecast (each window forecast with the choice made on the windows before it);
4. scores of every model and of Automatic on the same windows, and the per-series table, worst first;
5. conformal ranges calibrated on Automatic's backtest errors (walk-forward; in the first window, where no
   earlier choice exists, the final choice), their coverage measured on the last window, which calibration
   did not see; the ranges kept for the future are then recalibrated on every window (each window is another
   stretch of the past, and ranges calibrated on a single calm stretch come out too narrow);
6. the chosen models refitted on all history and the next horizon forecast with its ranges.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.series.frequency import frequency_from_alias
from modeling.data.series.future import check_horizon, future_frame
from modeling.data.series.preparation import SeriesPreparation
from modeling.errors import DataError
from modeling.evaluation.forecast.backtest import backtest, plan_windows, scales
from modeling.evaluation.forecast.ranges import Ranges, coverage, fit_ranges
from modeling.evaluation.forecast.scores import model_scores, series_table
from modeling.evaluation.forecast.selection import choose, walk_forward
from modeling.templates.forecast.base import ForecastSpec
from modeling.templates.forecast.models import fit_predict, model_groups
from modeling.templates.forecast.network import Trainer
from modeling.templates.forecast.settings import LABELS, ForecastSettings
from modeling.templates.forecast.statistical import arima_seconds
from modeling.training.forecast.result import ForecastResult, ForecastStopped
from modeling.training.progress import Progress

STOPPED = "Stopped before the forecast was finished; nothing was kept. Start it again when you are ready."


class _Steps:
    """Counts finished model fits into ``Progress`` (as epochs, so the page's bar and time left work)."""

    def __init__(self, progress: Progress, cancel: threading.Event, total: int) -> None:
        self.progress, self.cancel, self.done = progress, cancel, 0
        progress.update(epochs=total, epoch=0, step=0, steps=0)

    def before(self, phase: str) -> None:
        if self.cancel.is_set():
            raise ForecastStopped(STOPPED)
        if self.done:
            self.progress.update(epoch=self.done)
        self.progress.update(phase=phase)
        self.done += 1


def fit_forecast(
    long: pd.DataFrame,
    preparation: SeriesPreparation,
    settings: ForecastSettings | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    trainer: Trainer | None = None,
    planned: pd.DataFrame | None = None,
) -> ForecastResult:
    """The whole forecast run on ``long`` (from :func:`modeling.data.series.prepare_series`); see the module.

    ``trainer`` trains the network when it is a candidate (the app passes one built on ``fit_with_controls``:
    :func:`modeling.training.forecast.network_trainer`). ``planned`` gives known-ahead values for the forecast
    dates (see :func:`modeling.data.series.future_frame`; defaults elsewhere). Raises :class:`ForecastStopped`
    on Stop and :class:`DataError` for data that cannot be forecast as asked.
    """
    settings = settings or ForecastSettings()
    settings.check()
    progress = progress or Progress()
    cancel = cancel or threading.Event()
    frequency = frequency_from_alias(preparation.frequency)
    horizon = settings.horizon_for(frequency.unit)
    check_horizon(long, horizon, frequency)
    if preparation.gaps_found and preparation.gaps_filled == "none":
        raise DataError(
            f"The history has {fmt.plural(preparation.gaps_found, 'missing ' + frequency.unit)}; every model assumes "
            "one value per step. Fill the gaps with 0 (nothing happened then) or by interpolation, and start again."
        )
    known = tuple(preparation.known_ahead_columns)
    spec = ForecastSpec(horizon, frequency.alias, preparation.season_length, known)
    windows = plan_windows(long, horizon, settings.windows, frequency.unit)
    notes: list[str] = []
    candidates, left_out = affordable(settings, long["unique_id"].nunique(), spec.season_length, windows + 1)
    if left_out:
        notes.append(left_out)
    steps = _Steps(progress, cancel, windows * model_groups(candidates) + model_groups(candidates))
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def window_forecast(train: pd.DataFrame, future: pd.DataFrame) -> pd.DataFrame:
        window = window_index["i"] + 1
        return fit_predict(
            candidates,
            train,
            future,
            spec,
            settings,
            trainer,
            on_model=lambda label: steps.before(f"Backtest window {window} of {windows}: {label}"),
        )

    window_index = {"i": 0}
    cv = backtest(
        long,
        horizon,
        windows,
        frequency.alias,
        spec.season_length,
        window_forecast,
        known,
        on_window=lambda i, _: window_index.update(i=i),
    )
    seconds["backtest"] = time.perf_counter() - started
    span = f"the last {fmt.plural(windows, 'backtest window')} of {frequency.span(horizon)}"
    choice = choose(cv, candidates, LABELS, span)
    if left_out:
        choice.sentence = f"{choice.sentence} {left_out}"
    if windows >= 2:
        cv["automatic"] = walk_forward(cv, candidates)
        first = cv["cutoff"].min()
        scored = cv[cv["cutoff"] > first]
        scored_on = (
            f"the last {fmt.plural(windows - 1, 'backtest window')} of {frequency.span(horizon)} (the first only "
            "taught Automatic which model to trust)"
        )
    else:
        cv["automatic"] = choice.combine(cv)
        scored, scored_on = cv, f"one backtest window of {frequency.span(horizon)}"
        notes.append(
            "With one backtest window Automatic was chosen and scored on the same dates, so its score flatters it."
        )
    scores = model_scores(scored, [*candidates, "automatic"])
    table = series_table(scored, "automatic")
    calibration = cv.assign(automatic=cv["automatic"].fillna(pd.Series(choice.combine(cv), index=cv.index)))
    ranges, measured = _ranges(calibration, horizon, settings.levels, bool(long["y"].min() >= 0), notes)
    progress.update(phase="Refitting the chosen models on all history")
    future = future_frame(long, preparation, horizon, planned)
    fitted: dict[str, Any] = {}
    refit_started = time.perf_counter()
    answers = fit_predict(
        choice.models,
        long,
        future,
        spec,
        settings,
        trainer,
        on_model=lambda label: steps.before(f"Forecasting the next {frequency.span(horizon)}: {label}"),
        keep=fitted,
    )
    seconds["refit"] = time.perf_counter() - refit_started
    forecast = _with_ranges(answers, choice.combine(answers), future, long, ranges, frequency.alias, spec)
    seconds["total"] = time.perf_counter() - started
    progress.update(epoch=progress.epochs, phase="Forecast ready")
    return ForecastResult(
        preparation=preparation.to_dict(),
        settings=settings.to_dict(),
        horizon=horizon,
        windows=windows,
        candidates=candidates,
        choice=choice,
        scores=scores,
        scored_on=scored_on,
        series=table,
        ranges=ranges,
        coverage=measured,
        backtest=cv,
        forecast=forecast,
        scales=scales(long, spec.season_length),
        seconds=seconds,
        notes=notes,
        fitted=fitted,
    )


def affordable(settings: ForecastSettings, series: int, season_length: int, fits: int) -> tuple[list[str], str]:
    """The candidates to backtest and, when AutoARIMA was left out for time, the sentence that says so.

    AutoARIMA searches its orders series by series (seconds a series for monthly data), so on a large panel it
    would cost more than every other candidate together while rarely winning: among several candidates it stays
    only while :func:`~modeling.templates.forecast.statistical.arima_seconds` fits ``settings.arima_budget_s``.
    Alone (its own template) it is always fitted.
    """
    candidates = list(settings.candidates)
    if "auto_arima" not in candidates or len(candidates) == 1:
        return candidates, ""
    seconds = arima_seconds(series, season_length, fits)
    if seconds <= settings.arima_budget_s:
        return candidates, ""
    kept = [c for c in candidates if c != "auto_arima"]
    return kept, (
        f"AutoARIMA was left out: fitting it to {fmt.plural(series, 'series', 'series')} {fits} times (each backtest "
        f"window and the final forecast) would take about {fmt.seconds(seconds)}, more than the "
        f"{fmt.seconds(settings.arima_budget_s)} Automatic allows it; the AutoARIMA template fits it alone."
    )


def _errors(cv: pd.DataFrame) -> pd.DataFrame:
    errors = cv[["unique_id", "cutoff", "step", "y", "scale"]].copy()
    errors["forecast"] = cv["automatic"].to_numpy()
    return errors.dropna(subset=["forecast"])


def _ranges(
    windows: pd.DataFrame, horizon: int, levels: list[float], nonnegative: bool, notes: list[str]
) -> tuple[Ranges, dict[str, dict[str, Any]]]:
    """Ranges for the future (calibrated on every window) and their coverage measured on the last window by
    ranges calibrated on the windows before it."""
    errors = _errors(windows)
    cutoffs = sorted(errors["cutoff"].unique())
    final = fit_ranges(errors, horizon, levels, nonnegative)
    if len(cutoffs) < 2:
        notes.append(
            "The ranges could not be checked: that needs a backtest window they were not calibrated on "
            "(a longer history, or more backtest windows)."
        )
        return final, {}
    earlier, last = errors[errors["cutoff"] < cutoffs[-1]], errors[errors["cutoff"] == cutoffs[-1]]
    return final, coverage(fit_ranges(earlier, horizon, levels, nonnegative), last)


def _with_ranges(
    answers: pd.DataFrame,
    combined: np.ndarray,
    future: pd.DataFrame,
    long: pd.DataFrame,
    ranges: Ranges,
    freq: str,
    spec: ForecastSpec,
) -> pd.DataFrame:
    forecast = answers[["unique_id", "ds"]].copy()
    last = long.groupby("unique_id", sort=False)["ds"].max()
    frequency = frequency_from_alias(freq)
    forecast["step"] = frequency.steps(forecast["ds"]) - frequency.steps(forecast["unique_id"].map(last))
    forecast["forecast"] = combined
    scale = forecast["unique_id"].map(scales(long, spec.season_length)).to_numpy(dtype=np.float64)
    for column, values in ranges.bounds(combined, forecast["step"].to_numpy(), scale).items():
        forecast[column] = values
    return forecast
