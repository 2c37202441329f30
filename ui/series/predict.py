"""The Predict page of a forecast: the next horizon from all the history, a what-if, the CSV and a file of plans.

**The forecast**: every series' next horizon with its 80% and 90% ranges (the run's saved forecast: instant),
as a chart of one series or the total, and a table; downloadable as CSV (series, date, forecast, low/high 80/90).
**What if**: the known-ahead columns (a promotion, a holiday, a planned price) for the forecast dates, editable
for one series or for every series at once; the models that read them refit on all the history (cached by the
predictor) and the page says how far the forecast moved. When the chosen models do not read them, it says so
instead of pretending. **A file of plans**: future rows with planned values, scored by the predictor.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.data.readers import read_table
from modeling.reporting import charts
from modeling.runs.safe_csv import to_safe_csv
from modeling.runs.store import Run
from ui import state
from ui.series import evaluate, overview

#: The columns of the downloaded forecast, in order.
CSV_COLUMNS = ("series", "date", "forecast", "low_80", "high_80", "low_90", "high_90")


def _plans_key(run: Run) -> str:
    return f"series_whatif_{run.info.run_id}"


def page(run: Run, predictor: Any) -> None:
    """The forecast with ranges, the what-if on the known-ahead columns, the CSV, and a file of future rows."""
    prep = predictor.preparation
    ids = list(predictor.series_ids)
    target = predictor.target_name
    st.markdown(
        f"**The next {predictor.frequency.span(predictor.horizon)}** of {fmt.md_name(target)} for "
        f"{fmt.plural(len(ids), 'series', 'series')}, forecast from all the history up to {prep.last_date}, with "
        "80% and 90% ranges."
    )
    forecast_tab, file_tab = st.tabs(["The forecast, and what if?", "A file of planned values"])
    with forecast_tab:
        picked = evaluate.series_picker(ids, key=f"predict_series_{run.info.run_id}")
        planned = what_if(run, predictor, picked)
        try:
            base = predictor.forecast()
            forecast = base if planned is None else predictor.forecast(planned=planned)
        except Exception as exc:
            state.show_error(exc, "forecasting")
            return
        if planned is not None:
            moved_line(base, forecast, picked, target)
        show_forecast(predictor, forecast, picked, target)
        download(run, forecast)
    with file_tab:
        score_file(run, predictor)


# ---- what-if ---------------------------------------------------------------------------------------------------------
def what_if(run: Run, predictor: Any, picked: str | None) -> pd.DataFrame | None:
    """The known-ahead values of the forecast dates, editable; returns the plans applied (``None``: as saved)."""
    known = list(predictor.known_ahead_columns)
    if not known:
        st.caption("This data has no known-ahead columns (a promotion or holiday flag), so there is nothing to plan.")
        return None
    key = _plans_key(run)
    with st.expander("What if? Plan a promotion, a holiday or a price for the forecast dates", expanded=False):
        names = ", ".join(f"'{c}'" for c in known)
        if not predictor.uses_known_ahead:
            st.info(
                f"The chosen models do not read {state.md_escape(names)}, so changing them would not move this "
                "forecast. Train the boosted trees (boosted_lags), or Automatic with them among its candidates, to "
                "see their effect."
            )
            return None
        who = "every series at once" if picked is None else f"'{picked}'"
        st.caption(
            f"The planned values of {state.md_escape(names)} for {state.md_escape(who)}. Change a cell (mark a week "
            "as a promotion with 1), then press the button: the models that read them learn again from all the "
            "history."
        )
        base = predictor.forecast()
        rows = base if picked is None else base[base["series"] == picked]
        editable = rows.drop_duplicates("date")[["date", *known]].reset_index(drop=True)
        edited = st.data_editor(
            editable,
            hide_index=True,
            disabled=["date"],
            key=f"{key}_editor_{picked or 'all'}",
            column_config={"date": st.column_config.DateColumn("date", format="YYYY-MM-DD")},
        )
        apply, reset = st.columns(2)
        if apply.button("Forecast with these plans", type="primary", key=f"{key}_apply"):
            st.session_state[key] = _plans(base, editable, edited, picked, known)
        if reset.button("Back to the plans in the file", key=f"{key}_reset"):
            st.session_state.pop(key, None)
    return st.session_state.get(key)


def _plans(
    base: pd.DataFrame, before: pd.DataFrame, after: pd.DataFrame, picked: str | None, known: list[str]
) -> pd.DataFrame | None:
    """The planned rows (series, date, known-ahead values) for the dates whose values the person changed."""
    changed = (before[known].astype("float64") != after[known].astype("float64")).any(axis=1).to_numpy()
    if not changed.any():
        return None
    dates = after.loc[changed, ["date", *known]]
    ids = base["series"].drop_duplicates().tolist() if picked is None else [picked]
    plans = pd.concat([dates.assign(series=series) for series in ids], ignore_index=True)
    return plans[["series", "date", *known]]


def moved_line(base: pd.DataFrame, forecast: pd.DataFrame, picked: str | None, target: str) -> None:
    """'With these plans the forecast of 'Addison' moves from 210 to 232 (+10.5%).'"""
    pick = (lambda f: f) if picked is None else (lambda f: f[f["series"] == picked])
    before, after = float(pick(base)["forecast"].sum()), float(pick(forecast)["forecast"].sum())
    change = "" if before == 0 else f" ({(after - before) / abs(before):+.1%})"
    who = "the total" if picked is None else f"'{picked}'"
    st.success(
        f"With these plans the forecast of {fmt.md_escape(who)} over the horizon moves from "
        f"{fmt.amount(before)} to **{fmt.amount(after)}**{change} {fmt.md_name(target)}."
    )


# ---- the forecast ----------------------------------------------------------------------------------------------------
def show_forecast(predictor: Any, forecast: pd.DataFrame, picked: str | None, target: str) -> None:
    """The chart of history, forecast and ranges, and the table of the picked series (or of the total)."""
    rows = predictor.total(forecast) if picked is None else forecast[forecast["series"] == picked]
    total = rows if picked is None else None  # the total's own ranges, not a sum of each series' ranges
    figure = charts.forecast_chart(predictor.history, None, forecast, picked, target, total=total)
    st.plotly_chart(figure, width="stretch")
    columns = [c for c in ("date", "forecast", "low_80", "high_80", "low_90", "high_90") if c in rows.columns]
    shown = overview.rounded(rows[columns], [c for c in columns if c != "date"])
    shown["date"] = pd.to_datetime(shown["date"]).dt.strftime("%Y-%m-%d")
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={c: st.column_config.NumberColumn(format="localized") for c in columns if c != "date"},
    )
    total = float(rows["forecast"].sum())
    st.caption(
        f"Over the whole horizon: {fmt.amount(total)} {fmt.md_name(target)}"
        + (" for all series together." if picked is None else f" for '{fmt.md_escape(picked)}'.")
    )


def download(run: Run, forecast: pd.DataFrame) -> None:
    """The forecast of every series as CSV: series, date, forecast, low/high 80/90 (spreadsheet-safe)."""
    frame = forecast[[c for c in CSV_COLUMNS if c in forecast.columns]].copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d")
    st.download_button(
        "Download the forecast (CSV)",
        to_safe_csv(frame),
        file_name=f"forecast-{run.info.run_id}.csv",
        mime="text/csv",
        key=f"forecast_csv_{run.info.run_id}",
        type="primary",
        icon=":material/download:",
    )


# ---- a file of plans -------------------------------------------------------------------------------------------------
def score_file(run: Run, predictor: Any) -> None:
    """Upload future rows (series columns, date, planned known-ahead values) and get their forecasts back."""
    columns = [c.name for c in predictor.input_schema()]
    st.caption(
        "A CSV, Excel or Parquet file of future rows with the columns "
        f"{state.md_escape(', '.join(repr(c) for c in columns))}: dates after the history, within the horizon. Planned "
        "values of the known-ahead columns are used; missing ones keep their defaults."
    )
    template = predictor.future_rows()
    st.download_button(
        "Download a starting file (the next horizon's rows)",
        to_safe_csv(template),
        file_name=f"future-rows-{run.info.run_id}.csv",
        mime="text/csv",
        key=f"future_rows_{run.info.run_id}",
    )
    upload = st.file_uploader(
        "Future rows", type=["csv", "tsv", "txt", "xlsx", "parquet"], key=f"plans_{run.info.run_id}"
    )
    if upload is None:
        return
    try:
        frame = read_table(upload.getvalue(), upload.name)
        scored = predictor.score_frame(frame)
    except Exception as exc:
        state.show_error(exc, "forecasting the file")
        return
    for note in scored.notes:
        st.info(state.md_escape(note))
    st.dataframe(scored.frame, hide_index=True, width="stretch")
    st.download_button(
        "Download these forecasts (CSV)",
        to_safe_csv(scored.frame),
        file_name=f"forecast-plans-{run.info.run_id}.csv",
        mime="text/csv",
        key=f"plans_csv_{run.info.run_id}",
    )
