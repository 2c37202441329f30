"""Draw "why": a text with its words highlighted, and the keyword baseline's telling words per class.

Highlights use Streamlit's own markdown directives (``:green-background[...]``) on escaped words, never
HTML, so a review cannot inject anything into the page.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from modeling.evaluation.explain import explained_pieces, split_words, top_words
from modeling.evaluation.schema import Evaluation
from modeling.runs.store import Run
from ui import run_state, state

#: Words whose removal moves the probability by less than this are left plain (noise, not evidence).
MIN_WEIGHT = 0.01


def highlighted_markdown(pieces: list[tuple[str, dict[str, float] | None]], label: str) -> str:
    """Markdown of the whole text: green for words that pushed towards ``label``, red for words against.

    The strongest words (at least half of the largest weight) are also bold.
    """
    weights = [abs(w.get(label, 0.0)) for _, w in pieces if w]
    strongest = max(weights, default=0.0)
    parts = []
    for text, w in pieces:
        if w is None:
            parts.append(" " if "\n" not in text else "  \n")
            continue
        shown = state.md_escape(text)
        value = w.get(label, 0.0)
        if abs(value) < MIN_WEIGHT or not shown.strip():
            parts.append(shown)
            continue
        if abs(value) >= 0.5 * strongest:
            shown = f"**{shown}**"
        color = "green" if value > 0 else "red"
        parts.append(f":{color}-background[{shown}]")
    return "".join(parts)


def explain_prediction(predictor: Any, text: str, label: str, max_words: int = 60) -> None:
    """The text with highlights towards ``label`` and the words that mattered most, with their effect."""

    with st.spinner("Finding the words that mattered…"):
        pieces = explained_pieces(predictor, text, max_words=max_words)
    words = [(p, w) for p, w in pieces if w is not None]
    if not words:
        st.caption("No words to explain.")
        return
    with st.container(border=True):
        st.markdown(highlighted_markdown(pieces, label))
    note = (
        f"Green words pushed the model towards **{state.md_escape(label)}**, red ones away from it (bold: the "
        "strongest). Each word was removed in turn and the text scored again; the change in probability is "
        "its weight."
    )
    if sum(p.is_word for p in split_words(text)) > max_words:
        note += f" This long text is explained in {len(words)} groups of neighbouring words."
    st.caption(note)
    strongest = [(word, weight) for word, weight in top_words(words, label, k=8) if abs(weight) >= MIN_WEIGHT]
    if strongest:
        import pandas as pd

        table = pd.DataFrame(
            {
                "word": [w for w, _ in strongest],
                f"effect on '{label}' (points)": [round(100 * v, 1) for _, v in strongest],
            }
        )
        st.dataframe(table, hide_index=True)


def telling_words(evaluation: Evaluation, class_names: list[str]) -> None:
    """Per class, the keyword baseline's words that point to it most strongly (saved with the run)."""
    import pandas as pd

    keywords = evaluation.get("keywords") or {}
    if not any(keywords.get(c) for c in class_names):
        st.caption("No telling words were saved with this run (runs trained before this feature have none).")
        return
    st.caption(
        "Words and word pairs the keyword baseline (TF-IDF + logistic regression, trained on the same training "
        "texts) weighs most towards each class: what separates the classes in your data, in plain words."
    )
    columns = st.columns(min(len(class_names), 4))
    for i, name in enumerate(class_names):
        rows = keywords.get(name) or []
        with columns[i % len(columns)]:
            st.markdown(f"**{state.md_escape(name)}**")
            if not rows:
                st.caption("none")
                continue
            st.dataframe(
                pd.DataFrame({"word": [w for w, _ in rows], "weight": [round(float(v), 2) for _, v in rows]}),
                hide_index=True,
            )


def explain_mistake(run: Run, test: Any, wrong: list[dict[str, Any]]) -> None:
    """Pick one misclassified test text and see which words pushed the model to its wrong answer."""

    def describe(i: int) -> str:
        w = wrong[i]
        text = " ".join(str(test.texts[w["index"]]).split())
        short = text if len(text) <= 90 else text[:87] + "…"
        return f"{w['true']} → {w['predicted']} ({w['confidence']:.0%}): {short}"

    chosen = st.selectbox(
        "Misclassified text",
        list(range(len(wrong))),
        index=None,
        placeholder="Choose a text to explain…",
        format_func=describe,
        key=f"explain_mistake_{run.info.run_id}",
    )
    if chosen is None:
        return
    mistake = wrong[chosen]
    try:
        predictor = run_state.predictor(run)
        explain_prediction(predictor, str(test.texts[mistake["index"]]), str(mistake["predicted"]))
    except Exception as exc:
        state.show_error(exc, "explaining the prediction")
        return
    st.caption(
        f"The true label is **{state.md_escape(mistake['true'])}**; green words are the ones that led the model to "
        f"**{state.md_escape(mistake['predicted'])}** instead."
    )
