"""What the browser tests share: a real Streamlit server on a free port, and the steps a person takes in it.

Test modules import these from here, never from one another; ``conftest.py`` builds its fixtures on
:func:`streamlit_server`. Screenshots land in test-artifacts/e2e (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HEALTH_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def streamlit_server(home: Path, log_copy: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `streamlit run app.py` from the repository root on a free port; yield its URL once healthy.

    The server log is copied to ``log_copy`` when the server stops, for debugging failed runs.
    ``extra_env`` sets server settings such as ``MODELDECK_MODE`` for one server.
    """
    port = _free_port()
    env = {**os.environ, "MODELDECK_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
    env.update(extra_env or {})
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    url = f"http://127.0.0.1:{port}"
    log_path = home.parent / f"{home.name}-streamlit.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + HEALTH_TIMEOUT_S
            while not _healthy(url):
                if proc.poll() is not None:
                    pytest.fail(f"Streamlit exited with code {proc.returncode}:\n{log_path.read_text()[-4000:]}")
                if time.monotonic() > deadline:
                    pytest.fail(f"Streamlit not healthy after {HEALTH_TIMEOUT_S} s:\n{log_path.read_text()[-4000:]}")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
            log_copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log_path, log_copy)


PAGE_LOAD_MS = 60_000  # first visits import TensorFlow and build a model on a 2-core machine
TRAINING_MS = 240_000


# ---- steps in the browser ---------------------------------------------------------------------------------
def shot(page: Page, artifacts: Path, name: str) -> None:
    """A full-page screenshot. Streamlit scrolls inside <main>, so grow the viewport to its content first."""
    settle(page)
    size = page.viewport_size or {"width": 1400, "height": 1000}
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]'); return m ? m.scrollHeight : 0; }"
    )
    try:
        if height > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 6000)})
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    finally:
        page.set_viewport_size(size)
    print(f"{time.strftime('%H:%M:%S')} {name}")  # pytest shows these with a failure: where the time went


def settle(page: Page) -> None:
    """Wait until Streamlit has finished running the script (the app root says so, as in Streamlit's own tests)."""
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=PAGE_LOAD_MS)


def go(page: Page, title: str) -> None:
    """Open a page through its sidebar link and wait for its title."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=PAGE_LOAD_MS)


def metric(page: Page, label: str) -> Locator:
    """The st.metric whose label is exactly ``label`` (its whole box: label, value and delta)."""
    label_loc = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    return page.get_by_test_id("stMetric").filter(has=label_loc)


def metric_value(page: Page, label: str) -> Locator:
    return metric(page, label).get_by_test_id("stMetricValue")


def use_sample(page: Page, card_title: str) -> None:
    """Click 'Use this sample' in the Data page card titled ``card_title``."""
    card = page.get_by_test_id("stColumn").filter(has=page.get_by_text(card_title, exact=True))
    expect(card).to_have_count(1)
    button = card.get_by_role("button", name="Use this sample")
    expect(button).to_be_enabled()
    button.click()


def set_number(page: Page, label: str, value: int) -> None:
    """Type into a number input; Streamlit commits it on Enter (or blur), then reruns."""
    field = page.get_by_role("spinbutton", name=label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    page.wait_for_timeout(500)  # let the rerun that applies the value start
    settle(page)
    expect(field).to_have_value(str(value))


def train(page: Page, epochs: int | None, dataset: str) -> str:
    """On the Train page: start a run with ``epochs`` (``None``: a one-step template) and wait until it is saved.

    Returns the run id.

    A new session's Train page shows the newest job anyone started (local mode), so a finished run
    may be on screen before we click: wait for a run id other than that one.
    """
    ready = "fitted in one step" if epochs is None else f"up to {epochs} epochs"
    expect(page.get_by_text(ready)).to_be_visible()
    settle(page)
    saved = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Saved as run")
    previous = saved.locator("code").inner_text().strip() if saved.count() else None
    page.get_by_role("button", name="Start training").click()
    run_code = saved.locator("code")
    if previous:
        expect(run_code).not_to_have_text(previous, timeout=TRAINING_MS)
    expect(run_code).to_be_visible(timeout=TRAINING_MS)
    settle(page)
    expect(page.get_by_role("heading", name=re.compile(f"^Run: .+ on {re.escape(dataset)}$"))).to_be_visible()
    progress = page.get_by_test_id("stProgress")
    expect(progress).to_contain_text("Finished")
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    done = 1 if epochs is None else epochs  # a one-step fit shows as one epoch
    expect(metric_value(page, "Epoch")).to_have_text(f"{done} / {done}")
    run_id = run_code.inner_text().strip()
    assert run_id and run_id != previous, f"no new run saved (previous: {previous!r}, shown: {run_id!r})"
    # The finished run becomes the active one, as the sidebar says.
    expect(page.get_by_test_id("stSidebar").get_by_text(run_id)).to_be_visible()
    return run_id


def check_evaluation(page: Page) -> str:
    """The Evaluate page shows an accuracy and the plain-words summary; returns the accuracy text."""
    accuracy = metric_value(page, "Accuracy")
    expect(accuracy).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(accuracy).to_have_text(re.compile(r"^\d{1,3}\.\d%$"))
    expect(page.get_by_role("heading", name="In plain words")).to_be_visible()
    expect(page.get_by_role("tab", name="Confusion matrix")).to_be_visible()
    return accuracy.inner_text().strip()


def expect_no_errors(page: Page) -> None:
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def choose_radio(page: Page, option: str) -> None:
    """Streamlit hides the native radio input; click its label like a user and check the result."""
    page.get_by_test_id("stRadio").get_by_text(option, exact=True).click()
    expect(page.get_by_role("radio", name=option, exact=True)).to_be_checked()


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="ModelDeck", level=1)).to_be_visible(timeout=PAGE_LOAD_MS)
