"""A long frame as a dense panel (series x time steps), the shape the global models learn from.

Rows are series, columns are consecutive steps of the frequency, aligned on calendar dates: a series that
starts late has NaN before its first date. Lags, rolling means and windows are then array shifts over all
series at once, which is what keeps the boosted model and the network fast on 10,000 series. Calendar
features describe each column's date (month, week of the year, weekday), as integers for trees and as
sine/cosine pairs for the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from modeling.data.series.frequency import Frequency, frequency_from_alias


@dataclass
class Panel:
    """Values (series x steps), the dates of the steps, the series' names and the known-ahead arrays."""

    ids: np.ndarray
    dates: pd.DatetimeIndex
    values: np.ndarray
    known: dict[str, np.ndarray]
    frequency: Frequency

    def extend(self, future: pd.DataFrame, known_ahead: tuple[str, ...], at_least: int = 1) -> tuple[Panel, np.ndarray]:
        """This panel with the steps of ``future`` (and at least ``at_least`` steps) appended: values NaN,
        known-ahead values from ``future`` (0 where it has none).

        Returns the new panel and, for each row of ``future``, its column in the new panel (-1 if the series is
        unknown to the panel).
        """
        last = self.dates[-1]
        wanted = pd.DatetimeIndex(future["ds"])
        needed = int(_steps_after(self.frequency, last, wanted).max()) if len(wanted) else 0
        ahead = max(at_least, needed)
        dates = self.dates.append(self.frequency.future(last, ahead))
        values = np.concatenate([self.values, np.full((len(self.ids), ahead), np.nan)], axis=1)
        known = {c: np.concatenate([a, np.zeros((len(self.ids), ahead))], axis=1) for c, a in self.known.items()}
        rows = pd.Series(np.arange(len(self.ids)), index=self.ids).reindex(future["unique_id"].to_numpy())
        rows = rows.fillna(-1).to_numpy(dtype=np.int64)
        columns = len(self.dates) - 1 + _steps_after(self.frequency, last, wanted)
        present = rows >= 0
        for column in known_ahead:
            known[column][rows[present], columns[present]] = future[column].to_numpy(dtype=np.float64)[present]
        return Panel(self.ids, dates, values, known, self.frequency), np.where(present, columns, -1)


def _steps_after(frequency: Frequency, last: pd.Timestamp, dates: pd.DatetimeIndex) -> np.ndarray:
    return frequency.steps(dates) - frequency.steps(pd.DatetimeIndex([last]))[0]


def to_panel(long: pd.DataFrame, freq: str, known_ahead: tuple[str, ...] = ()) -> Panel:
    """The dense panel of a long frame (one row per series and date, on the frequency's grid)."""
    frequency = frequency_from_alias(freq)
    ids, row = np.unique(long["unique_id"].to_numpy(dtype=str), return_inverse=True)
    steps = frequency.steps(long["ds"])
    first, last = int(steps.min()), int(steps.max())
    start = pd.Timestamp(long["ds"].to_numpy()[int(np.argmin(steps))])
    dates = pd.date_range(start, periods=last - first + 1, freq=frequency.alias)
    column = steps - first
    values = np.full((len(ids), len(dates)), np.nan)
    values[row, column] = long["y"].to_numpy(dtype=np.float64)
    known = {}
    for name in known_ahead:
        array = np.zeros((len(ids), len(dates)))
        array[row, column] = long[name].to_numpy(dtype=np.float64)
        known[name] = array
    return Panel(ids, dates, values, known, frequency)


def calendar_codes(dates: pd.DatetimeIndex, unit: str) -> dict[str, np.ndarray]:
    """Integer calendar features of each date for trees: what can repeat within a year at this frequency."""
    codes: dict[str, np.ndarray] = {}
    if unit == "day":
        codes["weekday"] = dates.day_of_week.to_numpy()
        codes["day_of_month"] = dates.day.to_numpy()
    if unit in ("day", "week"):
        codes["week_of_year"] = dates.isocalendar().week.to_numpy(dtype=np.int64)
    if unit in ("day", "week", "month"):
        codes["month"] = dates.month.to_numpy()
    if unit == "quarter":
        codes["quarter"] = dates.quarter.to_numpy()
    return codes


def calendar_waves(dates: pd.DatetimeIndex, unit: str) -> np.ndarray:
    """Sine and cosine of the position in the year (and in the week for daily data), dates x features."""
    year = (dates.day_of_year.to_numpy() - 1) / 365.25
    columns = [np.sin(2 * np.pi * year), np.cos(2 * np.pi * year)]
    if unit == "day":
        week = dates.day_of_week.to_numpy() / 7
        columns += [np.sin(2 * np.pi * week), np.cos(2 * np.pi * week)]
    return np.stack(columns, axis=1) if unit != "year" else np.zeros((len(dates), 0))


def shifted(values: np.ndarray, lag: int) -> np.ndarray:
    """``values`` moved ``lag`` steps to the right along time (NaN where nothing came before)."""
    out = np.full_like(values, np.nan)
    if lag < values.shape[1]:
        out[:, lag:] = values[:, : values.shape[1] - lag]
    return out


def rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the ``window`` steps before each step (ignoring NaN; NaN when none), via cumulative sums."""
    filled = np.nan_to_num(values)
    counts = np.isfinite(values).astype(np.float64)
    pad = np.zeros((values.shape[0], 1))
    total = np.concatenate([pad, np.cumsum(filled, axis=1)], axis=1)
    count = np.concatenate([pad, np.cumsum(counts, axis=1)], axis=1)
    n = values.shape[1]
    end = np.arange(n)  # sums of steps [t - window, t)
    begin = np.maximum(end - window, 0)
    sums, numbers = total[:, end] - total[:, begin], count[:, end] - count[:, begin]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(numbers > 0, sums / np.maximum(numbers, 1), np.nan)
