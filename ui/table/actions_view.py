"""The Evaluate page's blocks for acting on a table run's scores: who to contact first, where the estimates err,
and whether the model is fair to the groups of a sensitive column.

* **Who to contact first** (two classes): the gains sentence, the top tenth's lift with its interval, the
  gains and lift charts, and the ranked test rows (ID, chance, true answer, the row, its reasons) to download.
* **Where the errors are** (numbers): predicted vs actual by tenth of the estimates, and the segments the
  model over- or under-estimates, with the sentence.
* **Is it fair?** Only once a sensitive column is chosen (here, or in the settings); the choice is saved with
  the run (:mod:`modeling.runs.table.fairness_audit`) so the report shows the same audit. A column with too
  many values or a single group gets the sentence that says what to do; a number can be cut into bands.

Everything comes from what the run saved (``evaluation.json``, the test split, its answers and reasons).
Sentences from :mod:`modeling.evaluation` are already Markdown-safe; cells go to dataframes as plain text.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.reporting.charts import actions as action_charts
from modeling.reporting.regression_summary import amount
from modeling.runs.safe_csv import to_safe_csv
from modeling.runs.store import Run
from ui import state

NONE = "(no sensitive column)"
#: Quantile bands a number column can be cut into (offered only for columns with more values than that).
BANDS = 4
_RATE_CHOICES = {
    "selection_rate": "How often each group gets it",
    "true_positive_rate": "Of those who truly are, how many are found",
    "false_positive_rate": "Of the others, how many are wrongly flagged",
}


# ---- who to contact first ------------------------------------------------------------------------------------------
def gains_block(run: Run, ev: dict[str, Any]) -> None:
    """Gains and lift for the class to find, and the ranked test rows to download."""
    result = ev.get("gains")
    if not result:
        return
    st.subheader("Who to contact first")
    if not result.get("curve"):
        st.info(state.md_escape(str(result.get("summary") or "")))
        return
    positive = str(result.get("positive") or "the class to find")
    left, right = st.columns([1, 3])
    top = result.get("top_decile_lift") or {}
    with left:
        st.metric(
            "Top-tenth lift",
            f"{float(top['value']):.1f}x" if top.get("value") is not None else "—",
            help="How many times the usual share of "
            f"'{positive}' the top tenth of the ranked list holds (1 = no better than a random list).",
        )
        if top.get("low") is not None:
            st.caption(f"95% interval {top['low']:.1f}x–{top['high']:.1f}x, n = {fmt.count(top.get('n') or 0)} rows")
    with right:
        st.markdown(str(result.get("summary") or ""))
    st.plotly_chart(action_charts.gains_chart(result, f"'{positive}'"), width="stretch")
    st.plotly_chart(action_charts.lift_chart(result), width="stretch")
    ranked_download(run)


def ranked_download(run: Run) -> None:
    """The ranked test rows with IDs and reasons, first rows shown, the whole list to download."""
    try:
        table = _ranked(run)
    except Exception as exc:
        state.show_error(exc, "ranking the test rows")
        return
    score = str(table.columns[2])
    st.dataframe(
        table.head(20),
        hide_index=True,
        column_config={score: st.column_config.NumberColumn(format="percent")} if score != "estimate" else None,
    )
    st.caption(
        f"The first 20 of {fmt.count(len(table))} test rows, highest {fmt.md_name(score)} first, with the columns "
        "left out of the model (an ID names each row) and each row's three reasons. Download the whole list to "
        "call from the top."
    )
    st.download_button(
        "Download the ranked list (CSV)",
        to_safe_csv(table),
        file_name="ranked_test_rows.csv",
        mime="text/csv",
        key=f"ranked_download_{run.info.run_id}",
    )


def _ranked(run: Run) -> pd.DataFrame:
    """The ranked list, kept per run and decision rule in the session (ranking reads the whole test split)."""
    from modeling.runs.table.ranked import ranked_for_run

    stamp = _stamp(run, "decision.json")
    key = ("ranked", run.info.run_id, stamp)
    cached = st.session_state.get("table_ranked")
    if cached is None or cached[0] != key:
        cached = (key, ranked_for_run(run))
        st.session_state["table_ranked"] = cached
    return cached[1]


def _stamp(run: Run, name: str) -> float:
    path = run.path / name
    return path.stat().st_mtime if path.exists() else 0.0


# ---- where the errors are (numbers) --------------------------------------------------------------------------------
def errors_block(ev: dict[str, Any], target: str, currency: str) -> None:
    """Predicted vs actual by tenth of the estimates, and the segments it gets wrong on average."""
    deciles = ev.get("prediction_deciles")
    segments = ev.get("error_segments") or {}
    if not deciles and not segments:
        return
    st.subheader("Where the errors are")
    if segments:
        st.markdown(str(segments.get("summary") or ""))
    left, right = st.columns(2)
    if deciles:
        left.plotly_chart(action_charts.decile_chart(deciles, target, currency), width="stretch")
        left.caption(
            "The test rows sorted by their estimate and cut into tenths: each bar is the tenth's average actual "
            "value (with its 95% interval), the line its average estimate. Bars that climb with the line mean the "
            "model ranks the rows well."
        )
    if segments.get("segments"):
        right.plotly_chart(action_charts.error_segments_chart(segments["segments"], currency), width="stretch")
        right.caption("Groups of test rows (a category, a quarter of a number's values) and their average miss.")


# ---- is it fair? ---------------------------------------------------------------------------------------------------
def fairness_block(run: Run) -> None:
    """Choose a sensitive column; per group rates (or errors) with intervals, the largest gap, the measures."""
    from modeling.runs.table import fairness_audit

    st.subheader("Is it fair?")
    try:
        test = run.load_test()
        choice = fairness_audit.load_choice(run.path, fairness_audit.settings_columns(run))
    except Exception as exc:
        state.show_error(exc, "reading the test rows for the fairness check")
        return
    options = [NONE, *fairness_audit.candidate_columns(test)]
    start = choice["column"] if choice and choice["column"] in options else NONE
    rid = run.info.run_id
    column = st.selectbox(
        "Sensitive column",
        options,
        index=options.index(start),
        key=f"fairness_column_{rid}",
        help="A column whose groups should be treated alike (gender, an age band, senior citizen). It may be one "
        "the model does not read: it is audited all the same. Your choice is saved with the run.",
    )
    if column == NONE:
        if choice is not None:
            _save_choice(run, None, False)
        st.caption(
            "Choose a column to compare how often each of its groups gets each answer, and how often the model is "
            "wrong for each."
        )
        return
    values = fairness_audit.column_values(test, column)
    numbers = fairness_audit.is_number(values) and values.nunique(dropna=True) > BANDS  # bands of a yes/no: no
    bands = False
    if numbers:
        bands = st.checkbox(
            "Compare four bands of this number (quarters of its values)",
            value=bool(choice and choice["column"] == column and choice["bands"]),
            key=f"fairness_bands_{rid}_{column}",
        )
    if choice is None or choice["column"] != column or choice["bands"] != bands:
        _save_choice(run, column, bands)
    report = _audit(run, column, bands)
    if report.get("error"):
        st.warning(state.md_escape(str(report["error"])))
        return
    fairness_report(run, report)


def _save_choice(run: Run, column: str | None, bands: bool) -> None:
    from modeling.runs.table import fairness_audit

    try:
        fairness_audit.save_choice(run.path, column, bands)
    except Exception as exc:  # a read-only starter: the audit still shows, the choice is not kept
        state.show_error(exc, "saving the sensitive column with the run")


def _audit(run: Run, column: str, bands: bool) -> dict[str, Any]:
    from modeling.runs.table import fairness_audit

    key = ("fairness", run.info.run_id, column, bands, _stamp(run, "decision.json"))
    cached = st.session_state.get("table_fairness")
    if cached is None or cached[0] != key:
        try:
            cached = (key, fairness_audit.audit_run(run, column, bands))
        except Exception as exc:
            state.show_error(exc, "comparing the groups")
            return {"column": column, "error": "The groups could not be compared."}
        st.session_state["table_fairness"] = cached
    return cached[1]


def fairness_report(run: Run, report: dict[str, Any]) -> None:
    """The gap in words, the per-group chart and table, and the standard measures."""
    st.markdown(str(report.get("summary") or ""))
    groups = report.get("groups") or []
    numbers = bool(groups) and "mean_error" in groups[0]
    currency = str(report.get("currency") or "")
    metric = None
    if not numbers:
        metric = st.radio(
            "Rate to compare",
            list(_RATE_CHOICES),
            format_func=lambda m: _RATE_CHOICES[m],
            horizontal=True,
            key=f"fairness_rate_{run.info.run_id}",
        )
    st.plotly_chart(action_charts.fairness_chart(report, metric), width="stretch")
    column = str(report.get("column") or "group")
    if numbers:
        rows = [
            {
                column: g["group"],
                "rows": g["n"],
                "average error (estimate - actual)": amount(g["mean_error"]["value"], currency),
                "95% interval": _band(g["mean_error"], currency),
                "average miss": amount(g["mae"], currency),
            }
            for g in groups
        ]
    else:
        rows = [
            {
                column: g["group"],
                "rows": g["n"],
                **{_RATE_CHOICES[m]: _band(g[m]) for m in _RATE_CHOICES},
            }
            for g in groups
        ]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    if not numbers:
        st.caption(
            f"Demographic parity difference **{float(report['demographic_parity_difference']):.2f}** (the largest gap "
            f"in how often groups get '{fmt.md_name(report.get('positive', ''))}'), equalised odds difference "
            f"**{float(report['equalized_odds_difference']):.2f}** (the largest gap in errors); 0 means the groups "
            f"are treated alike. Computed with {report.get('method', 'fairlearn')} on the test rows, under the "
            "saved decision rule; each rate with its 95% interval."
        )


def _band(entry: dict[str, Any] | None, currency: str | None = None) -> str:
    """'21% (17%–27%)' for a rate, '-4,729 (-13,422 to 3,965)' for a mean error."""
    if not entry or entry.get("value") is None:
        return "—"
    if currency is None:
        text = fmt.percent(entry["value"], 0)
        if entry.get("low") is not None:
            text += f" ({fmt.percent(entry['low'], 0)}–{fmt.percent(entry['high'], 0)})"
        return text
    if entry.get("low") is None:
        return amount(entry["value"], currency)
    return f"{amount(entry['low'], currency)} to {amount(entry['high'], currency)}"
