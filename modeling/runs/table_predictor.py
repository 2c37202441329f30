"""Use a saved table model: one what-if row (with each column's contribution) or a whole uploaded table.

:class:`TablePredictor` is what :meth:`modeling.runs.predictor.Predictor.from_run` returns for a table run.
Raw rows first go through the run's saved :class:`~modeling.data.tabular.TablePreparation` (the same
reading of ``$1,200``, ``yes``, dates and categories as in training), then the model. Classification
answers follow the run's saved decision rule and calibration (as for texts and images); regression
answers carry the split-conformal 80% and 90% ranges saved with the run.

A column's *contribution* to one answer is how much the answer moves when that column alone is set back
to its typical value (the training median, or the most common category): cheap (one batched call for all
columns), model-agnostic, and readable ("tenure: -12 points").
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.tabular.prepare import TablePreparation
from modeling.errors import DataError, RunError
from modeling.evaluation import conformal
from modeling.evaluation.calibration import apply_temperature
from modeling.evaluation.decisions import Decision, decide, needs_review, review_reason
from modeling.evaluation.probabilities import check_finite
from modeling.runs.decision_rules import load_decision
from modeling.runs.table_bundle import load_table_model
from modeling.templates.tabular.model import TableModel

LEVELS = ("0.8", "0.9")


@dataclass(frozen=True)
class Contribution:
    column: str
    value: Any  # the row's value
    typical: Any  # the typical value it was compared with
    change: float  # answer(row) - answer(row with this column typical); probability points or target units


@dataclass(frozen=True)
class TableAnswer:
    """One row's answer. Regression: ``value`` and ``ranges`` {"0.8": (low, high), ...}; classification:
    ``label``, ``confidence``, ``probabilities``, and whether a person should look (``needs_review``)."""

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
    ) -> None:
        self.model = model
        self.task = model.task
        self.class_names = list(model.class_names)
        self.temperature = float(temperature)
        self.decision = decision if decision is not None else Decision()
        self.target_name = target_name
        raw = bundle.get("preparation")
        self.preparation = TablePreparation.from_dict(raw) if isinstance(raw, dict) else None
        interval = bundle.get("interval") or {}
        self.interval_scale = str(interval.get("scale") or "absolute")
        self.half_widths = {k: v for k, v in (interval.get("half_widths") or {}).items() if v is not None}

    @classmethod
    def from_run(cls, run: Any) -> TablePredictor:
        model, bundle = load_table_model(run.path)
        calibration = (run.evaluation or {}).get("calibration") or {}
        decision = load_decision(run.path)
        if not model.is_regression:
            decision.check_classes(model.class_names)
        target = (run.meta.get("dataset") or {}).get("target_column") or ""
        return cls(model, bundle, float(calibration.get("temperature") or 1.0), decision, str(target))

    def using(self, decision: Any) -> TablePredictor:
        decision.check_classes(self.class_names)
        other = copy.copy(self)
        other.decision = decision
        return other

    @property
    def is_regression(self) -> bool:
        return self.model.is_regression

    @property
    def input_columns(self) -> list[str]:
        """The columns a table to score must have (the raw columns, before dates are expanded)."""
        return list(self.preparation.input_columns) if self.preparation is not None else self.model.encoder.names

    def typical_row(self) -> dict[str, Any]:
        """A typical input row to pre-fill a what-if form."""
        if self.preparation is not None:
            return self.preparation.typical_row()
        return self.model.encoder.typical_row()

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
        prepared = self.preparation.prepare(table)
        report = BatchReport(
            len(table), list(prepared.notes), list(prepared.extra_columns), dict(prepared.blanks), dict(prepared.unseen)
        )
        return prepared.frame, report

    def predict(self, table: pd.DataFrame, calibrated: bool = True, prepared: bool = False) -> np.ndarray:
        """Probabilities (N x K, calibrated) or values (N,). ``prepared=True``: ``table`` is already a feature frame."""
        frame = table if prepared else self.features(table)[0]
        out = self.model.predict(frame)
        check_finite(out.reshape(len(out), -1) if len(out) else out, "This model")
        if not self.is_regression and calibrated and self.temperature != 1.0:
            out = apply_temperature(out, self.temperature)
        return out

    def ranges(self, values: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The saved conformal 80% / 90% ranges around each predicted value."""
        return {level: conformal.bounds(values, float(q), self.interval_scale) for level, q in self.half_widths.items()}

    def answers(self, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Under the decision rule: class index per row, whether a person should look, and why."""
        chosen = decide(probs, self.class_names, self.decision)
        flagged = needs_review(probs, self.decision)
        top = np.asarray(probs).max(axis=1) if len(probs) else np.zeros(0)
        reasons = [review_reason(float(t), self.decision) if f else "" for t, f in zip(top, flagged, strict=True)]
        return chosen, flagged, reasons

    def score_table(self, table: pd.DataFrame) -> tuple[pd.DataFrame, BatchReport]:
        """``table`` with prediction columns added (regression: value and range bounds; classes: label,
        confidence, needs_review, probabilities), and the report of what was handled."""
        frame, report = self.features(table)
        out = table.copy()
        if self.is_regression:
            values = self.predict(frame, prepared=True)
            name = f"predicted_{self.target_name}" if self.target_name else "prediction"
            out[name] = values
            for level, (low, high) in self.ranges(values).items():
                pct = round(float(level) * 100)
                out[f"low_{pct}"] = low
                out[f"high_{pct}"] = high
            return out, report
        probs = self.predict(frame, prepared=True)
        chosen, flagged, reasons = self.answers(probs)
        out["predicted_label"] = [self.class_names[i] for i in chosen]
        out["confidence"] = probs[np.arange(len(probs)), chosen].round(4) if len(probs) else []
        out["needs_review"] = flagged.tolist()
        out["review_reason"] = reasons
        for k, name in enumerate(self.class_names):
            out[f"probability_{name}"] = probs[:, k].round(4) if len(probs) else []
        return out, report

    # ---- one row -------------------------------------------------------------------------------------------------
    def predict_row(self, row: dict[str, Any], contributions: bool = True) -> TableAnswer:
        """The answer for one row (a dict of raw values; missing keys are blanks), with each column's contribution."""
        raw = pd.DataFrame([{c: row.get(c) for c in self.input_columns}])
        frame, report = self.features(raw)
        if self.is_regression:
            values = self.predict(frame, prepared=True)
            ranges = {k: (float(lo[0]), float(hi[0])) for k, (lo, hi) in self.ranges(values).items()}
            answer = TableAnswer(value=float(values[0]), ranges=ranges, notes=report.notes)
        else:
            probs = self.predict(frame, prepared=True)
            chosen, flagged, reasons = self.answers(probs)
            top = int(chosen[0])
            answer = TableAnswer(
                label=self.class_names[top],
                confidence=float(probs[0][top]),
                probabilities={n: float(p) for n, p in zip(self.class_names, probs[0], strict=True)},
                needs_review=bool(flagged[0]),
                reason=reasons[0],
                notes=report.notes,
            )
        if contributions:
            answer = _with_contributions(self, answer, frame)
        return answer


def _with_contributions(predictor: TablePredictor, answer: TableAnswer, frame: pd.DataFrame) -> TableAnswer:
    """Each feature's effect: the answer minus the answer with that feature set to its typical value."""
    typical = predictor.model.encoder.typical_row()
    columns = [c for c in frame.columns if str(c) in typical]
    if not columns:
        return answer
    variants = pd.concat([frame] * (len(columns) + 1), ignore_index=True)
    for i, column in enumerate(columns, start=1):
        value = typical[str(column)]
        if pd.api.types.is_numeric_dtype(variants[column]):
            variants.loc[i, column] = np.nan if value is None else float(value)
        else:
            variants[column] = variants[column].astype(object)
            variants.loc[i, column] = value
            variants[column] = variants[column].astype("str")
    out = predictor.predict(variants, prepared=True)
    if predictor.is_regression:
        scores = out
    else:
        k = predictor.class_names.index(answer.label) if answer.label in predictor.class_names else int(out[0].argmax())
        scores = out[:, k]
    items = [
        Contribution(str(c), _plain(frame[c].iloc[0]), typical[str(c)], float(scores[0] - scores[i]))
        for i, c in enumerate(columns, start=1)
    ]
    items.sort(key=lambda c: -abs(c.change))
    return TableAnswer(**{**answer.__dict__, "contributions": items})


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def describe_contribution(item: Contribution, regression: bool, currency: str = "") -> str:
    """'tenure = 2 (typical 29): +18 points' or 'sqft = 3,100 (typical 1,500): +$42,000'."""
    if regression:
        change = fmt.money(item.change, currency) if currency else f"{item.change:+,.4g}"
        if currency and item.change > 0:
            change = "+" + change
    else:
        change = fmt.points(100.0 * item.change)
    return f"{item.column} = {item.value} (typical {item.typical}): {change}"


def check_table_run(run: Any) -> None:
    if run.task not in ("tabular_classification", "tabular_regression"):
        raise RunError("This run is not a table model.")
    if not (run.path / "table_model").is_dir():
        raise DataError("This table run has no saved model (it did not finish).")
