"""A run's model card (Mitchell et al. 2019) in Markdown, for the export ZIPs: what the report already says.

Sections: model details, intended use, data, metrics with 95% intervals on the test split, baselines,
calibration, limitations. The sentences come from the report's own functions (``summary``,
``limitations``, ``comparison``), so the card never says something the Evaluate page does not.
It lives in ``reporting`` (which may read runs and evaluation) and is handed to
``modeling.export.bundle.build_export`` as text, because ``export`` and ``reporting`` sit side by side.
"""

from __future__ import annotations

import logging
from typing import Any

from modeling import format as fmt
from modeling.format import amount
from modeling.reporting import comparison as cmp
from modeling.reporting.limitations import limitations
from modeling.reporting.summary import business_summary
from modeling.reporting.task_words import task_words
from modeling.runs.predictions import complete_evaluation, load_predictions
from modeling.runs.store import Run
from modeling.templates.registry import REGISTRY, TASK_LABELS

log = logging.getLogger(__name__)
_MARKUP = str.maketrans({"<": "&lt;", ">": "&gt;", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]", "`": "'", "|": "/"})


def _plain(text: object) -> str:
    """User text (titles, class names) made inert in Markdown without backslashes before every dot."""
    return str(text).translate(_MARKUP)


def _interval(item: Any) -> str:
    if not item or item.get("low") is None:
        return ""
    return f" (95% interval {fmt.percent(item['low'])} to {fmt.percent(item['high'])})"


def _metric_rows(ev: dict[str, Any]) -> list[str]:
    model, intervals = ev.get("model") or {}, ev.get("intervals") or {}
    rows = ["| measure | on the test split |", "|---|---|"]
    for key, name in (
        ("accuracy", "accuracy"),
        ("f1_macro", "F1 (macro)"),
        ("precision_macro", "precision (macro)"),
        ("recall_macro", "recall (macro)"),
    ):
        if model.get(key) is not None:
            rows.append(f"| {name} | {fmt.percent(model[key])}{_interval(intervals.get(key))} |")
    return rows


def _baseline_rows(ev: dict[str, Any]) -> list[str]:
    names = {"majority": "always the most common class", "logistic": "logistic regression (scikit-learn)"}
    rows = ["| model | accuracy | lift of this model |", "|---|---|---|"]
    accuracy = float((ev.get("model") or {}).get("accuracy") or 0.0)
    for key, baseline in (ev.get("baselines") or {}).items():
        if not isinstance(baseline, dict) or baseline.get("accuracy") is None:
            continue
        lift = 100.0 * (accuracy - float(baseline["accuracy"]))
        rows.append(f"| {names.get(key, _plain(key))} | {fmt.percent(baseline['accuracy'])} | {lift:+.1f} points |")
    return rows if len(rows) > 2 else []


def _calibration(ev: dict[str, Any]) -> str:
    calibration = ev.get("calibration") or {}
    if not calibration:
        return "Not measured for this run."
    parts = []
    if calibration.get("verdict"):
        parts.append(f"Verdict: {calibration['verdict']}.")
    if calibration.get("ece_after") is not None:
        parts.append(
            f"Expected calibration error on the test split: {fmt.percent(calibration['ece_after'])} "
            f"(within chance up to about {fmt.percent(calibration.get('chance_ece') or 0)})."
        )
    temperature = float(calibration.get("temperature") or 1.0)
    parts.append(
        f"The exported `predict.py` applies temperature {temperature:.3f}."
        if temperature != 1.0
        else "No temperature is applied."
    )
    if calibration.get("reason"):
        parts.append(str(calibration["reason"]))
    return " ".join(parts)


def _regression_figure(key: str, value: Any, currency: str) -> str:
    if key == "r2":
        return f"{float(value):.3f}"
    return fmt.percent(float(value)) if key == "mape" else amount(float(value), currency)


def _regression_sections(run: Run, ev: dict[str, Any]) -> list[str]:
    """Metrics in the target's units with 95% intervals, baselines as error reduction, the measured ranges."""
    target = ev.get("target") or {}
    name, currency = _plain(target.get("name") or "the target"), _plain(target.get("currency") or "")
    model, intervals = ev.get("model") or {}, ev.get("intervals") or {}
    lines = ["## Metrics (held-out test split)", "| measure | on the test split |", "|---|---|"]
    for key, label in (
        ("mae", "average miss (MAE)"),
        ("rmse", "typical miss (RMSE)"),
        ("r2", "share of the variation explained (R²)"),
        ("mape", "average miss as a share of the true value (MAPE)"),
    ):
        if model.get(key) is None:
            continue
        item = intervals.get(key) or {}
        span = ""
        if item.get("low") is not None and item.get("high") is not None:
            span = (
                f" (95% interval {_regression_figure(key, item['low'], currency)} to "
                f"{_regression_figure(key, item['high'], currency)})"
            )
        lines.append(f"| {label} | {_regression_figure(key, model[key], currency)}{span} |")
    lines += ["", business_summary(ev, [], run.task), "", "## Baselines (same split)"]
    lines += ["| model | typical miss (RMSE) | this model's errors are smaller by |", "|---|---|---|"]
    for key, baseline in (ev.get("baselines") or {}).items():
        if isinstance(baseline, dict) and baseline.get("rmse") is not None:
            reduction = (ev.get("error_reduction") or {}).get(key)
            shown = fmt.percent(float(reduction)) if reduction is not None else "—"
            lines.append(f"| {_plain(baseline.get('title') or key)} | {amount(baseline['rmse'], currency)} | {shown} |")
    lines += ["", "## Ranges"]
    ranges = ev.get("prediction_intervals") or {}
    for level, item in (ranges.get("levels") or {}).items():
        if item.get("coverage") is None:
            continue
        lines.append(
            f"- {round(float(level) * 100)}% range: measured on {fmt.plural(int(item.get('n') or 0), 'test row')}, "
            f"{fmt.percent(item['coverage'])} of the actual values of {name} fell inside (95% interval "
            f"{fmt.percent(item.get('coverage_low') or 0)} to {fmt.percent(item.get('coverage_high') or 0)}); "
            "the exported `predict.py` writes the same ranges."
        )
    if len(lines) and lines[-1] == "## Ranges":
        lines.append("Not measured for this run.")
    caveats = []
    if int(model.get("n") or 0) < 100:
        caveats.append(f"The test set is small ({int(model.get('n') or 0)} rows): the figures could move a lot.")
    if target.get("min") is not None and target.get("max") is not None:
        caveats.append(
            f"It learned from values of {name} between {amount(target['min'], currency)} and "
            f"{amount(target['max'], currency)}; estimates far outside that range are guesses."
        )
    if ((ev.get("error_reduction") or {}).get("linear") or 0.0) < 0:
        caveats.append("A simple linear model makes smaller errors on the same rows; prefer it, or improve this one.")
    caveats.append(
        f"All figures come from one split of the data (seed {run.config.settings.seed}); another split would give "
        "slightly different numbers."
    )
    return [*lines, "", "## Limitations", *[f"- {item}" for item in caveats], ""]


def _forecast_sections(run: Run, ev: dict[str, Any]) -> list[str]:
    """Backtest figures against the seasonal naive, the ranges' measured coverage, and the choice."""
    model = ev.get("model") or {}
    naive = (ev.get("baselines") or {}).get("seasonal_naive") or {}
    lines = ["## Metrics (backtest on the last horizon of every series)"]
    for key, title in (("wape", "WAPE (% off)"), ("mase", "MASE (vs the seasonal naive)"), ("bias", "Bias")):
        value = model.get(key)
        if isinstance(value, int | float):
            shown = fmt.percent(value) if key != "mase" else f"{value:.3f}"
            base = naive.get(key)
            versus = ""
            if isinstance(base, int | float):
                versus = f" (seasonal naive: {fmt.percent(base) if key != 'mase' else f'{base:.3f}'})"
            lines.append(f"- {title}: {shown}{versus}")
    for level, item in sorted((ev.get("coverage") or {}).items()):
        if isinstance(item.get("coverage"), int | float):
            lines.append(f"- {level}% range: held {fmt.percent(item['coverage'])} of the actual values")
    sentence = (ev.get("choice") or {}).get("sentence")
    if sentence:
        lines += ["", _plain(sentence)]
    return [
        *lines,
        "",
        "## Limitations",
        "- Judged on a backtest of past periods; a break in the pattern "
        "(a new competitor, a pandemic, a price change) is not in the history and will not be foreseen.",
        "",
    ]


#: What the model answers and what it is for, by the task's ``answers`` (registry).
_ANSWERS: dict[str, tuple[str, str]] = {
    "classes": (
        "classes: {classes}",
        "Sorting {noun} like the ones it was trained on into the classes above, with a person checking the answers "
        "it is unsure of.",
    ),
    "number": (
        "predicts {target} (a number)",
        "Estimating {target} for {noun} like the ones it was trained on, with its 80% and 90% ranges as the "
        "uncertainty, and a person checking estimates that drive big decisions.",
    ),
    "series": (
        "forecasts {target} over time",
        "Forecasting {target} for the next periods of the series it learned from, with its 80% and 90% ranges as "
        "the uncertainty, and a person checking forecasts that drive big orders.",
    ),
}
#: Sections that replace the classification metrics, by the task's ``answers``.
_SECTIONS = {"number": _regression_sections, "series": _forecast_sections}


def model_card_markdown(run: Run) -> str:
    """The model card of ``run``; any part that cannot be computed is left out with a note, never the card."""
    ev: dict[str, Any] = dict(run.evaluation or {})
    test = None
    try:
        ev = dict(complete_evaluation(ev, load_predictions(run), run.class_names))
        test = run.load_test()
    except Exception as exc:  # an older run without probabilities still gets a card from what it has
        log.info("Model card of %s without completed figures: %s", run.info.run_id, exc)
    spec = REGISTRY.get(run.config.template)
    data = run.meta.get("dataset", {})
    split = run.meta.get("split") or {}
    classes = ", ".join(f"`{_plain(name)}`" for name in run.class_names)
    try:
        caveats = limitations(run, ev, test)
    except Exception as exc:
        log.info("Limitations of %s unavailable: %s", run.info.run_id, exc)
        caveats = ["Tested on one split only: another split of the same data can give a few points more or less."]
    summary = business_summary(ev, run.class_names, run.task) if ev.get("model") else "No test figures saved."
    words = task_words(run.task, ev)
    target = _plain((ev.get("target") or {}).get("name") or data.get("target_column") or "the target")
    answers, use = _ANSWERS.get(words.answers, _ANSWERS["classes"])
    answers, use = answers.format(target=target, classes=classes), use.format(target=target, noun=words.noun)
    lines = [
        f"# Model card: {_plain(run.info.title)}",
        "",
        "## Model details",
        f"- Made with ModelDeck, run `{run.info.run_id}`, {run.info.created}.",
        f"- Task: {TASK_LABELS.get(run.task, run.task)}; {answers}.",
        f"- Template `{run.config.template}`: {spec.description if spec else ''}",
        f"- Trained on {run.info.device or 'an unrecorded device'}"
        + (f" in {fmt.seconds(run.info.duration_s)}." if run.info.duration_s else "."),
        "",
        "## Intended use",
        f"{use} Not for decisions about people without such a check, and not for {words.noun} unlike "
        "the training data (see Limitations).",
        "",
        "## Data",
        f"- {_plain(data.get('name') or 'Uploaded data')}: {fmt.plural(int(data.get('rows') or 0), 'example')}.",
    ]
    if split:
        lines.append(
            f"- Split before training (seed {run.config.settings.seed}): {fmt.count(split.get('train', 0))} to train, "
            f"{fmt.count(split.get('validation', 0))} to validate, {fmt.count(split.get('test', 0))} to test."
        )
    if data.get("class_counts"):
        counts = ", ".join(f"{_plain(k)}: {fmt.count(v)}" for k, v in data["class_counts"].items())
        lines.append(f"- Examples per class: {counts}.")
    own_sections = _SECTIONS.get(words.answers)
    if own_sections is not None and ev.get("model"):
        return "\n".join([*lines, "", *own_sections(run, ev)]) + "\n"
    lines += ["", "## Metrics (held-out test split)", *_metric_rows(ev), "", summary, ""]
    baselines = _baseline_rows(ev)
    if baselines:
        lines += ["## Baselines (same split)", *baselines, ""]
    lines += ["## Calibration", _calibration(ev), "", "## Limitations", *[f"- {item}" for item in caveats], ""]
    low, high, _ = cmp.accuracy_interval(ev)
    if low is not None:
        lines.append(f"_Accuracy interval: {fmt.percent(low)} to {fmt.percent(high)} (95%)._")
    return "\n".join(lines) + "\n"
