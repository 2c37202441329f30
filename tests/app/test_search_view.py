"""The one "Find the best model" view over the Leaderboard protocol, drawn from a fake search (nothing trains).

Texts offer a choice of templates (a radio), tables keep their one blend (no radio); both show the notes, the
ranked rows, the kind's own lines above and below them, and the run a kept choice became.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.helpers import plain


def _draw(kind: str, done: bool = True, adopted: dict | None = None, notes: tuple[str, ...] = ()) -> AppTest:
    def script(kind: str, done: bool, adopted: dict | None, notes: tuple) -> None:
        from tests.app.helpers import FakeBoard, FakeSearch
        from ui import search_view
        from ui.kind_view import SearchWording

        board = FakeBoard(("blend",) if kind == "table" else ("minilm_ngrams", "ngram_nb"), notes=notes)
        wording = SearchWording(
            key=f"{kind}_search",
            session_key=f"{kind}_search_id",
            place_key=f"{kind}_place",
            caption="What the search does.",
            budget=(20, 900, 120, 10),
            budget_help="How long it may take.",
            progress_caption="Finished so far:",
            stop_toast="Stopping…",
            stopped_message="Nothing finished.",
            notes_as_warnings=kind == "text",
            column_formats={"accuracy": "percent"},
            pick_label="Model to keep" if kind == "text" else None,
            summary=lambda b: f"**{len(b.table())} ranked** in {b.elapsed_s:.0f} s.",
            result=(lambda b: "The blend on the test rows: fine.") if kind == "table" else (lambda b: ""),
        )
        import streamlit as st

        linked = st.page_link  # a page link needs the router: here it only says where it leads
        st.page_link = lambda page, label, **_: st.caption(f"link to {page}: {label}")
        try:
            search_view.draw_search(FakeSearch(board, done=done, adopted=adopted), wording)
        finally:
            st.page_link = linked

    at = AppTest.from_function(script, args=(kind, done, adopted, notes), default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_texts_choose_among_the_ranked_templates():
    at = _draw("text", notes=("Templates that would not fit in the time left were skipped.",))
    (choice,) = [r for r in at.radio if r.label == "Model to keep"]
    assert choice.options == ["minilm_ngrams", "ngram_nb"] and choice.value == "minilm_ngrams"  # the best first
    assert "**2 ranked** in 12 s." in _markdown(at)
    assert [plain(w.value) for w in at.warning] == ["Templates that would not fit in the time left were skipped."]
    (table,) = [d.value for d in at.dataframe]
    assert table["template"].tolist() == ["minilm_ngrams", "ngram_nb"]
    use = at.button(key="text_search_use_fake1")
    assert use.label == "Use this model" and use.help == "minilm_ngrams: kept as an ordinary run"


def test_a_table_keeps_its_blend_without_a_choice_and_says_its_test_score():
    at = _draw("table", notes=("The network was left out: too few rows.",))
    assert not at.radio  # one blend: nothing to choose
    assert "The blend on the test rows: fine." in _markdown(at)
    assert [plain(i.value) for i in at.info] == ["The network was left out: too few rows."]
    assert at.button(key="table_search_use_fake1").label == "Use this model"


def test_a_kept_choice_names_its_run_instead_of_the_button():
    at = _draw("text", adopted={"minilm_ngrams": "20990101-000000-minilm_ngrams-abcdef"})
    assert "Saved as run `20990101-000000-minilm_ngrams-abcdef` and selected." in [s.value for s in at.success]
    assert "link to pages/evaluate.py: See how good it is →" in [c.value for c in at.caption]
    assert not [b for b in at.button if b.label == "Use this model"]


def test_a_running_search_shows_its_progress_and_can_be_stopped():
    at = _draw("text", done=False)
    assert "Finished so far:" in [c.value for c in at.caption]
    assert at.button(key="text_search_stop_fake1").label == "Stop the search"
    assert not at.radio and not [b for b in at.button if b.label == "Use this model"]
