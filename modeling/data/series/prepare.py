"""From a table to the checked forecasting frame: ``unique_id`` (str), ``ds`` (dates), ``y`` (float64), known-ahead.

This is Nixtla's long format (one row per series and date), which statsforecast, the boosted model and the
backtest all read. Each step either fixes something in a way the :class:`SeriesPreparation` records, or stops
with a :class:`DataError` that says what to do:

* dates: read by evidence (:mod:`.dates`); the frequency inferred within series (:mod:`.frequency`);
* the target: a number in every row (text is refused with the rows named; empty cells become gaps);
* duplicates (two rows of one series on one date): summed, or refused with the rows named;
* gaps: counted and named; filled with 0 or interpolated only when asked;
* series that stop before the others: left out (a discontinued product), or padded with 0 when gaps are
  filled with 0; series that start late are kept and forecast from their own shorter history;
* series shorter than :data:`MIN_POINTS` are left out, and flagged when shorter than two seasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.series.dates import parse_dates, rows_text
from modeling.data.series.frequency import Frequency, anchor, frequency_from_alias, infer_frequency, off_grid
from modeling.data.series.limits import MAX_SERIES, MIN_POINTS, SHOWN
from modeling.data.series.preparation import SINGLE_SERIES, SeriesPreparation
from modeling.data.series.values import flag_or_number, is_flag, target_numbers
from modeling.errors import DataError

DUPLICATES = ("sum", "refuse")
FILLS = ("none", "zero", "interpolate")


@dataclass
class PreparedSeries:
    """The forecasting frame, sorted by series and date, and the record of how it was made."""

    long: pd.DataFrame
    preparation: SeriesPreparation
    frequency: Frequency


def prepare_series(
    df: pd.DataFrame,
    date_column: str,
    target_column: str,
    series_columns: Sequence[str] = (),
    known_ahead_columns: Sequence[str] = (),
    *,
    date_order: str = "auto",
    duplicates: str = "sum",
    fill_gaps: str = "none",
    frequency: str | None = None,
) -> PreparedSeries:
    """The checked long frame of ``df``; see the module docstring for every step and its error."""
    series_columns, known_ahead_columns = list(series_columns), list(known_ahead_columns)
    _check_roles(df, date_column, target_column, series_columns, known_ahead_columns, duplicates, fill_gaps)
    reading = parse_dates(df[date_column], date_order, date_column)
    y = target_numbers(df[target_column], target_column)
    ids = _series_ids(df, series_columns)
    count = ids.nunique()
    if count > MAX_SERIES:
        raise DataError(
            f"{_names(series_columns)} make {count:,} series; ModelDeck forecasts at most {MAX_SERIES:,} at once. "
            "Forecast a coarser level (fewer series columns) or split the file, and upload again."
        )
    frame = pd.DataFrame({"unique_id": ids.to_numpy(), "ds": reading.dates.to_numpy(), "y": y.to_numpy()})
    frame["row"] = np.arange(len(frame))
    for column in known_ahead_columns:
        frame[column] = flag_or_number(df[column], column).to_numpy()
    prep = SeriesPreparation(
        date_column=date_column,
        target_column=target_column,
        series_columns=series_columns,
        known_ahead_columns=known_ahead_columns,
        left_out=_left_out(df, date_column, target_column, series_columns, known_ahead_columns),
        date_order=reading.order,
        date_order_reason=reading.reason,
        duplicates=duplicates,
        gaps_filled=fill_gaps,
    )
    missing = frame["y"].isna().to_numpy()
    prep.missing_targets = int(missing.sum())
    frame = frame[~missing]
    if frame.empty:
        raise DataError(f"'{target_column}' is empty in every row, so there is nothing to forecast.")
    freq = _frequency(frame, frequency, date_column)
    frame["ds"] = anchor(frame["ds"], freq)
    prep.frequency, prep.frequency_words, prep.season_length, prep.unit = (
        freq.alias,
        freq.words,
        freq.season_length,
        freq.unit,
    )
    frame = _merge_duplicates(frame, duplicates, known_ahead_columns, prep)
    frame = _gaps(frame, freq, fill_gaps, known_ahead_columns, prep)
    frame = _ends(frame, freq, fill_gaps, known_ahead_columns, prep)
    frame = _short(frame, freq, prep)
    _started_late(frame, prep)
    _known_ahead_missing(frame, known_ahead_columns, prep)
    long = frame.drop(columns="row").sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    long["unique_id"] = long["unique_id"].astype(str)
    long["ds"] = long["ds"].astype("datetime64[ns]")
    long["y"] = long["y"].astype(np.float64)
    prep.series_count = int(long["unique_id"].nunique())
    prep.first_date, prep.last_date = (f"{long['ds'].min():%Y-%m-%d}", f"{long['ds'].max():%Y-%m-%d}")
    prep.rows = len(long)
    return PreparedSeries(long, prep, freq)


def _names(columns: Sequence[str]) -> str:
    return " and ".join(f"'{c}'" for c in columns) if columns else "The table"


def _check_roles(
    df: pd.DataFrame,
    date_column: str,
    target_column: str,
    series_columns: list[str],
    known: list[str],
    duplicates: str,
    fill_gaps: str,
) -> None:
    if duplicates not in DUPLICATES:
        raise DataError(f"Duplicates can be 'sum' or 'refuse', not '{duplicates}'.")
    if fill_gaps not in FILLS:
        raise DataError(f"Gaps can be filled with 'none', 'zero' or 'interpolate', not '{fill_gaps}'.")
    if df.empty:
        raise DataError("The table has no rows, so there is nothing to forecast.")
    named = [date_column, target_column, *series_columns, *known]
    absent = [c for c in named if c not in df.columns]
    if absent:
        shown = ", ".join(f"'{fmt.clip(str(c), 30)}'" for c in list(df.columns)[:12])
        raise DataError(f"The table has no column {', '.join(repr(c) for c in absent)}. Its columns are {shown}.")
    if len(set(named)) < len(named):
        raise DataError(
            "A column has two roles: the date, the number to forecast, the series columns and the known-ahead "
            "columns must all be different."
        )


def _series_ids(df: pd.DataFrame, series_columns: list[str]) -> pd.Series:
    if not series_columns:
        return pd.Series(SINGLE_SERIES, index=df.index, dtype="str")
    parts = [df[c].astype("str").fillna("(blank)").str.strip() for c in series_columns]
    ids = parts[0]
    for part in parts[1:]:
        ids = ids + " / " + part
    return ids


def _left_out(
    df: pd.DataFrame, date_column: str, target_column: str, series_columns: list[str], known: list[str]
) -> dict[str, str]:
    used = {date_column, target_column, *series_columns, *known}
    out: dict[str, str] = {}
    for column in df.columns:
        if column in used:
            continue
        if pd.api.types.is_numeric_dtype(df[column]) or pd.api.types.is_bool_dtype(df[column]):
            out[str(column)] = (
                "not known ahead: its values for the forecast dates are not in the file (mark it as known ahead "
                "if they are planned, like a promotion or a price)"
            )
        else:
            out[str(column)] = "text that is not one of the series columns"
    return out


def _frequency(frame: pd.DataFrame, alias: str | None, date_column: str) -> Frequency:
    if not alias:
        return infer_frequency(frame["ds"], frame["unique_id"], date_column)
    freq = frequency_from_alias(alias)
    odd = off_grid(frame["ds"], freq)
    if len(odd):
        rows = frame["row"].to_numpy()[odd]
        raise DataError(
            f"{rows_text(rows)} of '{date_column}' {'does' if len(rows) == 1 else 'do'} not fall on the "
            f"{freq.words} dates (like {frame['ds'].iloc[odd[0]]:%Y-%m-%d}). Leave the frequency empty to infer it, "
            "or move those dates."
        )
    return freq


def _merge_duplicates(frame: pd.DataFrame, how: str, known: list[str], prep: SeriesPreparation) -> pd.DataFrame:
    repeated = frame.duplicated(["unique_id", "ds"], keep=False).to_numpy()
    if not repeated.any():
        return frame
    pairs = frame[repeated].drop_duplicates(["unique_id", "ds"])
    prep.duplicate_dates = len(pairs)
    if how == "refuse":
        first = pairs.iloc[0]
        rows = frame["row"].to_numpy()[
            repeated & (frame["unique_id"] == first["unique_id"]).to_numpy() & (frame["ds"] == first["ds"]).to_numpy()
        ]
        who = "" if first["unique_id"] == SINGLE_SERIES else f"'{first['unique_id']}' "
        raise DataError(
            f"{fmt.plural(len(pairs), 'date')} appear more than once within a series: {rows_text(rows)} are all "
            f"{who}on {first['ds']:%Y-%m-%d}. Remove the copies, or let ModelDeck add them up (duplicates: sum)."
        )
    aggregations = {"y": "sum", "row": "min", **{column: "max" for column in known}}
    merged = frame.groupby(["unique_id", "ds"], as_index=False, sort=False).agg(aggregations)
    prep.notes.append(
        f"{fmt.plural(len(pairs), 'date')} appeared more than once within a series; their values were added up"
        + (" (known-ahead columns: the largest value kept)" if known else "")
        + "."
    )
    return merged


def _grid(first: pd.Timestamp, last: pd.Timestamp, freq: Frequency) -> pd.DatetimeIndex:
    return pd.date_range(first, last, freq=freq.alias)


def _fill(frame: pd.DataFrame, grids: dict[str, pd.DatetimeIndex], how: str, known: list[str]) -> pd.DataFrame:
    """``frame`` with a row for every date of ``grids`` (per series); new targets 0 or interpolated."""
    full = pd.DataFrame(
        {
            "unique_id": np.repeat(list(grids), [len(g) for g in grids.values()]),
            "ds": np.concatenate([g.values for g in grids.values()]).astype("datetime64[ns]"),
        }
    )
    touched = frame["unique_id"].isin(grids)
    merged = full.merge(frame[touched], on=["unique_id", "ds"], how="left")
    if how == "zero":
        merged["y"] = merged["y"].fillna(0.0)
    else:
        merged["y"] = merged.groupby("unique_id", sort=False)["y"].transform(lambda s: s.interpolate("linear"))
    merged["row"] = merged["row"].fillna(-1).astype(np.int64)
    for column in known:
        values = merged[column]
        if is_flag(frame[column]):
            merged[column] = values.fillna(0.0)
        else:
            merged[column] = merged.groupby("unique_id", sort=False)[column].transform(lambda s: s.ffill().bfill())
    return pd.concat([frame[~touched], merged], ignore_index=True)


def _gaps(frame: pd.DataFrame, freq: Frequency, how: str, known: list[str], prep: SeriesPreparation) -> pd.DataFrame:
    frame = frame.sort_values(["unique_id", "ds"], kind="stable")
    steps = pd.Series(freq.steps(frame["ds"]), index=frame.index)
    missing = (steps.groupby(frame["unique_id"], sort=False).diff().fillna(1) - 1).clip(lower=0)
    per_series = missing.groupby(frame["unique_id"], sort=False).sum()
    per_series = per_series[per_series > 0].sort_values(ascending=False)
    prep.gaps_found = int(per_series.sum())
    prep.gap_series = [str(s) for s in per_series.index[:SHOWN]]
    if not prep.gaps_found:
        return frame
    where = (
        ""
        if list(per_series.index) == [SINGLE_SERIES]
        else (f" in {fmt.plural(len(per_series), 'series', 'series')} (most in '{per_series.index[0]}')")
    )
    if how == "none":
        prep.notes.append(
            f"{fmt.plural(prep.gaps_found, freq.unit)} {'is' if prep.gaps_found == 1 else 'are'} missing{where}. "
            "Fill them with 0 (nothing happened then) or by interpolation before forecasting."
        )
        return frame
    bounds = frame.groupby("unique_id", sort=False)["ds"].agg(["min", "max"]).loc[per_series.index]
    grids = {str(uid): _grid(row["min"], row["max"], freq) for uid, row in bounds.iterrows()}
    prep.notes.append(
        f"{fmt.plural(prep.gaps_found, freq.unit)} {'was' if prep.gaps_found == 1 else 'were'} missing{where}; "
        f"{'filled with 0' if how == 'zero' else 'filled by straight lines between their neighbours'}."
    )
    return _fill(frame, grids, how, known)


def _ends(frame: pd.DataFrame, freq: Frequency, how: str, known: list[str], prep: SeriesPreparation) -> pd.DataFrame:
    bounds = frame.groupby("unique_id", sort=False)["ds"].agg(["min", "max"])
    end = bounds["max"].max()
    early = bounds[bounds["max"] < end]
    if early.empty:
        return frame
    if len(early) > len(bounds) / 2:
        raise DataError(
            f"{len(early):,} of the {len(bounds):,} series stop before the last date, {end:%Y-%m-%d}, so the "
            "forecasts would not start on the same date. Keep the rows up to a date every series reaches, or fill "
            "gaps with 0 if a missing row means nothing was sold."
        )
    if how == "zero":
        grids = {str(uid): _grid(row["min"], end, freq) for uid, row in early.iterrows()}
        prep.notes.append(
            f"{fmt.plural(len(early), 'series', 'series')} stop before {end:%Y-%m-%d}; their last dates were "
            "filled with 0 like the other gaps."
        )
        return _fill(frame, grids, "zero", known)
    for uid, row in early.iterrows():
        prep.series_left_out[str(uid)] = f"stops on {row['max']:%Y-%m-%d}, before the others' last date (discontinued?)"
    prep.notes.append(
        f"{fmt.plural(len(early), 'series', 'series')} stop before {end:%Y-%m-%d} and are left out as discontinued "
        f"(first: '{early.index[0]}'). Fill gaps with 0 to forecast them from 0."
    )
    return frame[~frame["unique_id"].isin(early.index)]


def _short(frame: pd.DataFrame, freq: Frequency, prep: SeriesPreparation) -> pd.DataFrame:
    sizes = frame.groupby("unique_id", sort=False).size()
    too_short = sizes[sizes < MIN_POINTS]
    if len(too_short) == len(sizes):
        longest = int(sizes.max())
        which = "The series has" if len(sizes) == 1 else f"Each of the {len(sizes):,} series has at most"
        raise DataError(
            f"{which} {fmt.plural(longest, 'dated value')}; a forecast needs at least {MIN_POINTS} per series, and "
            f"a seasonal one two full seasons ({fmt.plural(2 * freq.season_length, freq.unit)}). Upload a longer "
            "history."
        )
    for uid, size in too_short.items():
        prep.series_left_out[str(uid)] = f"only {fmt.plural(int(size), 'dated value')} (at least {MIN_POINTS} needed)"
    if len(too_short):
        prep.notes.append(
            f"{fmt.plural(len(too_short), 'series', 'series')} with fewer than {MIN_POINTS} dated values "
            f"{'is' if len(too_short) == 1 else 'are'} left out (first: '{too_short.index[0]}')."
        )
    kept = sizes[sizes >= MIN_POINTS]
    if freq.season_length > 1:
        short = kept[kept < 2 * freq.season_length]
        prep.short_for_season = [str(uid) for uid in short.index]
        if len(short):
            prep.notes.append(
                f"{fmt.plural(len(short), 'series', 'series')} {'has' if len(short) == 1 else 'have'} less than two "
                f"seasons ({fmt.plural(2 * freq.season_length, freq.unit)}) of history: too short for a seasonal "
                "model, so the models treat them as non-seasonal."
            )
    return frame[frame["unique_id"].isin(kept.index)]


def _started_late(frame: pd.DataFrame, prep: SeriesPreparation) -> None:
    starts = frame.groupby("unique_id", sort=False)["ds"].min()
    prep.started_late = int((starts > starts.min()).sum())
    if prep.started_late:
        prep.notes.append(
            f"{fmt.plural(prep.started_late, 'series', 'series')} start later than {starts.min():%Y-%m-%d}; each "
            "is forecast from its own, shorter history."
        )


def _known_ahead_missing(frame: pd.DataFrame, known: list[str], prep: SeriesPreparation) -> None:
    for column in known:
        values = frame[column]
        flag = is_flag(values)
        prep.known_ahead_defaults[column] = 0.0 if flag else "last"
        if values.isna().any():
            if flag:
                frame[column] = values.fillna(0.0)
            else:
                nearest = values.groupby(frame["unique_id"]).transform(lambda s: s.ffill().bfill())
                frame[column] = nearest.fillna(0.0)
            prep.notes.append(
                f"'{column}' was empty in {fmt.plural(int(values.isna().sum()), 'row')}; "
                + ("read as 0 (no)." if flag else "the nearest earlier value of the same series was used.")
            )
