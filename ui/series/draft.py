"""The time series being set up on the Data page: the raw table, the proposed roles, the person's choices.

A table read as time series (an upload the person confirmed, or the built-in sample) becomes a
:class:`SeriesDraft` in the session: the raw DataFrame, ModelDeck's proposal (:func:`propose_series`) and
what the person chose (the date column, the number to forecast, the series and known-ahead columns, how
dates are read, what duplicates and gaps become). Every change rebuilds the series Dataset with
:func:`modeling.data.series.dataset.series_dataset` and makes it active, so the other pages see exactly what the
Data page shows; a choice that cannot be used keeps the sentence and clears the active dataset.

The choices travel into the experiment's config (:func:`data_fields`): ``data.date_column``,
``data.target_column``, ``data.series_columns``, ``data.known_ahead_columns``, ``data.date_order``,
``data.duplicate_dates``, ``data.fill_gaps`` and ``data.frequency``, so the YAML rebuilds the same series.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from modeling.data.dataset import Dataset
from modeling.data.series import SeriesPreparation, SeriesProposal, propose_series
from modeling.data.series.dataset import series_dataset
from modeling.data.series.propose import TARGET_HINTS
from modeling.errors import ModelDeckError
from ui import state

#: Session keys: the draft, the proposals made per upload, and the choices behind each Dataset built here.
DRAFT_KEY = "series_draft"
PROPOSALS_KEY = "series_proposals"
CHOICES_KEY = "series_choices"


@dataclass
class SeriesDraft:
    """One raw table read as time series and the person's choices about it (kept in the session)."""

    df: pd.DataFrame
    name: str
    source: str
    key: str
    proposal: SeriesProposal | None
    date_column: str | None
    target_column: str | None
    series_columns: list[str] = field(default_factory=list)
    known_ahead_columns: list[str] = field(default_factory=list)
    sheet: str | None = None
    date_order: str = "auto"
    duplicates: str = "sum"
    fill_gaps: str = "none"
    #: Empty: inferred from the dates.
    frequency: str = ""
    built_key: tuple | None = None
    fingerprint: str | None = None
    error: str | None = None
    #: Unique per draft (its widgets' keys), so a file or sample set up again starts from the proposal.
    uid: str = field(default_factory=lambda: secrets.token_hex(4))
    #: What the last successful build read and did (``None`` after a refusal).
    preparation: SeriesPreparation | None = None

    def choice_key(self) -> tuple:
        return (
            self.date_column,
            self.target_column,
            tuple(self.series_columns),
            tuple(self.known_ahead_columns),
            self.date_order,
            self.duplicates,
            self.fill_gaps,
            self.frequency,
        )

    def owns(self, ds: Dataset | None) -> bool:
        """True when ``ds`` is the Dataset this draft built last."""
        return ds is not None and self.fingerprint is not None and ds.fingerprint() == self.fingerprint

    def choices(self) -> dict[str, Any]:
        """The config's ``data`` fields of these choices."""
        return {
            "date_column": self.date_column,
            "target_column": self.target_column,
            "series_columns": list(self.series_columns),
            "known_ahead_columns": list(self.known_ahead_columns),
            "date_order": self.date_order,
            "duplicate_dates": self.duplicates,
            "fill_gaps": self.fill_gaps,
            "frequency": self.frequency,
            "sheet": self.sheet,
        }


# ---- proposals, once per upload --------------------------------------------------------------------------------------
def proposal_for(df: pd.DataFrame, signature: str) -> SeriesProposal | None:
    """ModelDeck's roles for ``df`` (``None``: not a time series), made once per upload and sheet."""
    cache = st.session_state.setdefault(PROPOSALS_KEY, {})
    if signature not in cache:
        try:
            cache[signature] = propose_series(df)
        except ModelDeckError:
            cache[signature] = None
        while len(cache) > 4:  # only the latest uploads matter
            cache.pop(next(iter(cache)))
    return cache[signature]


def date_columns(df: pd.DataFrame) -> list[str]:
    """Columns that could hold the dates: datetime columns, then text columns most of whose values read as dates."""
    from modeling.data.series.dates import date_kind

    found = []
    for column in df.columns:
        values = df[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            found.append(str(column))
        elif not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            sample = values.dropna().astype(str).str.strip().head(200)
            if len(sample) >= 2 and (sample.map(date_kind) != "other").mean() >= 0.9:
                found.append(str(column))
    return found


# ---- the draft in the session ----------------------------------------------------------------------------------------
def draft() -> SeriesDraft | None:
    return st.session_state.get(DRAFT_KEY)


def start_draft(
    df: pd.DataFrame,
    name: str,
    source: str,
    key: str,
    proposal: SeriesProposal | None,
    sheet: str | None = None,
    then: str | None = None,
) -> None:
    """A new draft with the proposal's roles (or a first guess), built at once; then the app runs again."""
    if proposal is not None:
        date, target = proposal.date_column, proposal.target_column
        series, known = list(proposal.series_columns), list(proposal.known_ahead_columns)
    else:
        dates = date_columns(df)
        numbers = [str(c) for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and str(c) not in dates]
        others = [str(c) for c in df.columns if str(c) not in dates]
        named = [c for c in numbers + others if TARGET_HINTS.search(c)]  # 'sales', 'units', 'rides', ...
        date = dates[0] if dates else None
        target = next(iter(named + numbers + others), None)
        series, known = [], []
    new = SeriesDraft(df, name, source, key, proposal, date, target, series, known, sheet=sheet)
    st.session_state[DRAFT_KEY] = new
    rebuild(new)
    if then:
        st.switch_page(then)
    st.rerun()


def use_sample(key: str, then: str | None = None) -> None:
    """The "Use this sample" button of a series sample: the raw table through the same set-up as an upload."""
    from modeling.data.samples import SAMPLES, sample_table

    try:
        with st.spinner(f"Loading {SAMPLES[key].title}…"):
            df, _ = sample_table(key)
            proposal = propose_series(df)
    except Exception as exc:
        state.show_error(exc, "loading the sample")
        return
    start_draft(df, SAMPLES[key].title, f"sample:{key}", f"sample:{key}", proposal, then=then)


# ---- building the Dataset --------------------------------------------------------------------------------------------
def rebuild(d: SeriesDraft) -> Dataset | None:
    """Build the Dataset of the draft's current choices and make it active; on a refusal keep the sentence."""
    d.built_key = d.choice_key()
    if d.date_column is None or d.target_column is None:
        d.preparation = None
        d.error = (
            "ModelDeck found no column of dates (or no number to forecast) in this table. Choose them below, or "
            "read the file as a plain table."
        )
        _clear_active(d)
        return None
    try:
        ds = series_dataset(
            d.df,
            d.date_column,
            d.target_column,
            d.series_columns,
            d.known_ahead_columns,
            date_order=d.date_order,
            duplicates=d.duplicates,
            fill_gaps=d.fill_gaps,
            frequency=d.frequency or None,
            name=d.name,
            source=d.source,
        )
    except ModelDeckError as exc:
        d.error, d.preparation = str(exc), None
        _clear_active(d)
        return None
    d.error, d.preparation = None, ds.preparation
    d.fingerprint = ds.fingerprint()
    st.session_state.setdefault(CHOICES_KEY, {})[d.fingerprint] = d.choices()
    state.set_dataset(ds)
    return ds


def refresh(d: SeriesDraft) -> Dataset | None:
    """The active dataset of the draft's choices; when they changed, rebuild it and run the app again."""
    if d.built_key != d.choice_key():
        rebuild(d)
        st.rerun()
    return state.dataset() if d.error is None else None


def _clear_active(d: SeriesDraft) -> None:
    """A refused choice: the active dataset goes if it was this draft's or read from the same file (as a table
    before the person switched to time series), so nothing trains on the old reading."""
    active = state.dataset()
    if active is None or d.owns(active) or active.source == d.source:
        st.session_state.pop(state.DATASET, None)
    d.fingerprint = None


# ---- the config ------------------------------------------------------------------------------------------------------
def data_fields(ds: Dataset) -> dict[str, Any]:
    """The config's ``data`` fields that rebuild this series from its source (the Data page's choices)."""
    choices = st.session_state.get(CHOICES_KEY, {}).get(ds.fingerprint())
    if choices is None:  # a series Dataset not built here: its preparation holds the roles
        prep = ds.preparation
        choices = {
            "date_column": prep.date_column,
            "target_column": prep.target_column,
            "series_columns": list(prep.series_columns),
            "known_ahead_columns": list(prep.known_ahead_columns),
        }
    return dict(choices)
