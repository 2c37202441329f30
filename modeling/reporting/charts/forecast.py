"""Figures for forecast runs: the history, the backtest, the forecast and its ranges; errors per series; coverage.

Every function takes the plain frames a forecast run saved (the predictor's ``history``, ``backtest`` and
``forecast()`` or ``saved_forecast``) or its ``evaluation.json``, and returns a ``go.Figure`` whose title says
what to look for. Frames may name their columns as the run stores them (``unique_id``, ``ds``) or as the
predictor answers (``series``, ``date``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from modeling import format as fmt
from modeling.reporting.charts.base import BLUE, GREY, ORANGE, RED, layout, note, plain

BAND_80 = "rgba(31, 119, 180, 0.28)"
BAND_90 = "rgba(31, 119, 180, 0.14)"
BOUNDS = ("low_80", "high_80", "low_90", "high_90")


def _long(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={"series": "unique_id", "date": "ds"})


def _band(fig: go.Figure, dates: pd.Series, low: pd.Series, high: pd.Series, colour: str, name: str) -> None:
    fig.add_trace(go.Scatter(x=dates, y=high, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(x=dates, y=low, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=colour, name=name)
    )


def forecast_chart(
    history: pd.DataFrame,
    backtest: pd.DataFrame | None,
    forecast: pd.DataFrame,
    series: str | None = None,
    target: str = "value",
    total: pd.DataFrame | None = None,
) -> go.Figure:
    """One series (or, with ``series=None``, the total over series): history, the backtest's honest forecasts,
    the forecast and its 80%/90% ranges.

    For the total, pass ``total`` (the predictor's ``total(forecast)``: the ranges of the total, calibrated on
    the total's own backtest); without it the total is drawn without ranges (adding each series' range up would
    overstate them).
    """
    history, forecast = _long(history), _long(forecast)
    backtest = _long(backtest) if backtest is not None else None
    name = "all series" if series is None else f"'{series}'"
    fig = go.Figure()
    if series is not None:
        history = history[history["unique_id"] == series]
        forecast = forecast[forecast["unique_id"] == series]
        backtest = backtest[backtest["unique_id"] == series] if backtest is not None else None
    if history.empty and forecast.empty:
        return note(layout(fig, f"Forecast of {target}: {name}"), "No such series in this run.")
    past = history.groupby("ds", sort=True)["y"].sum()
    fig.add_trace(go.Scatter(x=past.index, y=past.to_numpy(), mode="lines", name="what happened", line={"color": GREY}))
    ahead = forecast.groupby("ds", sort=True).agg({"forecast": "sum"})
    source = _long(total) if series is None and total is not None else (forecast if series is not None else None)
    if source is not None and set(BOUNDS) <= set(source.columns):
        bands = source.set_index("ds").sort_index()[list(BOUNDS)]
        if len(bands) and bands.notna().all().all():
            _band(fig, bands.index, bands["low_90"], bands["high_90"], BAND_90, "90% range")
            _band(fig, bands.index, bands["low_80"], bands["high_80"], BAND_80, "80% range")
    if backtest is not None and "automatic" in backtest:
        judged = backtest.dropna(subset=["automatic"])
        for i, (_, window) in enumerate(judged.groupby("cutoff", sort=True)):
            line = window.groupby("ds", sort=True)["automatic"].sum()
            fig.add_trace(
                go.Scatter(
                    x=line.index,
                    y=line.to_numpy(),
                    mode="lines",
                    name="backtest forecast (made without seeing those dates)",
                    line={"color": ORANGE, "dash": "dot"},
                    showlegend=i == 0,
                    legendgroup="backtest",
                )
            )
    fig.add_trace(
        go.Scatter(x=ahead.index, y=ahead["forecast"].to_numpy(), mode="lines", name="forecast", line={"color": BLUE})
    )
    return layout(
        fig,
        f"Forecast of {target} for {name}: the shaded bands should hold the future 80% and 90% of the time",
        xaxis_title="date",
        yaxis_title=plain(target),
        hovermode="x unified",
    )


def series_error_chart(evaluation: Mapping[str, Any], top: int = 20) -> go.Figure:
    """WAPE per series (the worst ``top`` first) beside the seasonal naive's on the same dates."""
    rows = list(evaluation.get("series") or [])[:top]
    fig = go.Figure()
    if not rows:
        return note(layout(fig, "Error per series"), "No per-series errors were saved for this run.")
    names = [str(r["unique_id"]) for r in rows][::-1]
    model = [None if r.get("wape") is None else 100 * float(r["wape"]) for r in rows][::-1]
    naive = [None if r.get("baseline_wape") is None else 100 * float(r["baseline_wape"]) for r in rows][::-1]
    fig.add_trace(go.Bar(y=names, x=model, orientation="h", name="this forecast", marker={"color": BLUE}))
    fig.add_trace(
        go.Scatter(y=names, x=naive, mode="markers", name="seasonal naive", marker={"color": RED, "symbol": "line-ns"})
    )
    fig.update_traces(marker_line_width=2, selector={"mode": "markers"})
    total = int(evaluation.get("series_total") or len(rows))
    shown = "" if total <= len(rows) else f" (the worst {len(rows)} of {fmt.count(total)})"
    return layout(
        fig,
        f"How far off each series was in the backtest{shown}: shorter bars are better",
        xaxis_title="WAPE: % off over the backtest dates",
        height=max(320, 26 * len(rows) + 140),
    )


def range_coverage_chart(evaluation: Mapping[str, Any]) -> go.Figure:
    """How often the 80% and 90% ranges held on backtest dates they were not calibrated on, against the promise."""
    coverage = evaluation.get("coverage") or {}
    fig = go.Figure()
    levels = [k for k in ("80", "90") if (coverage.get(k) or {}).get("coverage") is not None]
    if not levels:
        return note(
            layout(fig, "How often the ranges held"),
            "The ranges could not be checked: that needs a backtest window they were not calibrated on.",
        )
    labels = [f"{k}% range" for k in levels]
    measured = [100 * float(coverage[k]["coverage"]) for k in levels]
    low = [100 * float(coverage[k].get("low") or coverage[k]["coverage"]) for k in levels]
    high = [100 * float(coverage[k].get("high") or coverage[k]["coverage"]) for k in levels]
    fig.add_trace(
        go.Bar(
            x=labels,
            y=measured,
            name="measured",
            marker={"color": BLUE},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [h - m for h, m in zip(high, measured, strict=True)],
                "arrayminus": [m - lo for m, lo in zip(measured, low, strict=True)],
            },
        )
    )
    fig.add_trace(
        go.Scatter(x=labels, y=[float(k) for k in levels], mode="markers", name="promised", marker={"color": RED})
    )
    n = int((coverage.get(levels[0]) or {}).get("n") or 0)
    return layout(
        fig,
        f"How often the ranges held on {fmt.plural(n, 'backtest date')} they never saw (95% intervals)",
        yaxis_title="% of actual values inside the range",
        yaxis_range=[0, 100],
    )


def model_comparison_chart(evaluation: Mapping[str, Any]) -> go.Figure:
    """WAPE of every model backtested, with the run's own forecast and the seasonal naive marked."""
    candidates = evaluation.get("candidates") or {}
    model = evaluation.get("model") or {}
    rows = [(str(v.get("label") or k), v.get("wape"), k) for k, v in candidates.items() if v.get("wape") is not None]
    if model.get("wape") is not None:
        rows.append(("This forecast", model["wape"], "automatic"))
    fig = go.Figure()
    if not rows:
        return note(layout(fig, "Models compared"), "No backtest figures were saved for this run.")
    rows.sort(key=lambda r: float(r[1]))
    colours = [BLUE if key == "automatic" else (RED if key == "seasonal_naive" else GREY) for _, _, key in rows]
    fig.add_trace(
        go.Bar(
            x=[r[0] for r in rows],
            y=[100 * float(r[1]) for r in rows],
            marker={"color": colours},
            text=[fmt.percent(r[1]) for r in rows],
            textposition="outside",
        )
    )
    return layout(
        fig,
        "Every model on the same backtest: lower WAPE is better (red: the seasonal naive to beat)",
        yaxis_title="WAPE: % off",
        showlegend=False,
    )
