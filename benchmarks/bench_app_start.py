"""Benchmark 5 · app start and memory.

Launches ``streamlit run app.py`` and measures, in Debian's Chromium through Playwright, the
time from launch to the first page painted (the title visible), next to a bare Streamlit app with
one ``st.title`` started the same way. The two are launched in turn, ``--repeats`` times each
(the order alternates, after one unmeasured warm-up launch), and the ratio of the medians is the
figure: the machine's noise hits both. At the moment of the paint it also reads each server's
resident memory and which heavy libraries (NumPy, pandas, PyArrow, scikit-learn, TensorFlow) it
has loaded, from ``/proc/PID/maps``: the Start page should load none of them.

Unless ``--paint-only``, it then walks both sample paths (load the sample, open Model, train
2 epochs, open Evaluate, predict once) and reads the server's peak resident memory (VmHWM).
Goals: first paint at most 1.15x the bare app's, peak memory under 1.5 GB.

    .venv/bin/python benchmarks/bench_app_start.py                 # 3 launches each, then the walk
    .venv/bin/python benchmarks/bench_app_start.py --paint-only --repeats 5
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, header, row

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(script: Path, home: str) -> tuple[subprocess.Popen, str, float]:
    port = _free_port()
    env = {**os.environ, "MODELDECK_HOME": home, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as resp:
                if resp.status == 200:
                    break
        except OSError:
            time.sleep(0.05)
    return proc, url, started


def _first_paint(page, url: str, started: float, title: str) -> float:
    page.goto(url)
    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
    return time.perf_counter() - started


def _memory_mb(pid: int, field: str) -> float:
    """A memory figure of a process from /proc/PID/status: VmRSS (now) or VmHWM (peak), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


#: Heavy libraries and a path fragment of a compiled file each one maps into the process when imported.
HEAVY = {
    "numpy": "/numpy/_core/",
    "pandas": "/pandas/_libs/",
    "pyarrow": "/pyarrow/",
    "scikit-learn": "/sklearn/",
    "tensorflow": "/tensorflow/",
}


def _heavy_loaded(pid: int) -> list[str]:
    """Which of :data:`HEAVY` the process has loaded, read from its memory map (no help from the app)."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [name for name, fragment in HEAVY.items() if fragment in maps]


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _measure_paint(browser, script: Path, home: str, title: str) -> tuple[float, float, list[str]]:
    """(seconds from launch to the title painted, server RSS in MB then, heavy libraries loaded then)."""
    proc, url, started = _launch(script, home)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        paint = _first_paint(page, url, started, title)
        rss = _memory_mb(proc.pid, "VmRSS")
        heavy = _heavy_loaded(proc.pid)
        page.close()
    finally:
        _stop(proc)
    return paint, rss, heavy


def _walk(page, sample_button: str, task_label: str) -> None:
    page.get_by_role("link", name="1 · Data").click()
    page.locator(f".st-key-{sample_button} button").click()
    page.get_by_text("Active data").first.wait_for(timeout=60_000)
    page.get_by_role("link", name="2 · Model").click()
    page.get_by_text("Parameters").first.wait_for(timeout=120_000)
    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    epochs.fill("2")
    epochs.press("Enter")
    time.sleep(1.5)
    page.get_by_role("link", name="3 · Train").click()
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Saved as run").first.wait_for(timeout=300_000)
    page.get_by_role("link", name="4 · Evaluate").click()
    page.get_by_text("In plain words").first.wait_for(timeout=60_000)
    page.get_by_role("link", name="5 · Predict").click()
    page.get_by_text(task_label).first.click()
    time.sleep(2)


def _paint_rows(repeats: int, browser, bare: Path, home: str) -> list[str]:
    """Launch the bare app and ModelDeck in turn (order alternating), ``repeats`` times each."""
    apps = {"bare": (bare, "Bare"), "app": (ROOT / "app.py", "ModelDeck")}
    _measure_paint(browser, bare, home, "Bare")  # warm-up: disk caches and the browser's first page
    paints: dict[str, list[float]] = {"bare": [], "app": []}
    memory: dict[str, list[float]] = {"bare": [], "app": []}
    heavy: dict[str, set[str]] = {"bare": set(), "app": set()}
    for i in range(repeats):
        for name in ("bare", "app") if i % 2 == 0 else ("app", "bare"):
            script, title = apps[name]
            paint, rss, loaded = _measure_paint(browser, script, home, title)
            paints[name].append(paint)
            memory[name].append(rss)
            heavy[name].update(loaded)
    app_s, bare_s = statistics.median(paints["app"]), statistics.median(paints["bare"])
    pairs = sorted(a / b for a, b in zip(paints["app"], paints["bare"], strict=True))
    app_mb, bare_mb = statistics.median(memory["app"]), statistics.median(memory["bare"])
    runs = ", ".join(f"{t:.2f}" for t in paints["app"])
    bare_runs = ", ".join(f"{t:.2f}" for t in paints["bare"])
    return [
        row(
            f"launch to first paint, median of {repeats} (runs: {runs} s)",
            f"{app_s:.2f} s",
            f"{bare_s:.2f} s bare one-title app (runs: {bare_runs} s)",
            app_s / bare_s,
            f"goal ≤ 1.15; pairwise ratios {pairs[0]:.2f}–{pairs[-1]:.2f}",
        ),
        row(
            "server memory at first paint (RSS, median)",
            f"{app_mb:,.0f} MB",
            f"{bare_mb:,.0f} MB bare app",
            app_mb / bare_mb,
            "",
        ),
        row(
            "heavy libraries loaded at first paint",
            ", ".join(sorted(heavy["app"])) or "none",
            ", ".join(sorted(heavy["bare"])) or "none",
            None,
            "goal: none (" + ", ".join(HEAVY) + ")",
        ),
    ]


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="launches of each app for the paint figure")
    parser.add_argument("--paint-only", action="store_true", help="skip walking the sample paths")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit("Chromium is missing: run `make test` (it installs Debian's chromium) first.")
    bare = Path(tempfile.mkdtemp()) / "bare_app.py"
    bare.write_text("import streamlit as st\n\nst.title('Bare')\n")
    with sync_playwright() as p, tempfile.TemporaryDirectory() as home:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        rows = _paint_rows(max(1, args.repeats), browser, bare, home)
        if not args.paint_only:
            proc, url, started = _launch(ROOT / "app.py", home)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                _first_paint(page, url, started, "ModelDeck")
                _walk(page, "sample_digits", "Image classification")
                _walk(page, "sample_reviews", "Text classification")
                peak = _memory_mb(proc.pid, "VmHWM")
            finally:
                _stop(proc)
            rows.append(
                row(
                    "server peak memory, both sample paths walked",
                    f"{peak:,.0f} MB",
                    "bare app at first paint (row above)",
                    None,
                    "goal < 1,500 MB",
                )
            )
        browser.close()
    print(header())
    print("\n".join(rows))


if __name__ == "__main__":
    main()
