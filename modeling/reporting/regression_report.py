"""The shareable report of a number-predicting table run, in the same memo order as the classification one.

Summary and headline errors (with intervals and the baselines as error reduction), the prediction ranges
and their measured coverage, where it misses (charts, the largest misses with the row's values, error by
segment), which columns matter, the limitations, then the appendix (data, settings and training, how to
reproduce). :func:`modeling.reporting.run_report.run_report_html` hands regression runs over to
:func:`regression_report_html`.
"""

from __future__ import annotations

import logging
from typing import Any

from modeling import format as fmt
from modeling.errors import RunError
from modeling.evaluation.importance import describe_importance
from modeling.format import amount
from modeling.reporting import actions_report, charts
from modeling.reporting.blocks import chart, paragraph, report_page, row_count
from modeling.reporting.html import esc, kpi, markdown_block, markdown_inline, table
from modeling.reporting.regression_summary import regression_summary
from modeling.reporting.report_appendix import data_section, quoted_rows, reproduce_section, training_section
from modeling.reporting.task_words import task_words
from modeling.runs.store import Run

log = logging.getLogger(__name__)
MISSES_SHOWN = 10
_LABELS = {
    "mae": ("Typical miss (MAE)", "average size of a miss, in the target's units"),
    "rmse": ("RMSE", "like the typical miss, but large misses count more"),
    "r2": ("R²", "share of the variation explained (1 = perfect, 0 = no better than the average)"),
    "mape": ("MAPE", "average miss as a share of the true value"),
}


def _target(run: Run, ev: dict[str, Any]) -> tuple[str, str]:
    target = dict(ev.get("target") or {})
    return str(target.get("name") or "the target"), str(target.get("currency") or "")


def _figure(key: str, value: Any, currency: str) -> str:
    if value is None:
        return "—"
    if key == "r2":
        return f"{float(value):.3f}"
    if key == "mape":
        return fmt.percent(float(value))
    return amount(float(value), currency)


def regression_report_html(run: Run, now: float | None = None) -> str:
    if not run.evaluation:
        raise RunError(f"Run '{run.info.run_id}' has no saved evaluation (it did not finish), so there is no report.")
    ev: dict[str, Any] = dict(run.evaluation)
    target, currency = _target(run, ev)
    noun = task_words(run.task, ev).noun
    try:
        test = run.load_test()
    except Exception as exc:
        log.info("No test split for the report of %s: %s", run.info.run_id, exc)
        test = None
    sections = [
        ("summary", "Summary", _summary(ev, target, currency, noun)),
        ("figures", "Headline figures", _figures(ev, currency)),
        ("ranges", "Prediction ranges and how often they hold", _ranges(ev, target, currency)),
        ("misses", "Where it misses", _misses(ev, test, target, currency)),
        ("errors", "Estimates by tenth and where the errors are", actions_report.errors_section(ev, target, currency)),
        ("reasons", "The highest estimates and why", actions_report.explained_rows_section(ev, currency)),
        ("fairness", "Is it fair?", actions_report.fairness_section(run, currency)),
        ("columns", "Which columns matter", _columns(ev, run, target, currency)),
        ("limitations", "Limitations", _limitations(run, ev, noun)),
        ("data", "Appendix A · The data", data_section(run)),
        ("training", "Appendix B · Settings and training", training_section(run)),
        ("reproduce", "Appendix C · How to reproduce this run", reproduce_section(run)),
    ]
    return report_page(run, sections, now, kind="model", about_data=row_count(run, noun), also=f"predicts {target}")


def _summary(ev: dict[str, Any], target: str, currency: str, noun: str) -> str:
    model = ev["model"]
    boxes = [kpi("Typical miss (MAE)", amount(model["mae"], currency), f"n = {int(model['n']):,} test {noun}")]
    if model.get("r2") is not None:
        boxes.append(kpi("R² (variation explained)", f"{float(model['r2']):.2f}", "1 is perfect"))
    reduction = (ev.get("error_reduction") or {}).get("mean")
    if reduction is not None:
        boxes.append(
            kpi(
                "Smaller errors than guessing the average",
                fmt.share(float(reduction)),
                "RMSE",
                "good" if reduction > 0 else "bad",
            )
        )
    lead = markdown_block(regression_summary(ev, target, currency, noun=noun))
    return f'<div class="lead">{lead}</div><div class="kpis">{"".join(boxes)}</div>'


def _figures(ev: dict[str, Any], currency: str) -> str:
    model, intervals = ev["model"], ev.get("intervals") or {}
    rows = []
    for key, (label, meaning) in _LABELS.items():
        saved = intervals.get(key) or {}
        span = (
            f"{_figure(key, saved['low'], currency)}–{_figure(key, saved['high'], currency)}"
            if saved.get("low") is not None
            else "—"
        )
        rows.append([label, _figure(key, model.get(key), currency), span, f"{int(model['n']):,}", meaning])
    out = [
        table(
            ["Figure", "This model", "95% interval (bootstrap)", "Test size", "What it means"], rows, numeric=(1, 2, 3)
        )
    ]
    baselines = ev.get("baselines") or {}
    if baselines:
        base_rows = [["This model", amount(model["mae"], currency), amount(model["rmse"], currency), "—"]]
        for key, entry in baselines.items():
            reduction = (ev.get("error_reduction") or {}).get(key)
            base_rows.append(
                [
                    baseline_description(key, entry, ev),
                    amount(entry.get("mae"), currency),
                    amount(entry.get("rmse"), currency),
                    fmt.share(float(reduction)) if reduction is not None else "—",
                ]
            )
        out.append("<h3>Compared with doing something simple</h3>")
        out.append(table(["Model", "MAE", "RMSE", "This model's error reduction (RMSE)"], base_rows, numeric=(1, 2, 3)))
    return "".join(out)


def baseline_description(key: str, entry: dict[str, Any], ev: dict[str, Any]) -> str:
    """What a baseline is, in words; the training average is written in the target's units, as everywhere else.

    Runs saved before this wrote that average as Python wrote it ("Always answers 2.074e+05"): the number is
    taken from the evaluation's target facts and written again through :func:`modeling.format.amount`.
    """
    target = ev.get("target") or {}
    if key == "mean" and target.get("mean") is not None:
        average = amount(float(target["mean"]), str(target.get("currency") or ""))
        return f"Always answers {average}, the average of the training rows"
    return str(entry.get("description") or entry.get("title") or key)


def _ranges(ev: dict[str, Any], target: str, currency: str) -> str:
    report = ev.get("prediction_intervals") or {}
    rows = []
    for _key, item in sorted((report.get("levels") or {}).items()):
        if item.get("half_width") is None:
            continue
        rows.append(
            [
                f"{float(item['level']):.0%} range",
                fmt.percent(item.get("coverage")),
                f"{fmt.percent(item.get('coverage_low'), 0)}–{fmt.percent(item.get('coverage_high'), 0)}",
                amount(item.get("mean_width"), currency),
                f"{int(item.get('n') or 0):,}",
            ]
        )
    if not rows:
        return paragraph("Prediction ranges were not computed for this run (too few validation rows).", "note")
    how = "multiplicative (wider for larger values)" if report.get("scale") == "log" else "the same width for every row"
    return table(
        ["Range", "Actual values inside (test)", "95% interval", "Average width", "Test rows"],
        rows,
        numeric=(1, 2, 3, 4),
    ) + paragraph(
        f"Ranges are set by split conformal prediction on {int(report.get('validation_n') or 0):,} validation rows "
        f"({how}) and checked on the test rows, which played no part in setting them.",
        "note",
    )


def _misses(ev: dict[str, Any], test: Any, target: str, currency: str) -> str:
    out = [
        chart(charts.predicted_vs_actual(ev, target, currency)),
        chart(charts.residuals_by_prediction(ev, target, currency)),
        chart(charts.residual_distribution(ev, currency), 360),
    ]
    misses = list(ev.get("largest_misses") or [])[:MISSES_SHOWN]
    if misses:
        out.append("<h3>The largest misses</h3>")
        columns, values = quoted_rows(test, [int(m["index"]) for m in misses])
        rows = [
            [amount(m["actual"], currency), amount(m["predicted"], currency), amount(m["error"], currency), *cells]
            for m, cells in zip(misses, values, strict=True)
        ]
        out.append(table(["Actual", "Predicted", "Miss", *columns], rows, numeric=(0, 1, 2)))
    for column, segments in list((ev.get("segments") or {}).items())[:2]:
        out.append(chart(charts.error_by_segment(segments, column, currency), 360))
    return "".join(out)


def _columns(ev: dict[str, Any], run: Run, target: str, currency: str) -> str:
    importance = ev.get("importance")
    if not importance:
        return ""
    out = [f"<p>{markdown_inline(describe_importance(importance, target, currency=currency))}</p>"]
    out.append(chart(charts.importance_chart(importance, currency=currency)))
    for item in list(ev.get("partial_dependence") or [])[:2]:
        out.append(chart(charts.partial_dependence_chart(item, run.class_names, target), 360))
    out.append(
        paragraph(
            f"Importance: how much worse the estimates get when one column is scrambled across the "
            f"{int(importance.get('n') or 0):,} test rows ({int(importance.get('repeats') or 0)} times; bars with "
            "a 95% interval). Grey bars are not clearly above zero.",
            "note",
        )
    )
    return "".join(out)


def _limitations(run: Run, ev: dict[str, Any], noun: str) -> str:
    model = ev["model"]
    items = []
    if int(model["n"]) < 100:
        items.append(f"The test set is small ({int(model['n'])} {noun}): the figures could move a lot on other {noun}.")
    target = ev.get("target") or {}
    if target.get("min") is not None:
        items.append(
            f"It learned from values of {target.get('name', 'the target')} between "
            f"{amount(target['min'], str(target.get('currency') or ''))} and "
            f"{amount(target['max'], str(target.get('currency') or ''))}; estimates far outside that range are guesses."
        )
    reduction = (ev.get("error_reduction") or {}).get("linear")
    if reduction is not None and float(reduction) < 0:
        items.append("A simple linear model makes smaller errors on the same rows; prefer it, or improve this one.")
    if run.info.status == "stopped":
        items.append("Training was stopped by hand; the model is the best one found until then.")
    items.append(
        f"All figures come from one split of the data (seed {run.config.settings.seed}); another split would give "
        "slightly different numbers."
    )
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"
