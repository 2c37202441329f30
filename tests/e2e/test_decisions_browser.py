"""Money on the threshold and 'answer only when sure', clicked through in Chromium for the sample reviews.

The server's workspace holds one own run trained on the built-in product reviews (the sentiment starter,
copied as an ordinary run so its rule can be saved). The test sets what each outcome is worth, saves the
threshold and a confidence level, checks that the summary, Predict and the batch export follow them, and
keeps screenshots of both sections in test-artifacts/e2e/.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import (
    PAGE_LOAD_MS,
    check_evaluation,
    choose_radio,
    expect_no_errors,
    go,
    open_app,
    settle,
    streamlit_server,
)
from tests.e2e.helpers import shot as page_shot
from tests.fake_runs import copy_starter

pytestmark = pytest.mark.e2e

RUN_ID = "20990101-000000-ngram_bag-e2e000"
OUTCOMES = {  # words and value per case, as a shop owner would put them
    "Flagged and right": ("unhappy customer caught", "40"),
    "Flagged but wrong": ("wasted offer", "-5"),
    "Missed": ("unhappy customer lost", "-40"),
    "Left alone, rightly": ("happy customer left alone", "0"),
}


@pytest.fixture(scope="module")
def reviews_url(tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path):
    """A server in single-user mode whose workspace holds one own run on the sample reviews."""
    home = tmp_path_factory.mktemp("modeldeck_home")
    copy_starter(home, RUN_ID, 0.03, "Sentiment on Product reviews")
    previous = os.environ.get("MODELDECK_MODE")
    os.environ["MODELDECK_MODE"] = "local"
    try:
        with streamlit_server(home, artifacts_dir / "test_decisions_browser-server.log") as url:
            yield url
    finally:
        if previous is None:
            os.environ.pop("MODELDECK_MODE", None)
        else:
            os.environ["MODELDECK_MODE"] = previous


def section_shot(page: Page, section: Locator, artifacts: Path, name: str) -> None:
    """A screenshot of one section; the viewport first grows to the page, since Streamlit scrolls inside <main>."""
    settle(page)
    size = page.viewport_size or {"width": 1400, "height": 1000}
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    try:
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 8000)})
        section.screenshot(path=str(artifacts / f"{name}.png"))
    finally:
        page.set_viewport_size(size)


def commit(field: Locator, value: str) -> None:
    """Type into a Streamlit text or number input and commit it (Enter), then wait for the rerun."""
    field.fill(value)
    field.press("Enter")
    field.page.wait_for_timeout(400)
    settle(field.page)


def test_threshold_and_confidence_for_the_sample_reviews(page: Page, reviews_url: str, artifacts_dir: Path) -> None:
    open_app(page, reviews_url)
    go(page, "4 · Evaluate")
    check_evaluation(page)
    expect(page.get_by_text(re.compile(r"^n = 101 test examples, 95% interval [\d.]+–[\d.]+%$"))).to_have_count(1)

    # ---- money on the threshold -------------------------------------------------------------------
    money = page.locator(".st-key-money_section")
    expect(money.get_by_role("heading", name="Money on the threshold")).to_be_visible(timeout=PAGE_LOAD_MS)
    settle(page)
    action = money.get_by_role("combobox", name="Which answer leads to an action?")
    action.click()
    action.fill("negative")
    action.press("Enter")
    page.wait_for_timeout(400)
    settle(page)
    expect(action).to_have_value("negative")
    expect(money.get_by_text("The model answered 'negative' and it was 'negative'.")).to_be_visible()
    commit(money.get_by_role("textbox", name="Currency or unit"), "€")
    for title, (words, value) in OUTCOMES.items():
        commit(money.get_by_role("textbox", name=f"{title}: your words"), words)
        commit(money.get_by_role("spinbutton", name=f"{title}: value per case"), value)
    expect(money.get_by_role("spinbutton", name="Missed: value per case")).to_have_value("-40.00")
    sentence = money.get_by_text(re.compile(r"^At a threshold of \d+% the model earns about €"))
    expect(sentence).to_be_visible()
    best = re.search(r"At a threshold of (\d+)%", sentence.inner_text()).group(1)
    # Nobody moved the threshold slider, so it follows the best threshold for the values typed in.
    expect(money.get_by_role("slider")).to_have_value(best)
    expect(money.locator(".js-plotly-plot")).to_have_count(1)
    expect(money.locator(".js-plotly-plot")).to_contain_text(f"Best {best}%")
    money.get_by_role("button", name="Save this threshold").click()
    saved = page.get_by_test_id("stAlertContentSuccess").filter(
        has_text=f"the model now answers 'negative' from {best}%"
    )
    expect(saved).to_be_visible(timeout=PAGE_LOAD_MS)
    money = page.locator(".st-key-money_section")
    expect(money.get_by_text(f"Saved with this run: {best}% for 'negative'.")).to_be_visible()
    expect_no_errors(page)
    section_shot(page, money, artifacts_dir, "decisions-1-threshold-section")

    # ---- answer only when sure ----------------------------------------------------------------------
    coverage = page.locator(".st-key-coverage_section")
    slider = coverage.get_by_role("slider")
    expect(slider).to_have_value("90")
    slider.focus()
    for _ in range(20):
        slider.press("ArrowLeft")
    settle(page)
    expect(slider).to_have_value("70")
    expect(
        coverage.get_by_text(re.compile(r"If the model only answers when it is at least 70% sure, it answers"))
    ).to_be_visible()
    coverage.get_by_role("button", name="Save this confidence level").click()
    expect(page.get_by_text("Saved: answers below 70% sure now go to a person")).to_be_visible(timeout=PAGE_LOAD_MS)
    coverage = page.locator(".st-key-coverage_section")
    section_shot(page, coverage, artifacts_dir, "decisions-2-coverage-section")

    # The plain-words summary now states what the saved rule means, in money and in people.
    summary = page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(r"^On 101 texts it had never seen"))
    expect(summary).to_have_count(1)
    expect(summary).to_contain_text("If the model only answers when it is at least 70% sure")
    expect(summary).to_contain_text(f"With the saved threshold (answer 'negative' from {best}%)")
    print("SUMMARY:", summary.inner_text())
    expect_no_errors(page)
    page_shot(page, artifacts_dir, "decisions-3-evaluate")

    # ---- Predict and the batch export follow the rule ------------------------------------------------
    go(page, "5 · Predict")
    choose_radio(page, "Text classification (e.g. sentiment)")
    expect(page.get_by_text(re.compile(r"Rule saved with this run: The model answers 'negative' when"))).to_be_visible(
        timeout=PAGE_LOAD_MS
    )
    table = artifacts_dir.parent / "decisions_to_score.csv"
    reviews = ["Absolutely love it, works perfectly.", "Broke in a week. Waste of money.", "It is a phone case."]
    with table.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text"])
        writer.writerows([r] for r in reviews)
    page.get_by_role("tab", name="A whole CSV").click()
    panel = page.get_by_role("tabpanel", name="A whole CSV")
    panel.locator("input[type=file]").set_input_files(str(table))
    expect(panel.get_by_role("combobox", name="Text column")).to_have_value("text", timeout=PAGE_LOAD_MS)
    panel.get_by_role("button", name="Score the table").click()
    expect(panel.get_by_text(f"Scored {len(reviews)} rows")).to_be_visible(timeout=PAGE_LOAD_MS)
    with page.expect_download() as download_info:
        panel.get_by_role("button", name="Download scored CSV").click()
    body = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["text"] for r in rows] == reviews, body
    assert {"needs_review", "review_reason"} <= set(rows[0]), body
    for row in rows:
        flagged = row["needs_review"] == "True"
        assert flagged == (float(row["probability_negative"]) < 0.7 and float(row["probability_positive"]) < 0.7), row
        assert bool(row["review_reason"]) == flagged, row
    expect_no_errors(page)
    page_shot(page, artifacts_dir, "decisions-4-predict-csv")
