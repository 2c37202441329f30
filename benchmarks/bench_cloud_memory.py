"""Cloud memory · the server's peak memory walking both sample paths, against Streamlit Cloud's 2.7 GB ceiling.

Streamlit Community Cloud gives an app 0.7 to 2.7 GB of memory and restarts it when it goes over. This
starts ``streamlit run app.py`` as Community Cloud would (hosted mode: the default), and in Debian's
Chromium through Playwright walks both sample paths with one training each at the default settings
(Data: sample -> Model -> Train until saved -> Evaluate -> Predict): first the handwritten digits, then
the product reviews. A thread reads the server's resident memory (VmRSS) every 0.2 s; the figures are its
peak (and the kernel's VmHWM), the memory just before each training starts (what the memory guard sees)
and what each training added at its peak, next to a bare one-title Streamlit app started the same way.
The "added by a training" figure is what ``modeling.training.memory_guard.TRAINING_RESERVE_MB`` keeps free.

    .venv/bin/python benchmarks/bench_cloud_memory.py
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from bench_app_start import ARGS, CHROMIUM, _first_paint, _launch, _memory_mb, _stop
from common import ROOT, header, row

CEILING_MB = 2700


class Sampler:
    """Reads a process's VmRSS every ``interval`` seconds; ``mark`` names the phase that follows."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval = pid, interval
        self.phase = "start"
        self.peaks: dict[str, float] = {}
        self.first: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                rss = _memory_mb(self.pid, "VmRSS")
            except OSError:
                return
            self.first.setdefault(self.phase, rss)
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), rss)
            time.sleep(self.interval)

    def mark(self, phase: str) -> None:
        time.sleep(self.interval * 2)
        self.phase = phase

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _walk(page, sampler: Sampler, name: str, sample_button: str, task_label: str) -> None:
    sampler.mark(f"{name}: data and model pages")
    page.get_by_role("link", name="1 · Data").click()
    page.locator(f".st-key-{sample_button} button").click()
    page.get_by_text("Active data").first.wait_for(timeout=60_000)
    page.get_by_role("link", name="2 · Model").click()
    page.get_by_text("Parameters").first.wait_for(timeout=120_000)
    page.get_by_role("link", name="3 · Train").click()
    page.get_by_role("button", name="Start training").wait_for(timeout=60_000)
    sampler.mark(f"{name}: training")
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Saved as run").first.wait_for(timeout=900_000)
    sampler.mark(f"{name}: evaluate and predict")
    page.get_by_role("link", name="4 · Evaluate").click()
    page.get_by_text("In plain words").first.wait_for(timeout=120_000)
    page.get_by_role("link", name="5 · Predict").click()
    page.get_by_text(task_label).first.click()
    time.sleep(3)


def main() -> None:
    from playwright.sync_api import sync_playwright

    bare = Path(tempfile.mkdtemp()) / "bare_app.py"
    bare.write_text("import streamlit as st\n\nst.title('Bare')\n")
    with sync_playwright() as p, tempfile.TemporaryDirectory() as home:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        proc, url, started = _launch(bare, home)
        try:
            page = browser.new_page()
            _first_paint(page, url, started, "Bare")
            bare_mb = _memory_mb(proc.pid, "VmRSS")
            page.close()
        finally:
            _stop(proc)

        proc, url, started = _launch(ROOT / "app.py", home)
        sampler = Sampler(proc.pid)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            _first_paint(page, url, started, "ModelDeck")
            paint_mb = _memory_mb(proc.pid, "VmRSS")
            walk_started = time.perf_counter()
            _walk(page, sampler, "digits", "sample_digits", "Image classification")
            _walk(page, sampler, "reviews", "sample_reviews", "Text classification")
            walk_s = time.perf_counter() - walk_started
            hwm = _memory_mb(proc.pid, "VmHWM")
            sampler.mark("end")
        finally:
            sampler.stop()
            _stop(proc)
        browser.close()

    peak = max(max(sampler.peaks.values()), hwm)
    rows = [
        row(
            "server memory at first paint (RSS)",
            f"{paint_mb:,.0f} MB",
            f"{bare_mb:,.0f} MB bare app",
            paint_mb / bare_mb,
        ),
        row(
            f"server peak memory, both sample paths walked ({walk_s:.0f} s)",
            f"{peak:,.0f} MB",
            f"{CEILING_MB:,} MB Community Cloud ceiling",
            peak / CEILING_MB,
            f"headroom {CEILING_MB - peak:,.0f} MB",
        ),
    ]
    for name in ("digits", "reviews"):
        before = sampler.first.get(f"{name}: training", float("nan"))
        during = sampler.peaks.get(f"{name}: training", float("nan"))
        rows.append(
            row(
                f"{name} training: before → peak (RSS)",
                f"{before:,.0f} → {during:,.0f} MB",
                "memory guard reserve " + _reserve(),
                None,
                f"added {during - before:,.0f} MB",
            )
        )
    for phase, value in sampler.peaks.items():
        rows.append(row(f"peak during '{phase}'", f"{value:,.0f} MB", "", None, ""))
    print(header())
    print("\n".join(rows))


def _reserve() -> str:
    from modeling.training.memory_guard import TRAINING_RESERVE_MB

    return f"{TRAINING_RESERVE_MB:,} MB"


if __name__ == "__main__":
    main()
