"""Figures for number-predicting runs and for "which columns matter", from a saved evaluation only.

Predicted vs actual (the diagonal is a perfect model), residuals by predicted value (a funnel means bigger
errors for bigger values) and their distribution, the error per category of a column, permutation
importance with its 95% intervals, and partial dependence for a top column.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from modeling.reporting.charts.base import BLUE, GREY, ORANGE, RED, layout, note, plain


def _units(currency: str) -> str:
    return f" ({currency})" if currency else ""


def predicted_vs_actual(evaluation: Mapping[str, Any], target: str = "value", currency: str = "") -> go.Figure:
    """Each test row as a dot: actual value across, the model's estimate up; dots on the diagonal are exact."""
    points = evaluation.get("points") or {}
    actual, predicted = points.get("actual") or [], points.get("predicted") or []
    fig = go.Figure()
    if not actual:
        return note(layout(fig, f"Predicted vs actual {target}"), "No test predictions were saved for this run.")
    low, high = min(min(actual), min(predicted)), max(max(actual), max(predicted))
    fig.add_trace(
        go.Scatter(
            x=[low, high], y=[low, high], mode="lines", name="perfect estimate", line={"color": GREY, "dash": "dash"}
        )
    )
    fig.add_trace(
        go.Scatter(
            x=actual, y=predicted, mode="markers", name="test rows", marker={"color": BLUE, "size": 5, "opacity": 0.5}
        )
    )
    return layout(
        fig,
        f"Predicted vs actual {target}: the closer to the dashed line, the better",
        xaxis_title=plain(f"actual {target}{_units(currency)}"),
        yaxis_title=plain(f"predicted {target}{_units(currency)}"),
    )


def residuals_by_prediction(evaluation: Mapping[str, Any], target: str = "value", currency: str = "") -> go.Figure:
    """Miss (predicted - actual) against the estimate: a funnel shape means larger errors for larger values."""
    points = evaluation.get("points") or {}
    actual, predicted = points.get("actual") or [], points.get("predicted") or []
    fig = go.Figure()
    if not actual:
        return note(layout(fig, "Misses by estimate"), "No test predictions were saved for this run.")
    residual = [p - a for a, p in zip(actual, predicted, strict=True)]
    fig.add_trace(
        go.Scatter(
            x=predicted, y=residual, mode="markers", name="test rows", marker={"color": BLUE, "size": 5, "opacity": 0.5}
        )
    )
    fig.add_hline(y=0, line={"color": GREY, "dash": "dash"})
    return layout(
        fig,
        "Misses by estimate: above zero it guessed too high, below too low",
        xaxis_title=plain(f"predicted {target}{_units(currency)}"),
        yaxis_title=plain(f"predicted minus actual{_units(currency)}"),
    )


def residual_distribution(evaluation: Mapping[str, Any], currency: str = "") -> go.Figure:
    """How often it misses by how much (a histogram of predicted - actual)."""
    hist = evaluation.get("residuals") or {}
    edges, counts = hist.get("edges") or [], hist.get("counts") or []
    fig = go.Figure()
    if not counts:
        return note(layout(fig, "Size of the misses"), "No test predictions were saved for this run.")
    centres = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
    width = (edges[1] - edges[0]) if len(edges) > 1 else 1.0
    fig.add_trace(go.Bar(x=centres, y=counts, width=width * 0.95, name="test rows", marker={"color": BLUE}))
    fig.add_vline(x=0, line={"color": GREY, "dash": "dash"})
    return layout(
        fig,
        "Size of the misses: most should sit close to zero",
        xaxis_title=plain(f"predicted minus actual{_units(currency)}"),
        yaxis_title="test rows",
        showlegend=False,
    )


def error_by_segment(segments: Sequence[Mapping[str, Any]], column: str, currency: str = "") -> go.Figure:
    """Average miss (MAE) per category of ``column``, with the row count in the hover."""
    fig = go.Figure()
    if not segments:
        return note(layout(fig, f"Typical miss by {column}"), "Too few rows per category to compare.")
    fig.add_trace(
        go.Bar(
            x=[s["segment"] for s in segments],
            y=[s["mae"] for s in segments],
            text=[f"n = {s['n']:,}" for s in segments],
            marker={"color": ORANGE},
            name="average miss",
        )
    )
    return layout(
        fig,
        f"Typical miss by {column}",
        xaxis_title=plain(column),
        yaxis_title=plain(f"average miss (MAE){_units(currency)}"),
        showlegend=False,
    )


def importance_chart(importance: Mapping[str, Any] | None, top: int = 15, currency: str = "") -> go.Figure:
    """Permutation importance, most important on top, with 95% intervals; bars crossing zero are not clear."""
    fig = go.Figure()
    rows = list((importance or {}).get("columns") or [])[:top]
    if not rows:
        return note(layout(fig, "Which columns matter"), "Which columns matter was not measured for this run.")
    rows = rows[::-1]
    metric = (importance or {}).get("metric")
    fig.add_trace(
        go.Bar(
            x=[r["importance"] for r in rows],
            y=[r["column"] for r in rows],
            orientation="h",
            marker={"color": [BLUE if r["low"] > 0 else GREY for r in rows]},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [r["high"] - r["importance"] for r in rows],
                "arrayminus": [r["importance"] - r["low"] for r in rows],
                "color": RED,
            },
            name="importance",
        )
    )
    unit = f"extra typical error (RMSE){_units(currency)}" if metric == "rmse" else "extra error (log loss)"
    return layout(
        fig,
        "Which columns matter: how much worse it gets when a column is scrambled",
        xaxis_title=plain(unit),
        yaxis_title="",
        showlegend=False,
        height=max(320, 28 * len(rows) + 120),
    )


def partial_dependence_chart(
    item: Mapping[str, Any], class_names: Sequence[str] = (), target: str = "value"
) -> go.Figure:
    """The average answer as one column changes and everything else stays as it was."""
    column = str(item.get("column", "column"))
    grid, average = list(item.get("grid") or []), list(item.get("average") or [])
    fig = go.Figure()
    if not grid:
        return note(layout(fig, f"How {column} moves the answer"), "Not enough values to draw.")
    is_number = item.get("kind") == "number"
    kind = go.Scatter if is_number else go.Bar
    if class_names and isinstance(average[0], list):
        shown = list(range(len(class_names)))[-1:] if len(class_names) == 2 else list(range(len(class_names)))
        for k in shown:
            values = [100.0 * float(a[k]) for a in average]
            trace: Any = kind(x=grid, y=values, name=class_names[k])
            fig.add_trace(trace)
        ytitle = (
            f"average probability of '{class_names[-1]}' (%)" if len(class_names) == 2 else "average probability (%)"
        )
    else:
        values = [float(a if not isinstance(a, list) else a[0]) for a in average]
        fig.add_trace(kind(x=grid, y=values, name=f"average {target}", marker={"color": BLUE}))
        ytitle = f"average predicted {target}"
    return layout(
        fig,
        f"How {column} moves the answer (everything else unchanged)",
        xaxis_title=plain(column),
        yaxis_title=plain(ytitle),
    )
