"""The regression path of a business table, clicked through in a real Chromium, with screenshots kept.

Upload a house-price table that has a leaking column -> the warning and its fix -> the target -> a short
tree training -> Evaluate (the residual chart) -> a what-if row whose answer moves -> a whole table scored
and downloaded. Screenshots land in test-artifacts/e2e/tables/ (the column table, the leakage warning,
the model settings, training, the residual chart, the what-if form, the batch). Small settings keep it quick
(20 boosting rounds).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from modeling.data.samples import sample_table
from tests.e2e.helpers import (
    PAGE_LOAD_MS,
    TRAINING_MS,
    expect_no_errors,
    go,
    metric_value,
    open_app,
    set_number,
    settle,
    shot,
)

pytestmark = pytest.mark.e2e
LEAK = "listed_price"


@pytest.fixture
def tables_dir(artifacts_dir: Path) -> Path:
    """test-artifacts/e2e/tables, emptied of the screenshots of an earlier run."""
    folder = artifacts_dir / "tables"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


def _tables(tmp_path: Path) -> tuple[Path, Path]:
    """The house-price sample with a column that leaks the price, and 30 rows to score (no price, one extra column)."""
    raw, _ = sample_table("house_prices")
    leaky = raw.copy()
    noise = np.random.default_rng(0).normal(1.0, 0.01, len(raw))
    leaky.insert(1, LEAK, (raw["price"] * noise).round(-2))  # the asking price: known only when the house sells
    train_file, batch_file = tmp_path / "houses.csv", tmp_path / "to_score.csv"
    leaky.to_csv(train_file, index=False)
    leaky.drop(columns=["price"]).tail(30).assign(agent_notes="viewed twice").to_csv(batch_file, index=False)
    return train_file, batch_file


def _amount(text: str) -> float:
    return float(re.sub(r"[^\d.\-]", "", text))


def test_house_prices_regression_path(page: Page, app_url: str, tables_dir: Path, tmp_path: Path) -> None:
    train_file, batch_file = _tables(tmp_path)
    open_app(page, app_url)

    # Data: upload, read as a table, the target proposed, the leak flagged and left out in one click.
    go(page, "1 · Data")
    page.get_by_role("tab", name="Upload your own").click()
    page.get_by_role("tabpanel", name="Upload your own").locator("input[type=file]").set_input_files(str(train_file))
    target = page.get_by_role("combobox", name="Column to predict (the target)")
    expect(target).to_have_value("price", timeout=PAGE_LOAD_MS)
    leak_warning = page.get_by_test_id("stAlertContentWarning").filter(has_text="almost perfectly")
    expect(leak_warning).to_contain_text(LEAK)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()  # the column table (a data editor)
    shot(page, tables_dir, "1-data-leakage-warning")
    page.get_by_role("button", name=f"Leave '{LEAK}' out").click()
    expect(page.get_by_text(f"'{LEAK}' is now left out")).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(leak_warning).to_have_count(0)
    expect_no_errors(page)
    shot(page, tables_dir, "2-data-column-table")

    # Model: the default trees, kept short.
    go(page, "2 · Model")
    expect(page.get_by_test_id("stMain").get_by_text("predicts 'price' (a number)")).to_be_visible(timeout=PAGE_LOAD_MS)
    settle(page)
    set_number(page, "Most boosting rounds (trees)", 20)
    expect_no_errors(page)
    shot(page, tables_dir, "3-model")

    # Train: rounds instead of epochs, the loss per round, the run saved.
    go(page, "3 · Train")
    expect(page.get_by_text("up to 20 boosting rounds")).to_be_visible()
    settle(page)
    page.get_by_role("button", name="Start training").click()
    run_code = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Saved as run").locator("code")
    expect(run_code).to_be_visible(timeout=TRAINING_MS)
    settle(page)
    expect(metric_value(page, "Round")).to_have_text(re.compile(r"^\d+ / 20$"))
    expect_no_errors(page)
    shot(page, tables_dir, "4-train")

    # Evaluate: errors in the price's units with intervals; the residual chart.
    go(page, "4 · Evaluate")
    expect(metric_value(page, "Typical miss (RMSE)")).to_have_text(re.compile(r"^[\d,]+$"), timeout=PAGE_LOAD_MS)
    expect(page.get_by_text(re.compile(r"n = 400 test rows, 95% interval")).first).to_be_visible()
    page.get_by_role("tab", name="Misses", exact=True).click()
    expect(page.get_by_text("Misses by estimate").first).to_be_visible()
    expect_no_errors(page)
    shot(page, tables_dir, "5-evaluate-residuals")

    # Predict, what-if: a typical house, then a bigger one costs more.
    go(page, "5 · Predict")
    estimate = metric_value(page, "Estimated price")
    expect(estimate).to_be_visible(timeout=PAGE_LOAD_MS)
    before = _amount(estimate.inner_text())
    # Column names are Markdown-escaped in labels ('living\\_area\\_sqft' in the accessible name).
    field = page.get_by_role("spinbutton", name=re.compile(r"^living\W*_area\W*_sqft$"))
    field.fill("4000")
    field.press("Enter")
    expect(estimate).not_to_have_text(estimate.inner_text(), timeout=PAGE_LOAD_MS)
    settle(page)
    assert _amount(estimate.inner_text()) > before
    expect(page.get_by_text("90% range:")).to_be_visible()
    expect_no_errors(page)
    shot(page, tables_dir, "6-predict-what-if")

    # A whole table: scored, an extra column ignored and named, downloaded with the range bounds.
    page.get_by_role("tab", name="A whole table").click()
    panel = page.get_by_role("tabpanel", name="A whole table")
    panel.locator("input[type=file]").set_input_files(str(batch_file))
    expect(panel.get_by_text("Scored 30 rows")).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(panel.get_by_text(re.compile(r"ignored: .*'agent.+notes'"))).to_be_visible()  # an extra column, named
    expect_no_errors(page)
    shot(page, tables_dir, "7-predict-batch")
    with page.expect_download() as download_info:
        panel.get_by_role("button", name="Download the scored table (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "scored.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert len(rows) == 30
    assert {"predicted_price", "low_80", "high_80", "low_90", "high_90"} <= set(rows[0])
    assert all(float(r["low_90"]) <= float(r["predicted_price"]) <= float(r["high_90"]) for r in rows)
