"""'Find the best model' for tables: a time-budgeted search in the background, its leaderboard, and keeping it.

``JOBS.start_search`` runs :func:`modeling.training.table_search.find_best_table_model` for a table
dataset: tree settings, the linear model, a forest and the network on one split, then a blend weighted on
the validation rows. The page polls it once a second; the finished leaderboard ranks every candidate by
the task's validation metric (RMSE for numbers, log loss for classes), shows the blend's test figures,
and "Use this model" keeps the blend as an ordinary run (``JOBS.keep``: ``table_search.adopt_table``, then MLflow
tracking when it is on). With a Ray cluster configured the search may run there (``remote_search``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.data.dataset import Dataset
from modeling.reporting.regression_summary import amount
from modeling.reporting.tracked import after_save
from modeling.training.jobs import JOBS
from ui import state, table_overview, team_view

SEARCH_ID = "table_search_id"


def find_best_section(ds: Dataset) -> None:
    """Budget slider, start button, live progress, then the leaderboard and "Use this model"."""
    st.subheader("Find the best model")
    st.caption(
        "Tries several tree settings, the linear model, a random forest and the neural network on the same split "
        "within the time you allow, ranks them on the validation rows, and blends the best (as AutoGluon does). "
        "The test rows are never used to choose: they give the blend's honest score."
    )
    team_view.reattach_remote_work()  # once per server process: searches a restart left on the Ray cluster
    owner = state.session_owner()
    # After a refresh or a server restart (a search followed again on the Ray cluster): the newest one on this data.
    search = JOBS.get_search(st.session_state.get(SEARCH_ID), owner) or JOBS.latest_search(owner, ds.name)
    running = search is not None and not search.done
    on_cluster = team_view.training_place(key="table_search_place", label="Where to search")
    left, right = st.columns([3, 1])
    budget = left.slider(
        "Time budget (seconds)",
        20,
        900,
        120,
        step=10,
        help="The search starts no new candidate once the budget is spent; the blend is made from what finished.",
        key="table_search_budget",
        disabled=running,
    )
    if right.button("Find the best model", type="primary", key="table_search_start", disabled=running):
        store = state.run_store()
        try:
            search = JOBS.start_search(
                ds, float(budget), store=store, owner=owner, remote=on_cluster, after_save=after_save(store)
            )
        except Exception as exc:
            state.show_error(exc, "starting the search")
            return
        st.session_state[SEARCH_ID] = search.search_id
        running = True
    if search is None:
        return
    if running:
        _live(search.search_id, ds.is_regression, table_overview.target_currency(ds))
    else:
        draw_search(search, ds.is_regression, table_overview.target_currency(ds))


@st.fragment(run_every=1.0)
def _live(search_id: str, regression: bool, currency: str) -> None:
    search = JOBS.get_search(search_id, state.session_owner())
    if search is None:
        return
    if search.done:
        st.rerun(scope="app")
    draw_search(search, regression, currency)


def draw_search(search: Any, regression: bool, currency: str = "") -> None:
    """Progress while it runs; afterwards the notes, the leaderboard, the blend's test figures and the keep button."""
    snap = search.snapshot()
    if not search.done:
        elapsed = snap.get("elapsed_s") or 0.0
        st.progress(
            float(snap.get("fraction") or 0.0),
            text=f"{state.md_escape(snap.get('phase') or 'Working')} · {fmt.seconds(elapsed)} of "
            f"{fmt.seconds(search.budget_s)}",
        )
        if search.remote:
            st.caption("Searching on the Ray cluster; the budget counts from when the cluster starts the search.")
        if snap.get("leaderboard"):
            st.caption("Trained so far, best first:")
            st.dataframe(pd.DataFrame(snap["leaderboard"]), hide_index=True, width="stretch")
        if st.button("Stop the search", key=f"table_search_stop_{search.search_id}"):
            search.stop()
            st.toast("Stopping after the current candidate…")
        return
    if snap["state"] == "failed":
        st.error(state.md_escape(snap.get("error") or "The search failed."))
        return
    board = search.board
    if board is None or not board.rows:
        st.info(state.md_escape(snap.get("error") or "The search was stopped before any model finished."))
        return
    for note in board.notes:
        st.info(state.md_escape(note))
    st.markdown(
        f"**{fmt.plural(len(board.rows), 'model')} ranked** on the validation rows in {fmt.seconds(board.elapsed_s)} "
        f"(budget {fmt.seconds(board.budget_s)}). Lower is better."
    )
    st.dataframe(pd.DataFrame(board.table()), hide_index=True, width="stretch")
    st.markdown(test_line(board.test_figures, regression, currency))
    saved = search.adopted.get("blend")
    if saved:
        st.success(f"Saved as run `{saved}` and selected.")  # run ids are [A-Za-z0-9_.-] only
        st.page_link("pages/evaluate.py", label="See how good it is →", icon=":material/fact_check:")
        return
    if st.button("Use this model", type="primary", key=f"table_search_use_{search.search_id}"):
        try:  # kept as a normal run, and tracked in MLflow (with its report) when that is on
            run_id = JOBS.keep(search, state.run_store(), owner=state.session_owner())
        except Exception as exc:
            state.show_error(exc, "saving the chosen model")
            return
        state.set_run_id(run_id)
        st.rerun(scope="app")


def test_line(figures: dict[str, Any], regression: bool, currency: str = "") -> str:
    """The blend's score on the test rows, in one sentence."""
    if not figures:
        return "The blend's test score was not saved."
    n = int(figures.get("n") or 0)
    currency = fmt.md_name(currency) if currency else ""
    if regression:
        r2 = figures.get("r2")
        return (
            f"**The blend on the {fmt.count(n)} test rows:** typical miss (RMSE) "
            f"{amount(figures.get('rmse'), currency)}, average miss (MAE) {amount(figures.get('mae'), currency)}"
            + (f", R² {float(r2):.3f}." if r2 is not None else ".")
        )
    auc = (figures.get("roc") or {}).get("auc")
    return (
        f"**The blend on the {fmt.count(n)} test rows:** right {fmt.percent(figures.get('accuracy'))} of the time"
        + (f", ROC AUC {float(auc):.3f}." if auc is not None else ".")
    )
