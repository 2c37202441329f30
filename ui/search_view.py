"""'Find the best model' on the Model page, for every kind: a budget, a background search, its leaderboard, and
"Use this model".

``JOBS.start_search`` hands the data to its family's search (texts: several templates as full runs ranked on
the test split; tables: the automatic template's candidates ranked on the validation rows and blended); the
page polls it once a second. Whatever the family, the finished search's ``board`` is a
:class:`~modeling.training.leaderboard.Leaderboard`: its rows, notes, what can be kept (``choices()``) and
``JOBS.keep`` to keep one as an ordinary run (then MLflow tracking, when it is on). The words, the budget
range and the widget keys come from the kind's :class:`~ui.kind_view.SearchWording`. With a Ray cluster
configured the search may run there.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling import format as fmt
from modeling.reporting.tracked import after_save
from modeling.training.jobs import JOBS
from ui import run_state, state, team_view
from ui.kind_view import SearchWording


def find_best_section(ds: Any, wording: SearchWording) -> None:
    """Budget slider, start button, live progress, then the leaderboard and "Use this model"."""
    st.subheader("Find the best model")
    st.caption(wording.caption)
    team_view.reattach_remote_work()  # once per server process: searches a restart left on the Ray cluster
    owner = state.session_owner()
    # After a refresh or a server restart (a search followed again on the Ray cluster): the newest one on this data.
    search = JOBS.get_search(st.session_state.get(wording.session_key), owner) or JOBS.latest_search(owner, ds.name)
    running = search is not None and not search.done
    on_cluster = team_view.training_place(key=wording.place_key, label="Where to search")
    low, high, default, step = wording.budget
    left, right = st.columns([3, 1])
    budget = left.slider(
        "Time budget (seconds)",
        low,
        high,
        default,
        step=step,
        help=wording.budget_help,
        key=f"{wording.key}_budget",
        disabled=running,
    )
    if right.button("Find the best model", type="primary", key=f"{wording.key}_start", disabled=running):
        store = run_state.run_store()
        try:
            search = JOBS.start_search(
                ds, float(budget), store=store, owner=owner, remote=on_cluster, after_save=after_save(store)
            )
        except Exception as exc:  # e.g. the server is near its memory limit
            state.show_error(exc, "starting the search")
            return
        st.session_state[wording.session_key] = search.search_id
        running = True
    if search is None:
        return
    if running:
        _live(search.search_id, wording)
    else:
        draw_search(search, wording)


@st.fragment(run_every=1.0)
def _live(search_id: str, wording: SearchWording) -> None:
    search = JOBS.get_search(search_id, state.session_owner())
    if search is None:
        return
    if search.done:
        st.rerun(scope="app")
    draw_search(search, wording)


def draw_search(search: Any, wording: SearchWording) -> None:
    """Progress while it runs; afterwards the notes, the leaderboard, what it says and the keep button."""
    snap = search.snapshot()
    if not search.done:
        _progress(search, snap, wording)
        return
    if snap["state"] == "failed":
        st.error(state.md_escape(snap.get("error") or "The search failed."))
        return
    board = search.board
    rows = board.table() if board is not None else []
    if board is None or not rows:
        st.info(state.md_escape(snap.get("error") or wording.stopped_message))
        return
    for note in board.notes:
        (st.warning if wording.notes_as_warnings else st.info)(state.md_escape(note))
    summary = wording.summary(board)
    if summary:
        st.markdown(summary)
    column_config = {
        name: st.column_config.NumberColumn(format=shown) for name, shown in wording.column_formats.items()
    }
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config=column_config)
    result = wording.result(board)
    if result:
        st.markdown(result)
    keep_block(search, board, wording)


def _progress(search: Any, snap: dict[str, Any], wording: SearchWording) -> None:
    elapsed = snap.get("elapsed_s") or 0.0
    st.progress(
        float(snap.get("fraction") or 0.0),
        text=f"{state.md_escape(snap.get('phase') or 'Working')} · {fmt.seconds(elapsed)} of "
        f"{fmt.seconds(search.budget_s)}",
    )
    if search.remote:
        st.caption("Searching on the Ray cluster; the budget counts from when the cluster starts the search.")
    if snap.get("leaderboard"):
        st.caption(wording.progress_caption)
        st.dataframe(pd.DataFrame(snap["leaderboard"]), hide_index=True, width="stretch")
    if st.button("Stop the search", key=f"{wording.key}_stop_{search.search_id}"):
        search.stop()
        st.toast(wording.stop_toast)


def keep_block(search: Any, board: Any, wording: SearchWording) -> None:
    """What to keep (a radio when the kind offers a choice), then "Use this model", or the run it became."""
    choices = list(board.choices())
    if not choices:
        return
    choice = choices[0]
    if wording.pick_label is not None:
        choice = st.radio(
            wording.pick_label, choices, index=0, horizontal=True, key=f"{wording.key}_choice_{search.search_id}"
        )
    saved = search.adopted.get(choice)
    if saved:
        st.success(f"Saved as run `{saved}` and selected.")  # run ids are [A-Za-z0-9_.-] only
        st.page_link("pages/evaluate.py", label="See how good it is →", icon=":material/fact_check:")
        return
    if st.button(
        "Use this model",
        type="primary",
        key=f"{wording.key}_use_{search.search_id}",
        help=board.describe_choice(choice),
    ):
        try:  # kept as a normal run, and tracked in MLflow (with its report) when that is on
            run_id = JOBS.keep(search, run_state.run_store(), owner=state.session_owner(), choice=choice)
        except Exception as exc:
            state.show_error(exc, "saving the chosen model")
            return
        state.set_run_id(run_id)
        st.rerun(scope="app")
