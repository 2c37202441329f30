"""The forecast family's steps inside the one experiment skeleton: a time series -> a ``forecast_model/`` bundle.

* **prepare**: the roles the data was read with (date, series and known-ahead columns, how duplicates and gaps
  were handled) are written into the settings, so the saved YAML reads the same table the same way;
* **split**: time never leaks, so no row is drawn at random. *test* is the last horizon of every series (the
  rows of ``test.npz``), *validation* the earlier backtest windows Automatic chose on, *train* every row: the
  rolling-origin backtest walks through the history and forecasts each window only from the rows before it,
  and the final model learns from all of it to forecast the future;
* **fit**: :func:`~modeling.training.forecast.run.fit_forecast` with the template's models (Automatic: its
  candidates), progress by model fit and backtest window, Stop between models, the network through the app's
  trainer; a single-model run gets the seasonal naive backtested beside it for its lift;
* **evaluate**: WAPE, MASE and bias with lift over the seasonal naive, per series (worst first), the ranges'
  measured coverage, the choice and its sentence, and the outlook (:mod:`modeling.evaluation.forecast.schema`);
* **save**: ``forecast_model/`` (:mod:`modeling.runs.forecast.bundle`): JSON, CSV and, when chosen, the network.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from modeling import format as fmt
from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.data.series.frequency import frequency_from_alias
from modeling.data.series.future import check_horizon
from modeling.errors import DataError, InvalidPredictions
from modeling.evaluation.forecast.backtest import cutoffs, plan_windows
from modeling.evaluation.forecast.outlook import total_ranges
from modeling.evaluation.forecast.schema import build_forecast_evaluation
from modeling.runs.forecast.bundle import save_forecast_model
from modeling.runs.store import RunStore
from modeling.templates.forecast import LABELS
from modeling.templates.forecast_templates import forecast_settings
from modeling.training.family import CommonSteps, Evaluated, Fitted
from modeling.training.forecast.baseline import with_baseline
from modeling.training.forecast.network_trainer import network_trainer
from modeling.training.forecast.result import ForecastResult
from modeling.training.forecast.run import fit_forecast
from modeling.training.progress import Progress

HEADLINE = ("wape", "mase", "bias", "wape_lift", "mase_lift", "coverage_80", "coverage_90")


@dataclass
class ForecastOutcome:
    """How the forecast run went, in the shape the skeleton writes (``history.json``, epochs, notes)."""

    #: The network's loss curves (its final refit) when it was trained; empty otherwise.
    history: dict[str, list[float]]
    epochs_run: int
    best_epoch: int | None = None
    stopped_by_user: bool = False
    notes: list[str] = field(default_factory=list)
    #: Every model tried, best backtest WAPE first: ``name``, ``label``, ``wape``, ``mase``, ``bias``, ``weight``.
    candidates: list[dict[str, Any]] = field(default_factory=list)


def candidate_rows(result: ForecastResult) -> list[dict[str, Any]]:
    """Each model's backtest figures and weight in the choice, best WAPE first (Automatic's own row last)."""
    weights = dict(zip(result.choice.models, result.choice.weights, strict=True))
    rows = [
        {
            "name": name,
            "label": LABELS.get(name, name),
            **{k: figures.get(k) for k in ("wape", "mase", "bias", "wape_lift")},
            "weight": float(weights.get(name, 0.0)),
            "candidate": name in result.candidates,
        }
        for name, figures in result.scores.items()
        if name != "automatic"
    ]
    return sorted(rows, key=lambda r: np.inf if r["wape"] is None else r["wape"])


def fit_template(
    config: ExperimentConfig, train: Dataset, validation: Dataset, progress: Progress, cancel: threading.Event
) -> Fitted:
    """Backtest, choose, calibrate and refit the template's model(s) on ``train`` (every row of the history)."""
    settings = forecast_settings(config.template, config.settings)
    progress.update(unit="models")
    network, notes = None, []
    if "network" in settings.candidates:
        frequency = frequency_from_alias(train.preparation.frequency)
        horizon = settings.horizon_for(frequency.unit)
        settings.windows, note = network_windows(train.frame, frequency, horizon, settings.windows)
        notes += [note] if note else []
        network = Progress(settings.network.epochs)
    trainer = network_trainer(settings.network, cancel, network) if network is not None else None
    result = fit_forecast(train.frame, train.preparation, settings, progress, cancel, trainer)
    result = with_baseline(result, train.frame, train.preparation)
    result.notes[:0] = notes
    for note in notes:
        progress.note(note)
    fitted_network = result.fitted.get("network")
    outcome = getattr(fitted_network, "outcome_", None)
    return Fitted(
        result,
        ForecastOutcome(
            history=dict(getattr(outcome, "history", None) or {}),
            epochs_run=int(progress.snapshot()["epoch"]),
            best_epoch=getattr(outcome, "best_epoch", None),
            notes=list(result.notes),
            candidates=candidate_rows(result),
        ),
    )


def network_windows(long: Any, frequency: Any, horizon: int, windows: int) -> tuple[int, str]:
    """The backtest windows the network leaves room for (a window of two steps and the horizon before each), and
    the note that says why when fewer than asked; a :class:`DataError` when not even one fits."""
    longest = int(long.groupby("unique_id", sort=False).size().max())
    needed = horizon + 2
    allowed = (longest - needed) // horizon
    if allowed < 1:
        raise DataError(
            f"The network needs {frequency.span(needed)} of history before each backtest window, and the longest "
            f"series has {frequency.span(longest)}. Choose a shorter horizon, or a statistical template."
        )
    if allowed >= windows:
        return windows, ""
    return allowed, (
        f"The backtest uses {fmt.plural(allowed, 'window')} of {frequency.span(horizon)}: the network needs "
        f"{frequency.span(needed)} of history before each one."
    )


class ForecastFamily(CommonSteps):
    """Time series: forecasts with ranges from a rolling-origin backtest (see the module docstring)."""

    #: A series needs this many dated values to be forecast at all (``modeling.data.series.MIN_POINTS``).
    min_train_rows = 8
    #: *Find the best model*: Automatic's candidates that fit the budget, as one run.
    search = "modeling.training.forecast.search:ForecastSearch"

    def prepare(
        self, config: ExperimentConfig, dataset: Dataset, progress: Progress
    ) -> tuple[ExperimentConfig, Dataset]:
        """Write the roles the data was read with into the settings (a Data-page dataset, or proposed roles)."""
        recorded = getattr(dataset.preparation, "data_fields", None)
        if recorded is None:
            return config, dataset
        fields = {k: v for k, v in recorded().items() if getattr(config.data, k, None) in (None, "", [], "auto")}
        if not fields:
            return config, dataset
        return config.model_copy(update={"data": config.data.model_copy(update=fields)}), dataset

    def facts(self, dataset: Dataset) -> dict[str, Any]:
        facts = super().facts(dataset)
        prep = dataset.preparation
        facts.update(
            target_column=dataset.target_column,
            date_column=prep.date_column,
            series_columns=list(prep.series_columns),
            known_ahead_columns=list(prep.known_ahead_columns),
            frequency=prep.frequency,
            frequency_words=prep.frequency_words,
            series_count=int(prep.series_count),
            first_date=prep.first_date,
            last_date=prep.last_date,
            description=prep.sentence(),
        )
        return facts

    def split(self, dataset: Dataset, config: ExperimentConfig) -> tuple[Dataset, Dataset, Dataset]:
        """All rows / the earlier backtest windows / the last horizon of every series (see the module docstring)."""
        long = dataset.frame
        frequency = frequency_from_alias(dataset.preparation.frequency)
        settings = forecast_settings(config.template, config.settings)
        horizon = settings.horizon_for(frequency.unit)
        check_horizon(long, horizon, frequency)
        if "network" in settings.candidates:
            settings.windows, _ = network_windows(long, frequency, horizon, settings.windows)
        windows = plan_windows(long, horizon, settings.windows, frequency.unit)
        cuts = cutoffs(long, horizon, windows, frequency.alias)
        ds = long["ds"].to_numpy()
        first, last = np.datetime64(cuts[0]), np.datetime64(cuts[-1])
        everything = np.arange(len(long))
        validation = np.flatnonzero((ds > first) & (ds <= last))
        test = np.flatnonzero(ds > last)
        return dataset.subset(everything), dataset.subset(validation), dataset.subset(test)

    def fit(
        self,
        config: ExperimentConfig,
        train: Dataset,
        validation: Dataset,
        progress: Progress,
        cancel: threading.Event,
    ) -> Fitted:
        return fit_template(config, train, validation, progress, cancel)

    def evaluate(
        self,
        config: ExperimentConfig,
        fitted: Fitted,
        train: Dataset,
        validation: Dataset,
        test: Dataset,
        progress: Progress,
        cancel: threading.Event,
    ) -> Evaluated:
        result: ForecastResult = fitted.model
        progress.update(phase="Measuring the forecast against the seasonal naive")
        if not np.isfinite(result.forecast["forecast"].to_numpy(dtype=np.float64)).all():
            raise InvalidPredictions("The forecast holds values that are not numbers (NaN).")
        prep = train.preparation
        frequency = frequency_from_alias(prep.frequency)
        report = build_forecast_evaluation(
            scores=result.scores,
            labels=LABELS,
            choice=result.choice,
            scored_on=result.scored_on,
            horizon=result.horizon,
            windows=result.windows,
            measured=result.coverage,
            series=result.series,
            backtest=result.backtest,
            forecast=result.forecast,
            history=train.frame,
            preparation=prep,
            frequency=frequency,
            ranges=result.ranges,
            levels=result.settings.get("levels") or [0.8, 0.9],
            notes=result.notes,
            seconds=result.seconds,
        )
        headline = {name: report["model"].get(name) for name in HEADLINE}
        return Evaluated(report, headline)  # type: ignore[arg-type]

    def save(self, run_dir: Path, store: RunStore, fitted: Fitted, evaluated: Evaluated, dataset: Dataset) -> dict:
        result: ForecastResult = fitted.model
        chosen = result.choice.models
        network = result.fitted.get("network") if "network" in chosen else None
        levels = result.settings.get("levels") or [0.8, 0.9]
        total = total_ranges(result.backtest, result.horizon, levels)
        facts = {
            "horizon": result.horizon,
            "windows": result.windows,
            "levels": levels,
            "candidates": result.candidates,
            "choice": result.choice.to_dict(),
            "settings": result.settings,
            "preparation": result.preparation,
            "ranges": result.ranges.to_dict(),
            "total_ranges": total.to_dict() if total is not None else None,
            "scales": {str(k): (None if not np.isfinite(v) else float(v)) for k, v in result.scales.items()},
            "network": {"window": int(network.window_)} if network is not None else None,
        }
        frames = {
            "history": dataset.frame,
            "backtest": result.backtest,
            "forecast": result.forecast,
            "series": result.series,
        }
        save_forecast_model(run_dir, facts, frames, network)
        outcome: ForecastOutcome = fitted.outcome
        labels = " + ".join(LABELS.get(m, m) for m in chosen)
        return {
            "model_description": f"{labels}, chosen on the backtest: {result.choice.sentence}",
            "training_notes": outcome.notes,
            "candidates": outcome.candidates,
        }
