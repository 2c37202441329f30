"""Figures of data, training and results: class balance, curves, confusion matrix, ROC/PR, baselines, probabilities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from modeling.evaluation.probabilities import check_finite, probability_matrix
from modeling.evaluation.schema import Evaluation
from modeling.reporting.charts.base import (
    BLUE,
    GREEN,
    GREY,
    LOGISTIC_LABEL,
    MAJORITY_LABEL,
    MODEL_LABEL,
    ORANGE,
    RED,
    as_percent,
    clean,
    escape_labels,
    layout,
    note,
)


def class_balance(counts: Mapping[str, int]) -> go.Figure:
    """Examples per class: a lopsided bar chart warns that accuracy alone will flatter the model."""
    fig = go.Figure()
    names = [str(n) for n in counts]
    values = [int(v) for v in counts.values()]
    if not names:
        return note(layout(fig, "Examples per class"), "No labelled examples yet")
    total = sum(values) or 1
    fig.add_trace(
        go.Bar(
            x=names,
            y=values,
            marker_color=BLUE,
            text=[f"{v:,}" for v in values],
            textposition="outside",
            customdata=[100.0 * v / total for v in values],
            hovertemplate="%{x}: %{y:,} examples (%{customdata:.1f}%)<extra></extra>",
            name="Examples",
        )
    )
    return layout(
        fig,
        f"Examples per class ({total:,} in all)",
        xaxis={"title": {"text": "Class"}, "type": "category"},
        yaxis={"title": {"text": "Examples (count)"}, "rangemode": "tozero"},
        showlegend=False,
    )


def training_curves(history: Mapping[str, Sequence[float]] | None) -> go.Figure:
    """Loss and accuracy per epoch, training vs validation, side by side.

    Draws whatever series are present and non-empty (a live job may only have ``loss`` so far). When the
    validation curve turns up while training keeps improving, the model is memorising: the hover text and
    colours are kept identical across both panels so that pattern is easy to see.
    """
    history = history or {}
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss (lower is better)", "Accuracy (higher is better)"))
    series = [
        ("loss", "Training", BLUE, 1, False),
        ("val_loss", "Validation", ORANGE, 1, False),
        ("accuracy", "Training", BLUE, 2, True),
        ("val_accuracy", "Validation", ORANGE, 2, True),
    ]
    shown: set[str] = set()
    longest = 0
    for key, label, colour, col, percent in series:
        values = clean(history.get(key))
        if not values:
            continue
        if percent:
            values = as_percent(values)
        unit = "%" if percent else ""
        longest = max(longest, len(values))
        fig.add_trace(
            go.Scatter(
                x=list(range(1, len(values) + 1)),
                y=values,
                mode="lines+markers",
                name=label,
                legendgroup=label,
                showlegend=label not in shown,
                line={"color": colour, "width": 2},
                marker={"size": 6},
                hovertemplate=f"{label}, epoch %{{x}}: %{{y:.3f}}{unit}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        shown.add(label)
    layout(fig, "Training progress by epoch")
    # Whole epochs only: with few epochs plotly would otherwise label 1.5, 2.5, ...
    fig.update_xaxes(title_text="Epoch", dtick=1 if 0 < longest <= 15 else None)
    fig.update_yaxes(title_text="Loss", row=1, col=1)
    fig.update_yaxes(title_text="Accuracy (%)", row=1, col=2)
    if not fig.data:
        note(fig, "Curves appear after the first epoch")
    return fig


def confusion_matrix(metrics: Mapping[str, Any], class_names: Sequence[str] | None = None) -> go.Figure:
    """Counts of true vs predicted labels: the diagonal is right, every other cell is a kind of mistake.

    ``class_names`` default to the order of ``metrics["per_class"]`` (the order they were computed in).
    """
    matrix = np.asarray(metrics.get("confusion") or [], dtype=np.int64)
    names = [str(n) for n in (class_names if class_names is not None else list(metrics.get("per_class", {})))]
    fig = go.Figure()
    if matrix.size == 0:
        return note(layout(fig, "Confusion matrix"), "No test results to show")
    if len(names) != matrix.shape[0]:
        names = [str(i) for i in range(matrix.shape[0])]
    row_totals = matrix.sum(axis=1, keepdims=True)
    row_share = np.divide(100.0 * matrix, row_totals, out=np.zeros(matrix.shape), where=row_totals > 0)
    fig.add_trace(
        go.Heatmap(
            z=matrix.tolist(),
            x=names,
            y=names,
            text=matrix.tolist(),
            texttemplate="%{text}",
            customdata=row_share.round(1).tolist(),
            colorscale="Blues",
            colorbar={"title": {"text": "Examples"}},
            hovertemplate=(
                "True: %{y}<br>Predicted: %{x}<br>%{z} examples (%{customdata}% of this true class)<extra></extra>"
            ),
            xgap=1,
            ygap=1,
        )
    )
    return layout(
        fig,
        "Confusion matrix: the diagonal counts right answers",
        xaxis={"title": {"text": "Predicted label"}, "type": "category", "side": "bottom"},
        yaxis={"title": {"text": "True label"}, "type": "category", "autorange": "reversed"},
        showlegend=False,  # one heatmap: its colour bar is the key
    )


def roc_curve(metrics: Mapping[str, Any], class_names: Sequence[str] | None = None) -> go.Figure:
    """True vs false positive rate at every threshold (two classes), with AUC in the legend.

    The dashed diagonal is what guessing gets (AUC 0.5); the nearer the curve hugs the top-left corner,
    the better the model separates the classes whatever threshold is chosen.
    """
    positive = f" for '{class_names[1]}'" if class_names is not None and len(class_names) == 2 else ""
    fig = go.Figure()
    roc = metrics.get("roc")
    layout(
        fig,
        f"ROC curve{positive}: found positives vs false alarms",
        xaxis={"title": {"text": "False positive rate (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": "True positive rate (%)"}, "range": [0, 101]},
    )
    if not roc:
        return note(fig, "ROC curves are drawn for two-class tasks only")
    if roc.get("auc") is None or not roc.get("fpr"):
        return note(fig, "The test set holds only one class, so the ROC curve is undefined")
    fig.add_trace(
        go.Scatter(
            x=[100.0 * v for v in roc["fpr"]],
            y=[100.0 * v for v in roc["tpr"]],
            mode="lines",
            name=f"Model (AUC = {roc['auc']:.3f})",
            line={"color": BLUE, "width": 3},
            hovertemplate="False positives %{x:.1f}%<br>True positives %{y:.1f}%<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0, 100],
            y=[0, 100],
            mode="lines",
            name="Chance (AUC = 0.500)",
            line={"color": GREY, "dash": "dash"},
            hoverinfo="skip",
        )
    )
    escape_labels(fig)  # traces added after layout
    return fig


def pr_curve(metrics: Mapping[str, Any], class_names: Sequence[str] | None = None) -> go.Figure:
    """Precision vs recall (two classes), with average precision in the legend.

    The dotted line is the share of positives in the test set: what precision a model that flags
    everything would get, and the level the curve has to stay above to be useful.
    """
    positive = f" for '{class_names[1]}'" if class_names is not None and len(class_names) == 2 else ""
    fig = go.Figure()
    pr = metrics.get("pr")
    layout(
        fig,
        f"Precision-recall curve{positive}: how many flagged are right vs how many are found",
        xaxis={"title": {"text": "Recall: positives found (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": "Precision: flagged that are right (%)"}, "range": [0, 101]},
    )
    if not pr:
        return note(fig, "Precision-recall curves are drawn for two-class tasks only")
    if pr.get("auc") is None or not pr.get("recall"):
        return note(fig, "The test set holds no positive examples, so the curve is undefined")
    fig.add_trace(
        go.Scatter(
            x=[100.0 * v for v in pr["recall"]],
            y=[100.0 * v for v in pr["precision"]],
            mode="lines",
            name=f"Model (AP = {pr['auc']:.3f})",
            line={"color": BLUE, "width": 3, "shape": "hv"},
            hovertemplate="Recall %{x:.1f}%<br>Precision %{y:.1f}%<extra></extra>",
        )
    )
    per_class = list((metrics.get("per_class") or {}).values())
    n = int(metrics.get("n") or 0)
    if len(per_class) == 2 and n:
        share = 100.0 * int(per_class[1].get("support", 0)) / n
        fig.add_trace(
            go.Scatter(
                x=[0, 100],
                y=[share, share],
                mode="lines",
                name=f"Chance (share of positives = {share:.0f}%)",
                line={"color": GREY, "dash": "dot"},
                hoverinfo="skip",
            )
        )
    escape_labels(fig)  # traces added after layout
    return fig


def baseline_comparison(evaluation: Evaluation) -> go.Figure:
    """Test accuracy of the model next to the two baselines: the number that says if training paid off."""
    baselines = evaluation.get("baselines") or {}
    rows: list[tuple[str, float, str]] = [
        (MODEL_LABEL, 100.0 * float(evaluation["model"]["accuracy"]), BLUE),
    ]
    for key, default_label in (("logistic", LOGISTIC_LABEL), ("majority", MAJORITY_LABEL)):
        entry = baselines.get(key)
        if entry and entry.get("accuracy") is not None:
            rows.append((_baseline_label(entry, default_label), 100.0 * float(entry["accuracy"]), GREY))
    labels, values, colours = zip(*rows, strict=True)
    fig = go.Figure(
        go.Bar(
            x=list(values),
            y=list(labels),
            orientation="h",
            marker_color=list(colours),
            text=[f"{v:.1f}%" for v in values],
            textposition="auto",
            hovertemplate="%{y}: %{x:.1f}% right<extra></extra>",
            name="Accuracy",
        )
    )
    return layout(
        fig,
        "Accuracy on the test set, compared with simple baselines",
        xaxis={"title": {"text": "Accuracy (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": ""}, "autorange": "reversed", "type": "category"},
        showlegend=False,
        height=120 + 60 * len(rows),
    )


def _baseline_label(entry: Mapping[str, Any], default: str) -> str:
    """Charts say 'Keyword model' or 'Pixel model' when the baseline knows which one it was."""
    title = entry.get("title")
    return str(title) if title else default


def probability_bars(
    probs: Sequence[float] | np.ndarray, class_names: Sequence[str], chosen: int | None = None
) -> go.Figure:
    """One prediction's probability for each class (class order), the chosen class highlighted.

    ``chosen`` is the class the run's decision rule answered (a threshold can pick a class that is not the
    most probable one); by default it is the most probable class.
    """
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    check_finite(p[None, :])
    names = [str(n) for n in class_names]
    if len(p) != len(names) or len(p) == 0:
        raise ValueError(f"Expected {len(names)} probabilities (one per class), got {len(p)}.")
    percent = 100.0 * p
    top = int(p.argmax()) if chosen is None or not 0 <= chosen < len(p) else int(chosen)
    colours = [BLUE if i == top else GREY for i in range(len(p))]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=percent.tolist(),
            marker_color=colours,
            text=[f"{v:.1f}%" for v in percent],
            textposition="outside",
            hovertemplate="%{x}: %{y:.1f}%<extra></extra>",
            name="Probability",
        )
    )
    return layout(
        fig,
        f"The model's answer: '{names[top]}' ({percent[top]:.0f}% sure)",
        xaxis={"title": {"text": "Class"}, "type": "category"},
        yaxis={"title": {"text": "Probability (%)"}, "range": [0, 110]},
        showlegend=False,
    )


def confidence_histogram(y_true: Sequence[int] | np.ndarray, probs: np.ndarray) -> go.Figure:
    """How sure the model was on right vs wrong answers: if wrong ones sit lower, low confidence is a warning."""
    p = probability_matrix(probs)
    y = np.asarray(y_true).reshape(-1)
    confidence = 100.0 * p.max(axis=1) if len(p) else np.zeros(0)
    right = p.argmax(axis=1) == y if len(p) else np.zeros(0, dtype=bool)
    fig = go.Figure()
    bins = {"start": 0, "end": 100.0001, "size": 5}
    for mask, label, colour in ((right, "Right answers", GREEN), (~right, "Wrong answers", RED)):
        fig.add_trace(
            go.Histogram(
                x=confidence[mask].tolist(),
                xbins=bins,
                name=f"{label} ({int(mask.sum()):,})",
                marker_color=colour,
                opacity=0.6,
                hovertemplate=f"{label}: %{{y}} with confidence %{{x}}%<extra></extra>",
            )
        )
    layout(
        fig,
        "How sure the model was, for right and wrong answers",
        barmode="overlay",
        xaxis={"title": {"text": "Confidence of the answer (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": "Answers (count)"}},
    )
    if len(p) == 0:
        note(fig, "No test results to show")
    return fig
