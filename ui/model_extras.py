"""Model page extras: the template picker (with Automatic for text), the pretrained encoder's availability
and settings, and "Find the best model".

Kept out of ``pages/model.py`` so that page stays a thin list of widgets; each function draws one block.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import streamlit as st

from modeling.format import seconds as format_seconds
from modeling.reporting.tracked import after_save
from modeling.templates import minilm, registry
from modeling.templates.automatic import AutomaticChoice, choose_text_template
from modeling.templates.minilm import estimate_tokens, measure_throughput
from modeling.training.jobs import JOBS
from ui import state, team_view

#: The template whose own settings block (encoder mode, length read, time estimate) this module draws.
PRETRAINED = "minilm"


@st.cache_data(ttl=300, show_spinner=False)
def template_status(template: str) -> tuple[bool, str]:
    """(available, reason) from the template's spec, re-checked every few minutes (installing makes it appear)."""
    return registry.spec(template).availability()


def encoder_status() -> tuple[bool, str]:
    """The pretrained encoder's (available, reason)."""
    return template_status(PRETRAINED)


encoder_status.clear = template_status.clear  # type: ignore[attr-defined]  # tests reset the cached check


def available_templates(task: str) -> dict[str, str]:
    """The task's templates that can train here, with their descriptions (the first is the default)."""
    return {item.name: item.description for item in registry.for_task(task) if template_status(item.name)[0]}


def unavailable_note(task: str) -> None:
    """A greyed-out line for each template that cannot be used here, with the reason."""
    for item in registry.for_task(task):
        ok, reason = template_status(item.name)
        if not ok:
            st.caption(f":grey[~~{item.name}~~ — unavailable here: {state.md_escape(reason)}]")


@st.cache_resource(show_spinner="Timing the pretrained encoder on this machine (a few seconds, once)…")
def _throughput():
    return measure_throughput()


# ---- the template picker, with Automatic for text --------------------------------------------------------
#: The picker's first option for text data; it stands for the template Automatic picks (never saved as such).
AUTOMATIC = "automatic"
AUTOMATIC_KEY = "template_automatic"
#: What each template trains in one step says instead of epochs (shown under the picker).


def use_automatic(on: bool) -> None:
    """Whether the picker shows Automatic (a loaded YAML file names its own template: then off)."""
    st.session_state[AUTOMATIC_KEY] = on


@st.cache_data(show_spinner="Looking at your texts to pick a template…", max_entries=16)
def _automatic_choice(_ds: Any, ds_key: str, encoder_ok: bool, encoder_reason: str) -> AutomaticChoice:
    def speed() -> float | None:
        try:
            return _throughput().read_tokens_per_s
        except Exception:  # the estimate is a nicety: without it the rule still picks, without a time
            return None

    return choose_text_template(_ds, encoder=(encoder_ok, encoder_reason), read_tokens_per_s=speed)


def automatic_choice(ds: Any) -> AutomaticChoice:
    """Automatic's template for this text data and why (once per dataset; re-made when the encoder appears)."""
    ok, reason = template_status("minilm_ngrams")
    return _automatic_choice(ds, ds.fingerprint(), ok, reason)


def template_picker(ds: Any, cfg: Any) -> str:
    """The template radio; for text "Automatic" comes first and is preselected. Returns a concrete template.

    Under it: which template Automatic picked and why (the settings below say what a one-step template ignores).
    """
    templates = available_templates(ds.task)
    if cfg.template not in templates:
        st.warning(f"The template '{cfg.template}' cannot be used here; the default template is selected instead.")
        cfg = cfg.model_copy(update={"template": next(iter(templates))})
    choice = automatic_choice(ds) if ds.kind == "text" else None
    options = list(templates)
    automatic_on = False
    if choice is not None and choice.template in templates:
        options = [AUTOMATIC, *options]
        automatic_on = st.session_state.get(AUTOMATIC_KEY, True)
    labels = dict(templates)
    if choice is not None:
        labels[AUTOMATIC] = f"Automatic — picks the template from your data (now: {choice.template}). Recommended."
    picked = st.radio(
        "Template",
        options,
        index=0 if automatic_on else options.index(cfg.template),
        format_func=lambda t: labels[t] if t == AUTOMATIC else f"{t} — {labels[t]}",
    )
    if choice is not None and AUTOMATIC in options:
        use_automatic(picked == AUTOMATIC)
    template = choice.template if picked == AUTOMATIC and choice is not None else picked
    if picked == AUTOMATIC and choice is not None:
        st.info(f"**Automatic picked `{template}`.** {state.md_escape(choice.reason)}", icon=":material/auto_awesome:")
    return template


@st.cache_data(show_spinner=False, max_entries=16)
def _tokens_per_text(_ds: Any, ds_key: str, windows: int) -> float:
    return estimate_tokens(list(_ds.texts[:300]), windows)


def encoder_settings(ds: Any, current: dict[str, Any], fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The pretrained template's own choices (frozen or fine-tune), what it reads, and a time estimate."""

    st.markdown("**Pretrained encoder**")
    mode = st.radio(
        "Encoder mode",
        ["frozen", "fine_tune"],
        index=["frozen", "fine_tune"].index(current.get("encoder_mode", "frozen")),
        format_func={
            "frozen": "Frozen — read each text once, train a small head (seconds to minutes on a CPU)",
            "fine_tune": "Fine-tune — train the encoder too (more accurate on big data; meant for a GPU)",
        }.get,
        help=fields["encoder_mode"]["help"],
        key="setting_encoder_mode",
    )
    note = minilm.language_note(ds.texts[:2000])
    if note:
        st.warning(note)

    chosen = SimpleNamespace(  # what the estimate needs, read from the widgets drawn above
        encoder_mode=mode,
        sequence_length=int(st.session_state.get("setting_sequence_length", current["sequence_length"])),
        epochs=int(st.session_state.get("setting_epochs", current["epochs"])),
        validation_share=float(st.session_state.get("setting_validation_share", current["validation_share"])),
    )
    windows = minilm.windows_for(chosen)
    pieces = windows * minilm.PIECES_PER_WINDOW
    st.caption(
        f"Reads the first {pieces} word pieces of each text (about {int(pieces * 0.75)} English words), in "
        f"{windows} window(s) of {minilm.WINDOW} tokens, and averages them; the rest of a longer text is "
        "ignored. Change it with *Words read per text*."
    )
    try:
        speed = _throughput()
        tokens = _tokens_per_text(ds, ds.fingerprint(), windows)
        test_share = float(st.session_state.get("setting_test_share", 0.2))
        seconds = minilm.estimate_seconds(len(ds), tokens, chosen, speed, test_share)
        what = f"{chosen.epochs} epoch(s) of fine-tuning" if mode == "fine_tune" else "reading every text once"
        line = (
            f"Estimated time on {speed.device}: **about {format_seconds(seconds)}** for {what} "
            f"({len(ds):,} texts, ~{tokens:.0f} tokens each, {speed.read_tokens_per_s:,.0f} tokens/s read here)."
        )
        if mode == "fine_tune" and seconds > 600 and "GPU" not in speed.device:
            st.warning(line + " Fine-tuning on a CPU is slow: try 2-3 epochs, or the frozen mode.")
        else:
            st.caption(line)
    except Exception as exc:
        state.show_error(exc, "estimating the encoder's time")
    return {"encoder_mode": mode}


# ---- Find the best model -----------------------------------------------------------------------------
SEARCH_ID = "automl_search_id"


def find_best_model_section(ds: Any) -> None:
    """Budget slider, background search with live progress, leaderboard, and "Use this model"."""

    st.subheader("Find the best model")
    st.caption(
        "Trains the text templates that suit your data, with their default settings, on the same split, "
        "within the time you allow; then ranks them on the held-out test texts next to the keyword baseline "
        "(TF-IDF + logistic regression). Templates that would not fit in the time left are skipped."
    )
    team_view.reattach_remote_work()  # once per server process: searches a restart left on the Ray cluster
    owner = state.session_owner()
    # After a refresh or a server restart (a search followed again on the Ray cluster): the newest one on this data.
    search = JOBS.get_search(st.session_state.get(SEARCH_ID), owner) or JOBS.latest_search(owner, ds.name)
    running = search is not None and not search.done
    on_cluster = team_view.training_place(key="search_place", label="Where to search")
    left, right = st.columns([3, 1])
    budget = left.slider(
        "Time budget (seconds)",
        30,
        900,
        120,
        step=30,
        help="The search stops starting new templates when the budget is spent and stops the running one.",
        key="automl_budget",
        disabled=running,
    )
    if right.button("Find the best model", type="primary", key="automl_start", disabled=running):
        store = state.run_store()
        try:
            search = JOBS.start_search(
                ds, float(budget), store=store, owner=owner, remote=on_cluster, after_save=after_save(store)
            )
        except Exception as exc:  # e.g. the server is near its memory limit
            state.show_error(exc, "starting the search")
            return
        st.session_state[SEARCH_ID] = search.search_id
        running = True
    if search is None:
        return
    if running:
        _live_search(search.search_id)
    else:
        _draw_search(search)


@st.fragment(run_every=1.0)
def _live_search(search_id: str) -> None:
    search = JOBS.get_search(search_id, state.session_owner())
    if search is None:
        return
    if search.done:
        st.rerun(scope="app")
    _draw_search(search)


def _draw_search(search: Any) -> None:
    import pandas as pd

    snap = search.snapshot()
    if not search.done:
        elapsed = snap.get("elapsed_s") or 0.0
        st.progress(
            float(snap.get("fraction") or 0.0),
            text=f"{state.md_escape(snap.get('phase') or 'Working')} · {format_seconds(elapsed)} of "
            f"{format_seconds(search.budget_s)}",
        )
        if search.remote:
            st.caption("Searching on the Ray cluster; the budget counts from when the cluster starts the search.")
        if snap.get("leaderboard"):
            st.caption("Finished so far, best first:")
            st.dataframe(pd.DataFrame(snap["leaderboard"]), hide_index=True)
        if st.button("Stop the search", key=f"automl_stop_{search.search_id}"):
            search.stop()
            st.toast("Stopping after the current batch…")
        return
    if snap["state"] == "failed":
        st.error(state.md_escape(snap.get("error") or "The search failed."))
        return
    board = search.board
    if board is None:
        st.info(state.md_escape(snap.get("error") or "The search was stopped before it started."))
        return
    for note in board.notes:
        st.warning(state.md_escape(note))
    base = f"{board.baseline_accuracy:.1%}" if board.baseline_accuracy is not None else "n/a"
    st.markdown(
        f"Same split for every template: {board.split['train']:,} training, {board.split['validation']:,} "
        f"validation and {board.split['test']:,} test texts. Keyword baseline accuracy: **{base}**. "
        f"Search time: {format_seconds(board.elapsed_s)}."
    )
    st.dataframe(
        pd.DataFrame(board.table()),
        hide_index=True,
        column_config={
            "accuracy": st.column_config.NumberColumn(format="percent"),
            "F1 (macro)": st.column_config.NumberColumn(format="%.3f"),
        },
    )
    usable = [r.template for r in board.ranked if r.usable]
    if not usable:
        return
    choice = st.radio(
        "Model to keep (the best is preselected)",
        usable,
        index=0,
        horizontal=True,
        key=f"automl_choice_{search.search_id}",
    )
    saved = search.adopted.get(choice)
    if saved:
        st.success(f"Saved as run `{saved}` and selected.")  # run ids are [A-Za-z0-9_.-] only
        st.page_link("pages/evaluate.py", label="See how good it is →", icon=":material/fact_check:")
        return
    if st.button("Use this model", type="primary", key=f"automl_use_{search.search_id}"):
        try:  # kept as a normal run, and tracked in MLflow (with its report) when that is on
            run_id = JOBS.keep(search, state.run_store(), owner=state.session_owner(), template=choice)
        except Exception as exc:
            state.show_error(exc, "saving the chosen model")
            return
        state.set_run_id(run_id)
        st.rerun(scope="app")
