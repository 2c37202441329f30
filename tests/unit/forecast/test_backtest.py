"""The rolling-origin backtest never gives a model a value from after its cut-off."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modeling.errors import DataError
from modeling.evaluation.forecast import backtest, cutoffs, plan_windows


def _trap_panel() -> pd.DataFrame:
    """Two series flat at 10 until the last 24 months, then 1,000,000: a model that peeks forecasts millions."""
    frames = []
    for uid in ("a", "b"):
        ds = pd.date_range("2018-01-01", periods=60, freq="MS")
        y = np.where(np.arange(60) < 36, 10.0, 1_000_000.0)
        frames.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y, "promo": np.arange(60) % 2 * 1.0}))
    return pd.concat(frames, ignore_index=True)


def test_each_window_learns_only_from_its_past():
    long = _trap_panel()
    seen = []

    def forecast(train: pd.DataFrame, future: pd.DataFrame) -> pd.DataFrame:
        seen.append((train["ds"].max(), future["ds"].min(), set(future.columns)))
        out = future[["unique_id", "ds"]].copy()
        out["last_value"] = train.groupby("unique_id")["y"].last().reindex(future["unique_id"]).to_numpy()
        return out

    cv = backtest(long, 12, 3, "MS", 12, forecast, known_ahead=["promo"])
    assert [c for c, _, _ in seen] == cutoffs(long, 12, 3, "MS")
    for cutoff, first_future, columns in seen:
        assert first_future > cutoff
        assert "y" not in columns and "promo" in columns
    # the first window's cut-off (month 24) is before the jump: a model that saw the future would say 1e6
    first = cv[cv["cutoff"] == cv["cutoff"].min()]
    assert (first["last_value"] == 10.0).all()
    assert list(cv.columns[:6]) == ["unique_id", "ds", "cutoff", "step", "y", "scale"]
    assert sorted(cv["step"].unique()) == list(range(1, 13))
    assert len(cv) == 2 * 3 * 12


def test_scales_come_from_the_training_part_only():
    long = _trap_panel()
    cv = backtest(long, 12, 3, "MS", 12, lambda train, future: future[["unique_id", "ds"]].assign(m=0.0))
    first = cv[cv["cutoff"] == cv["cutoff"].min()]
    assert first["scale"].isna().all()  # the history before the first cut-off is constant: no scale
    assert cv[cv["cutoff"] == cv["cutoff"].max()]["scale"].notna().all()


def test_windows_shrink_with_the_history_and_refuse_when_none_fits():
    long = _trap_panel()
    assert plan_windows(long, 12, 10) == 4  # 4 x 12 held out + 8 to learn from fit in 60; 5 would not
    with pytest.raises(DataError, match="too short to hold out 55 months"):
        plan_windows(long, 55, 3, "month")
