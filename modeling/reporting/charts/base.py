"""What every figure shares: colours, labels escaped as typed, a readable layout, a note for no data."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

TEMPLATE = "plotly_white"


BLUE = "#1f77b4"  # the model / training


ORANGE = "#ff7f0e"  # validation


GREY = "#9aa5b1"  # baselines, other classes, chance


GREEN = "#2ca02c"  # right answers


RED = "#d62728"  # wrong answers


MODEL_LABEL = "This model"


LOGISTIC_LABEL = "Keyword/pixel model (logistic regression)"


MAJORITY_LABEL = "Always the majority class"


def plain(value: Any) -> Any:
    """Text as typed: Plotly renders a subset of HTML in labels, so ``<b>good</b>`` must arrive escaped."""
    return html.escape(value, quote=False) if isinstance(value, str) else value


def escape_labels(fig: go.Figure) -> None:
    """Escape every label a user could have written (class names, data names) in the traces of ``fig``."""
    for trace in fig.data:
        for attribute in ("x", "y", "text", "name"):
            values = getattr(trace, attribute, None)
            if isinstance(values, str):
                trace[attribute] = plain(values)
            elif isinstance(values, (tuple, list)) and any(isinstance(v, str) for v in values):
                trace[attribute] = [plain(v) for v in values]


#: Where every chart's legend goes: in rows below the plot, at the bottom edge of the figure. Plotly's usual
#: place for a horizontal legend, just above the plot, is the band of the title and of subplot titles, and
#: entries that wrap on a half-width chart covered them ("Accuracy (higher is better)" on the Train page).
#: Measured from the figure's edge ("container"), not the plot area, so the gap to the axis title does not
#: depend on the chart's height; Plotly grows the bottom margin when the entries need more rows.
LEGEND_BELOW = {"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom", "xanchor": "left", "x": 0.0}

#: Bottom margin (pixels): tick labels and the axis title, plus one row of legend entries when there is a legend.
MARGIN_BOTTOM, MARGIN_BOTTOM_WITH_LEGEND = 60, 90


def layout(fig: go.Figure, title: str, **layout: Any) -> go.Figure:
    """Shared look: white template, a title that says what the chart shows, room for long class names.

    Labels are escaped here, once for every chart, because class names come from uploaded files. The
    legend goes below the plot (:data:`LEGEND_BELOW`); charts without one pass ``showlegend=False``.
    """
    escape_labels(fig)
    bottom = MARGIN_BOTTOM if layout.get("showlegend") is False else MARGIN_BOTTOM_WITH_LEGEND
    fig.update_layout(
        title={"text": plain(title), "x": 0.0, "xanchor": "left"},
        template=TEMPLATE,
        margin={"l": 60, "r": 30, "t": 70, "b": bottom},
        legend=LEGEND_BELOW,
        **layout,
    )
    return fig


def note(fig: go.Figure, text: str) -> go.Figure:
    """A centred message where a plot would be, so an empty chart explains itself instead of looking broken."""
    fig.add_annotation(
        text=text, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False, font={"size": 16, "color": "#555"}
    )
    return fig


def clean(values: Sequence[Any] | None) -> list[float | None]:
    """Floats with NaN/inf as gaps (a diverged epoch shows as a break, not as a crash or a spike)."""
    out: list[float | None] = []
    for v in values or []:
        try:
            f = float(v)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(f if math.isfinite(f) else None)
    return out


def as_percent(values: list[float | None]) -> list[float | None]:
    """Keras reports accuracy as 0..1; show 0..100 (values already above 1 are taken as percent)."""
    finite = [v for v in values if v is not None]
    if finite and max(finite) > 1.0:
        return values
    return [None if v is None else 100.0 * v for v in values]


#: One colour per run when runs are compared (Plotly's default sequence, readable on white and in print).
RUN_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
