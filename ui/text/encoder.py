"""The pretrained encoder's notes on the Model page: what it reads of each text, and how long that takes here.

Drawn under the settings of a template that reads ``encoder_mode`` (frozen or fine-tuned): a warning when the
texts are not English, how many word pieces of each text are read (windows of the encoder's length), and the
time it will take on this machine, from the encoder's measured reading speed and the texts' length.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import streamlit as st

from modeling.format import seconds as format_seconds
from modeling.templates import minilm
from modeling.templates.minilm import estimate_tokens, measure_throughput
from ui import state


@st.cache_resource(show_spinner="Timing the pretrained encoder on this machine (a few seconds, once)…")
def throughput() -> Any:
    """The encoder's reading speed here, measured once per process."""
    return measure_throughput()


@st.cache_data(show_spinner=False, max_entries=16)
def _tokens_per_text(_ds: Any, ds_key: str, windows: int) -> float:
    return estimate_tokens(list(_ds.texts[:300]), windows)


def encoder_notes(ds: Any, values: dict[str, Any]) -> None:
    """The language warning, what each text is read up to, and the time estimate for the chosen ``values``."""
    note = minilm.language_note(ds.texts[:2000])
    if note:
        st.warning(note)
    chosen = SimpleNamespace(  # what the estimate needs, from the settings drawn above
        encoder_mode=values["encoder_mode"],
        sequence_length=int(values["sequence_length"]),
        epochs=int(values["epochs"]),
        validation_share=float(values["validation_share"]),
    )
    windows = minilm.windows_for(chosen)
    pieces = windows * minilm.PIECES_PER_WINDOW
    st.caption(
        f"Reads the first {pieces} word pieces of each text (about {int(pieces * 0.75)} English words), in "
        f"{windows} window(s) of {minilm.WINDOW} tokens, and averages them; the rest of a longer text is "
        "ignored. Change it with *Words read per text*."
    )
    try:
        speed = throughput()
        tokens = _tokens_per_text(ds, ds.fingerprint(), windows)
        test_share = float(st.session_state.get("setting_test_share", 0.2))
        seconds = minilm.estimate_seconds(len(ds), tokens, chosen, speed, test_share)
        fine_tune = chosen.encoder_mode == "fine_tune"
        what = f"{chosen.epochs} epoch(s) of fine-tuning" if fine_tune else "reading every text once"
        line = (
            f"Estimated time on {speed.device}: **about {format_seconds(seconds)}** for {what} "
            f"({len(ds):,} texts, ~{tokens:.0f} tokens each, {speed.read_tokens_per_s:,.0f} tokens/s read here)."
        )
        if fine_tune and seconds > 600 and "GPU" not in speed.device:
            st.warning(line + " Fine-tuning on a CPU is slow: try 2-3 epochs, or the frozen mode.")
        else:
            st.caption(line)
    except Exception as exc:
        state.show_error(exc, "estimating the encoder's time")
