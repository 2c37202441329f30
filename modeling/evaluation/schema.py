"""What ``evaluation.json`` holds: one ``TypedDict`` per part, and :func:`build_evaluation`, its one builder.

A run's evaluation is plain JSON (numbers, strings, lists, dicts) so it opens anywhere and survives
upgrades. These types name every key a reader may use; keys marked ``NotRequired`` are absent from runs
saved by older releases (the starters, users' old runs), and :func:`complete_evaluation` adds them from
the saved test probabilities. Readers index with these types instead of guessing keys.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import numpy as np

from modeling.data.duplicates import score_without
from modeling.evaluation import conformal, regression
from modeling.evaluation.calibration import apply_temperature, calibration_report
from modeling.evaluation.metrics import add_intervals, evaluate_predictions, misclassified


class Interval(TypedDict):
    """A figure with its 95% interval: Wilson for shares, a seeded bootstrap for macro scores and AUC."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    method: str  # "wilson" | "bootstrap"


class ClassScores(TypedDict):
    precision: float
    recall: float
    f1: float
    support: int


class Confidence(TypedDict):
    """Mean top probability on right and on wrong answers (``None`` when there are none)."""

    mean_correct: float | None
    mean_wrong: float | None


class Mistake(TypedDict):
    true: str
    predicted: str
    count: int


class RocCurve(TypedDict):
    fpr: list[float]
    tpr: list[float]
    auc: float | None


class PrCurve(TypedDict):
    precision: list[float]
    recall: list[float]
    auc: float | None


class Metrics(TypedDict):
    """:func:`modeling.evaluation.metrics.compute_metrics` on one set of predictions."""

    n: int
    accuracy: float
    precision_macro: float
    recall_macro: float
    f1_macro: float
    per_class: dict[str, ClassScores]
    confusion: list[list[int]]
    confidence: Confidence
    most_common_mistake: Mistake | None
    roc: NotRequired[RocCurve]  # two classes only
    pr: NotRequired[PrCurve]  # two classes only


class Baseline(Metrics):
    """A baseline's metrics on the same test split, with what it is in words."""

    title: str
    description: str
    train_seconds: float
    always_answers: NotRequired[str]  # the majority baseline
    accuracy_interval: NotRequired[Interval]


class Reliability(TypedDict):
    low: list[float]
    high: list[float]
    confidence: list[float]
    accuracy: list[float]
    count: list[int]


class ReliabilityBins(TypedDict):
    bins: int
    before: Reliability
    after: Reliability


class Calibration(TypedDict):
    """:func:`modeling.evaluation.calibration.calibration_report`: ECE before/after, temperature, verdict."""

    ece_before: float
    ece_after: float
    chance_ece: float
    temperature: float
    applied: bool
    reason: str
    verdict: str
    mean_confidence: float
    accuracy: float
    validation_n: int
    reliability: ReliabilityBins


class Duplicates(TypedDict, total=False):
    """Test rows with a copy among the rows the model learned from (:mod:`modeling.data.duplicates`)."""

    checked: bool
    method: str
    near_checked: bool
    exact: int
    near: int
    share_of_test: float
    test_indices: list[int]
    examples: list[dict[str, Any]]
    accuracy_without: float | None


class Misclassified(TypedDict):
    index: int
    true: str
    predicted: str
    confidence: float


class ColumnImportance(TypedDict):
    column: str
    importance: float  # mean error increase when the column is scrambled
    low: float
    high: float
    relative: float | None  # as a share of the base error


class Importance(TypedDict):
    """:func:`modeling.evaluation.importance.permutation_importance` on the test rows."""

    metric: str  # "rmse" | "log_loss"
    base: float
    n: int
    repeats: int
    screened: bool
    columns: list[ColumnImportance]


class PartialDependence(TypedDict):
    column: str
    kind: str  # "number" | "category"
    grid: list[Any]
    average: list[Any]  # mean prediction (regression) or mean class probabilities, per grid value


# ---- acting on the scores (table runs: modeling.training.table.actions) ----------------------------------------
class GainsCurve(TypedDict):
    share: list[float]  # share of the ranked list contacted, 0..1
    reached: list[float]  # share of the class to find reached by then, 0..1


class GainsDecile(TypedDict):
    decile: int  # 1 = the top tenth of the ranked list
    n: int
    positives: int
    rate: float
    lift: float
    reached: float
    cumulative_lift: float


class GainsAtShare(TypedDict):
    share: float
    reached: float
    lift: float


class Gains(TypedDict):
    """:func:`modeling.evaluation.gains.gains` for the class to find, with its sentence (two classes only).

    When the test rows hold none of that class, only ``positive`` and ``summary`` (the reason) are there.
    """

    positive: str
    summary: str
    n: NotRequired[int]
    positives: NotRequired[int]
    base_rate: NotRequired[float]
    curve: NotRequired[GainsCurve]
    deciles: NotRequired[list[GainsDecile]]
    top_decile_lift: NotRequired[Interval]
    at_share: NotRequired[GainsAtShare]


class ExplainedRow(TypedDict):
    rank: int  # 1 = contact first
    score: float  # the chance of the class to find, or the estimate
    truth: Any  # the true class or value
    ids: dict[str, str]  # the first columns left out of the model (a customer number), as written
    reasons: list[str]  # up to three sentences


class ExplainedRows(TypedDict):
    """The first rows of the ranked test list with their reasons (every row's are in ``test_reasons.npz``)."""

    score: str  # what the rows are ranked by: "chance of Yes", "estimate"
    rows: list[ExplainedRow]


class PredictionDecile(TypedDict):
    """:func:`modeling.evaluation.gains.prediction_deciles`: one tenth of the rows sorted by their estimate."""

    decile: int
    n: int
    mean_predicted: float
    mean_actual: float
    actual_low: float
    actual_high: float
    predicted_from: float
    predicted_to: float


class ErrorSegment(TypedDict):
    column: str
    segment: str
    n: int
    mean_error: float  # estimate minus actual, on average
    low: float
    high: float
    clear: bool  # the 95% interval excludes zero


class ErrorSegments(TypedDict):
    segments: list[ErrorSegment]
    summary: str


class FairnessGroup(TypedDict, total=False):
    group: str
    n: int
    tiny: bool
    selection_rate: Interval  # classes
    true_positive_rate: Interval  # classes
    false_positive_rate: Interval  # classes
    mean_error: Interval  # numbers
    mae: float  # numbers


class Fairness(TypedDict, total=False):
    """:mod:`modeling.evaluation.fairness` on one sensitive column of the test rows; ``error`` alone when the
    column could not be audited (too many values, a single group)."""

    column: str
    bands: bool
    error: str
    positive: str
    n: int
    groups: list[FairnessGroup]
    gap: dict[str, Any] | None
    demographic_parity_difference: float
    equalized_odds_difference: float
    method: str  # "fairlearn" | "own"
    currency: str
    summary: str


class Evaluation(TypedDict):
    """The whole of ``evaluation.json``."""

    model: Metrics
    baselines: dict[str, Baseline]  # "majority", "logistic"
    lift: dict[str, float]  # accuracy points over each baseline
    intervals: NotRequired[dict[str, Interval]]
    per_class_intervals: NotRequired[dict[str, dict[str, Interval]]]
    calibration: NotRequired[Calibration]
    duplicates: NotRequired[Duplicates]
    misclassified: NotRequired[list[Misclassified]]
    keywords: NotRequired[dict[str, list[tuple[str, float]]]]  # text runs: the keyword baseline's words
    importance: NotRequired[Importance]  # table runs: which columns matter
    partial_dependence: NotRequired[list[PartialDependence]]  # table runs: how the top columns matter
    gains: NotRequired[Gains]  # table runs with two classes: who to contact first
    explained_rows: NotRequired[ExplainedRows]  # table runs: the ranked test rows with their reasons
    fairness: NotRequired[list[Fairness]]  # table runs: one per column in data.sensitive_columns


def build_evaluation(
    y_test: np.ndarray,
    raw_test: np.ndarray,
    class_names: Sequence[str],
    *,
    baselines: dict[str, Baseline] | None,
    y_validation: np.ndarray | None = None,
    raw_validation: np.ndarray | None = None,
    shared_copies: Mapping[str, Any] | None = None,
    keywords: dict[str, list[tuple[str, float]]] | None = None,
) -> Evaluation:
    """The evaluation a run saves, from the test labels and the model's raw test probabilities.

    Calibration is fitted on the validation predictions only (the temperature never changes which class
    wins); every other figure is measured on the calibrated test probabilities. ``shared_copies`` is
    :func:`modeling.data.duplicates.find_shared`'s answer, scored here as the accuracy without them.
    """

    calibration = calibration_report(y_test, raw_test, y_validation, raw_validation)
    probs = apply_temperature(raw_test, calibration["temperature"])
    evaluation: Evaluation = evaluate_predictions(y_test, probs, class_names, baselines)  # type: ignore[assignment]
    evaluation["calibration"] = calibration  # type: ignore[typeddict-item]
    if shared_copies is not None:
        evaluation["duplicates"] = score_without(shared_copies, y_test, probs.argmax(axis=1))  # type: ignore[typeddict-item]
    evaluation["misclassified"] = misclassified(y_test, probs, class_names)  # type: ignore[typeddict-item]
    if keywords is not None:
        evaluation["keywords"] = keywords
    return evaluation


def complete_evaluation(
    evaluation: Mapping[str, Any],
    y_test: np.ndarray,
    test_probs: np.ndarray,
    raw_test: np.ndarray,
    class_names: Sequence[str],
    y_validation: np.ndarray | None = None,
    raw_validation: np.ndarray | None = None,
) -> Evaluation:
    """A copy of an older run's ``evaluation`` with the intervals and calibration it lacks added."""

    ev: Evaluation = copy.deepcopy(dict(evaluation))  # type: ignore[assignment]
    if "intervals" not in ev:
        add_intervals(ev, y_test, test_probs, class_names)  # type: ignore[arg-type]
    if "calibration" not in ev:
        has_val = y_validation is not None and len(y_validation) > 0
        ev["calibration"] = calibration_report(  # type: ignore[typeddict-item]
            y_test, raw_test, y_validation if has_val else None, raw_validation if has_val else None
        )
    return ev


# ---- regression (tables that predict a number) ------------------------------------------------------------------
class RegressionMetrics(TypedDict):
    """:func:`modeling.evaluation.regression.regression_metrics`: errors in the target's units."""

    n: int
    mae: float
    rmse: float
    r2: float | None
    mape: float | None  # None when the target holds a zero
    mean_error: float  # average of predicted - actual (bias)
    median_absolute_error: float


class RegressionBaseline(RegressionMetrics):
    title: str
    description: str
    train_seconds: float


class CoverageLevel(TypedDict, total=False):
    level: float
    half_width: float | None
    coverage: float | None  # share of test rows inside the interval
    coverage_low: float | None
    coverage_high: float | None
    mean_width: float | None
    n: int


class PredictionIntervals(TypedDict):
    """:func:`modeling.evaluation.conformal.interval_report`: split conformal on the validation rows."""

    method: str
    scale: str  # "absolute" | "log"
    validation_n: int
    levels: dict[str, CoverageLevel]  # "0.8", "0.9"


class RegressionEvaluation(TypedDict):
    """The whole of ``evaluation.json`` for a regression run."""

    kind: str  # "regression"
    model: RegressionMetrics
    intervals: dict[str, Interval]  # mae, rmse, r2, mape
    baselines: dict[str, RegressionBaseline]  # "mean", "linear"
    error_reduction: dict[str, float | None]  # RMSE reduction over each baseline, as a share
    prediction_intervals: PredictionIntervals
    points: dict[str, list[float]]  # index, actual, predicted (a sample for charts)
    residuals: dict[str, list[float]]  # histogram: edges, counts
    largest_misses: list[dict[str, Any]]
    segments: dict[str, list[dict[str, Any]]]  # column -> error per category
    target: dict[str, Any]  # name, mean, median, min, max on the training rows
    duplicates: NotRequired[Duplicates]  # test rows repeating a training row exactly
    importance: NotRequired[Importance]
    partial_dependence: NotRequired[list[PartialDependence]]
    prediction_deciles: NotRequired[list[PredictionDecile]]  # predicted vs actual by tenth of the estimates
    error_segments: NotRequired[ErrorSegments]  # where the estimates run high or low
    explained_rows: NotRequired[ExplainedRows]
    fairness: NotRequired[list[Fairness]]


def build_regression_evaluation(
    y_test: np.ndarray,
    predicted_test: np.ndarray,
    *,
    y_validation: np.ndarray,
    predicted_validation: np.ndarray,
    baselines: dict[str, RegressionBaseline],
    segments: Mapping[str, Sequence[Any]] | None = None,
    target: Mapping[str, Any] | None = None,
    interval_scale: str = "absolute",
    seed: int = 0,
) -> RegressionEvaluation:
    """``evaluation.json`` of a regression run: errors with intervals, baselines as error reduction, residuals,
    largest misses, error per category of each column in ``segments`` and conformal prediction intervals
    (half-widths from the validation rows, coverage measured on the test rows)."""
    model = regression.regression_metrics(y_test, predicted_test)
    has_val = len(np.asarray(y_validation).reshape(-1)) > 0
    evaluation: RegressionEvaluation = {
        "kind": "regression",
        "model": model,  # type: ignore[typeddict-item]
        "intervals": regression.bootstrap_intervals(y_test, predicted_test, seed=seed),  # type: ignore[typeddict-item]
        "baselines": baselines,
        "error_reduction": {name: regression.error_reduction(model, b) for name, b in baselines.items()},
        "prediction_intervals": conformal.interval_report(  # type: ignore[typeddict-item]
            y_validation if has_val else [],
            predicted_validation if has_val else [],
            y_test,
            predicted_test,
            scale=interval_scale,
        ),
        "points": regression.chart_points(y_test, predicted_test, seed=seed),
        "residuals": regression.residual_histogram(y_test, predicted_test),
        "largest_misses": regression.largest_misses(y_test, predicted_test),
        "segments": {
            str(name): regression.error_by_segment(values, y_test, predicted_test)
            for name, values in (segments or {}).items()
        },
        "target": dict(target or {}),
    }
    return evaluation
