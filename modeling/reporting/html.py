"""The bricks of an exported report: one self-contained HTML page, safe to open anywhere, offline.

A report travels by e-mail to people who never opened the app, so it must work from a file with no
network: the CSS is inline, Plotly's JavaScript is inlined once at the end, and every chart is the same
``go.Figure`` the app draws (``modeling.reporting.charts``), embedded as a ``<div>`` with its JSON. Nothing here
fetches fonts, images or scripts from anywhere.

Escaping is the one rule that matters: every value that could come from a user (class names, texts,
file and data names, YAML) goes through :func:`esc`; the only HTML written unescaped is the markup
built in this module. Plotly serialises figure JSON with ``<`` and ``/`` escaped, so a class name like
``</script>`` inside a chart cannot close the script tag either.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

#: Width (CSS px) the page is laid out at; PDF printing scales it to an A4 page (see modeling.reporting.pdf).
PAGE_WIDTH_PX = 880
#: Marker of the Plotly bundle, so tests can cut it out before checking the rest for external addresses.
PLOTLY_JS_MARK = "modeldeck-plotly-js"

CSS = """
:root { --ink:#1f2933; --muted:#52606d; --line:#d9e2ec; --soft:#f5f7fa; --blue:#1f77b4; --good:#2f855a;
        --bad:#c53030; --warn:#b7791f; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: #fff; color: var(--ink);
       font: 16px/1.55 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif; }
main { max-width: 880px; margin: 0 auto; padding: 32px 28px 48px; }
header.cover { border-bottom: 3px solid var(--blue); padding-bottom: 14px; margin-bottom: 22px; }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--blue); font-weight: 700; }
h1 { font-size: 28px; line-height: 1.25; margin: 6px 0 8px; }
h2 { font-size: 21px; margin: 34px 0 10px; padding-top: 6px; border-top: 1px solid var(--line); }
h3 { font-size: 17px; margin: 22px 0 6px; }
p { margin: 8px 0; }
.meta { color: var(--muted); font-size: 14px; margin: 0; }
.lead { font-size: 17px; background: var(--soft); border-left: 4px solid var(--blue); padding: 12px 16px;
        margin: 12px 0; }
.note { color: var(--muted); font-size: 14px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(185px, 1fr)); gap: 10px; margin: 14px 0; }
.kpi { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; break-inside: avoid; }
.kpi .label { font-size: 13px; color: var(--muted); }
.kpi .value { font-size: 24px; font-weight: 700; line-height: 1.2; }
.kpi .sub { font-size: 13px; color: var(--muted); }
.good { color: var(--good); } .bad { color: var(--bad); } .warn { color: var(--warn); }
table { border-collapse: collapse; width: 100%; margin: 10px 0; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.diff td { background: #fff8e1; }
tr.diff td:first-child { border-left: 3px solid var(--warn); }
.chart { margin: 8px 0 14px; break-inside: avoid; page-break-inside: avoid; }
pre { background: #0f1720; color: #e6edf3; padding: 12px 14px; border-radius: 6px; overflow-x: auto;
      font: 13px/1.45 "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; white-space: pre-wrap;
      word-break: break-word; }
code { font: 13px "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; background: var(--soft);
       padding: 1px 4px; border-radius: 3px; }
pre code { background: none; padding: 0; color: inherit; }
ul { padding-left: 22px; } li { margin: 4px 0; }
nav.toc { font-size: 14px; margin: 10px 0 0; display: flex; flex-wrap: wrap; gap: 2px 14px; }
nav.toc a { color: var(--blue); text-decoration: none; white-space: nowrap; }
table.facts td:first-child { width: 28%; color: var(--muted); }
details { margin: 8px 0; } summary { cursor: pointer; color: var(--blue); }
.mistakes { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 10px; }
.mistake { border: 1px solid var(--line); border-radius: 6px; padding: 6px; text-align: center; font-size: 12px;
           break-inside: avoid; }
.mistake img { width: 84px; height: 84px; image-rendering: pixelated; display: block; margin: 0 auto 4px; }
.quote { font-style: italic; }
footer { margin-top: 40px; padding-top: 10px; border-top: 1px solid var(--line); color: var(--muted);
         font-size: 13px; }
@media print {
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  .modebar-container { display: none !important; }
  nav.toc { display: none; }
  details > *:not(summary) { display: block; }
  a { color: inherit; text-decoration: none; }
}
"""

_MD_TOKEN = re.compile(r"\\(.)|\*\*|`", re.DOTALL)


def esc(value: Any) -> str:
    """HTML-escape anything (quotes too, so it is safe inside attributes as well)."""
    return html.escape(str(value), quote=True)


def markdown_inline(text: str) -> str:
    """The small Markdown subset ``modeling.reporting.summary`` writes, as HTML: backslash escapes, ``**bold**``, code.

    Every piece of text is escaped first; the only tags produced are ``<strong>`` and ``<code>``, opened
    and closed in pairs (an unmatched marker is shown as written). Anything else, such as ``[a](b)``
    links, stays literal text, so a class name cannot smuggle a link into the report.
    """
    out: list[str] = []
    pos = 0
    open_tags: list[str] = []
    for match in _MD_TOKEN.finditer(text):
        out.append(esc(text[pos : match.start()]))
        pos = match.end()
        token = match.group(0)
        if match.group(1) is not None:  # a backslash escape: the character itself, literally
            out.append(esc(match.group(1)))
            continue
        tag = "strong" if token == "**" else "code"
        if open_tags and open_tags[-1] == tag:
            open_tags.pop()
            out.append(f"</{tag}>")
        elif token in text[pos:] and tag not in open_tags:
            open_tags.append(tag)
            out.append(f"<{tag}>")
        else:
            out.append(esc(token))
    out.append(esc(text[pos:]))
    out.extend(f"</{tag}>" for tag in reversed(open_tags))
    return "".join(out)


def markdown_block(text: str) -> str:
    """Paragraphs (blank-line separated) and ``- `` bullet lists of :func:`markdown_inline` text."""
    blocks: list[str] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if lines and all(line.startswith(("- ", "* ")) for line in lines):
            items = "".join(f"<li>{markdown_inline(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        elif lines:
            blocks.append(f"<p>{markdown_inline(' '.join(lines))}</p>")
    return "\n".join(blocks)


def table(
    header: Sequence[str] | None,
    rows: Iterable[Sequence[Any]],
    numeric: Sequence[int] = (),
    row_classes: Sequence[str] | None = None,
) -> str:
    """An escaped HTML table; ``numeric`` column indexes are right-aligned, ``row_classes`` style rows.

    Without a ``header`` it is a two-column list of facts (label, value).
    """
    if header is None:
        cells = "".join(f"<tr><td>{esc(row[0])}</td><td>{esc(row[1])}</td></tr>" for row in rows)
        return f'<table class="facts"><tbody>{cells}</tbody></table>'
    head = "".join(
        f'<th class="num">{esc(h)}</th>' if i in numeric else f"<th>{esc(h)}</th>" for i, h in enumerate(header)
    )
    body = []
    for r, row in enumerate(rows):
        cls = f' class="{esc(row_classes[r])}"' if row_classes and row_classes[r] else ""
        cells = "".join(
            f'<td class="num">{esc(v)}</td>' if i in numeric else f"<td>{esc(v)}</td>" for i, v in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def figure(fig: Any, height: int | None = None) -> str:
    """A Plotly figure as a ``<div>`` plus the script that draws it (the library itself comes once, later)."""
    h = height or fig.layout.height or 420
    fig = fig.update_layout(height=h, width=None, autosize=True)
    body = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        config={"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]},
        default_width="100%",
        default_height=f"{h}px",
    )
    return f'<div class="chart">{body}</div>'


def kpi(label: str, value: str, sub: str = "", tone: str = "") -> str:
    """A headline number in a box: label, value, and a line of context under it (all escaped)."""
    cls = f' class="value {esc(tone)}"' if tone else ' class="value"'
    sub_html = f'<div class="sub">{esc(sub)}</div>' if sub else ""
    return f'<div class="kpi"><div class="label">{esc(label)}</div><div{cls}>{esc(value)}</div>{sub_html}</div>'


def image_data_uri(pixels: np.ndarray, scale: int = 3) -> str:
    """A small image (H x W or H x W x C, uint8) as an inline PNG ``data:`` URI, enlarged without blurring."""
    from PIL import Image

    arr = np.asarray(pixels)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    img = Image.fromarray(arr.astype(np.uint8))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def page(title: str, body: str) -> str:
    """The whole document: inline CSS, the body, then Plotly's JavaScript (inlined once) and the chart calls.

    Plotly's bundle is placed before the body's chart scripts so they find ``Plotly`` when they run; it is
    the only script of any size, and the page reads fine (without charts) where scripts are blocked.
    """
    from plotly.offline import get_plotlyjs

    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="ModelDeck">'
        f"<title>{esc(title)}</title><style>{CSS}</style>"
        f'<script id="{PLOTLY_JS_MARK}" type="text/javascript">{get_plotlyjs()}</script>'
        f"</head><body><main>{body}</main></body></html>\n"
    )


def strip_plotly_js(document: str) -> str:
    """The document without the inlined Plotly bundle (tests look for external addresses in the rest)."""
    start = document.find(f'<script id="{PLOTLY_JS_MARK}"')
    if start < 0:
        return document
    end = document.find("</script>", start)
    return document[:start] + document[end + len("</script>") :]
