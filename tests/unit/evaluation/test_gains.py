"""Gains and lift on rankings whose answer is known by hand; deciles and error segments for numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modeling.errors import DataError, InvalidPredictions
from modeling.evaluation import gains


def test_a_perfect_ranking_reaches_everyone_with_as_many_calls_as_positives():
    y = np.r_[np.ones(20), np.zeros(80)].astype(int)
    scores = np.r_[np.linspace(0.9, 0.8, 20), np.linspace(0.5, 0.1, 80)]
    result = gains.gains(y, scores, share=0.2, resamples=200)
    curve = dict(zip(result["curve"]["share"], result["curve"]["reached"], strict=True))
    assert curve[0.1] == pytest.approx(0.5) and curve[0.2] == pytest.approx(1.0) and curve[0.5] == pytest.approx(1.0)
    assert result["at_share"] == {"share": 0.2, "reached": 1.0, "lift": 5.0}  # 100% of them with 20% of the calls
    first, second, third = result["deciles"][:3]
    assert (first["n"], first["positives"], first["lift"]) == (10, 10, 5.0)
    assert second["positives"] == 10 and third["positives"] == 0 and third["cumulative_lift"] == pytest.approx(1 / 0.3)
    assert result["deciles"][-1]["reached"] == 1.0 and sum(d["n"] for d in result["deciles"]) == 100


def test_a_random_ranking_follows_the_diagonal_and_lift_is_about_one():
    rng = np.random.default_rng(0)
    y = (rng.random(20_000) < 0.25).astype(int)
    result = gains.gains(y, rng.random(20_000), resamples=60)
    reached = np.asarray(result["curve"]["reached"])
    assert np.abs(reached - np.asarray(result["curve"]["share"])).max() < 0.03
    top = result["top_decile_lift"]
    assert top["low"] <= top["value"] <= top["high"] and top["low"] < 1.0 < top["high"]
    assert result["base_rate"] == pytest.approx(y.mean())


def test_ties_are_not_broken_by_the_files_order():
    y = np.r_[np.ones(50), np.zeros(450)].astype(int)  # the file is sorted by its answer
    result = gains.gains(y, np.full(500, 0.3), resamples=100)
    assert result["deciles"][0]["lift"] < 2.5  # a constant score is no ranking, whatever the row order
    assert result["at_share"]["lift"] == pytest.approx(1.0, abs=0.4)


def test_lift_interval_holds_the_estimate_and_is_seeded():
    rng = np.random.default_rng(3)
    scores = rng.random(3000)
    y = (rng.random(3000) < 0.1 + 0.5 * scores**3).astype(int)
    a = gains.gains(y, scores, seed=1, resamples=300)
    assert a == gains.gains(y, scores, seed=1, resamples=300)
    top = a["top_decile_lift"]
    assert top["method"] == "bootstrap" and top["n"] == 300
    assert 1.0 < top["low"] <= top["value"] <= top["high"]
    expected = y[np.argsort(-scores)][:300].mean() / y.mean()  # no ties: the plain top-300 rows
    assert top["value"] == pytest.approx(expected, abs=1e-6)
    sentence = gains.describe_gains(a, positive="those who will leave", action="Calling")
    assert sentence.startswith("Calling the 20% with the highest scores reaches ")
    assert f"{a['at_share']['lift']:.1f}x a random list" in sentence and "95% interval" in sentence


def test_bad_inputs_are_sentences():
    with pytest.raises(DataError, match="yes/no"):
        gains.gains([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(DataError, match="None of these rows"):
        gains.gains([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(DataError, match="3 true answers but 2"):
        gains.gains([0, 1, 0], [0.1, 0.2])
    with pytest.raises(InvalidPredictions, match="not a number"):
        gains.gains([0, 1], [0.1, np.nan])


def test_ranked_list_sorts_and_numbers_the_rows():
    table = pd.DataFrame({"customer": ["a", "b", "c", "d"], "tenure": [1, 5, 3, 9]})
    out = gains.ranked_list(table, [0.2, 0.9, 0.5, 0.1])
    assert out["customer"].tolist() == ["b", "c", "a", "d"]
    assert out["rank"].tolist() == [1, 2, 3, 4] and out["score"].tolist() == [0.9, 0.5, 0.2, 0.1]
    assert out["decile"].tolist() == [1, 3, 6, 8]  # four rows spread over the ten deciles
    assert list(table["customer"]) == ["a", "b", "c", "d"]  # the caller's table is untouched


def test_prediction_deciles_follow_a_good_model_and_count_every_row():
    rng = np.random.default_rng(4)
    y = rng.normal(100, 20, 1000)
    p = y + rng.normal(0, 5, 1000)
    rows = gains.prediction_deciles(y, p)
    assert len(rows) == 10 and sum(r["n"] for r in rows) == 1000
    actual = [r["mean_actual"] for r in rows]
    assert actual == sorted(actual)
    for r in rows:
        assert r["actual_low"] <= r["mean_actual"] <= r["actual_high"]
        assert r["predicted_from"] <= r["mean_predicted"] <= r["predicted_to"]
        index = (p >= r["predicted_from"]) & (p <= r["predicted_to"])
        assert r["mean_actual"] == pytest.approx(y[index].mean())


def test_error_segments_find_the_group_the_model_overestimates():
    rng = np.random.default_rng(5)
    n = 600
    frame = pd.DataFrame(
        {
            "city": pd.Series(rng.choice(["Paris", "Lyon", "Nice"], n), dtype="str"),
            "size": rng.uniform(20, 200, n),
            "rare": pd.Series(np.where(np.arange(n) < 10, "tiny", "common"), dtype="str"),
        }
    )
    y = rng.normal(300, 30, n)
    p = y + rng.normal(0, 10, n) + np.where(frame["city"] == "Nice", 40.0, 0.0) - np.where(frame["size"] > 155, 25, 0)
    segments = gains.error_segments(frame, y, p)
    first = segments[0]
    assert (first["column"], first["segment"], first["clear"]) == ("city", "Nice", True)
    nice = frame["city"] == "Nice"
    assert first["n"] == int(nice.sum()) and first["mean_error"] == pytest.approx(float((p - y)[nice].mean()))
    assert first["low"] < first["mean_error"] < first["high"]
    assert all(s["n"] >= 30 for s in segments) and not any(s["segment"] == "tiny" for s in segments)
    top_band = [s for s in segments if s["column"] == "size" and s["mean_error"] < 0]
    assert top_band and top_band[0]["clear"]
    words = gains.describe_error_segments(segments, currency="$")
    assert "over-estimates most where 'city' is Nice" in words and "under-estimates most where 'size'" in words
    even = gains.error_segments(frame, y, y + rng.normal(0, 10, n), min_rows=200)
    assert "evenly" in gains.describe_error_segments([s for s in even if not s["clear"]])
