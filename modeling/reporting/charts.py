"""Plotly figures for the Data, Train and Results pages, built from saved numbers only.

Every function is pure: it takes plain data (a history dict, a metrics dict from
``modeling.evaluation.metrics``, a probability vector) and returns a ``go.Figure``. That
keeps charts testable without a browser and lets the pages redraw a saved run
without touching the model. Figures are written for people new to machine
learning: a title that says what to look for, axis titles with units, percent
rather than fractions, and a note instead of an empty plot when there is
nothing to draw yet.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from modeling.evaluation.probabilities import check_finite, probability_matrix
from modeling.evaluation.schema import Evaluation

TEMPLATE = "plotly_white"
BLUE = "#1f77b4"  # the model / training
ORANGE = "#ff7f0e"  # validation
GREY = "#9aa5b1"  # baselines, other classes, chance
GREEN = "#2ca02c"  # right answers
RED = "#d62728"  # wrong answers

MODEL_LABEL = "This model"
LOGISTIC_LABEL = "Keyword/pixel model (logistic regression)"
MAJORITY_LABEL = "Always the majority class"


def _plain(value: Any) -> Any:
    """Text as typed: Plotly renders a subset of HTML in labels, so ``<b>good</b>`` must arrive escaped."""
    return html.escape(value, quote=False) if isinstance(value, str) else value


def _escape_labels(fig: go.Figure) -> None:
    """Escape every label a user could have written (class names, data names) in the traces of ``fig``."""
    for trace in fig.data:
        for attribute in ("x", "y", "text", "name"):
            values = getattr(trace, attribute, None)
            if isinstance(values, str):
                trace[attribute] = _plain(values)
            elif isinstance(values, (tuple, list)) and any(isinstance(v, str) for v in values):
                trace[attribute] = [_plain(v) for v in values]


def _layout(fig: go.Figure, title: str, **layout: Any) -> go.Figure:
    """Shared look: white template, a title that says what the chart shows, room for long class names.

    Labels are escaped here, once for every chart, because class names come from uploaded files.
    """
    _escape_labels(fig)
    fig.update_layout(
        title={"text": _plain(title), "x": 0.0, "xanchor": "left"},
        template=TEMPLATE,
        margin={"l": 60, "r": 30, "t": 70, "b": 60},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1.0},
        **layout,
    )
    return fig


def _note(fig: go.Figure, text: str) -> go.Figure:
    """A centred message where a plot would be, so an empty chart explains itself instead of looking broken."""
    fig.add_annotation(
        text=text, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False, font={"size": 16, "color": "#555"}
    )
    return fig


def _clean(values: Sequence[Any] | None) -> list[float | None]:
    """Floats with NaN/inf as gaps (a diverged epoch shows as a break, not as a crash or a spike)."""
    out: list[float | None] = []
    for v in values or []:
        try:
            f = float(v)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(f if math.isfinite(f) else None)
    return out


def _as_percent(values: list[float | None]) -> list[float | None]:
    """Keras reports accuracy as 0..1; show 0..100 (values already above 1 are taken as percent)."""
    finite = [v for v in values if v is not None]
    if finite and max(finite) > 1.0:
        return values
    return [None if v is None else 100.0 * v for v in values]


# ---- data ------------------------------------------------------------------------------------------------------
def class_balance(counts: Mapping[str, int]) -> go.Figure:
    """Examples per class: a lopsided bar chart warns that accuracy alone will flatter the model."""
    fig = go.Figure()
    names = [str(n) for n in counts]
    values = [int(v) for v in counts.values()]
    if not names:
        return _note(_layout(fig, "Examples per class"), "No labelled examples yet")
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
    return _layout(
        fig,
        f"Examples per class ({total:,} in all)",
        xaxis={"title": {"text": "Class"}, "type": "category"},
        yaxis={"title": {"text": "Examples (count)"}, "rangemode": "tozero"},
        showlegend=False,
    )


# ---- training --------------------------------------------------------------------------------------------------
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
        values = _clean(history.get(key))
        if not values:
            continue
        if percent:
            values = _as_percent(values)
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
    _layout(fig, "Training progress by epoch")
    # Whole epochs only: with few epochs plotly would otherwise label 1.5, 2.5, ...
    fig.update_xaxes(title_text="Epoch", dtick=1 if 0 < longest <= 15 else None)
    fig.update_yaxes(title_text="Loss", row=1, col=1)
    fig.update_yaxes(title_text="Accuracy (%)", row=1, col=2)
    if not fig.data:
        _note(fig, "Curves appear after the first epoch")
    return fig


# ---- results ---------------------------------------------------------------------------------------------------
def confusion_matrix(metrics: Mapping[str, Any], class_names: Sequence[str] | None = None) -> go.Figure:
    """Counts of true vs predicted labels: the diagonal is right, every other cell is a kind of mistake.

    ``class_names`` default to the order of ``metrics["per_class"]`` (the order they were computed in).
    """
    matrix = np.asarray(metrics.get("confusion") or [], dtype=np.int64)
    names = [str(n) for n in (class_names if class_names is not None else list(metrics.get("per_class", {})))]
    fig = go.Figure()
    if matrix.size == 0:
        return _note(_layout(fig, "Confusion matrix"), "No test results to show")
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
    return _layout(
        fig,
        "Confusion matrix: the diagonal counts right answers",
        xaxis={"title": {"text": "Predicted label"}, "type": "category", "side": "bottom"},
        yaxis={"title": {"text": "True label"}, "type": "category", "autorange": "reversed"},
    )


def roc_curve(metrics: Mapping[str, Any], class_names: Sequence[str] | None = None) -> go.Figure:
    """True vs false positive rate at every threshold (two classes), with AUC in the legend.

    The dashed diagonal is what guessing gets (AUC 0.5); the nearer the curve hugs the top-left corner,
    the better the model separates the classes whatever threshold is chosen.
    """
    positive = f" for '{class_names[1]}'" if class_names is not None and len(class_names) == 2 else ""
    fig = go.Figure()
    roc = metrics.get("roc")
    _layout(
        fig,
        f"ROC curve{positive}: found positives vs false alarms",
        xaxis={"title": {"text": "False positive rate (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": "True positive rate (%)"}, "range": [0, 101]},
    )
    if not roc:
        return _note(fig, "ROC curves are drawn for two-class tasks only")
    if roc.get("auc") is None or not roc.get("fpr"):
        return _note(fig, "The test set holds only one class, so the ROC curve is undefined")
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
    _escape_labels(fig)  # traces added after _layout
    return fig


def pr_curve(metrics: Mapping[str, Any], class_names: Sequence[str] | None = None) -> go.Figure:
    """Precision vs recall (two classes), with average precision in the legend.

    The dotted line is the share of positives in the test set: what precision a model that flags
    everything would get, and the level the curve has to stay above to be useful.
    """
    positive = f" for '{class_names[1]}'" if class_names is not None and len(class_names) == 2 else ""
    fig = go.Figure()
    pr = metrics.get("pr")
    _layout(
        fig,
        f"Precision-recall curve{positive}: how many flagged are right vs how many are found",
        xaxis={"title": {"text": "Recall: positives found (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": "Precision: flagged that are right (%)"}, "range": [0, 101]},
    )
    if not pr:
        return _note(fig, "Precision-recall curves are drawn for two-class tasks only")
    if pr.get("auc") is None or not pr.get("recall"):
        return _note(fig, "The test set holds no positive examples, so the curve is undefined")
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
    _escape_labels(fig)  # traces added after _layout
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
    return _layout(
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
    return _layout(
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
    _layout(
        fig,
        "How sure the model was, for right and wrong answers",
        barmode="overlay",
        xaxis={"title": {"text": "Confidence of the answer (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": "Answers (count)"}},
    )
    if len(p) == 0:
        _note(fig, "No test results to show")
    return fig


# ---- how sure, and what it is worth ------------------------------------------------------------------------------
def reliability_chart(calibration: Mapping[str, Any]) -> go.Figure:
    """Confidence vs how often it was right, per confidence bin, before and after calibration.

    ``calibration`` is ``evaluation.json["calibration"]`` (see :mod:`modeling.evaluation.calibration`). Points on the
    dashed diagonal mean "80% sure" is right 80% of the time; points below it mean over-confidence. Marker
    size follows how many test answers fall in the bin, so a lonely point does not look like a trend.
    """
    calibration = calibration or {}
    fig = go.Figure()
    _layout(
        fig,
        "Does its confidence mean what it says? (points on the diagonal: yes)",
        xaxis={"title": {"text": "How sure the model was (%)"}, "range": [0, 101]},
        yaxis={"title": {"text": "How often it was right (%)"}, "range": [0, 101]},
    )
    # Three long legend entries wrap on a half-width chart and would cover the title: put them underneath.
    fig.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0.0},
        margin={"b": 110},
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
        _note(fig, "No calibration measured for this run")
    _escape_labels(fig)  # traces added after _layout
    return fig


def coverage_chart(curve: Mapping[str, Sequence[Any]], level: float | None = None) -> go.Figure:
    """Share of cases the model answers, and its accuracy on those, as the required confidence rises.

    ``curve`` comes from :func:`modeling.evaluation.decisions.coverage_curve`; ``level`` (0..1) marks the chosen
    confidence with a vertical line. Left: answer everything; right: answer only the surest cases.
    """
    fig = go.Figure()
    _layout(
        fig,
        "Answer only when sure: fewer answers, but more of them right",
        xaxis={"title": {"text": "Answer only when at least this sure (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": "Share (%)"}, "range": [0, 102]},
        hovermode="x unified",
    )
    levels = [100.0 * float(v) for v in curve.get("level", [])]
    if not levels:
        return _note(fig, "No test results to show")
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
    _escape_labels(fig)  # traces added after _layout
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
    from modeling.evaluation.decisions import money

    # Plotly renders a few HTML tags in titles, legends and hover text: the user's currency goes in as text.
    unit = html.escape(str(currency or "").strip()[:12]).replace("{", "(").replace("}", ")")
    fig = go.Figure()
    label = html.escape(str(positive_label)) if positive_label else ""
    what = f"act on '{label}' when" if label else "act when"
    _layout(
        fig,
        "Expected value per 1,000 cases at each threshold",
        xaxis={"title": {"text": f"Threshold: {what} its probability is at least (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": f"Value per 1,000 cases{f' ({unit})' if unit else ''}"}},
        showlegend=True,
    )
    t = [100.0 * float(v) for v in curve.get("threshold", [])]
    if not t:
        return _note(fig, "No test results to show")
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


# ---- comparing runs --------------------------------------------------------------------------------------------
#: One colour per run when runs are compared (Plotly's default sequence, readable on white and in print).
RUN_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


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
            values = _clean(history.get(key))
            if not values:
                continue
            if percent:
                values = _as_percent(values)
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
    _layout(fig, "Training curves of each run (solid: validation, dotted: training)")
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0.0})
    fig.update_xaxes(title_text="Epoch", dtick=1 if 0 < longest <= 15 else None)
    fig.update_yaxes(title_text="Loss", row=1, col=1)
    fig.update_yaxes(title_text="Accuracy (%)", row=1, col=2)
    if not fig.data:
        _note(fig, "None of these runs saved training curves")
    return fig


def compare_accuracy(rows: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Test accuracy of several runs with their 95% intervals as error bars, next to the keyword baseline.

    Each row holds ``label``, ``accuracy`` (0..1), optional ``low``/``high`` (0..1) and optional
    ``baseline`` (the keyword or pixel model's accuracy on that run's test set, 0..1), drawn as a grey tick.
    """
    fig = go.Figure()
    if not rows:
        return _note(_layout(fig, "Accuracy on the test set"), "No runs to compare")
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
    return _layout(
        fig,
        "Accuracy on the test set, with 95% intervals",
        xaxis={"title": {"text": "Accuracy (%)"}, "range": [0, 100]},
        yaxis={"title": {"text": ""}, "autorange": "reversed", "type": "category"},
        height=150 + 55 * len(rows),
    )
