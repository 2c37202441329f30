"""The shareable report of a forecast run, in the memo order of the other reports.

The answer first (the paragraph to paste into an email, the headline errors with their lift over the seasonal
naive, the ranges' measured coverage), then the forecast itself (the total and the series served worst, with
ranges), how every model did on the backtest and why this one, the ranges, the series one by one, the
limitations, and the appendix (the data as it was read, settings and training, how to reproduce).
:func:`modeling.reporting.run_report.run_report_html` hands forecast runs (``answers == "series"``) here.
"""

from __future__ import annotations

import logging
from typing import Any

from modeling import format as fmt
from modeling.errors import RunError
from modeling.evaluation.forecast.outlook import rounded
from modeling.reporting import charts
from modeling.reporting.blocks import chart, paragraph, report_page
from modeling.reporting.forecast_summary import coverage_sentence, forecast_summary
from modeling.reporting.html import esc, kpi, markdown_block, table
from modeling.reporting.report_appendix import reproduce_section, training_section
from modeling.runs.forecast.bundle import ForecastBundle, load_forecast_bundle
from modeling.runs.forecast.predictor import ForecastPredictor
from modeling.runs.store import Run

log = logging.getLogger(__name__)
SERIES_SHOWN = 20


def forecast_report_html(run: Run, now: float | None = None) -> str:
    """One forecast run as a self-contained HTML memo (see the module docstring)."""
    if not run.evaluation:
        raise RunError(f"Run '{run.info.run_id}' has no saved evaluation (it did not finish), so there is no report.")
    ev: dict[str, Any] = dict(run.evaluation)
    try:
        bundle: ForecastBundle | None = load_forecast_bundle(run.path)
    except RunError as exc:
        log.info("No forecast bundle for the report of %s: %s", run.info.run_id, exc)
        bundle = None
    target = str((ev.get("target") or {}).get("name") or "the target")
    sections = [
        ("summary", "Summary", _summary(ev)),
        ("forecast", "The forecast", _forecast(run, ev, bundle, target)),
        ("models", "Every model on the same backtest", _models(ev)),
        ("ranges", "Ranges and how often they hold", _ranges(ev)),
        ("series", "Series by series", _series(ev)),
        ("limitations", "Limitations", _limitations(ev)),
        ("data", "Appendix A · The data as it was read", _data(run, ev)),
        ("training", "Appendix B · Settings and training", training_section(run)),
        ("reproduce", "Appendix C · How to reproduce this run", _reproduce(run)),
    ]
    about_data = str((run.meta.get("dataset") or {}).get("description") or "")
    return report_page(run, sections, now, kind="forecast", about_data=about_data, also=f"forecasts {target}")


def _lift_words(lift: Any) -> str:
    if lift is None:
        return "no seasonal naive to compare with"
    return f"{fmt.share(abs(float(lift)))} {'less' if lift >= 0 else 'more'} error than the seasonal naive"


def _summary(ev: dict[str, Any]) -> str:
    model = ev.get("model") or {}
    boxes = [kpi("Off by (WAPE)", fmt.percent(model.get("wape")), _lift_words(model.get("wape_lift")))]
    if model.get("mase") is not None:
        boxes.append(kpi("MASE", f"{float(model['mase']):.2f}", "below 1 beats last season's values, per series"))
    if model.get("bias") is not None:
        lean = "too high" if model["bias"] > 0 else "too low"
        boxes.append(kpi("Bias", f"{100 * float(model['bias']):+.1f}%", f"on average {lean}"))
    for level in ("80", "90"):
        if model.get(f"coverage_{level}") is not None:
            held = float(model[f"coverage_{level}"])
            tone = "good" if abs(held - int(level) / 100) <= 0.05 else "bad"
            boxes.append(kpi(f"{level}% range held", fmt.percent(held, 0), "on dates it never saw", tone))
    lead = markdown_block(forecast_summary(ev))
    return f'<div class="lead">{lead}</div><div class="kpis">{"".join(boxes)}</div>'


def _forecast(run: Run, ev: dict[str, Any], bundle: ForecastBundle | None, target: str) -> str:
    if bundle is None:
        return paragraph("The saved forecast could not be read, so it is not drawn here.", "note")
    out = []
    predictor = ForecastPredictor(bundle, run.task)
    forecast = predictor.forecast()
    total = predictor.total(forecast)
    several = len(predictor.series_ids) > 1
    out.append(chart(charts.forecast_chart(bundle.history, bundle.backtest, forecast, None, target, total), 460))
    rows = [
        [
            f"{row.date:%Y-%m-%d}",
            rounded(row.forecast),
            f"{rounded(row.low_80)}–{rounded(row.high_80)}",
            f"{rounded(row.low_90)}–{rounded(row.high_90)}",
        ]
        for row in total.itertuples()
    ]
    heading = "The total over all series" if several else "The forecast"
    out.append(f"<h3>{esc(heading)}</h3>")
    out.append(table(["Date", f"Forecast of {target}", "80% range", "90% range"], rows, numeric=(1, 2, 3)))
    worst = (ev.get("worst_series") or {}).get("unique_id")
    if several and worst is not None:
        out.append(f"<h3>{esc(f'The series served worst: {worst}')}</h3>")
        out.append(chart(charts.forecast_chart(bundle.history, bundle.backtest, forecast, str(worst), target), 420))
    out.append(
        paragraph(
            "The grey line is what happened; the dotted line is what the forecast said on the backtest, each window "
            "made only from the dates before it; the blue line and bands are the forecast from all the history.",
            "note",
        )
    )
    return "".join(out)


def _models(ev: dict[str, Any]) -> str:
    candidates = ev.get("candidates") or {}
    if not candidates:
        return ""
    rows = []
    for name, figures in sorted(candidates.items(), key=lambda kv: kv[1].get("wape") or float("inf")):
        weight = float(figures.get("weight") or 0.0)
        rows.append(
            [
                str(figures.get("label") or name),
                fmt.percent(figures.get("wape")),
                "—" if figures.get("mase") is None else f"{float(figures['mase']):.2f}",
                "—" if figures.get("bias") is None else f"{100 * float(figures['bias']):+.1f}%",
                fmt.percent(figures.get("wape_lift"), 0),
                fmt.percent(weight, 0) if weight else "—",
            ]
        )
    headings = ["Model", "WAPE", "MASE", "Bias", "Less error than the naive", "Weight in the forecast"]
    out = [table(headings, rows, (1, 2, 3, 4, 5)), chart(charts.model_comparison_chart(ev), 380)]
    choice = (ev.get("choice") or {}).get("sentence")
    if choice:
        out.append(f"<p><strong>{esc('Why this forecast: ' + str(choice))}</strong></p>")
    out.append(paragraph(f"Measured on {ev.get('scored_on') or 'the backtest'}.", "note"))
    return "".join(out)


def _ranges(ev: dict[str, Any]) -> str:
    return (
        paragraph(coverage_sentence(ev))
        + chart(charts.range_coverage_chart(ev), 360)
        + paragraph(
            "The ranges come from how far off the backtest was at each step ahead (conformal calibration); they are "
            "checked on the last backtest window, which the calibration did not see. A range that holds less often "
            "than promised is too narrow: plan with the 90% range then.",
            "note",
        )
    )


def _series(ev: dict[str, Any]) -> str:
    rows_saved = list(ev.get("series") or [])
    if len(rows_saved) < 2:
        return ""
    rows = [
        [
            str(r.get("unique_id")),
            fmt.percent(r.get("wape")),
            fmt.percent(r.get("baseline_wape")),
            "—" if r.get("bias") is None else f"{100 * float(r['bias']):+.1f}%",
            rounded(float(r.get("actual") or 0.0)),
        ]
        for r in rows_saved[:SERIES_SHOWN]
    ]
    total = int(ev.get("series_total") or len(rows_saved))
    shown = f"The {min(SERIES_SHOWN, total)} series served worst, of {fmt.count(total)}" if total > SERIES_SHOWN else ""
    return (
        (paragraph(shown) if shown else "")
        + table(["Series", "WAPE", "Seasonal naive's WAPE", "Bias", "Actual total on those dates"], rows, (1, 2, 3, 4))
        + chart(charts.series_error_chart(ev, SERIES_SHOWN))
    )


def _limitations(ev: dict[str, Any]) -> str:
    items = []
    windows = int(ev.get("windows") or 0)
    if windows < 3:
        items.append(
            f"The backtest has {fmt.plural(windows, 'window')} only (the history is short), so its figures rest on "
            "few dates; a longer history gives steadier ones."
        )
    items.append(
        "The forecast assumes the future behaves like the past it learned from: a new competitor, a price change or "
        "a closure that the history never showed will not be in it."
    )
    target = ev.get("target") or {}
    if target.get("known_ahead_sentence"):
        items.append(str(target["known_ahead_sentence"]))
    items += [str(note) for note in ev.get("notes") or []]
    return "<ul>" + "".join(f"<li>{esc(item)}</li>" for item in items) + "</ul>"


def _data(run: Run, ev: dict[str, Any]) -> str:
    dataset = run.meta.get("dataset") or {}
    target = ev.get("target") or {}
    frequency = ev.get("frequency") or {}
    split = run.meta.get("split") or {}
    rows = [
        ["Data set", str(dataset.get("name", "unknown"))],
        ["Source", str(dataset.get("source") or run.config.data.source)],
        ["What was read", str(target.get("preparation_sentence") or dataset.get("description") or "")],
        ["Dates", f"'{target.get('date_column', '')}', {frequency.get('words', '')}"],
        ["Forecast", f"'{target.get('name', '')}', {fmt.plural(int(ev.get('horizon') or 0), 'step')} ahead"],
    ]
    if target.get("known_ahead"):
        rows.append(["Known ahead", ", ".join(str(c) for c in target["known_ahead"])])
    left_out = target.get("left_out") or {}
    if left_out:
        rows.append(["Left out", "; ".join(f"{k}: {v}" for k, v in list(left_out.items())[:8])])
    if split:
        rows.append(
            [
                "Backtest",
                f"{int(split.get('test', 0)):,} dated values in the last horizon (the test), "
                f"{int(split.get('validation', 0)):,} in the earlier windows; every forecast made only from the dates "
                "before it",
            ]
        )
    return table(None, rows)


def _reproduce(run: Run) -> str:
    return reproduce_section(run) + paragraph(
        f"The code behind this run, as a plain statsforecast and scikit-learn script: python -m modeling code "
        f"{run.info.run_id} > forecast.py",
        "note",
    )
