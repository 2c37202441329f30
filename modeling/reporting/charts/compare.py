"""Figures that put several runs side by side: training curves overlaid, accuracy with intervals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from modeling.reporting.charts.base import GREY, RUN_COLOURS, as_percent, clean, layout, note


def compare_training_curves(histories: Mapping[str, Mapping[str, Sequence[float]] | None]) -> go.Figure:
    """Validation loss and accuracy per epoch of several runs overlaid, one colour per run.

    ``histories`` maps a run's label to its history. Solid lines are validation (what matters: data the
    run did not learn from); dotted lines of the same colour are training, so a run whose two lines drift
    apart is memorising. Runs without curves are simply absent.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss (lower is better)", "Accuracy (higher is better)"))
    longest = 0
    for i, (label, history) in enumerate(histories.items()):
        colour = RUN_COLOURS[i % len(RUN_COLOURS)]
        history = history or {}
        shown = False
        for key, col, percent, dash, width in (
            ("val_loss", 1, False, "solid", 2.5),
            ("val_accuracy", 2, True, "solid", 2.5),
            ("loss", 1, False, "dot", 1.5),
            ("accuracy", 2, True, "dot", 1.5),
        ):
            values = clean(history.get(key))
            if not values:
                continue
            if percent:
                values = as_percent(values)
            longest = max(longest, len(values))
            part = "validation" if key.startswith("val_") else "training"
            fig.add_trace(
                go.Scatter(
                    x=list(range(1, len(values) + 1)),
                    y=values,
                    mode="lines",
                    name=str(label),
                    legendgroup=str(label),
                    showlegend=not shown,
                    line={"color": colour, "width": width, "dash": dash},
                    hovertemplate=f"{label} ({part}), epoch %{{x}}: %{{y:.3f}}{'%' if percent else ''}<extra></extra>",
                ),
                row=1,
                col=col,
            )
            shown = True
    layout(fig, "Training curves of each run (solid: validation, dotted: training)")
    fig.update_xaxes(title_text="Epoch", dtick=1 if 0 < longest <= 15 else None)
    fig.update_yaxes(title_text="Loss", row=1, col=1)
    fig.update_yaxes(title_text="Accuracy (%)", row=1, col=2)
    if not fig.data:
        note(fig, "None of these runs saved training curves")
    return fig


def compare_accuracy(rows: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Test accuracy of several runs with their 95% intervals as error bars, next to the keyword baseline.

    Each row holds ``label``, ``accuracy`` (0..1), optional ``low``/``high`` (0..1) and optional
    ``baseline`` (the keyword or pixel model's accuracy on that run's test set, 0..1), drawn as a grey tick.
    """
    fig = go.Figure()
    if not rows:
        return note(layout(fig, "Accuracy on the test set"), "No runs to compare")
    labels = [str(r["label"]) for r in rows]
    acc = [100.0 * float(r["accuracy"]) for r in rows]
    plus = [100.0 * float(r["high"]) - a if r.get("high") is not None else 0.0 for r, a in zip(rows, acc, strict=True)]
    minus = [a - 100.0 * float(r["low"]) if r.get("low") is not None else 0.0 for r, a in zip(rows, acc, strict=True)]
    fig.add_trace(
        go.Bar(
            x=acc,
            y=labels,
            orientation="h",
            marker_color=[RUN_COLOURS[i % len(RUN_COLOURS)] for i in range(len(rows))],
            error_x={"type": "data", "array": plus, "arrayminus": minus, "color": "#333", "thickness": 1.5},
            text=[f"{a:.1f}%" for a in acc],
            textposition="inside",
            insidetextanchor="start",
            hovertemplate="%{y}: %{x:.1f}% right<extra></extra>",
            name="Accuracy (95% interval)",
        )
    )
    base = [(str(r["label"]), 100.0 * float(r["baseline"])) for r in rows if r.get("baseline") is not None]
    if base:
        fig.add_trace(
            go.Scatter(
                x=[b for _, b in base],
                y=[name for name, _ in base],
                mode="markers",
                marker={"symbol": "line-ns-open", "size": 26, "color": GREY, "line": {"width": 3}},
                name="Keyword/pixel baseline on the same test set",
                hovertemplate="Baseline for %{y}: %{x:.1f}%<extra></extra>",
            )
        )
    return layout(
        fig,
        "Accuracy on the test set, with 95% intervals",
        xaxis={"title": {"text": "Accuracy (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": ""}, "autorange": "reversed", "type": "category"},
        height=150 + 55 * len(rows),
    )
