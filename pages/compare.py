"""Compare runs: two or more runs of one task side by side — settings that differ, figures, curves, export."""

import pandas as pd
import streamlit as st

from ui import kinds, run_state, share, state

state.require_router("pages/compare.py")

st.title("Compare runs")
st.caption(
    "Put runs of the same task side by side to see which settings changed and what that did to the figures. "
    "The comparison exports as a report, like a single run."
)


def visible_runs(task: str | None = None):
    """The runs this session may see (starters included): the one place this page lists runs."""
    return run_state.run_store().list_runs(task=task, usable_only=True, owner=state.session_owner())


def load_runs(run_ids: list[str]):
    store = run_state.run_store()
    return [store.load(run_id, owner=state.session_owner()) for run_id in run_ids]


infos = visible_runs()
tasks = sorted({i.task for i in infos})
if not infos or all(sum(i.task == t for i in infos) < 2 for t in tasks):
    st.info("Comparing needs at least two finished runs of the same task. Train another model first.")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()

comparable = [t for t in tasks if sum(i.task == t for i in infos) >= 2]
active = next((i.task for i in infos if i.run_id == state.run_id()), None)
task = st.radio(
    "Task",
    comparable,
    index=comparable.index(active) if active in comparable else 0,
    format_func=lambda t: t.replace("_", " ").capitalize(),
    horizontal=True,
    key="compare_task",
)
of_task = [i for i in infos if i.task == task]
labels = {i.run_id: i.label for i in of_task}
ids = list(labels)
# Default: the two newest own runs, else the starter and the newest own run.
own = [i.run_id for i in of_task if not i.starter]
default = own[:2] if len(own) >= 2 else (own + [i for i in ids if i not in own])[:2]
chosen = st.multiselect(
    "Runs to compare (two or more)", ids, default=default, format_func=labels.get, key=f"compare_runs_{task}"
)
if len(chosen) < 2:
    st.info("Pick at least two runs.")
    st.stop()

from modeling.errors import ModelDeckError  # noqa: E402
from modeling.reporting import charts  # noqa: E402
from modeling.reporting import comparison as cmp  # noqa: E402

try:
    runs = load_runs(chosen)
    cmp.check_comparable(runs)
except ModelDeckError as exc:
    st.error(state.md_escape(str(exc)))
    st.stop()

run_labels = cmp.short_labels(runs)
figures = [cmp.run_figures(run, label) for run, label in zip(runs, run_labels, strict=True)]
same_split = cmp.same_test_set(runs)

with st.container(border=True):
    st.markdown("#### In plain words")
    sentences = kinds.view_for_task(task).compare_sentences(runs, figures, same_split)  # accuracy, errors, WAPE
    st.markdown(state.md_escape(" ".join(sentences)))
    st.caption(
        " · ".join(
            f"**{state.md_escape(lab)}** = {state.md_escape(run.info.label)}"
            for lab, run in zip(run_labels, runs, strict=True)
        )
    )

st.markdown("#### Figures side by side")
kinds.view_for_task(task).compare_figures(runs, figures)  # accuracy; for numbers, errors in the target's units

st.markdown("#### Training curves")
st.plotly_chart(
    charts.compare_training_curves({lab: run.history for lab, run in zip(run_labels, runs, strict=True)}),
    width="stretch",
)

st.markdown("#### Settings")
all_rows = cmp.settings_rows(runs)
diff_rows = [r for r in all_rows if r.differs]


def settings_frame(rows):
    return pd.DataFrame([[r.field, *r.values] for r in rows], columns=["Setting", *run_labels])


if diff_rows:
    st.caption(f"{len(diff_rows)} setting{'s differ' if len(diff_rows) != 1 else ' differs'} between these runs:")
    st.dataframe(
        settings_frame(diff_rows).style.apply(lambda row: ["background-color: #fff3cd"] * len(row), axis=1),
        hide_index=True,
        width="stretch",
    )
else:
    st.caption("All settings are the same; the runs differ only by chance or by the data they were given.")
with st.expander("All settings (differences highlighted)"):
    differs = [r.differs for r in all_rows]
    st.dataframe(
        settings_frame(all_rows).style.apply(
            lambda row: ["background-color: #fff3cd" if differs[row.name] else ""] * len(row), axis=1
        ),
        hide_index=True,
        width="stretch",
    )

with st.container(border=True):
    share.share_comparison(runs)
