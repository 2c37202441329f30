"""A saved forecast run that answers: the next horizon at once, a what-if on the known-ahead columns, a file.

:class:`ForecastPredictor` is what :func:`modeling.runs.loading.load_predictor` returns for the ``forecast``
family. The run saved its forecast of the next horizon from all the history, so the plain question ("what will
we sell?") is answered from disk, instantly. A what-if changes known-ahead values (mark a week as a promotion):
only the chosen models that read those columns (the boosted trees, the network) can move, so they alone are
asked again, and the answer is the saved forecast plus their weighted change. The boosted model is refitted on
the history once (seconds) and kept; the network is the saved ``.keras`` file; statistical models never read
the columns, so a run that chose only them says a what-if changes nothing. The ranges are the run's calibrated
ones, moved with the forecast. Nothing is unpickled, and every answer is thread-safe (a lock guards the cache).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.series.dates import rows_text
from modeling.data.series.frequency import frequency_from_alias
from modeling.data.series.future import future_frame
from modeling.data.series.preparation import SeriesPreparation
from modeling.errors import DataError
from modeling.evaluation.decisions import Decision
from modeling.evaluation.forecast.outlook import total_forecast
from modeling.evaluation.forecast.ranges import Ranges
from modeling.evaluation.forecast.schema import actuals_figures
from modeling.evaluation.forecast.selection import Choice
from modeling.runs.forecast import inputs
from modeling.runs.forecast.bundle import ForecastBundle, load_forecast_bundle, load_network_file
from modeling.runs.forecast.stock import Stock, share_to_cover, stock
from modeling.runs.protocol import InputColumn, ScoredBatch
from modeling.templates.forecast import ForecastSettings, ForecastSpec

#: The models that read the known-ahead columns (statistical models forecast from the series alone).
READS_KNOWN_AHEAD = ("boosted", "network")
BOUNDS = ("low_80", "high_80", "low_90", "high_90")
ANSWERS = ("forecast", *BOUNDS)


class ForecastPredictor:
    """A loaded forecast run (see the module docstring)."""

    class_names: list[str] = []  # noqa: RUF012 - a forecast has no classes (the protocol's attribute)

    def __init__(self, bundle: ForecastBundle, task: str, decision: Decision | None = None) -> None:
        facts = bundle.facts
        self.task = task
        self.decision = decision if decision is not None else Decision()
        self.bundle = bundle
        self.preparation = SeriesPreparation.from_dict(facts["preparation"])
        self.settings = ForecastSettings.from_dict(facts["settings"])
        self.choice = Choice.from_dict(facts["choice"])
        self.ranges = Ranges.from_dict(facts["ranges"])
        saved_total = facts.get("total_ranges")
        self.total_ranges = Ranges.from_dict(saved_total) if saved_total else None
        self.horizon = int(facts["horizon"])
        self.frequency = frequency_from_alias(self.preparation.frequency)
        self.scales = pd.Series({str(k): (np.nan if v is None else float(v)) for k, v in facts["scales"].items()})
        self.history = bundle.history
        self.backtest = bundle.backtest
        self.saved_forecast = bundle.forecast
        self.series_table = bundle.series
        self.series_ids = [str(s) for s in self.history["unique_id"].unique()]
        self._lock = threading.Lock()
        self._models: dict[str, Any] = {}

    @classmethod
    def from_run(cls, run: Any) -> ForecastPredictor:
        return cls(load_forecast_bundle(Path(run.path)), run.task)

    def using(self, decision: Decision) -> ForecastPredictor:
        """The same loaded run under another decision rule (a forecast has none to apply; kept for the protocol)."""
        other = copy.copy(self)
        other.decision = decision
        return other

    # ---- facts ---------------------------------------------------------------------------------------------------
    @property
    def target_name(self) -> str:
        return self.preparation.target_column

    @property
    def known_ahead_columns(self) -> list[str]:
        return list(self.preparation.known_ahead_columns)

    @property
    def uses_known_ahead(self) -> bool:
        """Whether a what-if can move the forecast: a chosen model reads the known-ahead columns."""
        return bool(self.known_ahead_columns) and any(m in READS_KNOWN_AHEAD for m in self.choice.models)

    @property
    def spec(self) -> ForecastSpec:
        known = tuple(self.known_ahead_columns)
        return ForecastSpec(self.horizon, self.frequency.alias, self.preparation.season_length, known)

    # ---- the forecast --------------------------------------------------------------------------------------------
    def forecast(self, horizon: int | None = None, planned: pd.DataFrame | None = None) -> pd.DataFrame:
        """``series, date, step, forecast, low_80, high_80, low_90, high_90`` and the known-ahead values assumed.

        ``planned`` (``series`` or ``unique_id``, ``date`` or ``ds``, and some known-ahead columns) changes those
        cells only; without it the saved forecast answers at once. ``horizon`` may shorten the run's horizon.
        """
        steps = self._steps(horizon)
        plan = self._plan(planned)
        future = future_frame(self.history, self.preparation, self.horizon, plan)
        answer = self.saved_forecast.copy()
        if plan is not None and self.uses_known_ahead:
            answer = self._what_if(answer, future)
        answer = answer.merge(future, on=["unique_id", "ds"], how="left")
        answer = answer[answer["step"] <= steps].reset_index(drop=True)
        out = answer.rename(columns={"unique_id": "series", "ds": "date"})
        return out[["series", "date", "step", *ANSWERS, *self.known_ahead_columns]]

    def _steps(self, horizon: int | None) -> int:
        steps = self.horizon if horizon is None else int(horizon)
        if steps < 1:
            raise DataError(f"The horizon must be at least 1 {self.frequency.unit}, not {steps}.")
        if steps > self.horizon:
            raise DataError(
                f"This run forecasts {self.frequency.span(self.horizon)} ahead, and its ranges were checked that far "
                f"only. To look {self.frequency.span(steps)} ahead, train again with horizon: {steps}."
            )
        return steps

    def _plan(self, planned: pd.DataFrame | None) -> pd.DataFrame | None:
        if planned is None or not len(planned):
            return None
        plan = planned.rename(columns={"series": "unique_id", "date": "ds"})
        if "unique_id" not in plan and self.preparation.series_columns:
            plan = plan.assign(unique_id=inputs.series_ids(plan, self.preparation.series_columns).to_numpy())
            plan = plan.drop(columns=list(self.preparation.series_columns))
        if "ds" not in plan and self.preparation.date_column in plan:
            plan = plan.rename(columns={self.preparation.date_column: "ds"})
        if "ds" not in plan:
            raise DataError("A plan needs the dates it is for (a 'date' column).")
        keep = [c for c in ("unique_id", "ds", *self.known_ahead_columns) if c in plan]
        return plan[keep]

    def _what_if(self, saved: pd.DataFrame, future: pd.DataFrame) -> pd.DataFrame:
        """The saved forecast moved by the change in the known-ahead models' answers (weighted as chosen)."""
        keys = saved[["unique_id", "ds"]]
        change = np.zeros(len(saved))
        for name, weight in zip(self.choice.models, self.choice.weights, strict=True):
            if name not in READS_KNOWN_AHEAD:
                continue
            model, default = self._model(name)
            before = keys.merge(default, on=["unique_id", "ds"], how="left")[name].to_numpy()
            after = keys.merge(model.predict(future), on=["unique_id", "ds"], how="left")[name].to_numpy()
            change += weight * np.nan_to_num(after - before)
        moved = saved.copy()
        moved["forecast"] = saved["forecast"].to_numpy() + change
        if self.ranges.nonnegative:
            moved["forecast"] = np.maximum(moved["forecast"], 0.0)
        scale = moved["unique_id"].map(self.scales).to_numpy(dtype=np.float64)
        for column, values in self.ranges.bounds(moved["forecast"], moved["step"].to_numpy(), scale).items():
            moved[column] = values
        return moved

    def _model(self, name: str) -> tuple[Any, pd.DataFrame]:
        """A model that reads known-ahead columns (the boosted trees refitted once, the saved network) and its
        answer for the default plan, both kept: a what-if then costs one prediction."""
        with self._lock:
            if name not in self._models:
                model = self._boosted() if name == "boosted" else self._network()
                self._models[name] = (model, model.predict(future_frame(self.history, self.preparation, self.horizon)))
            return self._models[name]

    def _boosted(self) -> Any:
        from modeling.templates.forecast.boosted import BoostedForecaster

        return BoostedForecaster(self.settings.boosted).fit(self.history, self.spec)

    def _network(self) -> Any:
        from modeling.templates.forecast.network import NetworkForecaster
        from modeling.templates.forecast.panel import to_panel

        path = self.bundle.network_path
        if path is None:
            raise DataError("This run chose the network but did not keep it; train it again to try a what-if.")
        network = NetworkForecaster(self.settings.network)
        network.spec_ = self.spec
        network.panel_ = to_panel(self.history, self.frequency.alias, self.spec.known_ahead)
        network.window_ = int((self.bundle.facts.get("network") or {}).get("window") or 2)
        network.model_ = load_network_file(path)
        return network

    def future_rows(self) -> pd.DataFrame:
        """The next horizon's input rows (series columns, date column, known-ahead defaults): a what-if to edit."""
        future = future_frame(self.history, self.preparation, self.horizon)
        rows = pd.DataFrame(inputs.series_columns_of(future["unique_id"], self.preparation.series_columns))
        rows[self.preparation.date_column] = future["ds"].dt.strftime("%Y-%m-%d").to_numpy()
        for column in self.known_ahead_columns:
            rows[column] = future[column].to_numpy()
        return rows.reset_index(drop=True)

    def total(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The sum over series of a :meth:`forecast` frame per date (``date``, ``forecast``, ranges of the total)."""
        per_series = frame.rename(columns={"series": "unique_id", "date": "ds"})
        return total_forecast(per_series, self.total_ranges).rename(columns={"ds": "date"})

    def stock(
        self,
        level: float | None = None,
        *,
        short_cost: float | None = None,
        over_cost: float | None = None,
        per_period: bool = False,
        forecast: pd.DataFrame | None = None,
    ) -> Stock:
        """The stock per series that covers ``level`` of outcomes (or the share the two costs make cheapest)."""
        share, why = share_to_cover(level, short_cost, over_cost)
        frame = self.forecast() if forecast is None else forecast
        per_series = frame.rename(columns={"series": "unique_id", "date": "ds"})
        steps = int(per_series["step"].max()) if len(per_series) else self.horizon
        answer = stock(
            per_series, self.ranges, self.scales, share, per_period, self.target_name, self.frequency.span(steps)
        )
        answer.why = why
        return answer

    # ---- the protocol --------------------------------------------------------------------------------------------
    def input_schema(self) -> list[InputColumn]:
        """The series columns, the date column and (optional) known-ahead columns of the rows to forecast."""
        example = self.future_rows().iloc[0] if self.series_ids else None
        columns = [
            InputColumn(name, "category", None if example is None else example[name], description="which series")
            for name in self.preparation.series_columns
        ]
        date = self.preparation.date_column
        columns.append(
            InputColumn(date, "date", None if example is None else example[date], description="a forecast date")
        )
        defaults = self.preparation.known_ahead_defaults
        for name in self.known_ahead_columns:
            kind = "yes/no" if defaults.get(name) == 0.0 else "number"
            value = None if example is None else float(example[name])
            columns.append(InputColumn(name, kind, value, required=False, description="planned value (what-if)"))
        return columns

    def score_frame(self, frame: pd.DataFrame, on_progress: Callable[[float], None] | None = None) -> ScoredBatch:
        """Every row's forecast and ranges; rows must name known series and forecast dates (else a DataError)."""
        keys = inputs.read_keys(frame, self.preparation, self.frequency)
        inputs.check_known_series(keys, self.series_ids)
        future = future_frame(self.history, self.preparation, self.horizon)
        inside = pd.MultiIndex.from_frame(keys).isin(pd.MultiIndex.from_frame(future[["unique_id", "ds"]]))
        if not inside.all():
            self._refuse_dates(np.flatnonzero(~inside), keys)
        notes: list[str] = []
        plan = inputs.planned_values(frame, keys, self.known_ahead_columns)
        if plan is not None and not self.uses_known_ahead:
            notes.append(
                "The chosen models forecast from the history alone, so the known-ahead values in the file change "
                "nothing; the boosted trees or the network would use them."
            )
        answer = self.forecast(planned=plan).rename(columns={"series": "unique_id", "date": "ds"})
        rows = keys.merge(answer[["unique_id", "ds", *ANSWERS]], on=["unique_id", "ds"], how="left")
        scored = frame.reset_index(drop=True).copy()
        for column in ANSWERS:
            scored[column] = rows[column].to_numpy()
        if on_progress is not None:
            on_progress(1.0)
        return ScoredBatch(scored, notes, list(ANSWERS))

    def _refuse_dates(self, bad: np.ndarray, keys: pd.DataFrame) -> None:
        first = self.saved_forecast["ds"].min()
        last = self.saved_forecast["ds"].max()
        shown = keys["ds"].iloc[bad[0]]
        raise DataError(
            f"{rows_text(bad)} ask{'s' if len(bad) == 1 else ''} for a date this run does not forecast (like "
            f"{shown:%Y-%m-%d}): it forecasts the {self.frequency.span(self.horizon)} after the history, "
            f"{first:%Y-%m-%d} to {last:%Y-%m-%d} ({self.preparation.frequency_words}). Keep those dates, or train "
            "again on a longer history."
        )

    def evaluate_frame(self, frame: pd.DataFrame) -> dict[str, Any]:
        """WAPE, MASE, bias and range coverage of the saved forecast against the actual values in ``frame``."""
        keys = inputs.read_keys(frame, self.preparation, self.frequency)
        actual = inputs.actual_values(frame, keys, self.target_name)
        scales = {k: (None if pd.isna(v) else float(v)) for k, v in self.scales.items()}
        figures = actuals_figures(actual, self.saved_forecast, scales)
        if not figures["n"]:
            first, last = self.saved_forecast["ds"].min(), self.saved_forecast["ds"].max()
            raise DataError(
                f"None of the rows with a '{self.target_name}' value falls on the forecast dates ({first:%Y-%m-%d} to "
                f"{last:%Y-%m-%d}) of a series this run forecasts: evaluate compares the saved forecast with what "
                "happened afterwards."
            )
        naive = actuals_figures(actual, self._seasonal_naive(), scales)
        figures["seasonal_naive_wape"] = naive["wape"]
        figures["wape_lift"] = (
            1 - figures["wape"] / naive["wape"] if figures["wape"] is not None and naive["wape"] else None
        )
        figures["noun"] = fmt.plural(int(figures["n"]), "dated value")
        return figures

    def _seasonal_naive(self) -> pd.DataFrame:
        """The seasonal naive's forecast of the saved dates (the value one season earlier), for the comparison."""
        season = max(1, int(self.preparation.season_length))
        keys = self.saved_forecast[["unique_id", "ds", "step"]].copy()
        history = self.history[["unique_id", "ds", "y"]].copy()
        history["position"] = self.frequency.steps(history["ds"])
        keys["position"] = self.frequency.steps(keys["ds"]) - season * ((keys["step"] - 1) // season + 1)
        merged = keys.merge(history[["unique_id", "position", "y"]], on=["unique_id", "position"], how="left")
        return merged.rename(columns={"y": "forecast"})[["unique_id", "ds", "forecast"]]
