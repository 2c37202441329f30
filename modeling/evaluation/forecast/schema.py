"""What a forecast run's ``evaluation.json`` holds (``kind: "forecast"``), and :func:`build_forecast_evaluation`.

Everything is measured on the rolling-origin backtest, which never peeks: Automatic's figures come from its
walk-forward forecast (each window forecast with the choice made on the windows before it), every candidate's
and the seasonal naive's from the same rows, so each figure has its lift over the naive rule. ``test`` is the
last horizon of every series alone (the rows of the run's ``test.npz``); ``outlook`` holds the facts of the
summary sentence. Generic readers find what they know where they look for it: ``model`` (the run's figures,
as MLflow logs them), ``baselines`` and ``lift``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from modeling.data.series.frequency import Frequency
from modeling.data.series.preparation import SeriesPreparation
from modeling.evaluation.forecast.metrics import bias, lift, panel_mase, wape
from modeling.evaluation.forecast.outlook import outlook as outlook_facts
from modeling.evaluation.forecast.outlook import total_ranges
from modeling.evaluation.forecast.ranges import Ranges
from modeling.evaluation.forecast.scores import BASELINE
from modeling.evaluation.forecast.selection import Choice

#: Most per-series rows kept in ``evaluation.json`` (the worst first); the run's bundle keeps them all.
MAX_SERIES_ROWS = 500
BASELINE_TITLE = "Seasonal naive"
BASELINE_DESCRIPTION = "each period repeats the same period one season earlier (the same week last year)"


class ForecastFigures(TypedDict, total=False):
    """WAPE, MASE and bias (and their lifts over the seasonal naive) on the scored backtest rows."""

    wape: float | None
    mase: float | None
    bias: float | None
    wape_lift: float | None
    mase_lift: float | None
    bias_lift: float | None
    coverage_80: float | None
    coverage_90: float | None
    n: int


class ForecastBaseline(TypedDict):
    title: str
    description: str
    wape: float | None
    mase: float | None
    bias: float | None
    n: int


class Candidate(TypedDict):
    label: str
    wape: float | None
    mase: float | None
    bias: float | None
    wape_lift: float | None
    mase_lift: float | None
    rows: int
    weight: float


class MeasuredCoverage(TypedDict):
    nominal: float
    coverage: float | None
    low: float | None
    high: float | None
    n: int
    mean_width: float | None


class SeriesRow(TypedDict):
    unique_id: str
    actual: float
    wape: float | None
    mase: float | None
    bias: float | None
    baseline_wape: float | None


class TestWindow(TypedDict):
    cutoff: str
    first_date: str
    last_date: str
    n: int
    wape: float | None
    mase: float | None
    bias: float | None
    baseline_wape: float | None
    coverage_80: float | None
    coverage_90: float | None


class Outlook(TypedDict, total=False):
    first_date: str
    last_date: str
    horizon_words: str
    series: int
    total: float
    low_80: float | None
    high_80: float | None
    low_90: float | None
    high_90: float | None
    last_year: float | None
    change: float | None
    peak_date: str
    peak_words: str
    peak_value: float


class ForecastEvaluation(TypedDict):
    """The whole of ``evaluation.json`` for a forecast run (see the module docstring)."""

    kind: str  # "forecast"
    model: ForecastFigures
    baselines: dict[str, ForecastBaseline]  # "seasonal_naive"
    lift: dict[str, float | None]  # wape, mase, bias
    candidates: dict[str, Candidate]
    choice: dict[str, Any]  # Choice.to_dict(): models, weights, method, wape, best_single, ..., sentence
    scored_on: str
    horizon: int
    windows: int
    frequency: dict[str, Any]  # alias, words, unit, season_length
    target: dict[str, Any]  # name, series_columns, series_count, known_ahead, left_out, sentences
    coverage: dict[str, MeasuredCoverage]  # "80", "90"
    series: list[SeriesRow]
    series_total: int
    worst_series: SeriesRow | None
    test: TestWindow
    outlook: Outlook
    notes: list[str]
    seconds: dict[str, float]


def _plain(value: Any) -> Any:
    """NumPy scalars and NaN as JSON reads them (NaN -> None)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _row(record: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): _plain(v) for k, v in record.items()}


def _figures(rows: pd.DataFrame, column: str) -> dict[str, Any]:
    return {
        "wape": wape(rows["y"], rows[column]),
        "mase": panel_mase(rows, column),
        "bias": bias(rows["y"], rows[column]),
        "n": len(rows),
    }


def _abs_lift(value: float | None, base: float | None) -> float | None:
    return lift(abs(value), abs(base)) if value is not None and base is not None else None


def test_window(backtest: pd.DataFrame, ranges_cover: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Automatic's and the naive's figures on the last backtest window alone (the run's ``test.npz`` rows).

    ``ranges_cover`` is the run's measured coverage, which is measured on exactly that window (by ranges
    calibrated on the windows before it).
    """
    last = backtest["cutoff"].max()
    rows = backtest[(backtest["cutoff"] == last) & backtest["automatic"].notna()]
    figures = _figures(rows, "automatic")
    return {
        "cutoff": f"{pd.Timestamp(last):%Y-%m-%d}",
        "first_date": f"{rows['ds'].min():%Y-%m-%d}" if len(rows) else "",
        "last_date": f"{rows['ds'].max():%Y-%m-%d}" if len(rows) else "",
        **figures,
        "baseline_wape": wape(rows["y"], rows[BASELINE]) if BASELINE in rows else None,
        **{f"coverage_{k}": (ranges_cover or {}).get(k, {}).get("coverage") for k in ("80", "90")},
    }


def build_forecast_evaluation(
    *,
    scores: Mapping[str, Mapping[str, Any]],
    labels: Mapping[str, str],
    choice: Choice,
    scored_on: str,
    horizon: int,
    windows: int,
    measured: Mapping[str, Mapping[str, Any]],
    series: pd.DataFrame,
    backtest: pd.DataFrame,
    forecast: pd.DataFrame,
    history: pd.DataFrame,
    preparation: SeriesPreparation,
    frequency: Frequency,
    ranges: Ranges,
    levels: Sequence[float],
    notes: Sequence[str] = (),
    seconds: Mapping[str, float] | None = None,
) -> ForecastEvaluation:
    """``evaluation.json`` of a forecast run from what the run measured (plain frames and figures in).

    ``scores`` is ``model_scores`` of the candidates, ``automatic`` and the seasonal naive on the scored rows;
    ``measured`` the coverage of the ranges on the window they were not calibrated on; ``series`` the
    per-series table (worst first); ``backtest`` every window with a column per model and ``automatic``.
    """
    automatic = dict(scores.get("automatic") or {})
    base = dict(scores.get(BASELINE) or {})
    model: dict[str, Any] = {k: automatic.get(k) for k in ("wape", "mase", "bias", "wape_lift", "mase_lift")}
    model["bias_lift"] = _abs_lift(automatic.get("bias"), base.get("bias"))
    for level, figures in measured.items():
        model[f"coverage_{level}"] = figures.get("coverage")
    model["n"] = int(automatic.get("rows") or 0)
    weights = dict(zip(choice.models, choice.weights, strict=True))
    candidates = {
        name: {
            "label": labels.get(name, name),
            **{k: figures.get(k) for k in ("wape", "mase", "bias", "wape_lift", "mase_lift")},
            "rows": int(figures.get("rows") or 0),
            "weight": float(weights.get(name, 0.0)),
        }
        for name, figures in scores.items()
        if name != "automatic"
    }
    rows = [_row(r) for r in series.head(MAX_SERIES_ROWS).to_dict("records")]
    evaluation: dict[str, Any] = {
        "kind": "forecast",
        "model": model,
        "baselines": {
            BASELINE: {
                "title": BASELINE_TITLE,
                "description": BASELINE_DESCRIPTION,
                **{k: base.get(k) for k in ("wape", "mase", "bias")},
                "n": int(base.get("rows") or 0),
            }
        },
        "lift": {"wape": model["wape_lift"], "mase": model["mase_lift"], "bias": model["bias_lift"]},
        "candidates": candidates,
        "choice": choice.to_dict(),
        "scored_on": scored_on,
        "horizon": int(horizon),
        "windows": int(windows),
        "frequency": {
            "alias": frequency.alias,
            "words": preparation.frequency_words or frequency.words,
            "unit": frequency.unit,
            "season_length": int(preparation.season_length),
        },
        "target": {
            "name": preparation.target_column,
            "date_column": preparation.date_column,
            "series_columns": list(preparation.series_columns),
            "series_count": int(preparation.series_count),
            "known_ahead": list(preparation.known_ahead_columns),
            "left_out": dict(preparation.left_out),
            "preparation_sentence": preparation.sentence(),
            "known_ahead_sentence": preparation.known_ahead_sentence(),
        },
        "coverage": {k: _row(v) for k, v in measured.items()},
        "series": rows,
        "series_total": len(series),
        "worst_series": rows[0] if rows else None,
        "test": _row(test_window(backtest, measured)),
        "outlook": _row(outlook_facts(history, forecast, total_ranges(backtest, horizon, levels), frequency, levels)),
        "notes": list(notes),
        "seconds": {k: round(float(v), 3) for k, v in (seconds or {}).items()},
    }
    return evaluation  # type: ignore[return-value]


def actuals_figures(actual: pd.DataFrame, forecast: pd.DataFrame, scales: Mapping[str, float | None]) -> dict[str, Any]:
    """WAPE, MASE, bias and range coverage of a saved ``forecast`` against later ``actual`` values.

    ``actual`` has ``unique_id``, ``ds``, ``y``; ``forecast`` the saved forecast (``forecast``, ``low_80``...).
    Only the (series, date) pairs in both count.
    """
    rows = actual.merge(forecast, on=["unique_id", "ds"], how="inner")
    rows = rows.assign(cutoff=0, scale=rows["unique_id"].map(lambda s: scales.get(str(s))).astype(np.float64))
    out: dict[str, Any] = _figures(rows, "forecast")
    for level in ("80", "90"):
        low, high = f"low_{level}", f"high_{level}"
        inside = (rows["y"] >= rows[low]) & (rows["y"] <= rows[high]) if low in rows else pd.Series(dtype=bool)
        out[f"coverage_{level}"] = float(inside.mean()) if len(inside) else None
    out["series"] = int(rows["unique_id"].nunique())
    out["first_date"] = f"{rows['ds'].min():%Y-%m-%d}" if len(rows) else ""
    out["last_date"] = f"{rows['ds'].max():%Y-%m-%d}" if len(rows) else ""
    return {k: _plain(v) for k, v in out.items()}


__all__ = [
    "BASELINE_DESCRIPTION",
    "BASELINE_TITLE",
    "ForecastEvaluation",
    "actuals_figures",
    "build_forecast_evaluation",
    "test_window",
]
