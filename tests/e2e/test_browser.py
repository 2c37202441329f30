"""Both sample paths, Data → Model → Train → Evaluate → Predict, clicked through in a real Chromium.

Each test gets its own browser context, so its own Streamlit session, against one server per module
(see conftest.py). Screenshots of every step land in test-artifacts/e2e/<path>-<step>.png.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    PAGE_LOAD_MS,
    REPO_ROOT,
    check_evaluation,
    choose_radio,
    expect_no_errors,
    go,
    metric,
    metric_value,
    open_app,
    set_number,
    settle,
    shot,
    train,
    use_sample,
)

pytestmark = pytest.mark.e2e
REVIEWS_CSV = REPO_ROOT / "sample_data" / "reviews.csv"


# ---- the digits path ----------------------------------------------------------------------------
def test_digits_path(page: Page, app_url: str, artifacts_dir: Path) -> None:
    open_app(page, app_url)
    shot(page, artifacts_dir, "digits-0-home")

    go(page, "1 · Data")
    expect(
        page.get_by_test_id("stColumn").filter(has=page.get_by_text("MNIST digits", exact=True)).get_by_role("button")
    ).to_be_disabled()  # offline: MNIST cannot be downloaded, and the card says why
    use_sample(page, "Handwritten digits")
    expect(metric_value(page, "Examples")).to_have_text("1,797", timeout=PAGE_LOAD_MS)
    expect(metric_value(page, "Classes")).to_have_text("10")
    expect(metric_value(page, "Kind")).to_have_text("Images 28x28")
    expect_no_errors(page)
    shot(page, artifacts_dir, "digits-1-data")

    go(page, "2 · Model")
    expect(metric_value(page, "Parameters")).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(metric_value(page, "Parameters")).to_have_text(re.compile(r"^[\d,]+$"))
    set_number(page, "Epochs", 2)
    expect_no_errors(page)
    shot(page, artifacts_dir, "digits-2-model")

    go(page, "3 · Train")
    train(page, epochs=2, dataset="Handwritten digits")
    shot(page, artifacts_dir, "digits-3-train")

    go(page, "4 · Evaluate")
    check_evaluation(page)
    expect_no_errors(page)
    shot(page, artifacts_dir, "digits-4-evaluate")

    go(page, "5 · Predict")
    choose_radio(page, "Image classification")
    expect(page.get_by_role("combobox", name="Model")).to_have_value(re.compile("on Handwritten digits"))
    expect(page.get_by_text("Draw a digit or upload a photo")).to_be_visible(timeout=PAGE_LOAD_MS)
    canvas = page.get_by_test_id("stMain").locator("canvas").last
    expect(canvas).to_be_visible(timeout=PAGE_LOAD_MS)
    box = canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, f"the drawing canvas is too small: {box}"
    # A '1': one vertical stroke down the middle.
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    page.mouse.move(x, box["y"] + box["height"] * 0.85, steps=25)
    page.mouse.up()
    expect(page.get_by_text("What the model sees", exact=True)).to_be_visible(timeout=PAGE_LOAD_MS)
    prediction = metric(page, "Prediction")
    expect(prediction.get_by_test_id("stMetricValue")).to_have_text(re.compile(r"^\d$"), timeout=PAGE_LOAD_MS)
    expect(prediction.get_by_test_id("stMetricDelta")).to_have_text(re.compile(r"\d+% sure"))
    expect(page.get_by_test_id("stPlotlyChart")).to_be_visible()
    expect_no_errors(page)
    shot(page, artifacts_dir, "digits-5-predict")


# ---- the sentiment path -------------------------------------------------------------------------
REVIEW = "Absolutely love it, works perfectly and arrived early."


def test_sentiment_path(page: Page, app_url: str, artifacts_dir: Path, tmp_path: Path) -> None:
    assert REVIEWS_CSV.exists(), f"{REVIEWS_CSV} is missing: the reviews sample ships with the repository"
    open_app(page, app_url)

    go(page, "1 · Data")
    use_sample(page, "Product reviews")
    expect(metric_value(page, "Kind")).to_have_text("Texts", timeout=PAGE_LOAD_MS)
    expect(metric_value(page, "Classes")).to_have_text("2")
    with REVIEWS_CSV.open(newline="", encoding="utf-8") as fh:
        rows = sum(1 for _ in csv.DictReader(fh))
    expect(metric_value(page, "Examples")).to_have_text(f"{rows:,}")
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    expect_no_errors(page)
    shot(page, artifacts_dir, "sentiment-1-data")

    go(page, "2 · Model")
    expect(metric_value(page, "Parameters")).to_be_visible(timeout=PAGE_LOAD_MS)
    # Automatic picks a template fitted exactly (no epochs to set); the page says which and why.
    expect(page.get_by_text("Automatic picked", exact=False).first).to_be_visible()
    expect_no_errors(page)
    shot(page, artifacts_dir, "sentiment-2-model")

    go(page, "3 · Train")
    run_id = train(page, epochs=None, dataset="Product reviews")
    shot(page, artifacts_dir, "sentiment-3-train")

    go(page, "4 · Evaluate")
    accuracy = check_evaluation(page)
    expect_no_errors(page)
    shot(page, artifacts_dir, "sentiment-4-evaluate")

    go(page, "5 · Predict")
    choose_radio(page, "Text classification (e.g. sentiment)")
    # The run just trained is preselected: newest own run, not the starter model.
    picker = page.get_by_role("combobox", name="Model")
    # Its label is "<template> on <data> (<created>, test accuracy <acc>)"; the sidebar names the active run.
    parts = re.fullmatch(r"\d{8}-\d{6}-(\w+)-[0-9a-f]+", run_id)
    assert parts, f"unexpected run id {run_id!r}"
    created = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"
    label = rf"{parts.group(1)} on Product reviews \({created}, test accuracy {re.escape(accuracy)}\)"
    expect(picker).to_have_value(re.compile(f"^{label}$"))
    expect(page.get_by_test_id("stSidebar").get_by_text(run_id)).to_be_visible()

    # One text. The text area commits on blur (or Ctrl+Enter); Predict stays disabled until it has.
    page.get_by_role("textbox", name="Text").fill(REVIEW)
    page.get_by_role("textbox", name="Text").press("Tab")
    predict = page.get_by_role("button", name="Predict", exact=True)
    expect(predict).to_be_enabled()
    predict.click()
    prediction = metric(page, "Prediction")
    expect(prediction.get_by_test_id("stMetricValue")).to_have_text(
        re.compile(r"^(positive|negative)$"), timeout=PAGE_LOAD_MS
    )
    expect(prediction.get_by_test_id("stMetricDelta")).to_have_text(re.compile(r"\d+% sure"))
    expect_no_errors(page)
    shot(page, artifacts_dir, "sentiment-5-predict-one")

    # A whole CSV, with a cell that a spreadsheet would run as a formula.
    table = tmp_path / "to_score.csv"
    texts = [REVIEW, "=1+1", "Broke in a week. Waste of money.", "Does exactly what it says."]
    with table.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "order"])
        writer.writerows([t, i] for i, t in enumerate(texts))
    page.get_by_role("tab", name="A whole CSV").click()
    panel = page.get_by_role("tabpanel", name="A whole CSV")
    panel.locator("input[type=file]").set_input_files(str(table))
    expect(panel.get_by_role("combobox", name="Text column")).to_have_value("text", timeout=PAGE_LOAD_MS)
    panel.get_by_role("button", name="Score the table").click()
    expect(panel.get_by_text(f"Scored {len(texts)} rows")).to_be_visible(timeout=PAGE_LOAD_MS)
    download_button = panel.get_by_role("button", name="Download scored CSV")
    expect(download_button).to_be_visible()
    expect_no_errors(page)
    shot(page, artifacts_dir, "sentiment-6-predict-csv")

    with page.expect_download() as download_info:
        download_button.click()
    download = download_info.value
    assert download.suggested_filename == "scored.csv"
    body = Path(download.path()).read_text(encoding="utf-8")
    scored = list(csv.DictReader(io.StringIO(body)))
    assert [row["text"] for row in scored] == [REVIEW, "'=1+1", texts[2], texts[3]], body
    assert {"predicted_label", "confidence", "probability_negative", "probability_positive"} <= set(scored[0]), body
    assert all(row["predicted_label"] in {"positive", "negative"} for row in scored), body
    assert all(0.0 <= float(row["confidence"]) <= 1.0 for row in scored), body


# ---- a deep link as a fresh server's first visit -----------------------------------------------
# Streamlit treats an app with a pages/ folder as an old-style multipage app until app.py has called
# st.navigation once in the process; ui.state.require_router sends such a visit through the router.
def test_deep_link_on_a_fresh_server_uses_the_router(page: Page, fresh_app_url: str, artifacts_dir: Path) -> None:
    page.goto(f"{fresh_app_url}/train")
    expect(page.get_by_role("heading", name="3 · Train", level=1)).to_be_visible(timeout=PAGE_LOAD_MS)
    shot(page, artifacts_dir, "deep-link-train")
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="1 · Data", exact=True)).to_be_visible(timeout=5_000)
    expect(page.get_by_test_id("stSidebar").get_by_role("heading", name="ModelDeck")).to_be_visible(timeout=5_000)


# ---- the sidebar status also shows on pages that end early with st.stop() -----------------------
def test_sidebar_status_shows_on_a_page_that_stops_early(page: Page, app_url: str) -> None:
    open_app(page, app_url)
    go(page, "2 · Model")
    expect(page.get_by_text("No data yet")).to_be_visible()
    settle(page)
    expect(page.get_by_test_id("stSidebar").get_by_text("none yet")).to_be_visible(timeout=5_000)
