"""The report's sections for acting on the scores: who to contact first, where the estimates err, the ranked rows
with their reasons, and whether the model is fair to the groups of a sensitive column.

Each section reads what the run saved (``gains``, ``prediction_deciles``, ``error_segments``, ``explained_rows``
in ``evaluation.json``; the sensitive column chosen on the Evaluate page or in the settings) and returns ``""``
when the run has nothing to show, so the memo never holds an empty box. Every piece of user text is escaped.
"""

from __future__ import annotations

import logging
from typing import Any

from modeling import format as fmt
from modeling.format import amount
from modeling.reporting.blocks import chart, paragraph
from modeling.reporting.charts import actions as action_charts
from modeling.reporting.html import esc, kpi, markdown_inline, table
from modeling.runs.store import Run

log = logging.getLogger(__name__)

_RATES = (
    ("selection_rate", "given '{positive}'"),
    ("true_positive_rate", "true '{positive}' found"),
    ("false_positive_rate", "others wrongly given it"),
)


def _entry(e: dict[str, Any] | None, percent: bool = True, currency: str = "") -> str:
    """A rate or mean with its interval: '21% (17%–27%)'."""
    if not e or e.get("value") is None:
        return "—"

    def shown(v: float) -> str:
        return fmt.percent(v, 0) if percent else amount(v, currency)

    if e.get("low") is None or e.get("high") is None:
        return shown(float(e["value"]))
    return f"{shown(float(e['value']))} ({shown(float(e['low']))}–{shown(float(e['high']))})"


def gains_section(ev: dict[str, Any]) -> str:
    """Two classes: the gains sentence, the top tenth's lift, the gains and lift charts, the lift per tenth."""
    result = ev.get("gains") or {}
    if not result:
        return ""
    if not result.get("curve"):  # no row of the class to find among the test rows: the sentence says so
        return paragraph(str(result.get("summary") or ""), "note") if result.get("summary") else ""
    positive = str(result.get("positive") or "the class to find")
    top = result.get("top_decile_lift") or {}
    boxes = [
        kpi(
            "Top-tenth lift",
            f"{float(top['value']):.1f}x" if top.get("value") is not None else "—",
            f"95% interval {top['low']:.1f}x–{top['high']:.1f}x" if top.get("low") is not None else "",
            "good" if (top.get("low") or 0) > 1 else "",
        ),
        kpi(f"Test rows that are '{positive}'", fmt.percent(result.get("base_rate"), 0), "what a random list reaches"),
    ]
    rows = [
        [
            d["decile"],
            f"{int(d['n']):,}",
            f"{int(d['positives']):,}",
            fmt.percent(d["rate"], 0),
            f"{float(d['lift']):.1f}x",
            fmt.percent(d["reached"], 0),
        ]
        for d in result.get("deciles") or []
    ]
    return (
        f'<div class="lead"><p>{markdown_inline(str(result.get("summary") or ""))}</p></div>'
        f'<div class="kpis">{"".join(boxes)}</div>'
        + chart(action_charts.gains_chart(result, f"'{positive}'"))
        + chart(action_charts.lift_chart(result))
        + table(
            ["Tenth of the list", "Rows", f"'{positive}'", "Rate", "Lift", "Reached so far"],
            rows,
            numeric=(1, 2, 3, 4, 5),
        )
        + paragraph(
            "The test rows ranked by the model's chance, highest first: the list to call from the top. A random "
            "list reaches the same share as it contacts (lift 1).",
            "note",
        )
    )


def errors_section(ev: dict[str, Any], target: str, currency: str) -> str:
    """Numbers: predicted vs actual by tenth of the estimates, and the segments it over- or under-estimates."""
    deciles = ev.get("prediction_deciles") or []
    segments = ev.get("error_segments") or {}
    if not deciles and not segments:
        return ""
    parts = []
    if deciles:
        parts.append(chart(action_charts.decile_chart(deciles, target, currency)))
    if segments:
        parts.append(f"<p>{markdown_inline(str(segments.get('summary') or ''))}</p>")
        if segments.get("segments"):
            parts.append(chart(action_charts.error_segments_chart(segments["segments"], currency)))
    return "".join(parts)


def explained_rows_section(ev: dict[str, Any], currency: str = "") -> str:
    """The first ranked test rows with their IDs, score, true answer and reasons."""
    block = ev.get("explained_rows") or {}
    rows = block.get("rows") or []
    if not rows:
        return ""
    score = str(block.get("score") or "score")
    ids = list(rows[0].get("ids") or {})
    percent = score != "estimate"

    def value(v: Any) -> str:
        if isinstance(v, (int, float)):
            return fmt.percent(float(v), 0) if percent else amount(float(v), currency)
        return str(v)

    body = [
        [
            r["rank"],
            *[(r.get("ids") or {}).get(c, "") for c in ids],
            value(r["score"]),
            r["truth"] if isinstance(r["truth"], str) else amount(float(r["truth"]), currency),
            "; ".join(r.get("reasons") or []) or "close to a typical row",
        ]
        for r in rows
    ]
    return table(["Rank", *ids, score, "True answer", "Why (top reasons)"], body, numeric=(0,)) + paragraph(
        "The highest ranked test rows. Each reason is how much the answer moves when that column alone is set back "
        "to its typical value: what the model does, not what causes the outcome. The Evaluate page downloads the "
        "whole ranked list with every row's reasons.",
        "note",
    )


def fairness_reports(run: Run) -> list[dict[str, Any]]:
    """The audits to show, recomputed under the run's current decision rule: the column chosen on the Evaluate
    page (or none, if "no sensitive column" was chosen there), else every column the settings named."""
    from modeling.runs.table import fairness_audit

    saved = list((run.evaluation or {}).get("fairness") or [])
    try:
        if (run.path / fairness_audit.FAIRNESS_FILE).is_file():
            choice = fairness_audit.load_choice(run.path)
            return [] if choice is None else [fairness_audit.audit_run(run, choice["column"], choice["bands"])]
        return [
            entry if entry.get("error") else fairness_audit.audit_run(run, entry["column"], bool(entry.get("bands")))
            for entry in saved
        ]
    except Exception as exc:
        log.info("The fairness audit of %s could not be recomputed for the report: %s", run.info.run_id, exc)
    return saved


def fairness_section(run: Run, currency: str = "") -> str:
    """Per group of the sensitive column: rates (classes) or mean error (numbers) with intervals; the largest gap."""
    parts = []
    for report in fairness_reports(run):
        column = str(report.get("column") or "")
        parts.append(f"<h3>Groups of '{esc(fmt.one_line(column, 60))}'</h3>")
        if report.get("error"):
            parts.append(paragraph(str(report["error"]), "note"))
            continue
        parts.append(f"<p>{markdown_inline(str(report.get('summary') or ''))}</p>")
        groups = report.get("groups") or []
        if groups and "mean_error" in groups[0]:
            body = [
                [g["group"], f"{int(g['n']):,}", _entry(g["mean_error"], False, currency), amount(g["mae"], currency)]
                for g in groups
            ]
            parts.append(table([column, "Rows", "Mean error (95% interval)", "Typical miss"], body, numeric=(1,)))
        else:
            positive = str(report.get("positive") or "yes")
            header = [column, "Rows", *[words.format(positive=positive) for _, words in _RATES]]
            body = [[g["group"], f"{int(g['n']):,}", *[_entry(g.get(m)) for m, _ in _RATES]] for g in groups]
            parts.append(table(header, body, numeric=(1,)))
            parts.append(
                paragraph(
                    f"Demographic parity difference {float(report['demographic_parity_difference']):.2f}, equalised "
                    f"odds difference {float(report['equalized_odds_difference']):.2f} (0 = the groups are treated "
                    f"alike; computed with {report.get('method', 'fairlearn')}).",
                    "note",
                )
            )
        parts.append(chart(action_charts.fairness_chart(report)))
    return "".join(parts)
