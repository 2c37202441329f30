"""Figures for acting on scores: who to call (gains, lift), where a number's estimates run high or low, whether
groups are treated alike, and whether a scored file still looks like the training data.

Pure functions of the plain results of :mod:`modeling.evaluation.gains`, :mod:`~modeling.evaluation.fairness`
and :mod:`~modeling.evaluation.drift`, built with the shared look (:func:`layout` escapes every label a user
could have written). Shares are drawn as percentages; every chart says what a good picture looks like.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from modeling.reporting.charts.base import BLUE, GREEN, GREY, ORANGE, RED, layout, note, plain

#: Colours of the drift severities (none / some / major).
SEVERITY_COLOURS = {"none": GREEN, "some": ORANGE, "major": RED}


def _units(currency: str) -> str:
    return f" ({currency})" if currency else ""


def _pct(values: Sequence[float]) -> list[float]:
    return [100.0 * float(v) for v in values]


def gains_chart(result: Mapping[str, Any] | None, positive: str = "the class to find") -> go.Figure:
    """Cumulative gains: the share of positives reached against the share of the list contacted, best first."""
    fig = go.Figure()
    curve = (result or {}).get("curve") or {}
    if not curve.get("share"):
        return note(layout(fig, "Who to contact first"), "Gains were not measured for this run.")
    share, reached = _pct(curve["share"]), _pct(curve["reached"])
    base = float(result["base_rate"])
    fig.add_trace(
        go.Scatter(
            x=[0, 100 * base, 100],
            y=[0, 100, 100],
            mode="lines",
            name="a perfect ranking",
            line={"color": GREY, "dash": "dot"},
        )
    )
    fig.add_trace(
        go.Scatter(x=[0, 100], y=[0, 100], mode="lines", name="a random list", line={"color": GREY, "dash": "dash"})
    )
    fig.add_trace(
        go.Scatter(
            x=share,
            y=reached,
            mode="lines",
            name="this model's ranking",
            line={"color": BLUE, "width": 3},
            hovertemplate="top %{x:.0f}% of the list reaches %{y:.0f}%<extra></extra>",
        )
    )
    at = result.get("at_share") or {}
    if at:
        fig.add_trace(
            go.Scatter(
                x=[100 * at["share"]],
                y=[100 * at["reached"]],
                mode="markers+text",
                name=f"top {at['share']:.0%}",
                marker={"color": ORANGE, "size": 11},
                text=[f"{at['reached']:.0%} reached, {at['lift']:.1f}x random"],
                textposition="bottom right",
            )
        )
    return layout(
        fig,
        f"Who to contact first: the share of {positive} reached, highest scores first",
        xaxis={"title": {"text": "share of the list contacted, highest scores first (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": plain(f"share of {positive} reached (%)")}, "range": [0, 102]},
    )


def lift_chart(result: Mapping[str, Any] | None) -> go.Figure:
    """Lift per tenth of the ranked list: how many times the usual share each tenth holds (1 = a random list)."""
    fig = go.Figure()
    rows = list((result or {}).get("deciles") or [])
    if not rows:
        return note(layout(fig, "Lift per tenth of the list"), "Gains were not measured for this run.")
    top = result.get("top_decile_lift") or {}
    errors = None
    if top.get("low") is not None and top.get("high") is not None:
        value = float(top["value"])
        errors = {
            "type": "data",
            "symmetric": False,
            "color": RED,
            "array": [max(0.0, float(top["high"]) - value)] + [0.0] * (len(rows) - 1),
            "arrayminus": [max(0.0, value - float(top["low"]))] + [0.0] * (len(rows) - 1),
        }
    fig.add_trace(
        go.Bar(
            x=[f"{r['decile']}" for r in rows],
            y=[r["lift"] for r in rows],
            name="lift",
            marker={"color": [BLUE if r["lift"] >= 1 else GREY for r in rows]},
            error_y=errors,
            text=[f"{r['lift']:.1f}x" for r in rows],
            textposition="outside",
            hovertemplate="tenth %{x}: %{y:.2f}x the usual share<extra></extra>",
        )
    )
    fig.add_hline(y=1.0, line={"color": GREY, "dash": "dash"})
    return layout(
        fig,
        "Lift per tenth of the list (1 = a random list; the first tenth with its 95% interval)",
        xaxis={"title": {"text": "tenth of the list, highest scores first"}, "type": "category"},
        yaxis_title="times the usual share",
        showlegend=False,
    )


def decile_chart(rows: Sequence[Mapping[str, Any]] | None, target: str = "value", currency: str = "") -> go.Figure:
    """Mean actual vs mean predicted per tenth of the predictions: a good model's bars climb with its estimates."""
    fig = go.Figure()
    rows = list(rows or [])
    if not rows:
        return note(layout(fig, f"Predicted vs actual {target} by tenth"), "No test predictions were saved.")
    tenths = [str(r["decile"]) for r in rows]
    fig.add_trace(
        go.Bar(
            x=tenths,
            y=[r["mean_actual"] for r in rows],
            name=f"average actual {target}",
            marker={"color": BLUE},
            error_y={
                "type": "data",
                "symmetric": False,
                "color": RED,
                "array": [max(0.0, r["actual_high"] - r["mean_actual"]) for r in rows],
                "arrayminus": [max(0.0, r["mean_actual"] - r["actual_low"]) for r in rows],
            },
        )
    )
    fig.add_trace(
        go.Scatter(
            x=tenths,
            y=[r["mean_predicted"] for r in rows],
            mode="lines+markers",
            name=f"average predicted {target}",
            line={"color": ORANGE, "width": 2},
        )
    )
    return layout(
        fig,
        f"Predicted vs actual {target} by tenth of the estimates: the bars should follow the line",
        xaxis={"title": {"text": "tenth of the rows, lowest estimates first"}, "type": "category"},
        yaxis_title=plain(f"average {target}{_units(currency)}"),
    )


def error_segments_chart(segments: Sequence[Mapping[str, Any]] | None, currency: str = "") -> go.Figure:
    """Mean signed error per segment with its 95% interval: right of zero it estimates too high, left too low."""
    fig = go.Figure()
    rows = list(segments or [])
    if not rows:
        return note(layout(fig, "Where the errors are"), "No group of rows is large enough to judge.")
    rows = rows[::-1]
    fig.add_trace(
        go.Bar(
            x=[r["mean_error"] for r in rows],
            y=[f"{r['column']}: {r['segment']}" for r in rows],
            orientation="h",
            marker={"color": [(RED if r["mean_error"] > 0 else BLUE) if r["clear"] else GREY for r in rows]},
            error_x={
                "type": "data",
                "symmetric": False,
                "color": GREY,
                "array": [r["high"] - r["mean_error"] for r in rows],
                "arrayminus": [r["mean_error"] - r["low"] for r in rows],
            },
            text=[f"n = {r['n']:,}" for r in rows],
            name="average error",
        )
    )
    fig.add_vline(x=0, line={"color": GREY})
    return layout(
        fig,
        "Where the errors are: estimates too high (right) or too low (left), grey when it could be chance",
        xaxis_title=plain(f"average of estimate minus actual{_units(currency)}"),
        yaxis_title="",
        showlegend=False,
        height=max(320, 28 * len(rows) + 130),
    )


_RATE_WORDS = {
    "selection_rate": "share given '{positive}'",
    "true_positive_rate": "share of true '{positive}' found",
    "false_positive_rate": "share of others wrongly given '{positive}'",
}


def fairness_chart(report: Mapping[str, Any] | None, metric: str | None = None) -> go.Figure:
    """One rate (or the mean error, for numbers) per group with its 95% interval; tiny groups in grey."""
    fig = go.Figure()
    groups = list((report or {}).get("groups") or [])
    column = str((report or {}).get("column") or "the column")
    if not groups:
        return note(layout(fig, f"Groups of {column}"), "No sensitive column was chosen for this run.")
    numbers = "mean_error" in groups[0]
    metric = metric or ("mean_error" if numbers else "selection_rate")
    scale = 1.0 if numbers else 100.0
    entries = [g[metric] for g in groups]
    values = [scale * float(e["value"]) if e["value"] is not None else None for e in entries]
    fig.add_trace(
        go.Bar(
            x=[str(g["group"]) for g in groups],
            y=values,
            marker={"color": [GREY if g["tiny"] else BLUE for g in groups]},
            error_y={
                "type": "data",
                "symmetric": False,
                "color": RED,
                "array": [_half(e, scale, "high") for e in entries],
                "arrayminus": [_half(e, scale, "low") for e in entries],
            },
            text=[f"n = {e['n']:,}" for e in entries],
            name=metric,
        )
    )
    if numbers:
        fig.add_hline(y=0, line={"color": GREY})
        currency = str((report or {}).get("currency") or "")
        title = f"Average error per group of {column} (above 0: estimates too high), with 95% intervals"
        axis = f"average of estimate minus actual{_units(currency)}"
    else:
        words = _RATE_WORDS.get(metric, metric).format(positive=(report or {}).get("positive", "yes"))
        title = f"{words[0].upper() + words[1:]} per group of {column}, with 95% intervals"
        axis = f"{words} (%)"
    return layout(
        fig,
        title,
        xaxis={"title": {"text": plain(column)}, "type": "category"},
        yaxis_title=plain(axis),
        showlegend=False,
    )


def _half(e: Mapping[str, Any], scale: float, side: str) -> float:
    if e.get("value") is None or e.get(side) is None:
        return 0.0
    gap = float(e["high"]) - float(e["value"]) if side == "high" else float(e["value"]) - float(e["low"])
    return max(0.0, scale * gap)


def drift_chart(report: Mapping[str, Any] | None, top: int = 20) -> go.Figure:
    """Population stability index per column, most shifted on top, coloured by severity, with the two cut-offs."""
    fig = go.Figure()
    rows = list((report or {}).get("columns") or [])[:top]
    if not rows:
        return note(layout(fig, "Has the data shifted?"), "No column could be compared with the training data.")
    rows = rows[::-1]
    fig.add_trace(
        go.Bar(
            x=[r["psi"] for r in rows],
            y=[str(r["column"]) for r in rows],
            orientation="h",
            marker={"color": [GREY if r.get("chance") else SEVERITY_COLOURS[r["severity"]] for r in rows]},
            text=[r["severity"] + (" (could be chance)" if r.get("chance") else "") for r in rows],
            hovertemplate="%{y}: %{x:.3f}<extra></extra>",
            name="shift",
        )
    )
    for cut, words in ((0.1, "some"), (0.25, "major")):
        fig.add_vline(x=cut, line={"color": GREY, "dash": "dash"}, annotation_text=words)
    return layout(
        fig,
        "Has the data shifted? Population stability index per column (under 0.1: none, 0.25 and above: major)",
        xaxis_title="population stability index (0 = the same as in training)",
        yaxis_title="",
        showlegend=False,
        height=max(320, 28 * len(rows) + 130),
    )
