"""Fairness per group: rates match a direct count, the gap sentence, fairlearn's measures, refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modeling.errors import DataError
from modeling.evaluation import fairness
from modeling.evaluation.intervals import wilson


def hiring(n: int = 2000, seed: int = 0):
    """Applicants: men are selected more often than women with the same qualification."""
    rng = np.random.default_rng(seed)
    gender = rng.choice(["Male", "Female"], n, p=[0.55, 0.45])
    qualified = (rng.random(n) < 0.4).astype(int)
    chance = 0.15 + 0.55 * qualified + np.where(gender == "Male", 0.12, 0.0)
    selected = (rng.random(n) < chance).astype(int)
    return gender, qualified, selected


def test_rates_per_group_match_a_direct_count():
    gender, y, pred = hiring()
    report = fairness.classification_fairness(gender, y, pred, "gender", positive="hired")
    assert [g["group"] for g in report["groups"]] == ["Male", "Female"]  # most rows first
    for group in report["groups"]:
        m = gender == group["group"]
        assert group["n"] == int(m.sum()) and not group["tiny"]
        sel = group["selection_rate"]
        assert sel["value"] == pytest.approx(pred[m].mean(), abs=1e-6) and sel["n"] == int(m.sum())
        assert (sel["low"], sel["high"]) == pytest.approx(wilson(int(pred[m].sum()), int(m.sum())), abs=1e-6)
        tpr, fpr = group["true_positive_rate"], group["false_positive_rate"]
        assert tpr["value"] == pytest.approx(pred[m & (y == 1)].mean(), abs=1e-6) and tpr["n"] == int(
            (m & (y == 1)).sum()
        )
        assert fpr["value"] == pytest.approx(pred[m & (y == 0)].mean(), abs=1e-6)


def test_standard_measures_equal_the_formulas_they_stand_for():
    gender, y, pred = hiring(seed=1)
    report = fairness.classification_fairness(gender, y, pred, "gender")
    rates = {g["group"]: g for g in report["groups"]}

    def gap(metric):
        return abs(rates["Male"][metric]["value"] - rates["Female"][metric]["value"])

    assert report["method"] in ("fairlearn", "own")
    assert report["demographic_parity_difference"] == pytest.approx(gap("selection_rate"), abs=1e-6)
    expected = max(gap("true_positive_rate"), gap("false_positive_rate"))
    assert report["equalized_odds_difference"] == pytest.approx(expected, abs=1e-6)


def test_the_largest_gap_is_put_in_words_with_an_interval_for_the_difference():
    gender, y, pred = hiring(seed=2)
    report = fairness.classification_fairness(gender, y, pred, "gender", positive="hired")
    gap = report["gap"]
    assert gap["worse"] == "Female" and gap["better"] == "Male"
    assert gap["low"] < gap["difference"] < gap["high"] and gap["low"] > 0  # 12 points on 2,000 rows is no chance
    rates = {g["group"]: g for g in report["groups"]}
    metric = gap["metric"]
    better_minus_worse = rates[gap["better"]][metric]["value"] - rates[gap["worse"]][metric]["value"]
    assert gap["difference"] == pytest.approx(abs(better_minus_worse), abs=1e-5)
    assert (better_minus_worse < 0) == (metric == "false_positive_rate")  # fewer false alarms is better
    assert "where 'gender' is Female" in report["summary"] and "where it is Male" in report["summary"]
    assert f"{100 * gap['difference']:.0f} points" in report["summary"] and "95% interval" in report["summary"]
    assert "chance" not in report["summary"]


def test_newcombe_interval_matches_the_published_example():
    # Newcombe (1998), table II, example (a): 56/70 vs 48/80 -> 0.2000, 95% CI 0.0524 to 0.3339 (method 10).
    d, low, high = fairness.newcombe(56, 70, 48, 80)
    assert (
        d == pytest.approx(0.2) and low == pytest.approx(0.0524, abs=1e-4) and high == pytest.approx(0.3339, abs=1e-4)
    )


def test_equal_groups_say_it_could_be_chance_and_tiny_groups_are_flagged():
    rng = np.random.default_rng(3)
    group = np.r_[np.repeat(["a", "b"], 300), np.repeat(["c"], 8)]
    y = (rng.random(608) < 0.5).astype(int)
    pred = (rng.random(608) < 0.5).astype(int)
    report = fairness.classification_fairness(group, y, pred, "region")
    assert [g["tiny"] for g in report["groups"]] == [False, False, True]
    assert {report["gap"]["better"], report["gap"]["worse"]} == {"a", "b"}  # the tiny group is not the headline
    assert "could be chance" in report["summary"] and "c is too small to judge on its own" in report["summary"]


def test_refusals_say_what_to_do():
    y = np.zeros(400, dtype=int)
    with pytest.raises(DataError, match=r"400 different values.*bands"):
        fairness.classification_fairness(np.arange(400), y, y, "income")
    with pytest.raises(DataError, match=r"same 'gender' \(Female\).*at least two groups"):
        fairness.classification_fairness(["Female"] * 400, y, y, "gender")
    with pytest.raises(DataError, match="0 and 1"):
        fairness.classification_fairness(["a", "b"] * 200, np.full(400, 2), y, "g")


def test_numbers_are_banded_and_blanks_are_a_group_of_their_own():
    ages = pd.Series([18, 25, 33, 41, 52, 67, None, 29] * 10)
    bands = fairness.quantile_bands(ages, bands=4)
    assert bands.isna().sum() == 10 and bands.dropna().nunique() == 4
    assert bands.iloc[0] == "18 to 25" and bands.iloc[5].endswith("to 67")
    assert fairness.group_sizes(bands)["(blank)"] == 10
    y = np.tile([0, 1], 40)
    report = fairness.classification_fairness(bands, y, y, "age")
    assert len(report["groups"]) == 5


def test_regression_mean_error_per_group_and_its_gap():
    rng = np.random.default_rng(4)
    city = rng.choice(["Paris", "Lyon"], 1000)
    y = rng.normal(300_000, 50_000, 1000)
    p = y + rng.normal(0, 20_000, 1000) + np.where(city == "Paris", 15_000, 0)
    report = fairness.regression_fairness(city, y, p, "city", currency="$")
    paris = next(g for g in report["groups"] if g["group"] == "Paris")
    m = city == "Paris"
    assert paris["mean_error"]["value"] == pytest.approx((p - y)[m].mean(), rel=1e-5)
    assert paris["mean_error"]["low"] < paris["mean_error"]["value"] < paris["mean_error"]["high"]
    assert paris["mae"] == pytest.approx(np.abs(p - y)[m].mean())
    gap = report["gap"]
    assert (gap["higher"], gap["lower"]) == ("Paris", "Lyon") and gap["low"] > 0
    assert gap["difference"] == pytest.approx((p - y)[m].mean() - (p - y)[~m].mean())
    assert report["summary"].startswith("For rows where 'city' is Paris, the estimates run \\$")  # escaped: Markdown
