"""``python -m modeling explain``: what would change one row's answer, as lines for a terminal.

The command reads a file holding the row (the first, or ``--row N``), the columns the person could change
(``--change contract,monthly_charges``) and optionally a target (``--target 0.3`` or ``30%``: a chance of the
class to find; ``--target 250000``: a value), and asks the run's predictor for the smallest changes that
flip its answer or reach the target. Only predictors that can search changes (table runs:
:meth:`~modeling.runs.table.predictor.TablePredictor.what_would_change`) answer; others get a sentence.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from modeling import format as fmt
from modeling.errors import ModelDeckError


def target_value(text: str | None) -> float | None:
    """``--target`` as a number: '0.3' or '30%' (a chance), '250000' or '250,000' (a value)."""
    if text is None:
        return None
    raw = str(text).strip().replace(",", "")
    try:
        return float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ModelDeckError(f"--target {text}: not a number; use for example 0.3, 30% or 250000.") from None


def explain_row(
    predictor: Any, table: pd.DataFrame, change: str | None, target: str | None, class_name: str | None, row: int = 1
) -> tuple[list[str], list[str]]:
    """(the lines to print, the notes for stderr) for row ``row`` (from 1) of ``table``."""
    search = getattr(predictor, "what_would_change", None)
    if search is None:
        raise ModelDeckError(
            "explain searches changes of a table row's columns; this run's model does not read tables."
        )
    if not 1 <= row <= len(table):
        raise ModelDeckError(
            f"--row {row}: the file has {fmt.plural(len(table), 'row')}; give a row from 1 to {len(table)}."
        )
    notes = (
        [f"the file has {len(table):,} rows; explaining row {row} (choose another with --row)."]
        if len(table) > 1
        else []
    )
    values = {str(k): (None if pd.isna(v) else v) for k, v in table.iloc[row - 1].items()}
    changeable = [c.strip() for c in (change or "").split(",") if c.strip()]
    found = search(values, changeable, target=target_value(target), class_name=class_name)
    lines = [found.now, f"Goal: {found.goal}.", found.sentence]
    if found.routes:
        lines += ["", "\t".join(found.routes[0])]
        for route in found.routes:
            lines.append("\t".join("yes" if v is True else "no" if v is False else str(v) for v in route.values()))
    return lines, notes
