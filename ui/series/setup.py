"""The Data page's time-series path: recognise an upload, confirm it, then the roles, the checks and an overview.

The series view calls :func:`start_upload` under an upload read as time series: ModelDeck's proposal in one
sentence ("'units' per 'shop', 12 series, weekly on Mondays, 2021-01-04 to 2024-06-24 — forecast it?") with
Confirm and "Treat it as a plain table instead". :func:`series_section` draws the active series under "Active
data": the roles (date, number, series, known ahead; proposed, changeable), how dates are read and why, what
happens to duplicate dates and gaps (filled only when the person says so), series too short for a seasonal
model or left out, outside columns left out and why, then an overview (:mod:`ui.series.overview`). Every
choice rebuilds the Dataset at once (:mod:`ui.series.draft`). Column names and values are user text: escaped.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.data.dataset import Dataset
from modeling.data.series import SeriesProposal, frequency_from_alias
from modeling.data.series.frequency import WEEKDAYS
from ui import state, upload_view
from ui.series import draft as series_draft
from ui.series import overview as series_overview

DATE_ORDERS = {
    "auto": "Decide from the dates (recommended)",
    "day_first": "Day first (25/01/2021)",
    "month_first": "Month first (01/25/2021)",
}
#: Frequencies a person may insist on ("" = inferred), as pandas aliases (:func:`frequency_from_alias` words them).
FREQUENCIES = ("", "D", *(f"W-{day}" for day in WEEKDAYS), "MS", "ME", "QS-JAN", "QE-DEC", "YS-JAN", "YE-DEC")
DUPLICATES = {"sum": "Add them up", "refuse": "Refuse the file and name the rows"}
FILLS = {
    "none": "Leave them (report only)",
    "zero": "Fill with 0 (nothing happened then)",
    "interpolate": "Fill by interpolation (a straight line between neighbours)",
}


# ---- under the upload ------------------------------------------------------------------------------------------------
def claim_sentence(proposal: SeriesProposal | None) -> str:
    """Why the upload tab proposes (or merely offers) reading the table as time series."""
    if proposal is None:
        return "It has a column of dates, so it can also be read as time series to forecast."
    if proposal.problem:
        return (
            f"'{proposal.date_column}' holds dates and '{proposal.target_column}' numbers, so it looks like time "
            "series to forecast (see the problem below)."
        )
    return "It has a column of dates and a number measured on them: time series to forecast."


def recognition(proposal: SeriesProposal | None) -> str:
    """The Markdown sentence above Confirm: what ModelDeck recognised, or why it could not."""
    if proposal is None:
        return (
            "**ModelDeck did not recognise time series in this table** (a column of dates with one number per date "
            "and series). Set it up anyway and choose the columns yourself, or read it as a plain table."
        )
    if proposal.problem:
        return (
            f"**This looks like time series** ('{state.md_escape(proposal.date_column)}' holds the dates, "
            f"'{state.md_escape(proposal.target_column)}' the number), **but it cannot be forecast as it is:** "
            f"{state.md_escape(proposal.problem)}"
        )
    return f"**Recognised time series: {state.md_escape(proposal.sentence)} — forecast it?**"


def start_upload(df: pd.DataFrame, name: str, signature: str, sheet: str | None) -> None:
    """The recognition sentence with Confirm and "Treat it as a plain table instead", once per file and sheet."""
    key = f"{signature}:{sheet or ''}"
    d = series_draft.draft()
    if d is not None and d.key == key:
        st.success("Read as time series: check the columns under **Active data** below.")
        return
    proposal = series_draft.proposal_for(df, key)
    with st.container(border=True):
        st.markdown(recognition(proposal))
        if proposal is not None and proposal.outside and not proposal.problem:
            st.caption(state.md_escape(proposal.outside))
        confirm, instead = st.columns([1, 2])
        label = "Confirm: forecast it" if proposal is not None and not proposal.problem else "Set it up as time series"
        if confirm.button(label, key="series_confirm", type="primary"):
            series_draft.start_draft(df, name, name, key, proposal, sheet)
        instead.button(
            "Treat it as a plain table instead",
            key="series_as_table",
            on_click=upload_view.read_instead,
            args=(signature, sheet, "table"),
        )


# ---- the active series -----------------------------------------------------------------------------------------------
def series_section(ds: Dataset | None) -> None:
    """Roles, reading choices, checks and an overview of the active series (or of the draft that awaits a fix)."""
    d = series_draft.draft()
    if d is not None and (ds is None or d.owns(ds)):
        st.subheader(f"Active data: {state.md_escape(d.name)}")
        roles_block(d)
        reading_block(d)
        ds = series_draft.refresh(d)
        if d.error:
            st.error(state.md_escape(d.error))
        checks_block(d)
    else:
        st.subheader(f"Active data: {state.md_escape(ds.name if ds is not None else '')}")
    if ds is not None:
        series_overview.overview(ds)
        st.page_link("pages/model.py", label="Next: choose a model →", icon=":material/tune:")
    else:
        st.info("Fix the choice above to continue: nothing can be forecast until the columns can be used.")


def _one(key: str, value: Any, options: list[Any]) -> str:
    """The widget key, its state holding ``value`` (or the first option) unless it already holds an option.

    The widgets here read their state only (no ``index`` or ``default`` that could fight it), so a choice
    survives reruns and a fix button can set it; an option that went away (a column now used as the date) is
    replaced instead of raising.
    """
    if st.session_state.get(key) not in options:
        st.session_state[key] = value if value in options else options[0]
    return key


def _many(key: str, values: list[str], options: list[str]) -> str:
    """As :func:`_one` for a multiselect: the state keeps the chosen values that are still options."""
    current = st.session_state.get(key)
    st.session_state[key] = [v for v in (values if current is None else current) if v in options]
    return key


def roles_block(d: series_draft.SeriesDraft) -> None:
    """The date column, the number to forecast, the series columns and the known-ahead columns (all changeable)."""
    st.markdown("#### What to forecast")
    columns = [str(c) for c in d.df.columns]
    dates = series_draft.date_columns(d.df)
    date_options = [*dates, *[c for c in columns if c not in dates]]
    left, right = st.columns(2)
    d.date_column = left.selectbox(
        "Date column",
        date_options,
        key=_one(f"series_date_{d.uid}", d.date_column, date_options),
        help="The column that says when: one date per row (a day, the Monday of a week, the first of a month).",
    )
    numbers = [c for c in columns if c != d.date_column and pd.api.types.is_numeric_dtype(d.df[c])]
    target_options = [*numbers, *[c for c in columns if c not in numbers and c != d.date_column]]
    d.target_column = right.selectbox(
        "Number to forecast",
        target_options,
        key=_one(f"series_target_{d.uid}", d.target_column, target_options),
        help="What is counted or measured on each date: units sold, rides, sign-ups, revenue.",
    )
    rest = [c for c in columns if c not in (d.date_column, d.target_column)]
    left, right = st.columns(2)
    d.series_columns = left.multiselect(
        "Series columns (one forecast per value)",
        rest,
        key=_many(f"series_ids_{d.uid}", d.series_columns, rest),
        help="Columns that name a series, like store or product: each combination gets its own forecast. "
        "None: the whole table is one series.",
    )
    outside = [c for c in rest if c not in d.series_columns]
    d.known_ahead_columns = right.multiselect(
        "Known ahead (planned for the forecast dates)",
        outside,
        key=_many(f"series_known_{d.uid}", d.known_ahead_columns, outside),
        help="Columns whose future values you know when forecasting: a promotion or holiday flag, a planned price. "
        "The boosted and network models use them; the Predict page lets you change them (what-if).",
    )
    if d.proposal is not None and not d.proposal.problem:
        st.caption(f"Proposed by ModelDeck: {state.md_escape(d.proposal.sentence)}.")


def reading_block(d: series_draft.SeriesDraft) -> None:
    """How dates are read, what duplicate dates become and whether gaps are filled."""
    with st.expander("How the dates and values are read", expanded=bool(d.error)):
        a, b, c, f = st.columns(4)
        d.date_order = a.radio(
            "Date order",
            list(DATE_ORDERS),
            format_func=DATE_ORDERS.get,
            key=_one(f"series_order_{d.uid}", d.date_order, list(DATE_ORDERS)),
            help="03/04/2021 is 3 April in Europe and 4 March in the USA. ModelDeck decides from the dates and "
            "says why; choose only when it decided wrong.",
        )
        d.duplicates = b.radio(
            "Two rows of one series on one date",
            list(DUPLICATES),
            format_func=DUPLICATES.get,
            key=_one(f"series_dupes_{d.uid}", d.duplicates, list(DUPLICATES)),
        )
        d.fill_gaps = c.radio(
            "Missing dates (gaps)",
            list(FILLS),
            format_func=FILLS.get,
            key=_one(f"series_fill_{d.uid}", d.fill_gaps, list(FILLS)),
            help="Every model needs one value per period, so training refuses gaps until you choose how to fill them.",
        )
        d.frequency = f.selectbox(
            "Frequency",
            list(FREQUENCIES),
            format_func=lambda alias: "Inferred from the dates" if not alias else frequency_from_alias(alias).words,
            key=_one(f"series_frequency_{d.uid}", d.frequency, list(FREQUENCIES)),
            help="How often a series has a value. ModelDeck infers it within each series; choose only to insist "
            "(dates off that grid are then named).",
        )


def _fill(d: series_draft.SeriesDraft, how: str) -> None:
    d.fill_gaps = how
    st.session_state[f"series_fill_{d.uid}"] = how


def checks_block(d: series_draft.SeriesDraft) -> None:
    """What ModelDeck read and did: date order and why, frequency, duplicates, gaps, short series, left out."""
    prep = d.preparation
    if prep is None:
        return
    st.markdown("#### What ModelDeck read")
    lines = [
        f"**{fmt.count(prep.series_count)} series, {prep.frequency_words}**, {prep.first_date} to {prep.last_date} "
        f"({fmt.plural(prep.rows, 'dated value')}).",
        f"**Dates:** {state.md_escape(prep.date_order_reason)}",
    ]
    if prep.duplicate_dates:
        lines.append(
            f"**Duplicates:** {fmt.plural(prep.duplicate_dates, 'date')} appeared more than once within a series; "
            "their values were added up (choose *Refuse* above to be told which rows instead)."
        )
    else:
        lines.append("**Duplicates:** no series has two rows on one date.")
    st.markdown("\n".join(f"- {line}" for line in lines))
    if prep.gaps_found and prep.gaps_filled == "none":
        where = ", ".join(f"'{s}'" for s in prep.gap_series)
        st.warning(
            f"**{fmt.plural(prep.gaps_found, prep.unit)} {fmt.is_are(prep.gaps_found)} missing** "
            f"(most in {state.md_escape(where)}). Every model needs one value per {prep.unit}: choose how to fill "
            "them before training."
        )
        zero, line = st.columns(2)
        zero.button("Fill with 0", key="series_fill_zero", on_click=_fill, args=(d, "zero"), type="primary")
        line.button("Fill by interpolation", key="series_fill_line", on_click=_fill, args=(d, "interpolate"))
    if prep.short_for_season:
        names = ", ".join(f"'{s}'" for s in prep.short_for_season[:5])
        st.warning(
            f"**{fmt.plural(len(prep.short_for_season), 'series', 'series')} too short for a seasonal model** "
            f"(less than two seasons of {fmt.plural(prep.season_length, prep.unit)}): {state.md_escape(names)}. "
            "They are forecast without a season."
        )
    if prep.series_left_out:
        with st.expander(f"{fmt.plural(len(prep.series_left_out), 'series', 'series')} left out"):
            st.dataframe(
                pd.DataFrame({"series": list(prep.series_left_out), "why": list(prep.series_left_out.values())}),
                hide_index=True,
            )
    outside = prep.known_ahead_sentence()
    if outside:
        st.info(state.md_escape(outside))
    other = {name: why for name, why in prep.left_out.items() if not why.startswith("not known ahead")}
    if other:
        st.caption("Not used: " + state.md_escape("; ".join(f"'{name}' ({why})" for name, why in other.items())) + ".")
