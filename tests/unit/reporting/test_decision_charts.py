"""Reliability, coverage and value-by-threshold charts draw what they are given, and say so when it is nothing."""

from __future__ import annotations

import numpy as np

from modeling.evaluation.calibration import calibration_report
from modeling.evaluation.decisions import OutcomeValues, best_threshold, coverage_curve, value_curve
from modeling.reporting.charts import coverage_chart, probability_bars, reliability_chart, value_by_threshold_chart


def _data(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p1 = rng.random(n)
    y = (rng.random(n) < p1).astype(int)
    return y, np.column_stack([1 - p1, p1])


def test_reliability_chart_has_diagonal_and_one_curve_per_state() -> None:
    y, p = _data()
    sharp = p**3 / (p**3).sum(axis=1, keepdims=True)
    report = calibration_report(y, sharp, y, sharp)  # validation = test, only to force a fitted temperature
    fig = reliability_chart(report)
    names = [t.name for t in fig.data]
    assert names[0] == "Perfectly calibrated"
    assert report["applied"] and len(fig.data) == 3
    assert names[1].startswith("As trained (calibration error") and names[2].startswith("Calibrated")
    # x and y in percent; marker sizes grow with the bin's count
    assert max(fig.data[1].x) <= 100 and min(fig.data[1].y) >= 0
    assert len(fig.data[1].marker.size) == len(report["reliability"]["before"]["count"])


def test_reliability_chart_without_data_explains_itself() -> None:
    fig = reliability_chart({})
    assert fig.layout.annotations[0].text == "No calibration measured for this run"


def test_coverage_chart_marks_the_chosen_level() -> None:
    y, p = _data()
    fig = coverage_chart(coverage_curve(y, p), level=0.8)
    assert [t.name for t in fig.data] == ["Right, among the answered", "Cases answered by the model"]
    assert fig.data[1].y[0] == 100.0  # at 0% every case is answered
    assert any(s.x0 == 80.0 for s in fig.layout.shapes)
    assert coverage_chart({"level": []}).layout.annotations[0].text == "No test results to show"


def test_value_chart_marks_best_and_default_with_money_and_escapes_the_currency() -> None:
    y, p = _data()
    curve = value_curve(y, p, OutcomeValues(tp=10, fp=-3, fn=-8, tn=0))
    best = best_threshold(curve)
    fig = value_by_threshold_chart(curve, best, 0.5, "<b>€</b>", "yes", chosen=0.3)
    names = [t.name for t in fig.data]
    assert names[0] == "Expected value"
    assert names[1].startswith("Default 50%: ") and names[2].startswith(f"Best {best[0]:.0%}: ")
    assert "<b>" not in fig.layout.yaxis.title.text and "&lt;b&gt;" in fig.layout.yaxis.title.text
    assert fig.data[2].y[0] == best[1]
    assert any(s.x0 == 30.0 for s in fig.layout.shapes)


def test_probability_bars_can_highlight_the_rule_s_answer() -> None:
    fig = probability_bars([0.3, 0.7], ["no", "yes"], chosen=0)
    assert fig.data[0].marker.color[0] != fig.data[0].marker.color[1]
    assert "'no' (30% sure)" in fig.layout.title.text
    assert "'yes'" in probability_bars([0.3, 0.7], ["no", "yes"]).layout.title.text
