"""Fixtures for the browser tests: a real Streamlit server on a free port and Debian's Chromium."""

from __future__ import annotations

import contextlib
import os
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


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """test-artifacts/e2e in the repository root (git-ignored): screenshots and server logs of this run only."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in [*ARTIFACTS.glob("*.png"), *ARTIFACTS.glob("*.log")]:
        old.unlink()
    return ARTIFACTS


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


@pytest.fixture(scope="module")
def app_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path):
    """One server per test module, with a throw-away MODELDECK_HOME; its log lands in test-artifacts/e2e."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    with streamlit_server(tmp_path_factory.mktemp("modeldeck_home"), artifacts_dir / f"{module}-server.log") as url:
        yield url


@pytest.fixture
def fresh_app_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path):
    """A server of its own for one test, for what only happens on a server nobody has visited yet."""
    name = request.node.name
    with streamlit_server(tmp_path_factory.mktemp("modeldeck_home"), artifacts_dir / f"{name}-server.log") as url:
        yield url


@pytest.fixture(scope="module")
def hosted_app_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path):
    """A server as it runs for a team: hosted mode (private sessions) and one training at a time."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    settings = {"MODELDECK_MODE": "hosted", "MODELDECK_MAX_TRAININGS": "1"}
    home = tmp_path_factory.mktemp("modeldeck_home")
    with streamlit_server(home, artifacts_dir / f"{module}-server.log", settings) as url:
        yield url, home


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright; a missing browser is a failure, never a skip."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
            "Run `make test`, which installs it (scripts/install_chromium.sh).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the test item, so the page fixture knows whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(request: pytest.FixtureRequest, browser, artifacts_dir: Path):
    """A fresh browser context (its own Streamlit session) per test; a screenshot is kept when the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            try:
                page.screenshot(path=str(artifacts_dir / f"FAILED-{request.node.name}.png"), full_page=True)
            except Exception as exc:  # the browser may be what broke
                print(f"no failure screenshot: {exc}")
        context.close()
