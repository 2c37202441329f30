"""Decision rules: coverage, money on the threshold and cost matrices, on examples small enough to check by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from modeling.errors import ConfigError
from modeling.evaluation.decisions import (
    Decision,
    OutcomeValues,
    best_threshold,
    cost_comparison,
    coverage_at,
    coverage_curve,
    coverage_sentence,
    decide,
    describe_rule,
    min_cost_decisions,
    money,
    needs_review,
    value_at,
    value_curve,
    value_sentence,
)
from modeling.runs.decision_rules import load_decision, save_decision

# Ten cases, two classes: top probability and whether the answer is right.
Y = np.array([1, 1, 1, 0, 0, 0, 1, 0, 1, 0])
P1 = np.array([0.99, 0.95, 0.91, 0.08, 0.03, 0.6, 0.45, 0.35, 0.7, 0.85])
PROBS = np.column_stack([1 - P1, P1])


def test_coverage_on_a_hand_made_example() -> None:
    # Top probabilities: .99 .95 .91 .92 .97 .6 .55 .65 .7 .85; at >= 0.9: rows 0,1,2,3,4 (all right).
    c = coverage_at(Y, PROBS, 0.9)
    assert (c["answered"], c["n"], c["right_answered"]) == (5, 10, 5)
    assert c["answered_share"] == 0.5 and c["accuracy_answered"] == 1.0
    # At >= 0.6: adds rows 5 (0.6, predicts 1, wrong), 7 (0.65, predicts 0, right), 8 (right), 9 (wrong).
    c = coverage_at(Y, PROBS, 0.6)
    assert (c["answered"], c["right_answered"]) == (9, 7)
    assert coverage_at(Y, PROBS, 0.0)["answered"] == 10
    assert coverage_at(Y, PROBS, 0.999)["accuracy_answered"] is None


def test_coverage_curve_agrees_with_coverage_at_everywhere() -> None:
    rng = np.random.default_rng(0)
    p = rng.dirichlet([1, 1, 1], 500)
    y = rng.integers(0, 3, 500)
    curve = coverage_curve(y, p)
    for i in range(0, 101, 7):
        level = curve["level"][i]
        single = coverage_at(y, p, level)
        assert curve["answered"][i] == single["answered"]
        if single["accuracy_answered"] is not None:
            assert curve["accuracy_answered"][i] == pytest.approx(single["accuracy_answered"], abs=1e-6)


def test_coverage_sentence_in_the_issue_style() -> None:
    c = {"level": 0.9, "n": 1000, "answered": 720, "answered_share": 0.72, "accuracy_answered": 0.98}
    assert coverage_sentence(c) == (
        "If the model only answers when it is at least 90% sure, it answers 72% of cases and is right in 98% "
        "of those; the other 28% go to a person."
    )
    none = {**c, "answered": 0, "answered_share": 0.0, "accuracy_answered": None}
    assert "every case would go to a person" in coverage_sentence(none)


def test_expected_value_and_best_threshold_by_hand() -> None:
    values = OutcomeValues(tp=100, fp=-20, fn=-50, tn=0)
    curve = value_curve(Y, PROBS, values, positive=1)
    # Threshold 0.5: positives flagged = p1 >= .5 -> rows 0,1,2,5,8,9: TP 4 (0,1,2,8), FP 2 (5,9), FN 1 (6), TN 3.
    i = curve["threshold"].index(0.5)
    assert (curve["tp"][i], curve["fp"][i], curve["fn"][i], curve["tn"][i]) == (4, 2, 1, 3)
    assert curve["value_per_1000"][i] == pytest.approx(1000 * (400 - 40 - 50) / 10)
    # Threshold 0.45 also catches row 6 (TP): 5 TP, 2 FP, 0 FN -> 1000 * (500 - 40) / 10 = 46,000 per 1,000.
    best = best_threshold(curve)
    assert best == (pytest.approx(0.45), pytest.approx(46_000.0))
    assert value_at(curve, 0.5) == pytest.approx(31_000.0)
    assert value_sentence(best, value_at(curve, 0.5), "€", n=10) == (
        "At a threshold of 45% the model earns about €46,000 per 1,000 cases, against €31,000 at the default "
        "50%: €15,000 more per 1,000 cases (measured on 10 test cases)."
    )


def test_best_threshold_prefers_the_one_nearest_the_default_among_equals() -> None:
    curve = {"threshold": [0.1, 0.3, 0.5, 0.7], "value_per_1000": [5.0, 9.0, 9.0, 9.0]}
    assert best_threshold(curve) == (0.5, 9.0)


def test_positive_class_can_be_the_first_one() -> None:
    values = OutcomeValues(tp=10, fp=-1, fn=-10, tn=0)
    curve = value_curve(Y, PROBS, values, positive=0)
    i = curve["threshold"].index(0.5)
    # Acting on class 0 when p0 >= .5 -> rows 3,4,6,7: class-0 rows caught 3 (3,4,7), false alarm 1 (6).
    assert (curve["tp"][i], curve["fp"][i]) == (3, 1)


def test_decide_with_threshold_cost_matrix_and_plain() -> None:
    names = ["no", "yes"]
    plain = decide(PROBS, names, Decision())
    assert plain.tolist() == PROBS.argmax(axis=1).tolist()
    low = decide(PROBS, names, Decision(threshold=0.3))
    assert low.tolist() == (P1 >= 0.3).astype(int).tolist()
    first = decide(PROBS, names, Decision(threshold=0.9, positive_class="no"))
    assert first.tolist() == np.where(1 - P1 >= 0.9, 0, 1).tolist()


def test_min_cost_decision_and_cost_per_1000() -> None:
    p = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.4, 0.1, 0.5]])
    y = np.array([0, 2, 2])
    # Missing a true 2 costs 10, anything else wrong costs 1.
    cost = [[0, 1, 1], [1, 0, 1], [10, 10, 0]]
    rule = min_cost_decisions(p, cost)
    # Row 0: costs of answering (0,1,2) = (1, 1.6, 0.9) -> answer 2. Row 1: (3.2, 3.2, 0.7) -> 2. Row 2: (5.1, 5.4, .5).
    assert rule.tolist() == [2, 2, 2]
    compared = cost_comparison(y, p, cost)
    # Most probable: answers (0, 1, 2) -> costs 0 + 10 + 0; lowest-cost rule: (1, 0, 0).
    assert compared["argmax_cost_per_1000"] == pytest.approx(10_000 / 3, rel=1e-4)
    assert compared["min_cost_per_1000"] == pytest.approx(1_000 / 3, rel=1e-4)
    with pytest.raises(ConfigError, match="3x3"):
        min_cost_decisions(p, [[0, 1], [1, 0]])


def test_needs_review_and_rule_description() -> None:
    d = Decision(min_confidence=0.9, threshold=0.4, positive_class="yes")
    assert needs_review(PROBS, d).tolist() == [False, False, False, False, False, True, True, True, True, True]
    assert describe_rule(d, ["no", "yes"]) == (
        "The model answers 'yes' when its probability is at least 40% and sends answers below 90% sure to a person."
    )
    assert not needs_review(PROBS, Decision()).any()


def test_save_and_load_round_trip(tmp_path) -> None:
    assert load_decision(tmp_path) == Decision()
    saved = save_decision(tmp_path, Decision(), threshold=0.35, positive_class="yes", currency="€", min_confidence=0.8)
    assert saved.saved
    again = load_decision(tmp_path)
    assert again.threshold == 0.35 and again.currency == "€" and again.min_confidence == 0.8
    json.loads((tmp_path / "decision.json").read_text())
    # A second save keeps what the first saved.
    save_decision(tmp_path, again, min_confidence=0.95)
    assert load_decision(tmp_path).threshold == 0.35


def test_bad_values_are_refused_with_the_field_named(tmp_path) -> None:
    with pytest.raises(ConfigError, match="threshold"):
        save_decision(tmp_path, Decision(), threshold=1.5)
    (tmp_path / "decision.json").write_text('{"min_confidence": "lots"}')
    with pytest.raises(ConfigError, match="min_confidence"):
        load_decision(tmp_path)
    (tmp_path / "decision.json").write_text("{not json")
    with pytest.raises(ConfigError, match="damaged"):
        load_decision(tmp_path)
    with pytest.raises(ConfigError, match="not one of the model's classes"):
        Decision(positive_class="maybe").check_classes(["no", "yes"])
    with pytest.raises(ConfigError, match="two-class"):
        Decision(threshold=0.3).check_classes(["a", "b", "c"])


def test_starters_are_read_only() -> None:
    from modeling.runs.store import STARTERS_DIR

    with pytest.raises(ConfigError, match="read-only"):
        save_decision(STARTERS_DIR / "starter-reviews", Decision(), threshold=0.4)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(1234.4, "€", "€1,234"), (-56, "$", "-$56"), (1234, "USD", "1,234 USD"), (7, "", "7"), (0.2, "kr", "0 kr")],
)
def test_money_formatting(amount: float, currency: str, text: str) -> None:
    assert money(amount, currency) == text
