"""What a forecast run produces: the backtest, the choice and its reason, the ranges with their measured
coverage, and the forecast of the next horizon. ``to_dict`` is the JSON a run folder keeps beside the frames
(``backtest`` and ``forecast``, written as CSV or Parquet by the caller); nothing here is pickled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from modeling.errors import RunStopped
from modeling.evaluation.forecast.ranges import Ranges
from modeling.evaluation.forecast.selection import Choice


class ForecastStopped(RunStopped):
    """The person pressed Stop before the forecast was finished; nothing was kept."""


@dataclass
class ForecastResult:
    """Everything a forecast run learned (see the module docstring)."""

    preparation: dict[str, Any]
    settings: dict[str, Any]
    horizon: int
    windows: int
    candidates: list[str]
    choice: Choice
    #: ``{model or "automatic": {wape, mase, bias, wape_lift, mase_lift, rows}}`` on the scored windows.
    scores: dict[str, dict[str, Any]]
    #: Which backtest windows the scores cover, in words ("the last 2 of 3 backtest windows of 12 weeks").
    scored_on: str
    #: Per series, worst first (:func:`modeling.evaluation.forecast.scores.series_table` of Automatic).
    series: pd.DataFrame
    ranges: Ranges
    #: ``{"80": {nominal, coverage, low, high, n, mean_width}, ...}``; empty when too little history to measure.
    coverage: dict[str, dict[str, Any]]
    #: ``unique_id``, ``ds``, ``cutoff``, ``step``, ``y``, ``scale``, one column per candidate and ``automatic``.
    backtest: pd.DataFrame
    #: ``unique_id``, ``ds``, ``step``, ``forecast``, ``low_80``, ``high_80``, ``low_90``, ``high_90``.
    forecast: pd.DataFrame
    #: Each series' scale (the MASE denominator over its whole history), for ranges and the newsvendor.
    scales: pd.Series
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Fitted forecasters of the final refit by name (the network, to save as ``.keras``); not serialised.
    fitted: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def headline(self) -> dict[str, Any]:
        """Automatic's WAPE, MASE, bias and lifts, and the measured coverage: what ``run.json`` shows."""
        automatic = self.scores.get("automatic", {})
        out = {k: automatic.get(k) for k in ("wape", "mase", "bias", "wape_lift", "mase_lift")}
        for level, figures in self.coverage.items():
            out[f"coverage_{level}"] = figures.get("coverage")
        return out

    def to_dict(self) -> dict[str, Any]:
        worst = self.series.iloc[0].to_dict() if len(self.series) else None
        return {
            "preparation": self.preparation,
            "settings": self.settings,
            "horizon": self.horizon,
            "windows": self.windows,
            "candidates": self.candidates,
            "choice": self.choice.to_dict(),
            "scores": self.scores,
            "scored_on": self.scored_on,
            "worst_series": {k: (v.item() if hasattr(v, "item") else v) for k, v in worst.items()} if worst else None,
            "ranges": self.ranges.to_dict(),
            "coverage": self.coverage,
            "scales": {str(k): (None if pd.isna(v) else float(v)) for k, v in self.scales.items()},
            "seconds": self.seconds,
            "notes": self.notes,
        }
