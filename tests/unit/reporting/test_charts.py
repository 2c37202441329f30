"""Each chart is a pure function to a titled plotly figure; these pin down what it draws and how it is labelled."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from modeling.evaluation.metrics import compute_metrics, evaluate_predictions
from modeling.reporting import charts

NAMES = ["negative", "positive"]


@pytest.fixture
def binary_metrics() -> dict:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    probs = rng.dirichlet([1, 1], 200)
    probs[np.arange(200), y] += 0.7
    return compute_metrics(y, probs / probs.sum(axis=1, keepdims=True), NAMES)


def _title(fig: go.Figure) -> str:
    return fig.layout.title.text or ""


def _annotations(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def _check(fig: go.Figure, traces: int) -> None:
    """Common promises: a figure, a real title, the white template, and valid plotly JSON."""
    assert isinstance(fig, go.Figure)
    assert _title(fig).strip()
    assert fig.layout.template == pio.templates[charts.TEMPLATE]
    assert len(fig.data) == traces
    json.loads(fig.to_json())


# ---- training_curves -----------------------------------------------------------------------------------------
def test_training_curves_draw_four_series_in_two_panels() -> None:
    history = {
        "loss": [0.9, 0.5, 0.3],
        "accuracy": [0.6, 0.8, 0.9],
        "val_loss": [1.0, 0.6, 0.5],
        "val_accuracy": [0.55, 0.75, 0.8],
    }
    fig = charts.training_curves(history)
    _check(fig, 4)
    assert [t.name for t in fig.data] == ["Training", "Validation", "Training", "Validation"]
    assert [t.showlegend for t in fig.data] == [True, True, False, False]  # one legend entry per colour
    assert list(fig.data[0].x) == [1, 2, 3]  # epochs count from 1
    assert list(fig.data[2].y) == pytest.approx([60.0, 80.0, 90.0])  # accuracy shown in percent
    assert fig.data[2].xaxis == "x2"
    assert fig.layout.xaxis.title.text == "Epoch"
    assert fig.layout.yaxis.title.text == "Loss"
    assert fig.layout.yaxis2.title.text == "Accuracy (%)"
    assert not _annotations(fig) or "Curves appear" not in " ".join(_annotations(fig))


def test_training_curves_draw_what_is_there() -> None:
    fig = charts.training_curves({"loss": [0.7, float("nan"), 0.4], "accuracy": [], "val_loss": None})
    _check(fig, 1)
    assert list(fig.data[0].y) == [0.7, None, 0.4]  # a diverged epoch is a gap, not a crash


@pytest.mark.parametrize("history", [{}, None, {"loss": [], "val_accuracy": []}])
def test_empty_history_explains_itself(history: dict | None) -> None:
    fig = charts.training_curves(history)
    _check(fig, 0)
    assert "Curves appear after the first epoch" in _annotations(fig)


# ---- confusion, ROC, PR --------------------------------------------------------------------------------------
def test_confusion_matrix_heatmap_shows_counts(binary_metrics: dict) -> None:
    fig = charts.confusion_matrix(binary_metrics, NAMES)
    _check(fig, 1)
    heat = fig.data[0]
    assert isinstance(heat, go.Heatmap)
    assert [list(r) for r in heat.z] == binary_metrics["confusion"]
    assert heat.texttemplate == "%{text}"
    assert list(heat.x) == NAMES and list(heat.y) == NAMES
    assert fig.layout.xaxis.title.text == "Predicted label"
    assert fig.layout.yaxis.title.text == "True label"


def test_confusion_matrix_takes_names_from_the_metrics() -> None:
    y = np.array([0, 1, 2, 2])
    m = compute_metrics(y, np.eye(3)[[0, 1, 2, 1]], ["cat", "dog", "fox"])
    fig = charts.confusion_matrix(m)
    assert list(fig.data[0].x) == ["cat", "dog", "fox"]
    assert fig.data[0].z[2][1] == 1


def test_roc_curve_has_auc_in_legend_and_a_chance_diagonal(binary_metrics: dict) -> None:
    fig = charts.roc_curve(binary_metrics, NAMES)
    _check(fig, 2)
    assert f"AUC = {binary_metrics['roc']['auc']:.3f}" in fig.data[0].name
    assert list(fig.data[1].x) == [0, 100] and list(fig.data[1].y) == [0, 100]
    assert "positive" in _title(fig)
    assert "(%)" in fig.layout.xaxis.title.text and "(%)" in fig.layout.yaxis.title.text


def test_pr_curve_has_average_precision_in_legend(binary_metrics: dict) -> None:
    fig = charts.pr_curve(binary_metrics)
    _check(fig, 2)
    assert f"AP = {binary_metrics['pr']['auc']:.3f}" in fig.data[0].name
    share = 100 * binary_metrics["per_class"]["positive"]["support"] / binary_metrics["n"]
    assert list(fig.data[1].y) == pytest.approx([share, share])


def test_curves_explain_when_they_cannot_be_drawn() -> None:
    multi = compute_metrics(np.array([0, 1, 2]), np.eye(3), ["a", "b", "c"])
    assert "two-class" in _annotations(charts.roc_curve(multi))[0]
    assert "two-class" in _annotations(charts.pr_curve(multi))[0]
    one_class = compute_metrics(np.zeros(5, dtype=int), np.full((5, 2), 0.5), ["a", "b"])
    fig = charts.roc_curve(one_class)
    _check(fig, 0)
    assert "only one class" in _annotations(fig)[0]
    _check(charts.pr_curve(one_class), 0)


# ---- baselines, probabilities, balance, confidence -----------------------------------------------------------
def test_baseline_comparison_puts_the_model_first() -> None:
    evaluation = {
        "model": {"accuracy": 0.87},
        "baselines": {
            "majority": {"accuracy": 0.5, "title": "Always the majority class"},
            "logistic": {"accuracy": 0.83},
        },
    }
    fig = charts.baseline_comparison(evaluation)
    _check(fig, 1)
    bar = fig.data[0]
    assert bar.orientation == "h"
    assert list(bar.y) == ["This model", "Keyword/pixel model (logistic regression)", "Always the majority class"]
    assert list(bar.x) == pytest.approx([87.0, 83.0, 50.0])
    assert list(bar.text) == ["87.0%", "83.0%", "50.0%"]
    assert fig.layout.xaxis.title.text == "Accuracy (%)"
    assert fig.layout.yaxis.autorange == "reversed"  # first row on top


def test_baseline_comparison_uses_saved_titles_and_copes_without_baselines() -> None:
    y = np.array([0, 1, 1, 0])
    evaluation = evaluate_predictions(
        y, np.eye(2)[y], NAMES, {"logistic": {"accuracy": 0.75, "title": "Keyword model (logistic regression)"}}
    )
    assert list(charts.baseline_comparison(evaluation).data[0].y) == [
        "This model",
        "Keyword model (logistic regression)",
    ]
    alone = charts.baseline_comparison({"model": {"accuracy": 0.9}, "baselines": {}})
    _check(alone, 1)
    assert list(alone.data[0].y) == ["This model"]


def test_probability_bars_highlight_the_top_class_in_class_order() -> None:
    fig = charts.probability_bars([0.1, 0.7, 0.2], ["cat", "dog", "fox"])
    _check(fig, 1)
    bar = fig.data[0]
    assert list(bar.x) == ["cat", "dog", "fox"]
    assert list(bar.y) == pytest.approx([10.0, 70.0, 20.0])
    assert bar.marker.color[1] == charts.BLUE and bar.marker.color[0] == bar.marker.color[2] != charts.BLUE
    assert "dog" in _title(fig) and "70%" in _title(fig)
    assert fig.layout.yaxis.title.text == "Probability (%)"
    assert charts.probability_bars(np.array([[0.4, 0.6]]), NAMES).data[0].x == tuple(NAMES)
    with pytest.raises(ValueError, match="one per class"):
        charts.probability_bars([0.5, 0.5], ["a", "b", "c"])


def test_class_balance_bars() -> None:
    fig = charts.class_balance({"0": 30, "1": 10})
    _check(fig, 1)
    assert list(fig.data[0].x) == ["0", "1"] and list(fig.data[0].y) == [30, 10]
    assert fig.layout.xaxis.type == "category"  # numeric-looking class names stay labels
    assert "40" in _title(fig)
    empty = charts.class_balance({})
    _check(empty, 0)
    assert _annotations(empty)


def test_confidence_histogram_overlays_right_and_wrong() -> None:
    y = np.array([0, 1, 1, 0, 1])
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.05, 0.95]])
    fig = charts.confidence_histogram(y, probs)
    _check(fig, 2)
    right, wrong = fig.data
    assert right.name == "Right answers (3)" and wrong.name == "Wrong answers (2)"
    assert sorted(right.x) == pytest.approx([80.0, 90.0, 95.0])
    assert sorted(wrong.x) == pytest.approx([60.0, 70.0])
    assert fig.layout.barmode == "overlay"
    assert fig.layout.xaxis.title.text == "Confidence of the answer (%)"
    _check(charts.confidence_histogram(np.array([], dtype=int), np.zeros((0, 2))), 2)


def test_class_names_written_in_html_are_shown_as_typed() -> None:
    """Plotly renders a subset of HTML in labels: an uploaded class name '<b>good</b>' must not turn bold."""
    names = ["<b>good</b>", "<a href='x'>bad</a>"]
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    probs = np.clip(y * 0.6 + rng.random(60) * 0.4, 0, 1)
    metrics = compute_metrics(y, np.stack([1 - probs, probs], axis=1), names)
    figures = [
        charts.confusion_matrix(metrics, names),
        charts.roc_curve(metrics, names),
        charts.pr_curve(metrics, names),
        charts.probability_bars([0.3, 0.7], names),
        charts.class_balance({names[0]: 30, names[1]: 30}),
    ]
    for fig in figures:
        drawn = json.dumps(fig.to_plotly_json()["data"]) + json.dumps(fig.layout.title.text or "")
        assert "<b>good" not in drawn and "<a href" not in drawn, drawn[:300]
        assert "&lt;b&gt;good&lt;/b&gt;" in drawn or "&lt;a href" in drawn or "AUC" in drawn
    heatmap = figures[0].data[0]
    assert list(heatmap.x) == ["&lt;b&gt;good&lt;/b&gt;", "&lt;a href='x'&gt;bad&lt;/a&gt;"]


def test_currency_typed_by_the_user_is_escaped_once_in_the_value_chart() -> None:
    curve = {"threshold": [0.1, 0.5, 0.9], "value_per_1000": [10.0, 5.0, -3.0]}
    fig = charts.value_by_threshold_chart(curve, best=(0.1, 10.0), currency="<b>€</b>", positive_label="<i>x</i>")
    names = " ".join(str(t.name) for t in fig.data)
    assert "&lt;b&gt;€&lt;/b&gt;" in names and "&amp;lt;" not in names and "<b>" not in names


# ---- legends never sit on a title ----------------------------------------------------------------------------
def representative_figures() -> dict[str, go.Figure]:
    """Every figure function in ``charts.__all__``, drawn from realistic inputs with legends as long as real ones.

    Also used by ``tests/e2e/test_chart_layout_browser.py``, which measures the same figures in Chromium.
    """
    from modeling.evaluation.calibration import calibration_report
    from modeling.evaluation.decisions import OutcomeValues, best_threshold, coverage_curve, value_curve

    rng = np.random.default_rng(3)
    names = ["negative review", "positive review"]
    y = rng.integers(0, 2, 600)
    raw = rng.dirichlet([1, 1], 600)
    raw[np.arange(600), y] += 0.9
    probs = raw / raw.sum(axis=1, keepdims=True)
    y_val = rng.integers(0, 2, 300)
    raw_val = rng.dirichlet([1, 1], 300)
    raw_val[np.arange(300), y_val] += 0.9
    probs_val = raw_val / raw_val.sum(axis=1, keepdims=True)
    baselines = {
        "majority": {"accuracy": 0.5, "always_answers": names[1], "title": charts.MAJORITY_LABEL},
        "logistic": {"accuracy": 0.81, "title": "Keyword model (logistic regression)"},
    }
    evaluation = evaluate_predictions(y, probs, names, baselines)
    metrics = evaluation["model"]
    history = {
        "loss": [0.69, 0.51, 0.40, 0.33, 0.29, 0.26],
        "val_loss": [0.66, 0.52, 0.45, 0.43, 0.44, 0.47],
        "accuracy": [0.55, 0.74, 0.82, 0.86, 0.88, 0.90],
        "val_accuracy": [0.58, 0.73, 0.79, 0.80, 0.80, 0.79],
    }
    calibration = calibration_report(y, probs, y_val, probs_val)
    calibration["applied"] = True  # both curves and their long legend entries
    values = OutcomeValues()
    curve = value_curve(y, probs, values)
    runs = {
        "20991231-235959-ngram_bag-a1b2c3 (keyword n-grams, 20 epochs)": history,
        "20991231-235959-embedding_bag-d4e5f6 (word embeddings, 20 epochs)": {
            k: [v * 1.02 for v in vals] for k, vals in history.items()
        },
        "20991231-235959-conv1d-0a1b2c (1-D convolution)": history,
    }
    rows = [
        {"label": label, "accuracy": 0.84 - 0.03 * i, "low": 0.80 - 0.03 * i, "high": 0.88 - 0.03 * i, "baseline": 0.81}
        for i, label in enumerate(runs)
    ]
    figures = {
        "baseline_comparison": charts.baseline_comparison(evaluation),
        "class_balance": charts.class_balance({names[0]: 1480, names[1]: 1520}),
        "compare_accuracy": charts.compare_accuracy(rows),
        "compare_training_curves": charts.compare_training_curves(runs),
        "confidence_histogram": charts.confidence_histogram(y, probs),
        "confusion_matrix": charts.confusion_matrix(metrics, names),
        "coverage_chart": charts.coverage_chart(coverage_curve(y, probs), 0.8),
        "pr_curve": charts.pr_curve(metrics, names),
        "probability_bars": charts.probability_bars([0.12, 0.88], names),
        "reliability_chart": charts.reliability_chart(calibration),
        "roc_curve": charts.roc_curve(metrics, names),
        "training_curves": charts.training_curves(history),
        "value_by_threshold_chart": charts.value_by_threshold_chart(
            curve, best_threshold(curve), 0.5, "EUR", names[1], chosen=0.6
        ),
        **_regression_figures(),
        **_forecast_figures(),
    }
    return figures


def _forecast_figures() -> dict[str, go.Figure]:
    """The forecast charts (issue 20), from frames shaped as a forecast run saves them and its evaluation."""
    rng = np.random.default_rng(5)
    dates = pd.date_range("2023-01-02", periods=60, freq="W-MON")
    history = pd.DataFrame(
        {"unique_id": np.repeat(["Clark/Lake", "O'Hare"], 60), "ds": np.tile(dates, 2), "y": rng.normal(15, 2, 120)}
    )
    backtest = history[history["ds"] > dates[47]].assign(cutoff=dates[47], automatic=lambda f: f["y"] * 1.05)
    future = pd.date_range(dates[-1], periods=9, freq="W-MON")[1:]
    forecast = pd.DataFrame({"series": np.repeat(["Clark/Lake", "O'Hare"], 8), "date": np.tile(future, 2)})
    forecast["step"], forecast["forecast"] = np.tile(np.arange(1, 9), 2), 15.0
    for level, width in (("80", 2.0), ("90", 3.0)):
        forecast[f"low_{level}"], forecast[f"high_{level}"] = 15.0 - width, 15.0 + width
    total = forecast.groupby("date", as_index=False)[["forecast", "low_80", "high_80", "low_90", "high_90"]].sum()
    evaluation = {
        "model": {"wape": 0.071},
        "series": [
            {"unique_id": "O'Hare", "wape": 0.09, "baseline_wape": 0.12},
            {"unique_id": "Clark/Lake", "wape": 0.05, "baseline_wape": 0.08},
        ],
        "series_total": 2,
        "coverage": {
            "80": {"coverage": 0.78, "low": 0.70, "high": 0.85, "n": 96},
            "90": {"coverage": 0.88, "low": 0.81, "high": 0.93, "n": 96},
        },
        "candidates": {
            "seasonal_naive": {"label": "Seasonal naive", "wape": 0.10},
            "auto_ets": {"label": "AutoETS", "wape": 0.075},
            "boosted": {"label": "Boosted trees", "wape": 0.072},
        },
    }
    return {
        "forecast_chart": charts.forecast_chart(history, backtest, forecast, None, "rides (thousands)", total),
        "series_error_chart": charts.series_error_chart(evaluation),
        "range_coverage_chart": charts.range_coverage_chart(evaluation),
        "model_comparison_chart": charts.model_comparison_chart(evaluation),
    }


def _regression_figures() -> dict[str, go.Figure]:
    """The table charts (issue 12), drawn from a regression evaluation, importance and partial dependence."""
    from modeling.evaluation.regression import baseline_entry
    from modeling.evaluation.schema import build_regression_evaluation

    rng = np.random.default_rng(4)
    y, y_val = rng.normal(200_000, 50_000, 400), rng.normal(200_000, 50_000, 200)
    p, p_val = y + rng.normal(0, 12_000, 400), y_val + rng.normal(0, 12_000, 200)
    base = {"mean": baseline_entry("mean", "always the mean", y, np.full(400, 200_000.0))}
    segments = {"neighbourhood": rng.choice(["North Ames", "College Creek", "Old Town"], 400).tolist()}
    ev = build_regression_evaluation(
        y, p, y_validation=y_val, predicted_validation=p_val, baselines=base, segments=segments
    )
    importance = {
        "metric": "rmse",
        "columns": [
            {"column": "living area (sqft)", "importance": 21_000.0, "low": 18_000.0, "high": 24_000.0},
            {"column": "neighbourhood", "importance": 9_000.0, "low": 7_000.0, "high": 11_000.0},
            {"column": "garage cars", "importance": 300.0, "low": -200.0, "high": 800.0},
        ],
    }
    dependence = {
        "column": "contract",
        "kind": "category",
        "grid": ["Month-to-month", "One year", "Two year"],
        "average": [[0.55, 0.45], [0.85, 0.15], [0.97, 0.03]],
    }
    return {
        "error_by_segment": charts.error_by_segment(ev["segments"]["neighbourhood"], "neighbourhood", "$"),
        "importance_chart": charts.importance_chart(importance, currency="$"),
        "partial_dependence_chart": charts.partial_dependence_chart(dependence, ["stays", "churns"], "churn"),
        "predicted_vs_actual": charts.predicted_vs_actual(ev, "sale price", "$"),
        "residual_distribution": charts.residual_distribution(ev, "$"),
        "residuals_by_prediction": charts.residuals_by_prediction(ev, "sale price", "$"),
        "target_histogram": charts.target_histogram(y, "sale price", "$"),
        "rounds_curve": charts.rounds_curve({"loss": [0.6, 0.5, 0.45], "val_loss": [0.62, 0.55, 0.53]}, False),
        "contribution_chart": charts.contribution_chart(
            [{"label": "living area (sqft)", "change": 12_744.0}, {"label": "garage cars", "change": -3_100.0}], " ($)"
        ),
        "compare_errors": charts.compare_errors(
            [
                {"label": "A · boosted_trees", "rmse": 24_854.0, "low": 22_000.0, "high": 27_500.0},
                {"label": "B · linear", "rmse": 31_020.0, "low": 28_100.0, "high": 34_300.0},
            ],
            "$",
        ),
    }


def _figure_functions() -> set[str]:
    return {name for name in charts.__all__ if callable(getattr(charts, name)) and name[0].islower()}


def test_every_chart_function_has_a_representative_figure() -> None:
    """A new chart must be added to :func:`representative_figures`, so the legend rule below covers it."""
    assert set(representative_figures()) == _figure_functions()


def _legend_shown(fig: go.Figure) -> bool:
    """Whether Plotly draws a legend: forced by showlegend, or by default with two or more entries."""
    if fig.layout.showlegend is not None:
        return bool(fig.layout.showlegend) and any(t.showlegend is not False for t in fig.data)
    return sum(1 for t in fig.data if t.showlegend is not False) >= 2


@pytest.mark.parametrize("name", sorted(_figure_functions()))
def test_legend_cannot_overlap_the_title(name: str) -> None:
    """The legend sits below the plot area, clear of the title and of subplot titles (issue 13).

    Plotly's default and the old shared layout put a horizontal legend just above the plot, on the same
    band as the chart's title and the subplot titles ("Accuracy (higher is better)"); on a half-width
    chart long entries wrap and cover them. Below the plot the legend only ever meets the bottom margin,
    which is sized for the axis title and a row of entries.
    """
    fig = representative_figures()[name]
    assert fig.layout.title.text, "every chart has a title"
    title = fig.layout.title
    assert title.yref in (None, "container") and (title.y is None or title.y >= 0.9), "the title stays at the top"
    if not _legend_shown(fig):
        return
    legend = fig.layout.legend
    assert legend.orientation == "h", "one row under the plot, not a column squeezing it"
    if legend.yref == "container":  # measured from the bottom edge of the whole figure
        assert legend.yanchor == "bottom" and legend.y is not None and legend.y <= 0.05
    else:  # measured on the plot area: its top edge must be below the plot's bottom edge
        assert legend.yanchor == "top" and legend.y is not None and legend.y < 0
    assert (fig.layout.margin.b or 0) >= 90, "the bottom margin holds the axis title and the legend"
    for annotation in fig.layout.annotations:  # subplot titles sit above the plot, so far from the legend
        if annotation.yref == "paper" and annotation.yanchor == "bottom":
            assert annotation.y >= 1.0
