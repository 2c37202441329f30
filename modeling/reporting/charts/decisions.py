"""Figures for acting on the model: calibration (reliability), answer-only-when-sure (coverage), money by threshold."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from modeling.evaluation.decisions import money
from modeling.reporting.charts.base import BLUE, GREEN, GREY, RED, escape_labels, layout, note


def reliability_chart(calibration: Mapping[str, Any]) -> go.Figure:
    """Confidence vs how often it was right, per confidence bin, before and after calibration.

    ``calibration`` is ``evaluation.json["calibration"]`` (see :mod:`modeling.evaluation.calibration`). Points on the
    dashed diagonal mean "80% sure" is right 80% of the time; points below it mean over-confidence. Marker
    size follows how many test answers fall in the bin, so a lonely point does not look like a trend.
    """
    calibration = calibration or {}
    fig = go.Figure()
    layout(
        fig,
        "Does its confidence mean what it says? (points on the diagonal: yes)",
        xaxis={"title": {"text": "How sure the model was (%)"}, "range": [0, 101]},
        yaxis={"title": {"text": "How often it was right (%)"}, "range": [0, 101]},
    )
    fig.add_trace(
        go.Scatter(
            x=[0, 100],
            y=[0, 100],
            mode="lines",
            name="Perfectly calibrated",
            line={"color": GREY, "dash": "dash"},
            hoverinfo="skip",
        )
    )
    curves = calibration.get("reliability") or {}
    series = [("before", "As trained", RED if calibration.get("applied") else BLUE, "ece_before")]
    if calibration.get("applied"):
        series.append(("after", "Calibrated (used by Predict)", BLUE, "ece_after"))
    drawn = False
    for key, label, colour, ece_key in series:
        curve = curves.get(key) or {}
        counts = [int(c) for c in curve.get("count", [])]
        if not counts:
            continue
        biggest = max(counts)
        ece = calibration.get(ece_key)
        fig.add_trace(
            go.Scatter(
                x=[100.0 * v for v in curve["confidence"]],
                y=[100.0 * v for v in curve["accuracy"]],
                mode="lines+markers",
                name=f"{label} (calibration error {100.0 * float(ece):.1f}%)" if ece is not None else label,
                line={"color": colour, "width": 2},
                marker={"size": [8 + 14 * math.sqrt(c / biggest) for c in counts], "color": colour},
                customdata=counts,
                hovertemplate="%{x:.0f}% sure → right %{y:.0f}% of the time (%{customdata:,} answers)<extra></extra>",
            )
        )
        drawn = True
    if not drawn:
        note(fig, "No calibration measured for this run")
    escape_labels(fig)  # traces added after layout
    return fig


def coverage_chart(curve: Mapping[str, Sequence[Any]], level: float | None = None) -> go.Figure:
    """Share of cases the model answers, and its accuracy on those, as the required confidence rises.

    ``curve`` comes from :func:`modeling.evaluation.decisions.coverage_curve`; ``level`` (0..1) marks the chosen
    confidence with a vertical line. Left: answer everything; right: answer only the surest cases.
    """
    fig = go.Figure()
    layout(
        fig,
        "Answer only when sure: fewer answers, but more of them right",
        xaxis={"title": {"text": "Answer only when at least this sure (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": "Share (%)"}, "range": [0, 102]},
        hovermode="x unified",
    )
    levels = [100.0 * float(v) for v in curve.get("level", [])]
    if not levels:
        return note(fig, "No test results to show")
    answered = [100.0 * float(v) for v in curve["answered_share"]]
    accuracy = [None if v is None else 100.0 * float(v) for v in curve["accuracy_answered"]]
    fig.add_trace(
        go.Scatter(
            x=levels,
            y=accuracy,
            mode="lines",
            name="Right, among the answered",
            line={"color": GREEN, "width": 3},
            hovertemplate="right in %{y:.1f}% of answered<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=levels,
            y=answered,
            mode="lines",
            name="Cases answered by the model",
            line={"color": BLUE, "width": 3},
            fill="tozeroy",
            fillcolor="rgba(31,119,180,0.08)",
            hovertemplate="answers %{y:.1f}% of cases<extra></extra>",
        )
    )
    if level is not None:
        fig.add_vline(
            x=100.0 * float(level),
            line={"color": "#333", "dash": "dot"},
            annotation_text=f"chosen: {100.0 * float(level):.0f}%",
            annotation_position="bottom left",
        )
    escape_labels(fig)  # traces added after layout
    return fig


def value_by_threshold_chart(
    curve: Mapping[str, Sequence[Any]],
    best: tuple[float, float] | None = None,
    default: float = 0.5,
    currency: str = "",
    positive_label: str = "",
    chosen: float | None = None,
) -> go.Figure:
    """Expected value per 1,000 cases at every threshold, with the best one and the default 0.5 marked.

    ``curve`` comes from :func:`modeling.evaluation.decisions.value_curve`; ``currency`` is the user's free text
    (Plotly renders text, not HTML, from data values, but it is cut to 12 characters all the same).
    """

    # Plotly renders a few HTML tags in titles, legends and hover text: the user's currency goes in as text.
    unit = html.escape(str(currency or "").strip()[:12]).replace("{", "(").replace("}", ")")
    fig = go.Figure()
    label = html.escape(str(positive_label)) if positive_label else ""
    what = f"act on '{label}' when" if label else "act when"
    layout(
        fig,
        "Expected value per 1,000 cases at each threshold",
        xaxis={"title": {"text": f"Threshold: {what} its probability is at least (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": f"Value per 1,000 cases{f' ({unit})' if unit else ''}"}},
        showlegend=True,
    )
    t = [100.0 * float(v) for v in curve.get("threshold", [])]
    if not t:
        return note(fig, "No test results to show")
    values = [float(v) for v in curve["value_per_1000"]]
    fig.add_trace(
        go.Scatter(
            x=t,
            y=values,
            mode="lines",
            name="Expected value",
            line={"color": BLUE, "width": 3},
            hovertemplate=f"threshold %{{x:.0f}}%: %{{y:,.0f}} {unit}<extra></extra>",
        )
    )
    default_value = values[int(np.argmin(np.abs(np.asarray(t) - 100.0 * default)))]
    fig.add_trace(
        go.Scatter(
            x=[100.0 * default],
            y=[default_value],
            mode="markers",
            name=f"Default {default:.0%}: {money(default_value, unit)}",
            marker={"color": GREY, "size": 13, "symbol": "circle", "line": {"color": "#333", "width": 1}},
            hoverinfo="skip",
        )
    )
    if best is not None:
        fig.add_trace(
            go.Scatter(
                x=[100.0 * best[0]],
                y=[best[1]],
                mode="markers",
                name=f"Best {best[0]:.0%}: {money(best[1], unit)}",
                marker={"color": GREEN, "size": 16, "symbol": "star", "line": {"color": "#333", "width": 1}},
                hoverinfo="skip",
            )
        )
    if chosen is not None:
        fig.add_vline(
            x=100.0 * float(chosen),
            line={"color": "#333", "dash": "dot"},
            annotation_text=f"chosen: {100.0 * float(chosen):.0f}%",
            annotation_position="top left",
        )
    fig.add_hline(y=0, line={"color": "#bbb", "width": 1})
    return fig
