"""The test rows behind a table run's mistakes (classification) or largest misses (regression), with their values.

The evaluation saves each mistake's or miss's position in the test split (``index``); the run's saved test
split (``run.load_test()``) holds those rows' feature values, so a person sees *which* customers or houses
the model got wrong and can look for a pattern (all on one contract type, all huge houses). Cells are shown
in a dataframe (plain text, never Markdown).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from modeling.runs.store import Run
from ui import state


def _test_frame(run: Run) -> pd.DataFrame | None:
    try:
        test = run.load_test()
    except Exception as exc:
        state.show_error(exc, "loading the test split")
        return None
    return getattr(test, "frame", None)


def _rows(frame: pd.DataFrame, indices: list[int], taken: pd.Index) -> pd.DataFrame:
    """The rows at ``indices``; a column named like one of ``taken`` (the answers) gets ' (column)' added."""
    valid = [i for i in indices if 0 <= i < len(frame)]
    rows = frame.iloc[valid].reset_index(drop=True)
    return rows.rename(columns={c: f"{c} (column)" for c in rows.columns if c in set(taken)})


def mistakes_table(run: Run, wrong: list[dict[str, Any]]) -> None:
    """Classification: the most confident mistakes, each with the row's values."""
    frame = _test_frame(run)
    if frame is None:
        return
    shown = [w for w in wrong if 0 <= int(w["index"]) < len(frame)]
    table = pd.DataFrame(
        {
            "true answer": [w["true"] for w in shown],
            "model said": [w["predicted"] for w in shown],
            "confidence": [w["confidence"] for w in shown],
        }
    )
    table = pd.concat([table, _rows(frame, [int(w["index"]) for w in shown], table.columns)], axis=1)
    st.dataframe(
        table,
        hide_index=True,
        column_config={"confidence": st.column_config.NumberColumn(format="percent")},
    )
    st.caption(
        "Each row is a test row the model got wrong, most confident first, with the values it read. Look for what "
        "they share: a category, a range of a number, blanks."
    )


def misses_table(run: Run, misses: list[dict[str, Any]], target: str, currency: str = "") -> None:
    """Regression: the largest misses, each with the actual and estimated value and the row's values."""
    frame = _test_frame(run)
    if frame is None or not misses:
        st.caption("No misses were saved for this run.")
        return
    shown = [m for m in misses if 0 <= int(m["index"]) < len(frame)]
    unit = f" ({currency})" if currency else ""
    table = pd.DataFrame(
        {
            f"actual {target}{unit}": [m["actual"] for m in shown],
            f"estimate{unit}": [m["predicted"] for m in shown],
            f"miss (estimate - actual){unit}": [m["error"] for m in shown],
        }
    )
    table = pd.concat([table, _rows(frame, [int(m["index"]) for m in shown], table.columns)], axis=1)
    st.dataframe(table, hide_index=True)
    st.caption(
        f"The {len(shown)} test rows with the largest misses, largest first, with the values the model read. A few "
        "huge misses often point to unusual rows (a very large house, a data-entry error) rather than a bad model."
    )
