"""WAPE, MASE, bias and lift on examples worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from modeling.evaluation.forecast import bias, lift, mase, panel_mase, seasonal_naive_scale, wape


def test_wape_is_total_absolute_error_over_total_actual():
    # |10-12| + |20-18| + |30-30| = 4 over 60
    assert wape([10, 20, 30], [12, 18, 30]) == pytest.approx(4 / 60)
    assert wape([0, 0], [1, 1]) is None


def test_bias_is_positive_for_over_forecasting():
    assert bias([10, 20, 30], [12, 22, 32]) == pytest.approx(2 / 20)
    assert bias([10, 20, 30], [8, 18, 28]) == pytest.approx(-2 / 20)


def test_seasonal_naive_scale_and_mase():
    # season 2: |3-1| + |2-2| + |5-3| + |4-2| = 6 over 4 differences
    assert seasonal_naive_scale([1, 2, 3, 2, 5, 4], 2) == pytest.approx(1.5)
    # too short for the season: lag 1
    assert seasonal_naive_scale([1, 3, 2], 12) == pytest.approx(1.5)
    assert seasonal_naive_scale([4, 4, 4], 1) is None
    assert mase([10, 20], [11, 18], 1.5) == pytest.approx(1.5 / 1.5)
    assert mase([10, 20], [11, 18], None) is None


def test_panel_mase_averages_per_series_and_window():
    frame = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b", "b"],
            "cutoff": [0, 0, 0, 0],
            "y": [10.0, 10.0, 100.0, 100.0],
            "scale": [1.0, 1.0, 10.0, 10.0],
            "m": [11.0, 12.0, 130.0, 70.0],
        }
    )
    # a: mean |e| 1.5 / 1 = 1.5; b: mean |e| 30 / 10 = 3.0 -> 2.25
    assert panel_mase(frame, "m") == pytest.approx(2.25)


def test_lift_is_relative_error_reduction():
    assert lift(0.08, 0.10) == pytest.approx(0.2)
    assert lift(0.12, 0.10) == pytest.approx(-0.2)
    assert lift(None, 0.1) is None and lift(0.1, 0.0) is None
