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

from modeling.reporting.charts.base import (
    BLUE,
    GREEN,
    GREY,
    LOGISTIC_LABEL,
    MAJORITY_LABEL,
    MODEL_LABEL,
    ORANGE,
    RED,
    TEMPLATE,
)
from modeling.reporting.charts.compare import compare_accuracy, compare_training_curves
from modeling.reporting.charts.decisions import coverage_chart, reliability_chart, value_by_threshold_chart
from modeling.reporting.charts.evaluation import (
    baseline_comparison,
    class_balance,
    confidence_histogram,
    confusion_matrix,
    pr_curve,
    probability_bars,
    roc_curve,
    training_curves,
)
from modeling.reporting.charts.forecast import (
    forecast_chart,
    model_comparison_chart,
    range_coverage_chart,
    series_error_chart,
)
from modeling.reporting.charts.regression import (
    error_by_segment,
    importance_chart,
    partial_dependence_chart,
    predicted_vs_actual,
    residual_distribution,
    residuals_by_prediction,
)
from modeling.reporting.charts.tables import compare_errors, contribution_chart, rounds_curve, target_histogram

__all__ = [
    "BLUE",
    "GREEN",
    "GREY",
    "LOGISTIC_LABEL",
    "MAJORITY_LABEL",
    "MODEL_LABEL",
    "ORANGE",
    "RED",
    "TEMPLATE",
    "baseline_comparison",
    "class_balance",
    "compare_accuracy",
    "compare_errors",
    "compare_training_curves",
    "confidence_histogram",
    "confusion_matrix",
    "contribution_chart",
    "coverage_chart",
    "error_by_segment",
    "forecast_chart",
    "importance_chart",
    "model_comparison_chart",
    "partial_dependence_chart",
    "pr_curve",
    "predicted_vs_actual",
    "probability_bars",
    "range_coverage_chart",
    "reliability_chart",
    "residual_distribution",
    "residuals_by_prediction",
    "roc_curve",
    "rounds_curve",
    "series_error_chart",
    "target_histogram",
    "training_curves",
    "value_by_threshold_chart",
]
