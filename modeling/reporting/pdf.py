"""Print an HTML report to PDF with headless Chromium, where the machine has one.

The report's charts are drawn by JavaScript (Plotly), so a PDF needs a real browser engine: Chromium,
driven through Playwright. Both are optional. Playwright is imported only here, inside the functions, and
when either is missing :func:`html_to_pdf` returns ``None`` and :func:`pdf_unavailable_reason` says why
in a sentence, so the app can offer the HTML instead (any browser prints it to PDF).

Playwright's synchronous API refuses to run inside a thread that has a running asyncio loop, and a
Streamlit server may call this from one; so the browser is always driven from a short-lived worker thread.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from modeling import settings
from modeling.errors import ModelDeckError
from modeling.reporting.html import PAGE_WIDTH_PX

log = logging.getLogger(__name__)

#: Where Debian and Ubuntu put Chromium; ``MODELDECK_CHROMIUM`` overrides it.
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
#: A4 with 12 mm margins leaves 186 mm (703 CSS px) of width; printed at this scale the page is laid out
#: PAGE_WIDTH_PX wide, the same width the charts are drawn at, so nothing is cut or squeezed.
PDF_SCALE = 0.8
MARGIN = "12mm"
#: Longest wait for Plotly to draw every chart (a 5 MB page on a busy 2-core machine).
RENDER_TIMEOUT_MS = 60_000

_BROWSER_LOCK = threading.Lock()  # one Chromium at a time: each takes ~200 MB


def chromium_path() -> str | None:
    """The Chromium executable to use, or ``None`` when none is installed."""
    configured = settings.chromium()
    candidates = [configured] if configured else []
    candidates += list(CHROMIUM_PATHS)
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found


def pdf_unavailable_reason() -> str | None:
    """``None`` when PDFs can be made here; else one sentence saying what is missing and what to do."""
    if importlib.util.find_spec("playwright") is None:
        return (
            "PDF export needs the Python package playwright and the Chromium browser, which this machine does not "
            "have (pip install playwright; apt-get install chromium). Download the HTML report instead: it opens "
            "in any browser, which can also print it to PDF."
        )
    if chromium_path() is None:
        return (
            "PDF export needs the Chromium browser, which is not installed on this machine (apt-get install "
            "chromium, or set MODELDECK_CHROMIUM to its path). Download the HTML report instead: it opens in any "
            "browser, which can also print it to PDF."
        )
    return None


def html_to_pdf(html_text: str) -> bytes | None:
    """``html_text`` printed to an A4 PDF once every chart has drawn; ``None`` when PDFs cannot be made here.

    Raises :class:`modeling.errors.ModelDeckError` when Chromium is there but printing fails (it crashed
    or a chart never finished drawing), so the caller can tell "cannot here" from "went wrong".
    """
    if pdf_unavailable_reason() is not None:
        return None
    with _BROWSER_LOCK, ThreadPoolExecutor(max_workers=1, thread_name_prefix="modeldeck-pdf") as pool:
        return pool.submit(_print, html_text, chromium_path()).result()


def _print(html_text: str, executable: str | None) -> bytes:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="modeldeck-pdf-") as tmp:
        source = Path(tmp) / "report.html"
        source.write_text(html_text, encoding="utf-8")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
                try:
                    context = browser.new_context(viewport={"width": round(PAGE_WIDTH_PX), "height": 1200})
                    # Offline by construction: refuse every request that is not the file itself.
                    context.route(
                        "**/*",
                        lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
                    )
                    page = context.new_page()
                    page.goto(source.as_uri(), wait_until="load", timeout=RENDER_TIMEOUT_MS)
                    page.wait_for_function(_CHARTS_DRAWN, timeout=RENDER_TIMEOUT_MS)
                    # Paper cannot be clicked: fold-outs (all settings, each run's YAML) print opened.
                    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
                    page.emulate_media(media="print")
                    return page.pdf(
                        format="A4",
                        print_background=True,
                        scale=PDF_SCALE,
                        margin={"top": MARGIN, "bottom": MARGIN, "left": MARGIN, "right": MARGIN},
                        display_header_footer=True,
                        header_template="<span></span>",
                        footer_template=_FOOTER,
                    )
                finally:
                    browser.close()
        except PlaywrightError as exc:
            log.exception("Printing the report to PDF failed")
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelDeckError(f"Chromium could not print the report to PDF ({first[:200]}).") from None


#: True once every Plotly chart on the page has its SVG (Plotly adds ``.main-svg`` when it has drawn).
_CHARTS_DRAWN = """() => {
  const charts = [...document.querySelectorAll('.plotly-graph-div')];
  return charts.every(c => c.querySelector('svg.main-svg'));
}"""

_FOOTER = (
    '<div style="font-size:8px;color:#7b8794;width:100%;text-align:center;">'
    'ModelDeck report · page <span class="pageNumber"></span> of <span class="totalPages"></span></div>'
)
