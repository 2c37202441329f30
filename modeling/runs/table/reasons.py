"""Why a table model answered as it did, in the predictor's terms: :mod:`modeling.evaluation.reasons` applied.

One method for every table template and blend: a column's push on a row's answer is how much the answer
moves when that input column alone (a date with all its parts) is set back to its typical value. The what-if
form shows every column's push for one row; a scored file gets each row's three largest as ``reason_1..3``
sentences ("tenure = 2 (typical 29) raises the chance of 'Yes' by 18 points"). Both speak of the columns the
person uploaded, never of the features a date was expanded into.

Tree models answer many small batches far faster with one OpenMP thread (thread start-up dwarfs the work on a
busy machine), so the predictor answers small calls under :func:`few_threads`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from modeling.data.tabular.prepare import TablePreparation
from modeling.evaluation import reasons
from modeling.evaluation.reasons import Reason

Predict = Callable[[pd.DataFrame], np.ndarray]
#: Batches smaller than this run with one thread (see the module docstring).
SMALL_BATCH = 2000
_CONTROLLER: list[Any] = []


@contextlib.contextmanager
def few_threads(rows: int = 0) -> Iterator[None]:
    """One OpenMP / BLAS thread while answering ``rows`` rows, when that is a small batch; else as configured."""
    if rows >= SMALL_BATCH:
        yield
        return
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())  # scans the loaded native libraries once per process
    with _CONTROLLER[0].limit(limits=1):
        yield


def typical_features(preparation: TablePreparation | None, encoder: Any) -> dict[str, Any]:
    """The typical row in feature terms: the preparation's typical raw row read as training read it (a median
    date's own year, month, ...), or the encoder's medians and most common categories for an older bundle."""
    if preparation is not None:
        return reasons.typical_features(preparation)
    return encoder.typical_row()


def row_contributions(
    predict: Predict,
    frame: pd.DataFrame,
    typical: dict[str, Any],
    preparation: TablePreparation | None,
    chosen: int | None,
) -> list[Reason]:
    """Every input column's push on the one row of ``frame`` (largest first; ``chosen``: the class explained)."""
    result = reasons.contributions(predict, frame, typical, reasons.input_columns(frame, preparation), classes=chosen)
    typical_texts = [reasons.value_text(c, result.typical) for c in result.columns]
    cells = {f: result.frame[f].iloc[0] for c in result.columns for f in c.features}
    items = [
        Reason(c.name, reasons.value_text(c, {f: cells[f] for f in c.features}), typical_texts[j], result.change[0, j])
        for j, c in enumerate(result.columns)
    ]
    items.sort(key=lambda item: -abs(item.change))
    return items


def reason_frame(
    predict: Predict,
    frame: pd.DataFrame,
    typical: dict[str, Any],
    preparation: TablePreparation | None,
    chosen: np.ndarray | None,
    class_names: Sequence[str] | None = None,
    outcome: str | None = None,
    currency: str = "",
) -> pd.DataFrame:
    """``reason_1..3`` for every row of the feature ``frame`` (blank where fewer reasons matter).

    ``chosen`` is the class each row's probability is explained for (the class the decision rule gave it), or
    ``None`` when the model answers a number; ``outcome`` names a number ("the predicted price").
    """
    if len(frame) == 0:
        return pd.DataFrame({f"reason_{k + 1}": pd.Series([], dtype="str") for k in range(reasons.TOP)})
    result = reasons.contributions(predict, frame, typical, reasons.input_columns(frame, preparation), classes=chosen)
    return reasons.reason_columns(result, class_names=class_names, outcome=outcome, currency=currency)


def describe(item: Reason, outcome: str, regression: bool, currency: str = "") -> str:
    """One contribution in words (plain text; escape it before Markdown): see :func:`reasons.describe_reason`."""
    return reasons.describe_reason(item, outcome, regression, currency)
