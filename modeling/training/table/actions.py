"""What a table run saves for acting on its scores, beside its evaluation (issue 21).

Added to ``evaluation.json`` (see :mod:`modeling.evaluation.schema`):

* two classes: ``gains`` — who to contact first: the cumulative gains curve, lift per tenth of the ranked
  list, the top tenth's lift with its bootstrap interval and the sentence;
* numbers: ``prediction_deciles`` (mean predicted vs mean actual per tenth of the estimates) and
  ``error_segments`` (the groups of rows whose estimates run clearly high or low, with the sentence);
* both: ``explained_rows`` — the first rows of the ranked test list with their IDs and reasons (the report
  shows them); every test row's ``reason_1..3`` go to ``test_reasons.npz`` for the ranked download;
* ``fairness`` — one audit per column the settings name in ``data.sensitive_columns``.

Reasons use the same method as every scored file (:mod:`modeling.runs.table.reasons`). A failure in any of
these is logged and leaves its key out: it never costs the trained model.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
import pandas as pd

from modeling.data.dataset import Dataset
from modeling.data.tabular.prepare import value_kind
from modeling.evaluation import fairness, gains
from modeling.evaluation.calibration import apply_temperature
from modeling.evaluation.decisions import positive_index
from modeling.runs.table import fairness_audit, ranked
from modeling.runs.table import reasons as table_reasons
from modeling.templates.tabular.model import TableModel

log = logging.getLogger(__name__)

#: Ranked test rows kept in ``evaluation.json`` (with their reasons) for the report.
TOP_ROWS = 10
#: Test rows explained at most (the highest ranked); the rest keep blank reasons in the download.
MAX_EXPLAINED = 10_000
#: Identifier columns shown beside a ranked row (the first columns left out of the model).
ID_COLUMNS = 2


def answers_of(report: dict[str, Any], raw_test: np.ndarray, classes: bool) -> np.ndarray:
    """The test answers as the predictor gives them: calibrated probabilities, or the values."""
    if not classes:
        return np.asarray(raw_test, dtype=np.float64)
    return apply_temperature(raw_test, float((report.get("calibration") or {}).get("temperature") or 1.0))


def add_actions(
    report: dict[str, Any], config: Any, model: TableModel, test: Dataset, raw_test: np.ndarray, cancel: threading.Event
) -> pd.DataFrame | None:
    """Add the keys of the module docstring to ``report``; return every test row's reasons (or ``None``)."""
    names = list(test.class_names)
    answers = answers_of(report, raw_test, bool(names))
    currency = str((report.get("target") or {}).get("currency") or "")
    seed = int(config.settings.seed)
    _guarded(report, "gains", lambda: gains_entry(test, answers, seed) if len(names) == 2 else None)
    if not names:
        _guarded(report, "prediction_deciles", lambda: gains.prediction_deciles(test.labels, answers))
        _guarded(report, "error_segments", lambda: error_segments_entry(test, answers, currency))
    explained = None
    if not cancel.is_set():
        try:
            explained = explain_test_rows(model, test, answers, report, currency)
        except Exception:
            log.exception("Could not explain the test rows")
    _guarded(report, "explained_rows", lambda: explained_rows_entry(test, answers, explained, seed))
    columns = list(getattr(config.data, "sensitive_columns", []) or [])
    if columns:
        _guarded(report, "fairness", lambda: [audit_column(test, c, answers, currency) for c in columns])
    return explained


def _guarded(report: dict[str, Any], key: str, make: Any) -> None:
    try:
        value = make()
    except Exception:
        log.exception("Could not compute %s", key)
        return
    if value is not None:
        report[key] = value


def gains_entry(test: Dataset, answers: np.ndarray, seed: int) -> dict[str, Any]:
    """Gains and lift for the class to find (the second class), with the sentence; a sentence alone when the
    test rows hold none of that class."""
    names = list(test.class_names)
    positive = positive_index(names, None)
    y = (np.asarray(test.labels) == positive).astype(np.int64)
    try:
        result = gains.gains(y, answers[:, positive], seed=seed)
    except Exception as exc:  # DataError: no positive row in the test split
        return {"positive": names[positive], "summary": str(exc)}
    result["positive"] = names[positive]
    result["summary"] = gains.describe_gains(result, f"'{names[positive]}'")
    return result


def segment_frame(test: Dataset) -> pd.DataFrame:
    """The columns the model read, to cut into segments: numbers as numbers, yes/no as written, dates left out."""
    frame, preparation = test.frame, test.preparation
    if preparation is None:
        return frame
    kinds = {info.name: value_kind(info) for info in preparation.columns if info.name in frame.columns}
    yes_no = [name for name, kind in kinds.items() if kind == "boolean"]
    written = preparation.as_written(frame[yes_no])
    data = {name: (written[name] if name in yes_no else frame[name]) for name, kind in kinds.items()}
    return pd.DataFrame(data, index=frame.index)


def error_segments_entry(test: Dataset, answers: np.ndarray, currency: str) -> dict[str, Any]:
    segments = gains.error_segments(segment_frame(test), test.labels, answers)
    return {"segments": segments, "summary": gains.describe_error_segments(segments, currency)}


def explain_test_rows(
    model: TableModel, test: Dataset, answers: np.ndarray, report: dict[str, Any], currency: str
) -> pd.DataFrame:
    """``reason_1..3`` of every test row (the ``MAX_EXPLAINED`` highest ranked; blank for the rest)."""
    names = list(test.class_names)
    temperature = float((report.get("calibration") or {}).get("temperature") or 1.0)

    def predict(frame: pd.DataFrame) -> np.ndarray:
        with table_reasons.few_threads(len(frame)):
            out = model.predict(frame)
        return apply_temperature(out, temperature) if names else out

    scores, _ = ranked.score_of(answers, names, None)
    order = np.sort(gains.ranking(scores)[:MAX_EXPLAINED])
    chosen = np.asarray(answers)[order].argmax(axis=1) if names else None
    typical = table_reasons.typical_features(test.preparation, model.encoder)
    target = test.target_column or "target"
    texts = table_reasons.reason_frame(
        predict,
        test.frame.iloc[order].reset_index(drop=True),
        typical,
        test.preparation,
        chosen,
        names,
        None if names else f"the predicted {target}",
        currency,
    )
    out = pd.DataFrame({c: pd.Series([""] * len(test), dtype="str") for c in texts.columns})
    for c in texts.columns:
        out.loc[order, c] = texts[c].to_numpy()
    return out


def explained_rows_entry(
    test: Dataset, answers: np.ndarray, explained: pd.DataFrame | None, seed: int
) -> dict[str, Any]:
    """The first ranked test rows with their IDs, score, true answer and reasons (for the report)."""
    table = ranked.ranked_rows(test, answers, explained, seed=seed)
    ids = [str(c) for c in test.left_out.columns[:ID_COLUMNS]] if test.left_out is not None else []
    return {"score": str(table.columns[2]), "rows": ranked.top_rows(table, TOP_ROWS, ids)}


def audit_column(test: Dataset, column: str, answers: np.ndarray, currency: str) -> dict[str, Any]:
    """One sensitive column's audit; a number with more values than groups are compared in is banded."""
    try:
        values = fairness_audit.column_values(test, column)
        bands = fairness_audit.is_number(values) and values.nunique(dropna=True) > fairness.MAX_GROUPS
    except Exception:
        bands = False
    return fairness_audit.try_audit(test, column, answers, currency=currency, bands=bands)
