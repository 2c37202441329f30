"""The exported report in a real Chromium: opens from file:// with the network off, draws every chart, prints.

Two sentiment runs are trained on the built-in product reviews (the sample a founder tries first), one
with a saved decision rule, so the report shows every section. Full-page screenshots of the report, the
comparison report and the Compare runs page land in test-artifacts/e2e/report/ (report-*.png,
compare-*.png), with the PDF and the report's summary paragraph as text beside them. The folder is this
module's own, cleared when it starts, so a browser test run at the same time elsewhere cannot wipe it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from modeling.config import ExperimentConfig
from tests.e2e.helpers import PAGE_LOAD_MS, REPO_ROOT, expect_no_errors, shot, streamlit_server

pytestmark = pytest.mark.e2e

CHARTS_DRAWN = """() => {
  const charts = [...document.querySelectorAll('.plotly-graph-div')];
  return charts.length > 0 && charts.every(c => c.querySelector('svg.main-svg'));
}"""


@pytest.fixture(scope="module")
def report_artifacts(artifacts_dir: Path) -> Path:
    """test-artifacts/e2e/report: this module's screenshots, PDF and summary text, fresh for each run."""
    folder = artifacts_dir / "report"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="module")
def reviews_home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A workspace with two fresh runs on the product reviews; the keyword one has a saved decision rule."""
    from modeling.evaluation import decisions
    from modeling.runs import decision_rules
    from modeling.runs.predictions import load_predictions
    from modeling.runs.store import RunStore
    from modeling.training.experiment import run_experiment

    home = tmp_path_factory.mktemp("report_home")
    store = RunStore(home)
    base = ExperimentConfig.from_file(REPO_ROOT / "examples" / "reviews.yaml")
    keyword = run_experiment(base, store=store)
    embedding = base.model_copy(update={"template": "embedding_bag"})
    other = run_experiment(embedding, store=store)

    # The example: act on unhappy customers ('negative') with an offer. A kept customer is worth
    # 60 (net of the offer), an offer to a customer who was happy anyway wastes 40, a missed unhappy
    # customer costs 40.
    run = store.load(keyword.name)
    predictions = load_predictions(run)
    values = decisions.OutcomeValues(tp=60, fp=-40, fn=-40, tn=0)
    names = decisions.OutcomeNames(
        tp="unhappy customer kept", fp="wasted offer", fn="unhappy customer missed", tn="happy customer left alone"
    )
    curve = decisions.value_curve(predictions.test_labels, predictions.test_probs, values, 0)
    best, _ = decisions.best_threshold(curve)
    coverage = decisions.coverage_at(predictions.test_labels, predictions.test_probs, 0.8)
    decision_rules.save_decision(
        keyword,
        decisions.Decision(),
        threshold=best,
        positive_class="negative",
        min_confidence=0.8,
        outcome_values=values.model_dump(),
        outcome_names=names.model_dump(),
        currency="€",
        expected_value_per_1000=decisions.value_at(curve, best),
        expected_value_default_per_1000=decisions.value_at(curve, 0.5),
        coverage=coverage,
    )
    return {"home": home, "store": store, "keyword": keyword.name, "embedding": other.name}


def _open_offline(browser: Browser, path: Path, width: int = 1000) -> tuple[Page, list[str]]:
    """The file in a context with the network off; every request other than the file itself is recorded."""
    context = browser.new_context(viewport={"width": width, "height": 900}, offline=True)
    outside: list[str] = []
    page = context.new_page()
    page.on(
        "request", lambda request: None if request.url.startswith(("file:", "data:")) else outside.append(request.url)
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    page.wait_for_function(CHARTS_DRAWN, timeout=PAGE_LOAD_MS)
    assert not errors, errors
    return page, outside


def _check_charts(page: Page, at_least: int) -> None:
    charts = page.locator(".plotly-graph-div")
    assert charts.count() >= at_least
    for i in range(charts.count()):
        chart = charts.nth(i)
        svg = chart.locator("svg.main-svg").first
        expect(svg).to_be_attached()
        box = chart.bounding_box()
        assert box and box["width"] > 400 and box["height"] > 200, f"chart {i} is too small: {box}"
        # Something was plotted: bars, lines, markers or heatmap cells, not an empty frame.
        assert chart.locator("g.trace, g.hm").count() > 0, f"chart {i}"


def test_report_opens_offline_and_draws_every_chart(browser: Browser, reviews_home, report_artifacts: Path, tmp_path):
    from modeling.reporting.run_report import run_report_html

    store = reviews_home["store"]
    path = tmp_path / "report.html"
    path.write_text(run_report_html(store.load(reviews_home["keyword"])), encoding="utf-8")
    page, outside = _open_offline(browser, path)
    try:
        assert outside == [], f"the report asked the network for {outside}"
        _check_charts(page, at_least=7)  # baselines, value, reliability, coverage, confusion, balance, curves
        for section in ("summary", "figures", "decision", "confidence", "mistakes", "limitations", "reproduce"):
            expect(page.locator(f"section#{section} h2")).to_be_visible()
        expect(page.locator("section#decision")).to_contain_text("At the saved threshold of")
        expect(page.locator("section#reproduce pre").first).to_contain_text("template: ngram_bag")
        summary = page.locator("section#summary .lead").inner_text().strip()
        assert summary.startswith("On 101 texts it had never seen")
        (report_artifacts / "report-reviews-summary.txt").write_text(summary + "\n", encoding="utf-8")
        page.screenshot(path=str(report_artifacts / "report-reviews.png"), full_page=True)
    finally:
        page.context.close()


def test_report_prints_to_pdf(reviews_home, report_artifacts: Path, tmp_path: Path):
    from modeling.reporting.pdf import html_to_pdf as report_pdf
    from modeling.reporting.run_report import run_report_html

    pdf = report_pdf(run_report_html(reviews_home["store"].load(reviews_home["keyword"])))
    assert pdf is not None and pdf.startswith(b"%PDF") and len(pdf) > 20_000
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 4, "expected a multi-page A4 report"
    (report_artifacts / "report-reviews.pdf").write_bytes(pdf)

    # The command line makes the same pair of files.
    env = {**os.environ, "MODELDECK_HOME": str(reviews_home["home"]), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = tmp_path / "cli" / "report.html"
    result = subprocess.run(
        [sys.executable, "-m", "modeling", "report", reviews_home["keyword"], "--out", str(out), "--pdf"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF")


def test_comparison_report_opens_offline(browser: Browser, reviews_home, report_artifacts: Path, tmp_path: Path):
    from modeling.reporting.compare_report import compare_report_html

    store = reviews_home["store"]
    runs = [store.load(reviews_home["keyword"]), store.load(reviews_home["embedding"]), store.load("starter-reviews")]
    path = tmp_path / "compare.html"
    path.write_text(compare_report_html(runs), encoding="utf-8")
    page, outside = _open_offline(browser, path)
    try:
        assert outside == []
        _check_charts(page, at_least=2)
        expect(page.locator("section#settings tr.diff").first).to_contain_text("template")
        page.screenshot(path=str(report_artifacts / "compare-report.png"), full_page=True)
    finally:
        page.context.close()


@pytest.fixture(scope="module")
def compare_url(reviews_home, report_artifacts: Path) -> Iterator[str]:
    """The app over the workspace with the two trained runs, in single-user mode so both are listed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODELDECK_MODE", "local")
        with streamlit_server(Path(reviews_home["home"]), report_artifacts / "server.log") as url:
            yield url


def test_compare_view_in_the_app(page: Page, compare_url: str, reviews_home, report_artifacts: Path, tmp_path: Path):
    page.goto(f"{compare_url}/compare")
    expect(page.get_by_role("heading", name="Compare runs", level=1)).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(page.get_by_text("The most accurate run is")).to_be_visible(timeout=PAGE_LOAD_MS)
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts).to_have_count(2, timeout=PAGE_LOAD_MS)
    expect(charts.last.locator("svg.main-svg").first).to_be_attached()
    expect(page.get_by_text(re.compile(r"differs? between these runs"))).to_be_visible()
    expect_no_errors(page)
    shot(page, report_artifacts, "compare-view")

    with page.expect_download(timeout=PAGE_LOAD_MS) as download:
        page.get_by_role("button", name="Download the report (HTML)").click()
    saved = tmp_path / "downloaded.html"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert "2 text classification runs compared" in text
    assert reviews_home["keyword"] in text and reviews_home["embedding"] in text
