"""A rolling-origin backtest that never peeks: each window's model sees only the rows before its cut-off.

The last ``windows`` horizons of history are held out one after the other: for cut-off *c*, the model is given
the rows with ``ds <= c`` to learn from and, for the ``horizon`` dates after *c*, only the dates and the
known-ahead columns (never ``y``); its forecasts are then compared with what happened. This is how the model
would have done had it been run on those dates, and it is the only honest way to judge a forecast: a random
split would let it learn from next month to predict last month.

The result is one frame in statsforecast's cross-validation shape: ``unique_id``, ``ds``, ``cutoff``, ``step``
(1 to horizon), ``y``, ``scale`` (the MASE denominator from the history before the cut-off) and one column per
model. The model is any callable ``forecast(train, future) -> frame`` with ``unique_id``, ``ds`` and one column
per model, so this module needs no model library.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.errors import DataError
from modeling.evaluation.forecast.metrics import seasonal_naive_scale

#: A series needs this many values before a cut-off to take part in that backtest window.
MIN_TRAIN = 8

Forecast = Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]


def plan_windows(long: pd.DataFrame, horizon: int, windows: int, unit: str = "step") -> int:
    """How many backtest windows the history allows (at most ``windows``); :class:`DataError` when none does.

    A window needs :data:`MIN_TRAIN` values before its cut-off in the longest series.
    """
    longest = int(long.groupby("unique_id", sort=False).size().max())
    possible = (longest - MIN_TRAIN - horizon) // horizon + 1 if longest >= MIN_TRAIN + horizon else 0
    if possible < 1:
        raise DataError(
            f"The longest series has {fmt.plural(longest, unit)}: too short to hold out {fmt.plural(horizon, unit)} "
            f"for a backtest and still learn from {MIN_TRAIN}. Forecast a shorter horizon or upload a longer history."
        )
    return min(windows, possible)


def cutoffs(long: pd.DataFrame, horizon: int, windows: int, freq: str) -> list[pd.Timestamp]:
    """The last date each window may learn from, oldest first; the last window ends on the last date."""
    last = pd.Timestamp(long["ds"].max())
    grid = pd.date_range(end=last, periods=horizon * windows + 1, freq=freq)
    return [pd.Timestamp(grid[i * horizon]) for i in range(windows)]


def scales(train: pd.DataFrame, season_length: int) -> pd.Series:
    """The MASE denominator of each series, from ``train`` only."""
    return train.groupby("unique_id", sort=False)["y"].agg(lambda y: seasonal_naive_scale(y.to_numpy(), season_length))


def backtest(
    long: pd.DataFrame,
    horizon: int,
    windows: int,
    freq: str,
    season_length: int,
    forecast: Forecast,
    known_ahead: Sequence[str] = (),
    on_window: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Forecasts of every window next to what happened; see the module docstring for the frame's columns.

    ``on_window(i, n)`` is called before window ``i`` (0-based) of ``n`` so a caller can report progress or stop.
    """
    frames = []
    dates = cutoffs(long, horizon, windows, freq)
    for index, cutoff in enumerate(dates):
        if on_window is not None:
            on_window(index, len(dates))
        end = pd.date_range(cutoff, periods=horizon + 1, freq=freq)[-1]
        train = long[long["ds"] <= cutoff]
        sizes = train.groupby("unique_id", sort=False).size()
        eligible = sizes.index[sizes >= MIN_TRAIN]
        train = train[train["unique_id"].isin(eligible)]
        test = long[(long["ds"] > cutoff) & (long["ds"] <= end) & long["unique_id"].isin(eligible)]
        if train.empty or test.empty:
            continue
        future = test[["unique_id", "ds", *known_ahead]].reset_index(drop=True)
        predicted = forecast(train.reset_index(drop=True), future)
        frames.append(_window_frame(test, predicted, cutoff, horizon, freq, scales(train, season_length)))
    if not frames:
        raise DataError("No series is long enough for a backtest window; upload a longer history.")
    return pd.concat(frames, ignore_index=True)


def _window_frame(
    test: pd.DataFrame, predicted: pd.DataFrame, cutoff: pd.Timestamp, horizon: int, freq: str, scale: pd.Series
) -> pd.DataFrame:
    models = [c for c in predicted.columns if c not in ("unique_id", "ds")]
    frame = test[["unique_id", "ds", "y"]].merge(predicted, on=["unique_id", "ds"], how="left")
    missing = frame[models].isna().any(axis=1).to_numpy()
    if missing.any():
        raise ValueError(f"the model gave no forecast for {int(missing.sum())} of {len(frame)} backtest rows")
    frame.insert(2, "cutoff", cutoff)
    position = pd.Series(np.arange(horizon + 1), index=pd.date_range(cutoff, periods=horizon + 1, freq=freq))
    frame.insert(3, "step", frame["ds"].map(position).to_numpy().astype(np.int64))
    frame.insert(5, "scale", frame["unique_id"].map(scale).astype(np.float64).to_numpy())
    return frame
