"""Fixtures for the browser tests: a real Streamlit server on a free port and Debian's Chromium (the server itself
and the steps in the browser are in :mod:`tests.e2e.helpers`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, streamlit_server


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """test-artifacts/e2e in the repository root (git-ignored): screenshots and server logs of this run only."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in [*ARTIFACTS.glob("*.png"), *ARTIFACTS.glob("*.log")]:
        old.unlink()
    return ARTIFACTS


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
