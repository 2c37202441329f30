"""A report to share: one run (or several, compared) as a self-contained HTML memo, and as a PDF.

Written for a reader who never opened the app — an investor, a manager, a colleague — in the order a
short consulting memo follows: the answer first (the plain-language summary and the headline figures
with their uncertainty and the baselines), then what it is worth and how far to trust it, where it goes
wrong, its limitations, and only then the appendix (data, settings, training curves, how to reproduce).

Sections whose data a run does not have (an older run without calibration, a task without a decision
rule) are left out, or say in one line that they were not computed; the report never shows an empty box.
The HTML opens offline (see :mod:`modeling.reporting.html`); :func:`report_pdf` prints it through headless
Chromium where one is installed (see :mod:`modeling.reporting.pdf`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from modeling import format as fmt
from modeling.errors import RunError
from modeling.evaluation import decisions
from modeling.evaluation.calibration import calibration_sentence
from modeling.evaluation.intervals import WIDE_HALF_WIDTH
from modeling.evaluation.schema import Evaluation
from modeling.format import money
from modeling.reporting import actions_report, charts
from modeling.reporting import comparison as cmp
from modeling.reporting.blocks import chart, method_name, paragraph, report_page, row_count
from modeling.reporting.forecast_report import forecast_report_html
from modeling.reporting.html import esc, kpi, markdown_block, markdown_inline, table
from modeling.reporting.regression_report import regression_report_html
from modeling.reporting.report_appendix import (
    data_section,
    limitations_section,
    mistakes_section,
    reproduce_section,
    training_section,
)
from modeling.reporting.summary import business_summary, confidence_sentence
from modeling.reporting.task_words import noun_for, task_words
from modeling.runs.decision_rules import load_decision
from modeling.runs.predictions import complete_evaluation, load_predictions
from modeling.runs.store import Run

log = logging.getLogger(__name__)

_METRIC_LABELS = {
    "accuracy": ("Accuracy", "share of test examples answered right"),
    "f1_macro": ("F1 score (macro)", "balance of precision and recall, averaged over classes"),
    "precision_macro": ("Precision (macro)", "of the examples given a label, the share that had it"),
    "recall_macro": ("Recall (macro)", "of the examples with a label, the share that were found"),
}


# ---- what a report reads ----------------------------------------------------------------------------------------
@dataclass
class ReportFacts:
    """Everything a run report reads, gathered once: the evaluation (completed for older runs), the saved
    decision rule (``None`` when nobody saved one), the test probabilities and the test examples."""

    evaluation: Evaluation
    decision: Any = None
    predictions: Any = None
    test: Any = None
    notes: list[str] = field(default_factory=list)

    @property
    def decision_dict(self) -> dict[str, Any] | None:
        return self.decision.model_dump() if self.decision is not None else None


def gather(run: Run) -> ReportFacts:
    """Read what the report needs; anything missing or damaged leaves its section out, never the report.

    Older runs and the starters have no saved probabilities: they are computed once from the model (as the
    Evaluate page does), so every run's report has calibration, coverage and intervals.
    """
    facts = ReportFacts(evaluation=dict(run.evaluation))
    try:
        facts.test = run.load_test()
    except Exception as exc:
        log.info("No test split for the report of %s: %s", run.info.run_id, exc)
    try:
        facts.predictions = load_predictions(run)
        facts.evaluation = complete_evaluation(facts.evaluation, facts.predictions, run.class_names)
    except Exception as exc:
        log.info("No test probabilities for the report of %s: %s", run.info.run_id, exc)
    try:
        decision = load_decision(run.path)
        facts.decision = decision if decision.saved else None
    except Exception as exc:
        log.warning("The decision rule of %s could not be read: %s", run.info.run_id, exc)
        facts.notes.append(f"The saved decision rule could not be read ({exc}); it is left out.")
    return facts


# ---- the run report ---------------------------------------------------------------------------------------------
def run_report_html(run: Run, now: float | None = None) -> str:
    """One run as a self-contained HTML memo (see the module docstring for the order of sections).

    ``run`` is a :class:`modeling.runs.store.Run` with a saved evaluation; ``now`` fixes the "report made" time
    (tests). Raises :class:`modeling.errors.RunError` when the run has no evaluation to report on. A run that
    predicts a number gets its own memo (errors in the user's units, ranges, misses): see :data:`REPORTS`.
    """
    return REPORTS[task_words(run.task, run.evaluation).answers](run, now)


def classification_report_html(run: Run, now: float | None = None) -> str:
    """The memo of a run that answers with classes: accuracy, baselines as lift, decisions, calibration."""
    if not run.evaluation:
        raise RunError(f"Run '{run.info.run_id}' has no saved evaluation (it did not finish), so there is no report.")
    facts = gather(run)
    sections = [
        ("summary", "Summary", _summary_section(run, facts)),
        ("figures", "Headline figures", _figures_section(run, facts.evaluation)),
        ("gains", "Who to contact first", actions_report.gains_section(facts.evaluation)),
        ("decision", "Decision rule and what it is worth", _decision_section(run, facts)),
        ("confidence", "How far to trust its confidence", _confidence_section(run, facts)),
        (
            "mistakes",
            "Where it goes wrong",
            mistakes_section(
                run,
                facts.evaluation,
                run.class_names,
                facts.test,
                facts.decision is not None
                and (facts.decision.threshold is not None or facts.decision.cost_matrix is not None),
            ),
        ),
        ("reasons", "The ranked rows and why", actions_report.explained_rows_section(facts.evaluation)),
        ("fairness", "Is it fair?", actions_report.fairness_section(run)),
        ("limitations", "Limitations", limitations_section(run, facts.evaluation, facts.test)),
        ("data", "Appendix A · The data", data_section(run)),
        ("training", "Appendix B · Settings and training", training_section(run)),
        ("reproduce", "Appendix C · How to reproduce this run", reproduce_section(run)),
    ]
    return report_page(run, sections, now, kind="model", about_data=row_count(run, noun_for(run.task)))


# ---- summary ----------------------------------------------------------------------------------------------------
def _summary_section(run: Run, facts: ReportFacts) -> str:
    ev = facts.evaluation
    model = ev["model"]
    n = int(model["n"])
    summary_html = markdown_block(business_summary(ev, run.class_names, run.task, decision=facts.decision_dict))
    low, high, method = cmp.accuracy_interval(ev)
    boxes = []
    interval = f"95% interval {_interval_text(low, high)}" if low is not None else ""
    boxes.append(kpi("Accuracy on unseen data", fmt.percent(model["accuracy"]), f"{interval} · n = {n:,}".strip(" ·")))
    lift = ev.get("lift") or {}
    baselines = ev.get("baselines") or {}
    for key, label in (("logistic", "vs a simple model"), ("majority", "vs always the commonest answer")):
        if key in lift and baselines.get(key):
            value = float(lift[key])
            tone = "good" if value >= 0.5 else ("bad" if value <= -0.5 else "")
            boxes.append(
                kpi(
                    f"Lift {label}", fmt.points(value), f"it scores {fmt.percent(baselines[key].get('accuracy'))}", tone
                )
            )
    decision = facts.decision
    if decision is not None and decision.expected_value_per_1000 is not None and decision.threshold is not None:
        boxes.append(
            kpi(
                "Value per 1,000 cases",
                _money(decision.expected_value_per_1000, decision.currency),
                f"at the saved threshold of {fmt.percent(decision.threshold, 0)}",
            )
        )
    caution = ""
    if low is not None and (high - low) / 2 > WIDE_HALF_WIDTH:
        caution = paragraph(
            f"Read these figures as rough: with {n:,} test {noun_for(run.task)} the true accuracy could lie "
            f"anywhere between {fmt.percent(low, 0)} and {fmt.percent(high, 0)} (95% {method_name(method)} "
            "interval), so the test set is too small for small differences to mean much.",
            "note",
        )
    notes = "".join(paragraph(note, "note") for note in facts.notes)
    return f'<div class="lead">{summary_html}</div><div class="kpis">{"".join(boxes)}</div>{caution}{notes}'


def _money(value: Any, currency: str = "") -> str:
    return money(float(value), currency or "")


# ---- headline figures -------------------------------------------------------------------------------------------
def _interval_text(low: float | None, high: float | None) -> str:
    return f"{fmt.percent(low)}–{fmt.percent(high)}" if low is not None and high is not None else "—"


def _figures_section(run: Run, ev: Evaluation) -> str:
    model = ev["model"]
    n = int(model["n"])
    intervals = ev.get("intervals") or {}
    rows = []
    for key, (label, meaning) in _METRIC_LABELS.items():
        if model.get(key) is None:
            continue
        saved = intervals.get(key) or {}
        if saved.get("low") is not None:
            span, method = _interval_text(saved["low"], saved["high"]), method_name(str(saved.get("method") or ""))
        elif key == "accuracy":
            low, high, method = cmp.accuracy_interval(ev)
            span, method = _interval_text(low, high), method_name(method)
        else:
            span, method = "not computed", ""
        rows.append([label, fmt.percent(model[key]), span, method, f"{int(saved.get('n') or n):,}", meaning])
    out = [
        table(
            ["Figure", "This model", "95% interval", "Method", "Test size", "What it means"], rows, numeric=(1, 2, 4)
        ),
        paragraph(
            "The interval is the range the true figure most likely lies in, given how many test examples there "
            "were; a narrower one needs a larger test set.",
            "note",
        ),
    ]
    baselines = ev.get("baselines") or {}
    lift = ev.get("lift") or {}
    if baselines:
        out.append("<h3>Compared with doing something simple</h3>")
        base_rows = [["This model", fmt.percent(model["accuracy"]), f"{float(model.get('f1_macro', 0)):.3f}", "—"]]
        for key, entry in baselines.items():
            if not entry:
                continue
            base_rows.append(
                [
                    str(entry.get("description") or entry.get("title") or key),
                    fmt.percent(entry.get("accuracy")),
                    f"{float(entry.get('f1_macro') or 0):.3f}",
                    fmt.points(lift.get(key)),
                ]
            )
        out.append(table(["Model", "Accuracy", "F1 (macro)", "This model's lift"], base_rows, numeric=(1, 2, 3)))
        out.append(
            paragraph(
                "Lift: this model's accuracy minus the baseline's, in percentage points, on the same test split.",
                "note",
            )
        )
        out.append(chart(charts.baseline_comparison(ev)))
    else:
        out.append(
            paragraph(
                "No baseline was computed for this run, so its figures have nothing simple to compare with.", "note"
            )
        )
    return "".join(out)


# ---- decision and money (two classes: a threshold; several: a cost matrix) --------------------------------------
def _labels_and_probs(facts: ReportFacts) -> tuple[Any, Any] | None:
    """(test labels, calibrated test probabilities) when the run has them: what Predict would have said."""
    if facts.predictions is None:
        return None
    return facts.predictions.test_labels, facts.predictions.test_probs


def _decision_section(run: Run, facts: ReportFacts) -> str:
    decision = facts.decision
    names = run.class_names
    if decision is None:
        return paragraph(
            "No decision rule was saved for this run: the model answers with its most probable class and sends no "
            "case to a person. On the Evaluate page you can enter what each outcome is worth, pick the threshold "
            "that pays best and the confidence below which a person decides; the report then shows them here.",
            "note",
        )
    out = [
        paragraph(
            decisions.describe_rule(decision, names) + " The app, the batch export and the command line all use it."
        )
    ]
    data = _labels_and_probs(facts)
    currency = decision.currency
    if decision.threshold is not None and len(names) == 2:
        positive = names[decisions._positive_index(names, decision.positive_class)]
        if decision.outcome_values is not None:
            words = decision.outcome_names or decisions.OutcomeNames()
            rows = [
                [f"{getattr(words, key)} ({what})", _money(getattr(decision.outcome_values, key), currency)]
                for key, what in (
                    ("tp", f"flagged '{positive}', and it was"),
                    ("fp", f"flagged '{positive}', but it was not"),
                    ("fn", f"not flagged, but it was '{positive}'"),
                    ("tn", "not flagged, rightly"),
                )
            ]
            out.append("<h3>What each outcome is worth (as entered)</h3>")
            out.append(table(["Outcome", "Value per case"], rows, numeric=(1,)))
            if data is not None:
                y, probs = data
                curve = decisions.value_curve(y, probs, decision.outcome_values, names.index(positive))
                best = decisions.best_threshold(curve)
                default_value = decisions.value_at(curve, 0.5)
                chosen_value = decisions.value_at(curve, decision.threshold)
                diff = chosen_value - default_value
                out.append(
                    "<p><strong>"
                    + esc(
                        f"At the saved threshold of {fmt.percent(decision.threshold, 0)} the model is worth about "
                        f"{_money(chosen_value, currency)} per 1,000 cases, against {_money(default_value, currency)} "
                        f"at the default 50%: {_money(abs(diff), currency)} per 1,000 cases "
                        f"{'more' if diff >= 0 else 'less'}."
                    )
                    + "</strong></p>"
                )
                if abs(best[0] - decision.threshold) > 1e-9:
                    out.append(paragraph(decisions.value_sentence(best, default_value, currency, len(y))))
                out.append(
                    chart(
                        _value_chart(curve, best, currency, positive, decision.threshold),
                    )
                )
                out.append(
                    paragraph(
                        f"Measured on the {len(y):,} test cases with the calibrated probabilities; the line shows the "
                        "value at every threshold, with the best one and the default marked.",
                        "note",
                    )
                )
    elif decision.cost_matrix is not None and len(decision.cost_matrix) == len(names):
        out.append("<h3>Cost of each kind of answer (true class in rows, answer in columns)</h3>")
        rows = [
            [name, *[f"{float(v):,.2f}" for v in row]] for name, row in zip(names, decision.cost_matrix, strict=True)
        ]
        out.append(table(["True \\ answered", *names], rows, numeric=tuple(range(1, len(names) + 1))))
        if data is not None:
            y, probs = data
            costs = decisions.cost_comparison(y, probs, decision.cost_matrix)
            out.append(
                paragraph(
                    f"Answering with the lowest expected cost costs {costs['min_cost_per_1000']:,.0f} per 1,000 cases, "
                    f"against {costs['argmax_cost_per_1000']:,.0f} with the most probable class; it changes "
                    f"{fmt.percent(costs['changed_share'], 0)} of the answers (measured on {len(y):,} test cases)."
                )
            )
    out.append(paragraph(f"Rule saved {str(decision.saved).replace('T', ' ')}.", "note"))
    return "".join(out)


def _value_chart(curve: Any, best: Any, currency: str, positive: str, chosen: float | None) -> Any:
    """The value-by-threshold figure exactly as the Evaluate page draws it."""

    return charts.value_by_threshold_chart(curve, best, 0.5, currency, positive, chosen)


# ---- calibration and coverage -----------------------------------------------------------------------------------
#: The confidence level the coverage sentence uses when the run has none saved (the issue's example).
EXAMPLE_LEVEL = 0.9


def _confidence_section(run: Run, facts: ReportFacts) -> str:
    ev = facts.evaluation
    calibration = ev.get("calibration")
    out: list[str] = []
    if calibration:
        out.append(paragraph(calibration_sentence(calibration, noun_for(run.task))))
        if calibration.get("reliability"):
            out.append(chart(charts.reliability_chart(calibration)))
    data = _labels_and_probs(facts)
    if data is not None:
        y, probs = data
        saved = facts.decision.min_confidence if facts.decision is not None else None
        level = saved or EXAMPLE_LEVEL
        out.append("<h3>Answer only when sure</h3>")
        sentence = decisions.coverage_sentence(decisions.coverage_at(y, probs, level))
        if not saved:
            sentence += f" ({fmt.percent(level, 0)} is an example: no level was saved with this run.)"
        out.append(f"<p><strong>{esc(sentence)}</strong></p>")
        out.append(chart(charts.coverage_chart(decisions.coverage_curve(y, probs), level)))
    if not out:
        sentence = confidence_sentence(ev["model"].get("confidence") or {})
        text = (
            "Calibration (whether '90% sure' means right 9 times in 10) and the coverage trade-off could not be "
            "computed for this run, because its test predictions are not available."
        )
        return (f"<p>{markdown_inline(sentence)}</p>" if sentence else "") + paragraph(text, "note")
    return "".join(out)


#: The memo for each kind of answer (the registry's ``TaskSpec.answers``).
REPORTS = {"classes": classification_report_html, "number": regression_report_html, "series": forecast_report_html}
