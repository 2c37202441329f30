"""A saved table run that answers: one what-if row (with each column's contribution) or a whole uploaded table.

:class:`TablePredictor` is what :func:`modeling.runs.loading.load_predictor` returns for the ``table`` family.
Raw rows first go through the run's saved :class:`~modeling.data.tabular.TablePreparation` (the same
reading of ``$1,200``, ``yes``, dates and categories as in training), then the model. Classification
answers follow the run's saved decision rule and calibration (as for texts and images); number answers
carry the split-conformal 80% and 90% ranges saved with the run. A column's contribution to an answer is
:mod:`modeling.runs.table.reasons` (one method for the what-if form and every scored row); every scored
batch is compared with the training profile saved with the run (:mod:`modeling.runs.table.drift_check`);
what would change one row's answer is :mod:`modeling.runs.table.changes`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from modeling.data.dataset import Dataset
from modeling.data.tabular.prepare import TablePreparation, value_kind
from modeling.errors import DataError
from modeling.evaluation import conformal
from modeling.evaluation.calibration import apply_temperature
from modeling.evaluation.decisions import Decision
from modeling.evaluation.probabilities import check_finite
from modeling.evaluation.reasons import Reason
from modeling.runs.answers import add_class_columns, class_answers
from modeling.runs.decision_rules import load_decision
from modeling.runs.protocol import InputColumn, ScoredBatch
from modeling.runs.table import drift_check, reasons
from modeling.runs.table.bundle import load_table_model
from modeling.runs.table.scoring import evaluate_table
from modeling.templates.tabular.model import TableModel

if TYPE_CHECKING:
    from modeling.runs.table.changes import WhatWouldChange

#: One column's push on one row's answer (input column, its value and the typical one as written, the change).
Contribution = Reason

__all__ = ["BatchReport", "Contribution", "TableAnswer", "TablePredictor", "describe_contribution"]

LEVELS = ("0.8", "0.9")
#: How a column's cells are read (``value_kind``) -> its type in :class:`InputColumn`.
INPUT_TYPES = {"number": "number", "boolean": "yes/no", "category": "category", "datetime": "date"}


@dataclass(frozen=True)
class TableAnswer:
    """One row's answer. A number: ``value`` and ``ranges`` {"0.8": (low, high), ...}; classes: ``label``,
    ``confidence``, ``probabilities``, and whether a person should look (``needs_review``)."""

    value: float | None = None
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    label: str | None = None
    confidence: float | None = None
    probabilities: dict[str, float] = field(default_factory=dict)
    needs_review: bool = False
    reason: str = ""
    contributions: list[Contribution] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class BatchReport:
    """What scoring a table had to handle, for the sentence under the download button."""

    rows: int
    notes: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    blanks: dict[str, int] = field(default_factory=dict)
    unseen: dict[str, int] = field(default_factory=dict)


class TablePredictor:
    """A loaded table model with its preparation, calibration, decision rule and interval widths."""

    def __init__(
        self,
        model: TableModel,
        bundle: dict[str, Any],
        temperature: float = 1.0,
        decision: Decision | None = None,
        target_name: str = "",
        run_path: Path | None = None,
        currency: str = "",
    ) -> None:
        self.model = model
        self.task = model.task
        self.class_names = list(model.class_names)
        self.temperature = float(temperature)
        self.decision = decision if decision is not None else Decision()
        self.target_name = target_name
        self.run_path = run_path
        self.currency = currency
        raw = bundle.get("preparation")
        self.preparation = TablePreparation.from_dict(raw) if isinstance(raw, dict) else None
        interval = bundle.get("interval") or {}
        self.interval_scale = str(interval.get("scale") or "absolute")
        self.half_widths = {k: v for k, v in (interval.get("half_widths") or {}).items() if v is not None}
        #: The training profile the batches are compared with (``None``: a run saved before profiles).
        self.profile = bundle.get("profile") if isinstance(bundle.get("profile"), dict) else None
        #: Permutation importance per input column, from the run's evaluation (weighs the drift summary).
        self.importance: dict[str, float] = {}
        self.typical_features = reasons.typical_features(self.preparation, model.encoder)

    @classmethod
    def from_run(cls, run: Any) -> TablePredictor:
        model, bundle = load_table_model(run.path)
        evaluation = run.evaluation or {}
        decision = load_decision(run.path)
        if not model.predicts_number:
            decision.check_classes(model.class_names)
        predictor = cls(
            model,
            bundle,
            float((evaluation.get("calibration") or {}).get("temperature") or 1.0),
            decision,
            str((run.meta.get("dataset") or {}).get("target_column") or ""),
            run.path,
            str((evaluation.get("target") or {}).get("currency") or ""),
        )
        predictor.importance = drift_check.importance_by_column(evaluation, predictor.preparation)
        return predictor

    def using(self, decision: Decision) -> TablePredictor:
        decision.check_classes(self.class_names)
        other = copy.copy(self)
        other.decision = decision
        return other

    @property
    def predicts_number(self) -> bool:
        return self.model.predicts_number

    @property
    def is_regression(self) -> bool:
        """The older name of :attr:`predicts_number`, kept for callers not yet moved over."""
        return self.model.predicts_number

    @property
    def input_columns(self) -> list[str]:
        """The columns a table to score must have (the raw columns, before dates are expanded)."""
        return list(self.preparation.input_columns) if self.preparation is not None else self.model.encoder.names

    def typical_row(self) -> dict[str, Any]:
        """A typical input row to pre-fill a what-if form."""
        if self.preparation is not None:
            return self.preparation.typical_row()
        return self.model.encoder.typical_row()

    # ---- the protocol ------------------------------------------------------------------------------------------
    def input_schema(self) -> list[InputColumn]:
        """The raw columns with how their cells are read and a typical value each; blanks are handled."""
        typical = self.typical_row()
        if self.preparation is None:  # a bundle saved before preparations: the encoder's columns
            return [
                InputColumn(c.name, "number" if c.is_number else "category", typical.get(c.name), required=False)
                for c in self.model.encoder.columns
            ]
        return [
            InputColumn(info.name, INPUT_TYPES[value_kind(info)], typical.get(info.name), required=False)
            for info in self.preparation.columns
        ]

    def score_frame(self, frame: pd.DataFrame, on_progress: Callable[[float], None] | None = None) -> ScoredBatch:
        """:meth:`score_table` plus each row's three largest reasons (``reason_1..3``) and the drift check."""
        features, report = self.features(frame)
        batch_drift = drift_check.check_batch(self.profile, features, self.preparation, self.importance)
        out, added, chosen = self._answer(frame, features)
        if on_progress:
            on_progress(0.5)
        explained = reasons.reason_frame(
            lambda f: self.predict(f, prepared=True),
            features,
            self.typical_features,
            self.preparation,
            chosen,
            self.class_names,
            self.outcome_words(),
            self.currency,
        )
        for name in explained.columns:
            out[name] = explained[name].to_numpy()
            added.append(str(name))
        if on_progress:
            on_progress(1.0)
        return ScoredBatch(out, list(report.notes), added, batch_drift)

    def outcome_words(self) -> str | None:
        """How a reason names a number answer ("the predicted price"); ``None`` for classes (each row's class)."""
        if not self.predicts_number:
            return None
        return f"the predicted {self.target_name}" if self.target_name else "the estimate"

    def boolean_features(self) -> list[str]:
        """The yes/no columns (read as 1.0 / 0.0)."""
        if self.preparation is None:
            return []
        return [info.name for info in self.preparation.columns if value_kind(info) == "boolean"]

    def saved_test_frame(self) -> pd.DataFrame | None:
        """The run's saved test rows (feature frame), or ``None`` when the run has none."""
        path = self.run_path / "test.npz" if self.run_path is not None else None
        if path is None or not path.is_file():
            return None
        try:
            return Dataset.load_npz(str(path)).frame
        except Exception:  # a damaged or foreign file: no candidates from it
            return None

    def what_would_change(
        self,
        row: dict[str, Any],
        changeable: list[str],
        target: float | None = None,
        class_name: str | None = None,
    ) -> WhatWouldChange:
        """The smallest changes of the ``changeable`` columns of one raw row that flip its answer or reach
        ``target`` (see :mod:`modeling.runs.table.changes`)."""
        from modeling.runs.table.changes import what_would_change

        return what_would_change(self, row, changeable, target, class_name)

    def evaluate_frame(self, frame: pd.DataFrame) -> dict[str, Any]:
        """scikit-learn's metrics on a table holding the run's target column (see :mod:`.scoring`)."""
        return evaluate_table(self, frame, self.target_name, self._target_info())

    def _target_info(self) -> Any:
        """How training read the target's cells (saved with the test split); ``None``: infer it from the file."""
        path = self.run_path / "test.npz" if self.run_path is not None else None
        if path is None or not path.is_file():
            return None
        try:
            columns = Dataset.load_npz(str(path)).columns
        except Exception:  # an older test split without column facts: the file's own cells decide
            return None
        return next((c for c in columns if getattr(c, "name", None) == self.target_name), None)

    # ---- many rows -----------------------------------------------------------------------------------------------
    def features(self, table: pd.DataFrame) -> tuple[pd.DataFrame, BatchReport]:
        """The typed feature frame of a raw table, and what was handled (missing columns raise a DataError)."""
        if self.preparation is None:
            frame = self.model.encoder.aligned(table)
            report = BatchReport(len(table))
            known = set(self.model.encoder.names)
            report.extra_columns = [str(c) for c in table.columns if str(c) not in known]
            report.blanks = self.model.encoder.blank_counts(frame)
            report.unseen = self.model.encoder.unseen_counts(frame)
            if report.extra_columns:
                report.notes.append(
                    f"Columns the model does not use were ignored: {', '.join(report.extra_columns[:8])}."
                )
            return frame, report
        try:
            prepared = self.preparation.prepare(table)
        except DataError as exc:  # missing columns: say which of them the model leans on most
            raise drift_check.missing_columns_error(exc, table, self.input_columns, self.importance) from None
        report = BatchReport(
            len(table), list(prepared.notes), list(prepared.extra_columns), dict(prepared.blanks), dict(prepared.unseen)
        )
        return prepared.frame, report

    def predict(self, table: pd.DataFrame, calibrated: bool = True, prepared: bool = False) -> np.ndarray:
        """Probabilities (N x K, calibrated) or values (N,). ``prepared=True``: ``table`` is already a feature frame."""
        frame = table if prepared else self.features(table)[0]
        with reasons.few_threads(len(frame)):
            out = self.model.predict(frame)
        check_finite(out.reshape(len(out), -1) if len(out) else out, "This model")
        if not self.predicts_number and calibrated and self.temperature != 1.0:
            out = apply_temperature(out, self.temperature)
        return out

    def ranges(self, values: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The saved conformal 80% / 90% ranges around each predicted value."""
        return {level: conformal.bounds(values, float(q), self.interval_scale) for level, q in self.half_widths.items()}

    def answers(self, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Under the decision rule: class index per row, whether a person should look, and why."""
        return class_answers(probs, self.class_names, self.decision)

    def score_table(self, table: pd.DataFrame) -> tuple[pd.DataFrame, BatchReport]:
        """``table`` with prediction columns added (a number: value and range bounds; classes: label,
        confidence, needs_review, probabilities), and the report of what was handled."""
        frame, report = self.features(table)
        return self._answer(table, frame)[0], report

    def _answer(self, table: pd.DataFrame, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str], np.ndarray | None]:
        """``table`` with the answer columns for its feature ``frame``, their names, and the class chosen per row
        (``None`` for a number)."""
        out = table.copy()
        answers = self.predict(frame, prepared=True)
        if not self.predicts_number:
            added = add_class_columns(out, answers, self.class_names, self.decision)
            return out, added, self.answers(answers)[0]
        name = f"predicted_{self.target_name}" if self.target_name else "prediction"
        out[name] = answers
        added = [name]
        for level, (low, high) in self.ranges(answers).items():
            pct = round(float(level) * 100)
            out[f"low_{pct}"] = low
            out[f"high_{pct}"] = high
            added += [f"low_{pct}", f"high_{pct}"]
        return out, added, None

    # ---- one row -------------------------------------------------------------------------------------------------
    def predict_row(self, row: dict[str, Any], contributions: bool = True) -> TableAnswer:
        """The answer for one row (a dict of raw values; missing keys are blanks), with each column's contribution."""
        raw = pd.DataFrame([{c: row.get(c) for c in self.input_columns}])
        frame, report = self.features(raw)
        if self.predicts_number:
            values = self.predict(frame, prepared=True)
            ranges = {k: (float(lo[0]), float(hi[0])) for k, (lo, hi) in self.ranges(values).items()}
            answer = TableAnswer(value=float(values[0]), ranges=ranges, notes=report.notes)
            chosen = None
        else:
            probs = self.predict(frame, prepared=True)
            picked, flagged, why = self.answers(probs)
            top = int(picked[0])
            answer = TableAnswer(
                label=self.class_names[top],
                confidence=float(probs[0][top]),
                probabilities={n: float(p) for n, p in zip(self.class_names, probs[0], strict=True)},
                needs_review=bool(flagged[0]),
                reason=why[0],
                notes=report.notes,
            )
            chosen = picked
        if not contributions:
            return answer
        items = reasons.row_contributions(
            lambda f: self.predict(f, prepared=True),
            frame,
            self.typical_features,
            self.preparation,
            None if chosen is None else int(chosen[0]),
        )
        return TableAnswer(**{**answer.__dict__, "contributions": items})


def describe_contribution(item: Contribution, outcome: str, regression: bool, currency: str = "") -> str:
    """'tenure = 2 (typical 29) raises the chance of 'Yes' by 18 points' (plain text: escape it for Markdown)."""
    return reasons.describe(item, outcome, regression, currency)
