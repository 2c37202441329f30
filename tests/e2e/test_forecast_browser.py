"""Forecasting clicked through in a real Chromium, without touching a setting (the "Done when" of issue 20).

Upload a weekly sales file with six stores (three years, a promotion flag; generated here) -> the Data page
recognises it ("'units' per 'store', 6 series, weekly on Mondays, ...") -> Confirm -> Train with the defaults
(Automatic) -> Evaluate: WAPE and MASE against the seasonal naive, the ranges' measured coverage, the summary you
could paste into an email, the chart with ranges -> Predict: download the 12-week forecast as CSV. Screenshots
land in test-artifacts/e2e/forecast/.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import PAGE_LOAD_MS, TRAINING_MS, expect_no_errors, go, metric_value, open_app, settle, shot

pytestmark = pytest.mark.e2e
STORES, WEEKS, HORIZON = 6, 156, 12


@pytest.fixture
def forecast_dir(artifacts_dir: Path) -> Path:
    """test-artifacts/e2e/forecast, emptied of the screenshots of an earlier run."""
    folder = artifacts_dir / "forecast"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


def _sales_file(tmp_path: Path) -> tuple[Path, pd.Timestamp]:
    """Six stores x three years of weekly units (seasonal, lifted by promotions); returns the file and last week."""
    rng = np.random.default_rng(7)
    weeks = pd.date_range("2021-01-04", periods=WEEKS, freq="W-MON")
    t = np.arange(WEEKS)
    frames = []
    for store in range(STORES):
        promo = (rng.random(WEEKS) < 0.15).astype(int)
        units = (150 + 60 * store) * (1 + 0.3 * np.sin(2 * np.pi * t / 52)) * (1 + 0.25 * promo)
        frames.append(
            pd.DataFrame(
                {
                    "week": weeks.strftime("%Y-%m-%d"),
                    "store": f"Store {store + 1}",
                    "units": (units * rng.lognormal(0, 0.07, WEEKS)).round(0),
                    "promo": promo,
                }
            )
        )
    path = tmp_path / "weekly_sales.csv"
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)
    return path, weeks[-1]


def test_weekly_sales_forecast_path(page: Page, app_url: str, forecast_dir: Path, tmp_path: Path) -> None:
    sales, last_week = _sales_file(tmp_path)
    open_app(page, app_url)

    # Data: the upload is recognised as time series, in one sentence, and confirmed.
    go(page, "1 · Data")
    page.get_by_role("tab", name="Upload your own").click()
    page.get_by_role("tabpanel", name="Upload your own").locator("input[type=file]").set_input_files(str(sales))
    recognised = page.get_by_text(
        re.compile(r"Recognised time series: 'units' per 'store', 6 series, weekly on Mondays")
    )
    expect(recognised).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(page.get_by_text("'promo' is known ahead", exact=False).first).to_be_visible()
    shot(page, forecast_dir, "1-data-recognised")
    page.get_by_role("button", name="Confirm: forecast it").click()
    expect(metric_value(page, "Series")).to_have_text(str(STORES), timeout=PAGE_LOAD_MS)
    expect_no_errors(page)
    shot(page, forecast_dir, "2-data-confirmed")

    # Model: Automatic first, its forecast settings, what training does (looked at, nothing changed).
    go(page, "2 · Model")
    expect(page.get_by_role("heading", name="What training does")).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(page.get_by_role("radio", name=re.compile(r"^automatic_forecast"))).to_be_checked()
    shot(page, forecast_dir, "3-model")

    # Train with the defaults: Automatic backtests the candidates, then forecasts the next 12 weeks.
    go(page, "3 · Train")
    expect(page.get_by_text(re.compile(r"Ready to train:.*automatic_forecast"))).to_be_visible(timeout=PAGE_LOAD_MS)
    settle(page)
    page.get_by_role("button", name="Start training").click()
    saved = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Saved as run")
    expect(saved).to_be_visible(timeout=TRAINING_MS)
    expect_no_errors(page)
    shot(page, forecast_dir, "4-trained")

    # Evaluate: the backtest against the seasonal naive, the ranges' coverage, the summary and the chart.
    go(page, "4 · Evaluate")
    wape = metric_value(page, "% off (WAPE)")
    expect(wape).to_have_text(re.compile(r"^\d{1,3}\.\d%$"), timeout=PAGE_LOAD_MS)
    expect(page.get_by_text(re.compile(r"seasonal naive: \d{1,3}\.\d%")).first).to_be_visible()
    expect(metric_value(page, "80% range held")).to_have_text(re.compile(r"^\d{1,3}\.\d%$"))
    expect(metric_value(page, "90% range held")).to_have_text(re.compile(r"^\d{1,3}\.\d%$"))
    expect(page.get_by_role("heading", name="In plain words")).to_be_visible()
    expect(page.get_by_text(re.compile(rf"Over the next {HORIZON} weeks")).first).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    expect_no_errors(page)
    shot(page, forecast_dir, "5-evaluate")

    # Predict: the next 12 weeks of every store, with ranges, as CSV.
    go(page, "5 · Predict")
    button = page.get_by_role("button", name="Download the forecast (CSV)")
    expect(button).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    expect_no_errors(page)
    shot(page, forecast_dir, "6-predict")
    with page.expect_download() as download_info:
        button.click()
    rows = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["series", "date", "forecast", "low_80", "high_80", "low_90", "high_90"], rows[0]
    assert len(rows) == STORES * HORIZON
    assert {row["series"] for row in rows} == {f"Store {i + 1}" for i in range(STORES)}
    expected = {d.strftime("%Y-%m-%d") for d in pd.date_range(last_week, periods=HORIZON + 1, freq="W-MON")[1:]}
    assert {row["date"] for row in rows} == expected
    for row in rows:
        low_90, low_80, mid = float(row["low_90"]), float(row["low_80"]), float(row["forecast"])
        assert low_90 <= low_80 <= mid <= float(row["high_80"]) <= float(row["high_90"]), row
