"""Figures for tables: the target's spread, the loss per boosting round, one answer's column contributions,
and the errors of several regression runs side by side.

The Data page (regression), the Train and Evaluate pages (trees), the Predict page (what-if) and Compare
runs place them; built with the shared look (:func:`layout`, which escapes every label a user could have
written), pure functions of saved numbers like the other charts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from modeling.reporting.charts.base import BLUE, GREEN, GREY, ORANGE, RED, clean, layout, note, plain


def _units(currency: str) -> str:
    return f" ({currency})" if currency else ""


def target_histogram(values: Sequence[float] | np.ndarray, target: str, currency: str = "") -> go.Figure:
    """How the number to predict is spread: a long right tail means a few huge values dominate the errors."""
    y = np.asarray(values, dtype=np.float64)
    y = y[np.isfinite(y)]
    fig = go.Figure()
    if not len(y):
        return note(layout(fig, f"Values of {target}"), "No values to draw.")
    fig.add_trace(go.Histogram(x=y, nbinsx=40, marker={"color": BLUE}, name=target))
    fig.add_vline(x=float(np.median(y)), line={"color": ORANGE, "dash": "dash"})
    return layout(
        fig,
        f"Values of {target} ({len(y):,} rows; dashed line: the median)",
        xaxis_title=plain(f"{target}{_units(currency)}"),
        yaxis_title="rows",
        showlegend=False,
    )


def rounds_curve(history: Mapping[str, Sequence[float]] | None, regression: bool) -> go.Figure:
    """Training and validation loss per boosting round: once validation stops falling, more trees do not help."""
    history = history or {}
    fig = go.Figure()
    for key, label, colour in (("loss", "Training rows", BLUE), ("val_loss", "Validation rows", ORANGE)):
        values = clean(history.get(key))
        if not values:
            continue
        fig.add_trace(
            go.Scatter(
                x=list(range(1, len(values) + 1)),
                y=values,
                mode="lines",
                name=label,
                line={"color": colour, "width": 2},
                hovertemplate=f"{label}, round %{{x}}: %{{y:.4g}}<extra></extra>",
            )
        )
    if not fig.data:
        return note(layout(fig, "Loss per boosting round"), "The first trees are being grown…")
    loss = "the trees' own error measure" if regression else "log loss"
    return layout(
        fig,
        "Loss per boosting round (lower is better): each round adds one tree",
        xaxis_title="boosting round (trees so far)",
        yaxis_title=f"loss ({loss})",
    )


def contribution_chart(items: Sequence[Mapping[str, Any]], unit: str, top: int = 12) -> go.Figure:
    """Each column's push on one answer (``items``: label and change), largest first, green up and red down."""
    rows = [r for r in items if abs(float(r["change"])) > 0][:top]
    fig = go.Figure()
    if not rows:
        return note(
            layout(fig, "What moved this answer"), "Every column is at its typical value: nothing moved the answer."
        )
    rows = rows[::-1]
    fig.add_trace(
        go.Bar(
            x=[float(r["change"]) for r in rows],
            y=[str(r["label"]) for r in rows],
            orientation="h",
            marker={"color": [GREEN if float(r["change"]) > 0 else RED for r in rows]},
            text=[str(r.get("text", "")) for r in rows],
            textposition="auto",
            hovertemplate="%{y}: %{x:+.4g}<extra></extra>",
            name="change",
        )
    )
    fig.add_vline(x=0, line={"color": GREY})
    return layout(
        fig,
        "What moved this answer, compared with a typical row",
        xaxis_title=plain(f"change of the answer{unit}"),
        yaxis_title="",
        showlegend=False,
        height=max(300, 30 * len(rows) + 130),
    )


def compare_errors(rows: Sequence[Mapping[str, Any]], currency: str = "") -> go.Figure:
    """RMSE of several regression runs with their 95% intervals: overlapping bars cannot be told apart."""
    fig = go.Figure()
    shown = [r for r in rows if r.get("rmse") is not None]
    if not shown:
        return note(layout(fig, "Typical miss (RMSE) per run"), "No errors were saved for these runs.")
    fig.add_trace(
        go.Bar(
            x=[str(r["label"]) for r in shown],
            y=[float(r["rmse"]) for r in shown],
            marker={"color": BLUE},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [max(0.0, float(r.get("high") or r["rmse"]) - float(r["rmse"])) for r in shown],
                "arrayminus": [max(0.0, float(r["rmse"]) - float(r.get("low") or r["rmse"])) for r in shown],
                "color": RED,
            },
            name="RMSE",
        )
    )
    return layout(
        fig,
        "Typical miss (RMSE) per run, with its 95% interval: lower is better",
        xaxis={"title": {"text": "run"}, "type": "category"},
        yaxis_title=plain(f"RMSE{_units(currency)}"),
        showlegend=False,
    )
