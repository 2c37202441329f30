"""The "Share" block: download a run's report (or a comparison) as HTML, and as PDF where Chromium exists.

The HTML is built only when someone clicks its download button (Streamlit runs a callable ``data`` in
its own thread at click time), so an Evaluate page that nobody shares costs nothing. The PDF takes a
few seconds in headless Chromium, so it is made on request behind a spinner, then offered for download.
Both are cached per run and per version of the run's files: a run whose decision rule changes gets a
fresh report, and a second click on an unchanged run is instant.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import streamlit as st

from modeling.errors import ModelDeckError
from modeling.reporting.compare_report import compare_report_html
from modeling.reporting.pdf import html_to_pdf as report_pdf
from modeling.reporting.pdf import pdf_unavailable_reason
from modeling.reporting.run_report import run_report_html
from modeling.runs.store import Run

log = logging.getLogger("modeldeck.ui")

#: The files a report reads; a change to any of them makes a new report.
_REPORT_FILES = ("run.json", "config.yaml", "history.json", "evaluation.json", "decision.json", "predictions.npz")
_CACHE_SIZE = 6
_CACHE: OrderedDict[tuple, str | bytes] = OrderedDict()
_LOCK = threading.Lock()


def _stamp(path: Path) -> tuple:
    """When each report file last changed: part of the cache key, so an edited run is never served stale."""
    out = []
    for name in _REPORT_FILES:
        try:
            out.append((name, (path / name).stat().st_mtime_ns))
        except OSError:
            out.append((name, 0))
    return tuple(out)


def _cached(key: tuple, make: Callable[[], str | bytes]) -> str | bytes:
    """A small LRU shared by every session (reports hold no secrets beyond what the run owner sees)."""
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    value = make()
    with _LOCK:
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80] or "report"


def _key(kind: str, runs: Sequence[Run]) -> tuple:
    return (kind, *[(str(run.path), _stamp(run.path)) for run in runs])


def run_report(run: Run) -> str:
    """The run's HTML report, cached per version of its files."""

    return str(_cached(_key("html", [run]), lambda: run_report_html(run)))


def compare_report(runs: Sequence[Run]) -> str:
    return str(_cached(_key("compare-html", runs), lambda: compare_report_html(runs)))


def _pdf(kind: str, runs: Sequence[Run], html: Callable[[], str]) -> bytes | None:
    key = _key(f"{kind}-pdf", runs)
    with _LOCK:
        if key in _CACHE:
            return bytes(_CACHE[key])
    pdf = report_pdf(html())
    if pdf is None:
        return None
    return bytes(_cached(key, lambda: pdf))


def _download_html(label_key: str, make: Callable[[], str], file_stem: str) -> None:
    def data() -> bytes:
        try:
            return make().encode("utf-8")
        except Exception:  # the click runs in a worker thread: log it, and hand over a page that says so
            log.exception("Building the report failed")
            return b"<!DOCTYPE html><p>The report could not be built; the server log has the details.</p>"

    st.download_button(
        "Download the report (HTML)",
        data=data,
        file_name=f"{file_stem}.html",
        mime="text/html",
        key=f"{label_key}_html",
        icon=":material/download:",
        on_click="ignore",
        type="primary",
    )


def _pdf_block(label_key: str, kind: str, runs: Sequence[Run], make: Callable[[], str], file_stem: str) -> None:
    reason = pdf_unavailable_reason()
    if reason:
        st.caption(reason)
        return
    state_key = f"{label_key}_pdf_for"
    key_now = _key(kind, runs)
    if st.session_state.get(state_key) != key_now:
        # The click is recorded in a callback, before the rerun draws anything, so the rerun goes straight
        # to printing and the button does not linger next to the download it made.
        st.button(
            "Make a PDF",
            key=f"{label_key}_make_pdf",
            icon=":material/picture_as_pdf:",
            on_click=lambda: st.session_state.__setitem__(state_key, key_now),
        )
        st.caption("The PDF is printed by Chromium on request; it takes a few seconds.")
        return
    try:
        with st.spinner("Printing the report to PDF in Chromium…"):
            pdf = _pdf(kind, runs, make)
    except ModelDeckError as exc:
        from ui.state import md_escape

        st.error(md_escape(str(exc)))
        return
    except Exception:
        log.exception("PDF export failed")
        st.error("The PDF could not be made on this machine. Download the HTML report instead.")
        return
    if pdf is None:
        st.caption(pdf_unavailable_reason() or "PDF export is not available here.")
        return
    st.download_button(
        "Download the report (PDF)",
        data=pdf,
        file_name=f"{file_stem}.pdf",
        mime="application/pdf",
        key=f"{label_key}_pdf",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
    )


def share_run(run: Run) -> None:
    """The Evaluate page's Share block for one run."""
    st.markdown("#### Share")
    st.caption(
        "A self-contained report for people who never open the app: the summary, figures with intervals and "
        "baselines, the decision rule, mistakes, limitations and how to reproduce the run. It opens offline."
    )
    stem = f"{_safe_name(run.info.run_id)}-report"
    left, right = st.columns(2)
    with left:
        _download_html("share_run", lambda: run_report(run), stem)
    with right:
        _pdf_block("share_run", "html", [run], lambda: run_report(run), stem)


def share_comparison(runs: Sequence[Run]) -> None:
    """The Compare runs page's export block."""
    st.markdown("#### Share this comparison")
    stem = _safe_name("compare-" + "-".join(run.info.run_id[-6:] for run in runs))
    left, right = st.columns(2)
    with left:
        _download_html("share_compare", lambda: compare_report(runs), stem)
    with right:
        _pdf_block("share_compare", "compare-html", runs, lambda: compare_report(runs), stem)
