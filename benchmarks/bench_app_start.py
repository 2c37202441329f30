"""Benchmark 5 · app start and memory.

Launches ``streamlit run app.py`` and measures, in Debian's Chromium through Playwright, the
time from launch to the first page painted (the title visible). Then walks both sample paths
(load the sample, open Model, train 2 epochs, open Evaluate, predict once) and reads the
server's peak resident memory (VmHWM of the server process). Reference: a bare Streamlit app
with one ``st.title`` started the same way, so the ratio shows what ModelDeck adds.
Goals: first paint under 2.5 s, peak memory under 1.5 GB.

    .venv/bin/python benchmarks/bench_app_start.py
"""

from __future__ import annotations

import os
import socket
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


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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


def main() -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        sys.exit("Chromium is missing: run `make test` (it installs Debian's chromium) first.")
    bare = Path(tempfile.mkdtemp()) / "bare_app.py"
    bare.write_text("import streamlit as st\n\nst.title('Bare')\n")
    with sync_playwright() as p, tempfile.TemporaryDirectory() as home:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        proc, url, started = _launch(bare, home)
        page = browser.new_page()
        bare_paint = _first_paint(page, url, started, "Bare")
        bare_mem = _peak_mb(proc.pid)
        proc.terminate()
        proc.wait()

        proc, url, started = _launch(ROOT / "app.py", home)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        paint = _first_paint(page, url, started, "ModelDeck")
        _walk(page, "sample_digits", "Image classification")
        _walk(page, "sample_reviews", "Text classification")
        peak = _peak_mb(proc.pid)
        proc.terminate()
        proc.wait()
        browser.close()
    print(header())
    print(
        row(
            "launch to first paint",
            f"{paint:.2f} s",
            f"{bare_paint:.2f} s (bare Streamlit app)",
            paint / bare_paint,
            "goal < 2.5 s",
        )
    )
    print(
        row(
            "server peak memory, both sample paths walked",
            f"{peak:,.0f} MB",
            f"{bare_mem:,.0f} MB (bare app, idle)",
            peak / bare_mem,
            "goal < 1,500 MB",
        )
    )


if __name__ == "__main__":
    main()
