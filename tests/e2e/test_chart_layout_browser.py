"""Every chart drawn by Plotly in Chromium: the legend never touches a title, an axis title or tick labels.

The unit test (tests/unit/reporting/test_charts.py) checks where each figure *asks* for its legend; this
one measures where Plotly actually *puts* it, at the width of half a wide page (two charts side by side,
as on the Evaluate page) and of a whole one, because long legend entries wrap on narrow charts. One
static page, no Streamlit server: a few seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import plotly.offline
import pytest
from playwright.sync_api import Browser

from tests.unit.reporting.test_charts import representative_figures

pytestmark = pytest.mark.e2e

#: Half of the Evaluate page's wide layout, and a whole one (pixels).
WIDTHS = (560, 1150)

#: For each chart: the boxes of its legend and of the texts the legend must not cover.
MEASURE = """() => [...document.querySelectorAll('.plotly-graph-div')].map(div => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const all = sel => [...div.querySelectorAll(sel)].filter(e => e.getBoundingClientRect().width > 0).map(box);
  const svg = div.querySelector('svg.main-svg').getBoundingClientRect();
  return {
    name: div.dataset.chart,
    figure: [svg.left, svg.top, svg.right, svg.bottom],
    legend: all('g.legend'),
    title: all('.g-gtitle text'),
    annotations: all('.infolayer g.annotation'),
    axis_titles: all('.infolayer [class^="g-x"][class$="title"] text'),
    ticks: all('g.xtick text, g.x2tick text'),
  };
})"""


def _page_html(width: int) -> str:
    parts = [f"<script>{plotly.offline.get_plotlyjs()}</script>"]
    for name, fig in representative_figures().items():
        spec = json.loads(fig.to_json())
        parts.append(
            f'<div class="plotly-graph-div" id="{name}-{width}" data-chart="{name}" style="width:{width}px"></div>'
            f"<script>Plotly.newPlot('{name}-{width}', {json.dumps(spec['data'])}, "
            f"{json.dumps(spec['layout'])}, {{responsive: false}});</script>"
        )
    return "<!doctype html><html><body style='margin:0'>" + "".join(parts) + "</body></html>"


def _overlap(a: list[float], b: list[float], slack: float = 1.0) -> bool:
    return a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack and b[1] < a[3] - slack


@pytest.mark.parametrize("width", WIDTHS)
def test_legends_clear_titles_axes_and_ticks_in_chromium(browser: Browser, tmp_path: Path, width: int):
    html = tmp_path / f"charts-{width}.html"
    html.write_text(_page_html(width), encoding="utf-8")
    page = browser.new_page(viewport={"width": width + 40, "height": 900})
    try:
        page.goto(html.as_uri())
        page.wait_for_function("() => document.querySelectorAll('svg.main-svg').length > 0")
        charts = page.evaluate(MEASURE)
    finally:
        page.close()
    assert {c["name"] for c in charts} == set(representative_figures())
    problems = []
    for chart in charts:
        for legend in chart["legend"]:
            for kind in ("title", "annotations", "axis_titles", "ticks"):
                if any(_overlap(legend, other) for other in chart[kind]):
                    problems.append(f"{chart['name']}: the legend covers {kind.replace('_', ' ')}")
            if legend[3] > chart["figure"][3] + 1 or legend[1] < chart["figure"][1] - 1:
                problems.append(f"{chart['name']}: the legend is cut off by the figure's edge")
    assert not problems, f"at {width} px: " + "; ".join(problems)
