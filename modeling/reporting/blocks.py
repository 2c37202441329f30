"""HTML building blocks shared by the run report and the comparison report (one definition each).

Each returns a string of HTML with every piece of user text escaped; :mod:`modeling.reporting.html` holds
the page shell and the lower-level pieces (tables, KPI boxes, figures, Markdown).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from modeling.reporting.html import esc, figure, page
from modeling.runs.store import Run

log = logging.getLogger(__name__)

#: The command that trains a run again, as the command line spells it (see modeling/__main__.py).
TRAIN_COMMAND = "python -m modeling train settings.yaml"


def today(now: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(now if now is not None else time.time()))


def section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{body}</section>'


def paragraph(text: str, cls: str = "") -> str:
    """A paragraph of plain text (escaped)."""
    return f'<p class="{cls}">{esc(text)}</p>' if cls else f"<p>{esc(text)}</p>"


def chart(fig: Any, height: int | None = None) -> str:
    """A chart, or a line saying it could not be drawn: one bad figure must not cost the whole report."""
    try:
        return figure(fig, height)
    except Exception:  # pragma: no cover - a chart bug is logged, the report still goes out
        log.exception("A report chart could not be drawn")
        return paragraph("This chart could not be drawn.", "note")


def title(run: Run) -> str:
    return str(run.info.title or run.info.run_id)


def footer(now: float | None) -> str:
    return (
        f"<footer>Made with ModelDeck on {esc(today(now))}. Figures are measured on a test split that the model "
        "never saw while training; charts are interactive when this file is opened in a browser.</footer>"
    )


def method_name(method: str) -> str:
    """'Wilson' and 'bootstrap', as people write them."""
    return {"wilson": "Wilson"}.get(method.strip().lower(), method.strip())


def row_count(run: Run, noun: str) -> str:
    """'1,234 rows': how many ``noun`` the run's data had (for the report's cover line)."""
    return f"{int((run.meta.get('dataset') or {}).get('rows') or 0):,} {noun}"


def report_page(
    run: Run,
    sections: list[tuple[str, str, str]],
    now: float | None,
    *,
    kind: str,
    about_data: str,
    also: str = "",
) -> str:
    """A whole ``kind`` report ("model", "forecast"): the cover, then each ``(anchor, title, body)`` with a body.

    Every family's report has the same cover (title, one line about the run, the contents) and footer, so a
    reader finds the same things in the same places; ``about_data`` goes in brackets after the data's name and
    ``also`` (what the run predicts, when said) before the report's date.
    """
    shown = [(a, t, b) for a, t, b in sections if b]
    toc = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t, _ in shown)
    dataset = run.meta.get("dataset") or {}
    facts = [
        f"Run {run.info.run_id}",
        f"trained {run.info.created or 'at an unknown time'}",
        f"data: {dataset.get('name', 'unknown')} ({about_data})",
        *([also] if also else []),
        f"report made {today(now)}",
    ]
    header = (
        f'<header class="cover"><div class="kicker">ModelDeck · {kind} report</div>'
        f'<h1>{esc(title(run))}</h1><p class="meta">{esc(" · ".join(facts))}</p><nav class="toc">{toc}</nav></header>'
    )
    body = header + "".join(section(a, t, b) for a, t, b in shown) + footer(now)
    return page(f"{kind.capitalize()} report — {title(run)}", body)
