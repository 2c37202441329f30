"""The dates to forecast and the known-ahead values on them, and the horizon checks.

A forecast starts the step after the last date of the history. Known-ahead columns need values on those
future dates: the person may give them (the what-if: "mark week 48 as a promotion"); where nobody did, a flag
is 0 (no promotion planned) and a number keeps its series' last value (the current price), as the
:class:`SeriesPreparation` records in ``known_ahead_defaults``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.series.frequency import Frequency, frequency_from_alias
from modeling.data.series.limits import MAX_HORIZON
from modeling.data.series.preparation import SeriesPreparation
from modeling.data.series.values import flag_or_number
from modeling.errors import DataError


def check_horizon(long: pd.DataFrame, horizon: int, frequency: Frequency) -> None:
    """:class:`DataError` for a horizon below 1, above :data:`MAX_HORIZON` or longer than the longest history."""
    if horizon < 1:
        raise DataError(f"The horizon must be at least 1 {frequency.unit}, not {horizon}.")
    if horizon > MAX_HORIZON:
        raise DataError(
            f"A horizon of {frequency.span(horizon)} is beyond the {frequency.span(MAX_HORIZON)} ModelDeck forecasts; "
            "choose a shorter one."
        )
    longest = int(long.groupby("unique_id", sort=False).size().max())
    if horizon > longest:
        raise DataError(
            f"The horizon of {frequency.span(horizon)} is longer than the history ({frequency.span(longest)} at most). "
            f"Forecast at most {frequency.span(longest)} ahead, or upload a longer history."
        )


def future_frame(
    long: pd.DataFrame, preparation: SeriesPreparation, horizon: int, planned: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``unique_id``, ``ds`` and each known-ahead column for the ``horizon`` dates after the history.

    ``planned`` (``unique_id``, ``ds`` and some known-ahead columns) overrides the defaults where it has a value;
    a planned row for a date outside the horizon or an unknown series is refused, so a typo is not ignored.
    """
    frequency = frequency_from_alias(preparation.frequency)
    last = long.groupby("unique_id", sort=False)["ds"].max()
    ids = np.repeat(last.index.to_numpy(), horizon)
    dates = np.concatenate([frequency.future(day, horizon).values for day in last.to_numpy()]) if len(last) else []
    future = pd.DataFrame({"unique_id": ids, "ds": np.asarray(dates, dtype="datetime64[ns]")})
    future["unique_id"] = future["unique_id"].astype(str)
    for column in preparation.known_ahead_columns:
        default = preparation.known_ahead_defaults.get(column, 0.0)
        if default == "last":
            latest = long.sort_values("ds").groupby("unique_id", sort=False)[column].last()
            future[column] = future["unique_id"].map(latest).astype(np.float64)
        else:
            future[column] = float(default)
    if planned is not None and len(planned):
        future = _apply_planned(future, planned, preparation, frequency)
    return future


def _apply_planned(
    future: pd.DataFrame, planned: pd.DataFrame, preparation: SeriesPreparation, frequency: Frequency
) -> pd.DataFrame:
    columns = [c for c in planned.columns if c in preparation.known_ahead_columns]
    unknown = [c for c in planned.columns if c not in (*columns, "unique_id", "ds")]
    if unknown:
        known = ", ".join(f"'{c}'" for c in preparation.known_ahead_columns) or "none"
        raise DataError(f"{', '.join(repr(c) for c in unknown)} is not a known-ahead column (those are: {known}).")
    plan = planned.copy()
    if "unique_id" not in plan:
        plan["unique_id"] = future["unique_id"].iloc[0]
    plan["unique_id"] = plan["unique_id"].astype(str)
    plan["ds"] = pd.to_datetime(plan["ds"]).astype("datetime64[ns]")
    keys = pd.MultiIndex.from_frame(future[["unique_id", "ds"]])
    wanted = pd.MultiIndex.from_frame(plan[["unique_id", "ds"]])
    outside = ~wanted.isin(keys)
    if outside.any():
        first = plan[outside].iloc[0]
        raise DataError(
            f"'{first['unique_id']}' on {first['ds']:%Y-%m-%d} is not one of the forecast dates "
            f"({fmt.plural(int(outside.sum()), 'planned value')} outside them): plan values for the next "
            f"{frequency.span(len(future) // max(1, future['unique_id'].nunique()))} of each series."
        )
    merged = future.set_index(["unique_id", "ds"])
    for column in columns:
        values = flag_or_number(plan[column], column)
        given = values.notna().to_numpy()
        merged.loc[wanted[given], column] = values[given].to_numpy()
    return merged.reset_index()
