"""The action charts: built from real results, titled and labelled, escaped, and explaining an empty state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modeling.evaluation import drift, fairness, gains
from modeling.reporting.charts import actions


@pytest.fixture(scope="module")
def ranked():
    rng = np.random.default_rng(0)
    scores = rng.random(2000)
    y = (rng.random(2000) < 0.05 + 0.4 * scores**2).astype(int)
    return gains.gains(y, scores, resamples=200)


def _titled(fig) -> str:
    assert fig.layout.title.text
    return fig.layout.title.text


def test_gains_chart_draws_the_model_against_random_and_perfect(ranked):
    fig = actions.gains_chart(ranked, positive="<b>leavers</b>")
    names = [t.name for t in fig.data]
    assert names[:3] == ["a perfect ranking", "a random list", "this model's ranking"]
    model = fig.data[2]
    assert model.x[0] == 0 and model.x[-1] == 100 and model.y[-1] == pytest.approx(100)
    assert "&lt;b&gt;leavers" in _titled(fig) and "%" in fig.layout.yaxis.title.text  # user text escaped, percent
    assert fig.data[3].x[0] == pytest.approx(20)  # the marked share


def test_lift_chart_has_one_bar_per_tenth_and_the_interval_on_the_first(ranked):
    fig = actions.lift_chart(ranked)
    bars = fig.data[0]
    assert len(bars.x) == 10 and bars.y[0] == pytest.approx(ranked["deciles"][0]["lift"])
    top = ranked["top_decile_lift"]
    assert bars.error_y.array[0] == pytest.approx(top["high"] - top["value"]) and bars.error_y.array[1] == 0
    assert "random" in _titled(fig)


def test_regression_charts_deciles_and_error_segments():
    rng = np.random.default_rng(1)
    y = rng.normal(200, 40, 800)
    p = y + rng.normal(0, 10, 800)
    frame = pd.DataFrame({"city": pd.Series(rng.choice(["A", "B"], 800), dtype="str")})
    p = p + np.where(frame["city"] == "A", 15, 0)
    deciles = actions.decile_chart(gains.prediction_deciles(y, p), "price", "$")
    assert len(deciles.data[0].x) == 10 and "(\\$)" not in deciles.layout.yaxis.title.text
    assert "price ($)" in deciles.layout.yaxis.title.text
    segments = gains.error_segments(frame, y, p)
    fig = actions.error_segments_chart(segments, "$")
    assert fig.data[0].y[-1] == "city: A" and "too high" in _titled(fig)


def test_fairness_chart_shows_percentages_with_intervals():
    rng = np.random.default_rng(2)
    group = rng.choice(["x", "y"], 500)
    y = (rng.random(500) < 0.4).astype(int)
    report = fairness.classification_fairness(group, y, y, "segment", positive="Yes")
    fig = actions.fairness_chart(report)
    assert fig.data[0].y[0] == pytest.approx(100 * report["groups"][0]["selection_rate"]["value"])
    assert "95% intervals" in _titled(fig) and "(%)" in fig.layout.yaxis.title.text
    tpr = actions.fairness_chart(report, "true_positive_rate")
    assert tpr.data[0].y[0] == pytest.approx(100.0)  # a perfect model finds every true 'Yes'
    numbers = fairness.regression_fairness(group, rng.normal(size=500), rng.normal(size=500), "segment")
    assert "Average error" in _titled(actions.fairness_chart(numbers))


def test_drift_chart_colours_by_severity_and_marks_the_cut_offs():
    rng = np.random.default_rng(3)
    train = pd.DataFrame({"a": rng.normal(size=4000), "b": rng.normal(size=4000)})
    report = drift.compare(
        drift.profile_table(train), pd.DataFrame({"a": rng.normal(size=2000) + 2, "b": rng.normal(size=2000)})
    )
    fig = actions.drift_chart(report)
    bars = fig.data[0]
    assert list(bars.y) == ["b", "a"] and bars.marker.color[-1] == actions.SEVERITY_COLOURS["major"]
    assert len(fig.layout.shapes) == 2 and "0.25" in _titled(fig)


@pytest.mark.parametrize(
    "draw",
    [
        actions.gains_chart,
        actions.lift_chart,
        actions.decile_chart,
        actions.error_segments_chart,
        actions.fairness_chart,
        actions.drift_chart,
    ],
)
def test_every_chart_explains_an_empty_state(draw):
    fig = draw(None)
    assert fig.layout.annotations and fig.layout.title.text and not fig.data
