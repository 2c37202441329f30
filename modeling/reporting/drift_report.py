"""Is this file like the training data? A scored batch's drift check as a self-contained HTML page.

``python -m modeling predict RUN FILE --drift-report drift.html`` writes it: the summary sentence first, then
the population stability index per column (chart), and one row per column with its shift, the two-sample
test, the change of its missing share, new and vanished categories, and how much the model leans on it. The
report is :func:`modeling.evaluation.drift.compare`'s, as :class:`~modeling.runs.protocol.ScoredBatch` carries it.
"""

from __future__ import annotations

import re
from typing import Any

from modeling import format as fmt
from modeling.reporting.blocks import chart, footer, paragraph, section, today
from modeling.reporting.charts import actions as action_charts
from modeling.reporting.html import esc, markdown_inline, page, table

#: New or vanished categories named per column.
NAMED = 5


def plain_summary(report: dict[str, Any] | None) -> str:
    """The summary sentence without Markdown's backslash escapes, for a terminal or a CSV."""
    return re.sub(r"\\(.)", r"\1", str((report or {}).get("summary") or ""))


def _categories(row: dict[str, Any]) -> str:
    parts = []
    new = list((row.get("new") or {}).items())
    if new:
        shown = ", ".join(f"{fmt.one_line(k, 30)} ({n:,})" for k, n in new[:NAMED])
        parts.append(f"new: {shown}" + (" ..." if len(new) > NAMED else ""))
    vanished = list(row.get("vanished") or [])
    if vanished:
        parts.append("gone: " + ", ".join(fmt.one_line(v, 30) for v in vanished[:NAMED]))
    return "; ".join(parts)


def _row(row: dict[str, Any]) -> list[Any]:
    severity = str(row.get("severity") or "none") + (" (could be chance)" if row.get("chance") else "")
    ks = row.get("ks")
    importance = row.get("importance")
    return [
        row["column"],
        f"{float(row['psi']):.3f}",
        severity,
        "—" if ks is None else f"{float(ks):.2f}",
        f"{float(row.get('p_value') or 0.0):.3g}",
        f"{fmt.percent(row.get('missing_train') or 0.0, 0)} → {fmt.percent(row.get('missing_batch') or 0.0, 0)}",
        "—" if importance is None else fmt.percent(float(importance), 0),
        _categories(row),
    ]


def drift_report_html(
    report: dict[str, Any], run_title: str = "", file_name: str = "", now: float | None = None
) -> str:
    """The drift check of one scored file as a page (every piece of user text escaped)."""
    rows = list(report.get("columns") or [])
    heading = f"Is {file_name or 'this file'} like the training data?"
    subtitle = (
        f"Model: {run_title or 'a ModelDeck run'} · {int(report.get('rows') or 0):,} rows scored, compared with "
        f"{int(report.get('training_rows') or 0):,} training rows · made {today(now)}"
    )
    header = (
        '<header class="cover"><div class="kicker">ModelDeck · drift check</div>'
        f'<h1>{esc(heading)}</h1><p class="meta">{esc(subtitle)}</p></header>'
    )
    lead = f'<div class="lead"><p>{markdown_inline(str(report.get("summary") or ""))}</p></div>'
    if not report.get("available", True) or not rows:
        return page(heading, header + section("summary", "Summary", lead) + footer(now))
    detail = table(
        [
            "Column",
            "Stability index",
            "Shift",
            "Largest gap (KS)",
            "p-value",
            "Missing: training → file",
            "Weight in the model",
            "Categories",
        ],
        [_row(r) for r in rows],
        numeric=(1, 3, 4, 6),
    )
    how = paragraph(
        "Population stability index over training's tenths (numbers) or its categories: under 0.1 no shift, 0.1 to "
        "0.25 some, 0.25 and above a major one. A shift a file this size could show by chance (p-value at or above "
        "0.01) is marked so and not counted as drift. The weight is the column's share of the model's permutation "
        "importance: a shift in a column the model ignores matters little.",
        "note",
    )
    body = (
        header
        + section("summary", "Summary", lead)
        + section("columns", "Per column", chart(action_charts.drift_chart(report)) + detail + how)
        + footer(now)
    )
    return page(heading, body)
