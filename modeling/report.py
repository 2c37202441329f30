"""A report to share: one run (or several, compared) as a self-contained HTML memo, and as a PDF.

Written for a reader who never opened the app — an investor, a manager, a colleague — in the order a
short consulting memo follows: the answer first (the plain-language summary and the headline figures
with their uncertainty and the baselines), then what it is worth and how far to trust it, where it goes
wrong, its limitations, and only then the appendix (data, settings, training curves, how to reproduce).

Sections whose data a run does not have (an older run without calibration, a task without a decision
rule) are left out, or say in one line that they were not computed; the report never shows an empty box.
The HTML opens offline (see :mod:`modeling.report_html`); :func:`report_pdf` prints it through headless
Chromium where one is installed (see :mod:`modeling.pdf`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modeling import compare as cmp
from modeling.limitations import WIDE_INTERVAL_POINTS, limitations
from modeling.report_html import esc, figure, image_data_uri, kpi, markdown_block, markdown_inline, page, table
from modeling.summary import NOUNS

log = logging.getLogger(__name__)

#: Mistakes shown in a report: enough to see a pattern, few enough to read.
TEXT_MISTAKES = 8
IMAGE_MISTAKES = 24
#: Longest text quoted in the mistakes table (the rest is cut with an ellipsis).
QUOTE_CHARS = 280
#: The command that trains a run again, as the command line spells it (see modeling/__main__.py).
TRAIN_COMMAND = "python -m modeling train settings.yaml"
_METRIC_LABELS = {
    "accuracy": ("Accuracy", "share of test examples answered right"),
    "f1_macro": ("F1 score (macro)", "balance of precision and recall, averaged over classes"),
    "precision_macro": ("Precision (macro)", "of the examples given a label, the share that had it"),
    "recall_macro": ("Recall (macro)", "of the examples with a label, the share that were found"),
}


# ---- small helpers ----------------------------------------------------------------------------------------------
def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{100.0 * float(value):.{digits}f}%"


def _points(value: float | None) -> str:
    if value is None:
        return "—"
    v = float(value)
    return f"{v:+.1f} points" if abs(v) >= 0.05 else "±0.0 points"


def _seconds(value: float | None) -> str:
    from modeling.progress import format_seconds

    return format_seconds(value)


def _today(now: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(now if now is not None else time.time()))


def _noun(run: Any) -> str:
    return NOUNS.get(run.task, "examples")


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{body}</section>'


def _p(text: str, cls: str = "") -> str:
    """A paragraph of plain text (escaped)."""
    return f'<p class="{cls}">{esc(text)}</p>' if cls else f"<p>{esc(text)}</p>"


def _chart(fig: Any, height: int | None = None) -> str:
    """A chart, or a line saying it could not be drawn: one bad figure must not cost the whole report."""
    try:
        return figure(fig, height)
    except Exception:  # pragma: no cover - a chart bug is logged, the report still goes out
        log.exception("A report chart could not be drawn")
        return _p("This chart could not be drawn.", "note")


# ---- what a report reads ----------------------------------------------------------------------------------------
@dataclass
class ReportFacts:
    """Everything a run report reads, gathered once: the evaluation (completed for older runs), the saved
    decision rule (``None`` when nobody saved one), the test probabilities and the test examples."""

    evaluation: dict[str, Any]
    decision: Any = None
    predictions: Any = None
    test: Any = None
    notes: list[str] = field(default_factory=list)

    @property
    def decision_dict(self) -> dict[str, Any] | None:
        return self.decision.model_dump() if self.decision is not None else None


def gather(run: Any) -> ReportFacts:
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
        from modeling.run_results import complete_evaluation, load_predictions

        facts.predictions = load_predictions(run)
        facts.evaluation = complete_evaluation(facts.evaluation, facts.predictions, run.class_names)
    except Exception as exc:
        log.info("No test probabilities for the report of %s: %s", run.info.run_id, exc)
    try:
        from modeling.decisions import load_decision

        decision = load_decision(run.path)
        facts.decision = decision if decision.saved else None
    except Exception as exc:
        log.warning("The decision rule of %s could not be read: %s", run.info.run_id, exc)
        facts.notes.append(f"The saved decision rule could not be read ({exc}); it is left out.")
    return facts


# ---- the run report ---------------------------------------------------------------------------------------------
def run_report_html(run: Any, now: float | None = None) -> str:
    """One run as a self-contained HTML memo (see the module docstring for the order of sections).

    ``run`` is a :class:`modeling.store.Run` with a saved evaluation; ``now`` fixes the "report made" time
    (tests). Raises :class:`modeling.errors.RunError` when the run has no evaluation to report on.
    """
    from modeling.errors import RunError

    if not run.evaluation:
        raise RunError(f"Run '{run.info.run_id}' has no saved evaluation (it did not finish), so there is no report.")
    facts = gather(run)
    sections = [
        ("summary", "Summary", _summary_section(run, facts)),
        ("figures", "Headline figures", _figures_section(run, facts.evaluation)),
        ("decision", "Decision rule and what it is worth", _decision_section(run, facts)),
        ("confidence", "How far to trust its confidence", _confidence_section(run, facts)),
        (
            "mistakes",
            "Where it goes wrong",
            _mistakes_section(
                run,
                facts.evaluation,
                run.class_names,
                facts.test,
                facts.decision is not None
                and (facts.decision.threshold is not None or facts.decision.cost_matrix is not None),
            ),
        ),
        ("limitations", "Limitations", _limitations_section(run, facts.evaluation, facts.test)),
        ("data", "Appendix A · The data", _data_section(run)),
        ("training", "Appendix B · Settings and training", _training_section(run)),
        ("reproduce", "Appendix C · How to reproduce this run", _reproduce_section(run)),
    ]
    sections = [(a, t, b) for a, t, b in sections if b]
    toc = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t, _ in sections)
    info = run.info
    dataset = run.meta.get("dataset") or {}
    subtitle = (
        f"Run {info.run_id} · trained {info.created or 'at an unknown time'} · "
        f"data: {dataset.get('name', 'unknown')} ({int(dataset.get('rows') or 0):,} {_noun(run)}) · "
        f"report made {_today(now)}"
    )
    header = (
        '<header class="cover"><div class="kicker">ModelDeck · model report</div>'
        f'<h1>{esc(_title(run))}</h1><p class="meta">{esc(subtitle)}</p>'
        f'<nav class="toc">{toc}</nav></header>'
    )
    body = header + "".join(_section(a, t, b) for a, t, b in sections) + _footer(now)
    return page(f"Model report — {_title(run)}", body)


def _title(run: Any) -> str:
    return str(run.info.title or run.info.run_id)


def _footer(now: float | None) -> str:
    return (
        f"<footer>Made with ModelDeck on {esc(_today(now))}. Figures are measured on a test split that the model "
        "never saw while training; charts are interactive when this file is opened in a browser.</footer>"
    )


# ---- summary ----------------------------------------------------------------------------------------------------
def _summary_section(run: Any, facts: ReportFacts) -> str:
    from modeling.summary import business_summary

    ev = facts.evaluation
    model = ev["model"]
    n = int(model["n"])
    paragraph = markdown_block(business_summary(ev, run.class_names, run.task, decision=facts.decision_dict))
    low, high, method = cmp.accuracy_interval(ev)
    boxes = []
    interval = f"95% interval {_interval_text(low, high)}" if low is not None else ""
    boxes.append(kpi("Accuracy on unseen data", _pct(model["accuracy"]), f"{interval} · n = {n:,}".strip(" ·")))
    lift = ev.get("lift") or {}
    baselines = ev.get("baselines") or {}
    for key, label in (("logistic", "vs a simple model"), ("majority", "vs always the commonest answer")):
        if key in lift and baselines.get(key):
            value = float(lift[key])
            tone = "good" if value >= 0.5 else ("bad" if value <= -0.5 else "")
            boxes.append(
                kpi(f"Lift {label}", _points(value), f"it scores {_pct(baselines[key].get('accuracy'))}", tone)
            )
    decision = facts.decision
    if decision is not None and decision.expected_value_per_1000 is not None and decision.threshold is not None:
        boxes.append(
            kpi(
                "Value per 1,000 cases",
                _money(decision.expected_value_per_1000, decision.currency),
                f"at the saved threshold of {_pct(decision.threshold, 0)}",
            )
        )
    caution = ""
    if low is not None and 100.0 * (high - low) > WIDE_INTERVAL_POINTS:
        caution = _p(
            f"Read these figures as rough: with {n:,} test {_noun(run)} the true accuracy could lie anywhere between "
            f"{_pct(low, 0)} and {_pct(high, 0)} (95% {_method(method)} interval), so the test set is too small for "
            "small differences to mean much.",
            "note",
        )
    notes = "".join(_p(note, "note") for note in facts.notes)
    return f'<div class="lead">{paragraph}</div><div class="kpis">{"".join(boxes)}</div>{caution}{notes}'


def _method(method: str) -> str:
    """'Wilson' and 'bootstrap', as people write them."""
    return {"wilson": "Wilson"}.get(method.strip().lower(), method.strip())


def _money(value: Any, currency: str = "") -> str:
    from modeling.decisions import money

    return money(float(value), currency or "")


# ---- headline figures -------------------------------------------------------------------------------------------
def _interval_text(low: float | None, high: float | None) -> str:
    return f"{_pct(low)}–{_pct(high)}" if low is not None and high is not None else "—"


def _figures_section(run: Any, ev: Mapping[str, Any]) -> str:
    from modeling import charts

    model = ev["model"]
    n = int(model["n"])
    intervals = ev.get("intervals") or {}
    rows = []
    for key, (label, meaning) in _METRIC_LABELS.items():
        if model.get(key) is None:
            continue
        saved = intervals.get(key) or {}
        if saved.get("low") is not None:
            span, method = _interval_text(saved["low"], saved["high"]), _method(str(saved.get("method") or ""))
        elif key == "accuracy":
            low, high, method = cmp.accuracy_interval(ev)
            span, method = _interval_text(low, high), _method(method)
        else:
            span, method = "not computed", ""
        rows.append([label, _pct(model[key]), span, method, f"{int(saved.get('n') or n):,}", meaning])
    out = [
        table(
            ["Figure", "This model", "95% interval", "Method", "Test size", "What it means"], rows, numeric=(1, 2, 4)
        ),
        _p(
            "The interval is the range the true figure most likely lies in, given how many test examples there "
            "were; a narrower one needs a larger test set.",
            "note",
        ),
    ]
    baselines = ev.get("baselines") or {}
    lift = ev.get("lift") or {}
    if baselines:
        out.append("<h3>Compared with doing something simple</h3>")
        base_rows = [["This model", _pct(model["accuracy"]), f"{float(model.get('f1_macro', 0)):.3f}", "—"]]
        for key, entry in baselines.items():
            if not entry:
                continue
            base_rows.append(
                [
                    str(entry.get("description") or entry.get("title") or key),
                    _pct(entry.get("accuracy")),
                    f"{float(entry.get('f1_macro') or 0):.3f}",
                    _points(lift.get(key)),
                ]
            )
        out.append(table(["Model", "Accuracy", "F1 (macro)", "This model's lift"], base_rows, numeric=(1, 2, 3)))
        out.append(
            _p(
                "Lift: this model's accuracy minus the baseline's, in percentage points, on the same test split.",
                "note",
            )
        )
        out.append(_chart(charts.baseline_comparison(ev)))
    else:
        out.append(
            _p("No baseline was computed for this run, so its figures have nothing simple to compare with.", "note")
        )
    return "".join(out)


# ---- decision and money (two classes: a threshold; several: a cost matrix) --------------------------------------
def _labels_and_probs(facts: ReportFacts) -> tuple[Any, Any] | None:
    """(test labels, calibrated test probabilities) when the run has them: what Predict would have said."""
    if facts.predictions is None:
        return None
    return facts.predictions.test_labels, facts.predictions.test_probs


def _decision_section(run: Any, facts: ReportFacts) -> str:
    from modeling import decisions

    decision = facts.decision
    names = run.class_names
    if decision is None:
        return _p(
            "No decision rule was saved for this run: the model answers with its most probable class and sends no "
            "case to a person. On the Evaluate page you can enter what each outcome is worth, pick the threshold "
            "that pays best and the confidence below which a person decides; the report then shows them here.",
            "note",
        )
    out = [_p(decisions.describe_rule(decision, names) + " The app, the batch export and the command line all use it.")]
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
                        f"At the saved threshold of {_pct(decision.threshold, 0)} the model is worth about "
                        f"{_money(chosen_value, currency)} per 1,000 cases, against {_money(default_value, currency)} "
                        f"at the default 50%: {_money(abs(diff), currency)} per 1,000 cases "
                        f"{'more' if diff >= 0 else 'less'}."
                    )
                    + "</strong></p>"
                )
                if abs(best[0] - decision.threshold) > 1e-9:
                    out.append(_p(decisions.value_sentence(best, default_value, currency, len(y))))
                out.append(
                    _chart(
                        _value_chart(curve, best, currency, positive, decision.threshold),
                    )
                )
                out.append(
                    _p(
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
                _p(
                    f"Answering with the lowest expected cost costs {costs['min_cost_per_1000']:,.0f} per 1,000 cases, "
                    f"against {costs['argmax_cost_per_1000']:,.0f} with the most probable class; it changes "
                    f"{_pct(costs['changed_share'], 0)} of the answers (measured on {len(y):,} test cases)."
                )
            )
    out.append(_p(f"Rule saved {str(decision.saved).replace('T', ' ')}.", "note"))
    return "".join(out)


def _value_chart(curve: Any, best: Any, currency: str, positive: str, chosen: float | None) -> Any:
    """The value-by-threshold figure exactly as the Evaluate page draws it."""
    from modeling import charts

    return charts.value_by_threshold_chart(curve, best, 0.5, currency, positive, chosen)


# ---- calibration and coverage -----------------------------------------------------------------------------------
#: The confidence level the coverage sentence uses when the run has none saved (the issue's example).
EXAMPLE_LEVEL = 0.9


def _confidence_section(run: Any, facts: ReportFacts) -> str:
    from modeling import charts

    ev = facts.evaluation
    calibration = ev.get("calibration")
    out: list[str] = []
    if calibration:
        from modeling.calibration import calibration_sentence

        out.append(_p(calibration_sentence(calibration, _noun(run))))
        if calibration.get("reliability"):
            out.append(_chart(charts.reliability_chart(calibration)))
    data = _labels_and_probs(facts)
    if data is not None:
        from modeling import decisions

        y, probs = data
        saved = facts.decision.min_confidence if facts.decision is not None else None
        level = saved or EXAMPLE_LEVEL
        out.append("<h3>Answer only when sure</h3>")
        sentence = decisions.coverage_sentence(decisions.coverage_at(y, probs, level))
        if not saved:
            sentence += f" ({_pct(level, 0)} is an example: no level was saved with this run.)"
        out.append(f"<p><strong>{esc(sentence)}</strong></p>")
        out.append(_chart(charts.coverage_chart(decisions.coverage_curve(y, probs), level)))
    if not out:
        from modeling.summary import _confidence_sentence

        sentence = _confidence_sentence(ev["model"].get("confidence") or {})
        text = (
            "Calibration (whether '90% sure' means right 9 times in 10) and the coverage trade-off could not be "
            "computed for this run, because its test predictions are not available."
        )
        return (f"<p>{markdown_inline(sentence)}</p>" if sentence else "") + _p(text, "note")
    return "".join(out)


# ---- mistakes ---------------------------------------------------------------------------------------------------
def _mistakes_section(
    run: Any, ev: Mapping[str, Any], names: Sequence[str], test: Any, decision_rule: bool = False
) -> str:
    from modeling import charts

    model = ev["model"]
    out = [_chart(charts.confusion_matrix(model, names))]
    if decision_rule:
        out.append(
            _p(
                "The confusion matrix and the mistakes below count the model's most probable class; the saved decision "
                "rule (see above) moves some answers, as its value chart shows.",
                "note",
            )
        )
    per_class = model.get("per_class") or {}
    if per_class:
        rows = [
            [
                name,
                _pct(m.get("precision")),
                _pct(m.get("recall")),
                f"{float(m.get('f1') or 0):.3f}",
                f"{int(m.get('support') or 0):,}",
            ]
            for name, m in per_class.items()
        ]
        out.append(table(["Class", "Precision", "Recall (found)", "F1", "Test examples"], rows, numeric=(1, 2, 3, 4)))
    wrong = list(ev.get("misclassified") or [])
    if not wrong:
        out.append(
            _p(
                "It made no mistakes on the test split."
                if model.get("accuracy") == 1
                else "No examples of mistakes were saved."
            )
        )
        return "".join(out)
    out.append("<h3>Examples of mistakes, most confident first</h3>")
    out.append(
        _p(
            "Confident mistakes are worth reading: they often reveal a wrong label in the data, or a kind of case "
            "the model has not learned.",
            "note",
        )
    )
    if test is None:
        out.append(_p("The test examples were not saved with this run, so they cannot be shown.", "note"))
        return "".join(out)
    if test.kind == "image":
        cells = []
        for w in wrong[:IMAGE_MISTAKES]:
            uri = image_data_uri(test.images[int(w["index"])])
            caption = f"true {w['true']} → said {w['predicted']} ({_pct(w['confidence'], 0)})"
            cells.append(f'<div class="mistake"><img alt="{esc(caption)}" src="{uri}"><div>{esc(caption)}</div></div>')
        out.append(f'<div class="mistakes">{"".join(cells)}</div>')
    else:
        rows = []
        for w in wrong[:TEXT_MISTAKES]:
            text = " ".join(str(test.texts[int(w["index"])]).split())
            if len(text) > QUOTE_CHARS:
                text = text[: QUOTE_CHARS - 1].rstrip() + "…"
            rows.append([f"“{text}”", w["true"], w["predicted"], _pct(w["confidence"], 0)])
        out.append(table(["Text", "True label", "Model said", "Confidence"], rows, numeric=(3,)))
    shown = min(len(wrong), IMAGE_MISTAKES if test.kind == "image" else TEXT_MISTAKES)
    total_wrong = _total_wrong(model)
    out.append(_p(f"Showing {shown} of {total_wrong:,} mistakes on the test split.", "note"))
    return "".join(out)


def _total_wrong(model: Mapping[str, Any]) -> int:
    confusion = model.get("confusion") or []
    if confusion:
        return sum(v for i, row in enumerate(confusion) for j, v in enumerate(row) if i != j)
    return int(model["n"]) - round(float(model["accuracy"]) * int(model["n"]))


# ---- limitations ------------------------------------------------------------------------------------------------
def _limitations_section(run: Any, ev: Mapping[str, Any], test: Any) -> str:
    items = "".join(f"<li>{esc(item)}</li>" for item in limitations(run, ev, test))
    return f"<ul>{items}</ul>"


# ---- appendix ---------------------------------------------------------------------------------------------------
def _data_section(run: Any) -> str:
    from modeling import charts

    dataset = run.meta.get("dataset") or {}
    split = run.meta.get("split") or {}
    rows = [
        ["Data set", str(dataset.get("name", "unknown"))],
        ["Source", str(dataset.get("source") or run.config.data.source)],
    ]
    rows.append(["Examples", f"{int(dataset.get('rows') or 0):,} {_noun(run)}"])
    rows.append(
        [
            "Classes",
            f"{len(run.class_names)}: " + ", ".join(run.class_names[:20]) + (" …" if len(run.class_names) > 20 else ""),
        ]
    )
    if dataset.get("text_column"):
        rows.append(["Columns used", f"text: {dataset['text_column']}, label: {dataset.get('label_column', '')}"])
    if dataset.get("image_shape"):
        shape = dataset["image_shape"]
        rows.append(["Image size", f"{shape[0]}×{shape[1]}, {'grey' if int(shape[-1]) == 1 else 'colour'}"])
    if split:
        rows.append(
            [
                "Split",
                f"{int(split.get('train', 0)):,} to train, {int(split.get('validation', 0)):,} to watch training "
                f"(validation), {int(split.get('test', 0)):,} kept aside for the test",
            ]
        )
    out = [table(None, rows)]
    counts = dataset.get("class_counts") or {}
    if counts:
        out.append(_chart(charts.class_balance(counts), 360))
    warnings = (run.meta.get("profile") or {}).get("warnings") or []
    if warnings:
        out.append("<h3>Data warnings</h3><ul>" + "".join(f"<li>{esc(w)}</li>" for w in warnings) + "</ul>")
    return "".join(out)


def _relevant_settings(run: Any) -> list[tuple[str, str, str]]:
    """(name, value, what it does) for the settings that matter to this run's template and task."""
    from modeling.config import TrainingSettings

    values = run.config.settings.model_dump()
    image = run.task == "image_classification"
    rows = []
    for name, info in TrainingSettings.model_fields.items():
        help_text = info.description or ""
        if help_text.startswith("Text only") and image:
            continue
        if help_text.startswith("Images only") and not image:
            continue
        if help_text.startswith("Pretrained template only") and run.config.template != "minilm":
            continue
        value = values.get(name)
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        rows.append((name.replace("_", " "), shown, help_text))
    return rows


def _training_section(run: Any) -> str:
    from modeling import charts
    from modeling.config import TEMPLATES

    template = run.config.template
    what = TEMPLATES.get(run.task, {}).get(template, "")
    out = [f"<p><strong>Template: {esc(template)}</strong>{' — ' + esc(what) if what else ''}</p>"]
    out.append(table(["Setting", "Value", "What it does"], _relevant_settings(run)))
    out.append(_p(f"Test share: {_pct(run.config.data.test_share, 0)} of the rows were kept aside before training."))
    meta = run.meta
    facts = []
    if meta.get("epochs_run") is not None:
        facts.append(f"It trained for {meta['epochs_run']} epochs (passes over the training data)")
    if meta.get("device"):
        facts.append(f"on {meta['device']}")
    if meta.get("duration_s") is not None:
        facts.append(f"in {_seconds(meta['duration_s'])}")
    sentence = " ".join(facts) + "." if facts else ""
    if meta.get("best_epoch"):
        sentence += f" The weights of epoch {meta['best_epoch']}, the best on the validation split, were kept."
    if sentence:
        out.append(_p(sentence.strip()))
    if run.history:
        curves = charts.training_curves(run.history)
        # Legend under the plots: above them it would sit on the right panel's title.
        curves.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0.0})
        out.append(_chart(curves, 420))
        out.append(
            _p(
                "If the validation curve (orange) gets worse while the training curve (blue) keeps improving, the "
                "model is memorising its training examples rather than learning the task.",
                "note",
            )
        )
    return "".join(out)


def _reproduce_section(run: Any) -> str:
    yaml_text = run.config.to_yaml()
    source = str(run.config.data.source)
    if source.startswith("sample:"):
        data_note = f"The data is the built-in sample '{source}', which ships with ModelDeck."
    else:
        data_note = (
            f"The data came from '{source}'; put the same file at that path (or change data.source) before training."
        )
    return (
        _p("Save these settings as settings.yaml, next to a ModelDeck checkout:")
        + f"<pre><code>{esc(yaml_text)}</code></pre>"
        + _p("then train the same model again from the command line:")
        + f"<pre><code>{esc(TRAIN_COMMAND)}</code></pre>"
        + _p(
            f"{data_note} The same seed gives the same split and the same starting weights; figures can still move "
            "slightly between machines (parallel arithmetic is not exactly repeatable).",
            "note",
        )
    )


# ---- PDF --------------------------------------------------------------------------------------------------------
def compare_report_html(runs: Sequence[Any], now: float | None = None) -> str:
    """Two or more runs of one task side by side (see :mod:`modeling.report_compare`)."""
    from modeling.report_compare import compare_report_html as build

    return build(runs, now)


def report_pdf(html_text: str) -> bytes | None:
    """The report printed to PDF through headless Chromium, or ``None`` where Chromium/Playwright is missing.

    See :func:`modeling.pdf.pdf_unavailable_reason` for the sentence to show when it returns ``None``.
    """
    from modeling.pdf import html_to_pdf

    return html_to_pdf(html_text)
