"""From a score to an action, in a real Chromium, on the two sample tables (issue 21's "done when"), with screenshots.

Churn: Evaluate shows the gains chart and the top-decile lift, the ranked list and, once a sensitive column is
chosen, the fairness block; Predict searches what would keep one customer and scores a file whose download
carries each row's reasons, under a drift line. House prices: Evaluate shows where the errors are; a scored file
whose sizes shifted gets a drift warning. The two runs are trained once, in-process, before the server starts
(short trees), so the browser time goes to the pages. Screenshots land in test-artifacts/e2e/actions/.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from modeling.config import default_config
from modeling.data.samples import load_sample, sample_table
from modeling.runs.store import RunStore
from modeling.training.experiment import run_experiment
from tests.e2e.helpers import (
    PAGE_LOAD_MS,
    choose_radio,
    expect_no_errors,
    go,
    metric_value,
    open_app,
    settle,
    shot,
    streamlit_server,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def actions_dir(artifacts_dir: Path) -> Path:
    folder = artifacts_dir / "actions"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


def _train(store: RunStore, key: str) -> str:
    ds = load_sample(key)
    config = default_config(ds.task, f"sample:{key}", "boosted_trees")
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"max_rounds": 40})})
    return run_experiment(config, ds, store=store).name


@pytest.fixture(scope="module")
def actions_url(tmp_path_factory, artifacts_dir: Path) -> Iterator[str]:
    """A server over a workspace holding a house-price run and (newest, so shown first) a churn run."""
    home = tmp_path_factory.mktemp("modeldeck_home")
    store = RunStore(home)
    _train(store, "house_prices")
    _train(store, "churn")
    log = artifacts_dir / "test_table_actions_browser-server.log"
    with streamlit_server(home, log, {"MODELDECK_MODE": "local"}) as url:  # runs trained here are everyone's
        yield url


def _choose(page: Page, name: str, option: str) -> None:
    """Pick ``option`` in the select box called ``name`` (type it, press Enter) and wait for the rerun."""
    box = page.get_by_role("combobox", name=name)
    box.click()
    box.fill(option)
    box.press("Enter")
    page.wait_for_timeout(400)
    settle(page)


def test_churn_from_scores_to_actions(page: Page, actions_url: str, actions_dir: Path, tmp_path: Path) -> None:
    open_app(page, actions_url)

    # Evaluate: who to contact first, with the top tenth's lift and its interval, and the ranked list.
    go(page, "4 · Evaluate")
    expect(page.get_by_role("heading", name="Who to contact first")).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(metric_value(page, "Top-tenth lift")).to_have_text(re.compile(r"^\d+\.\dx$"))
    expect(page.get_by_text(re.compile(r"^95% interval \d+\.\dx–\d+\.\dx, n = \d+ rows$"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"with the highest scores reaches \d+% of 'Yes'"))).to_be_visible()
    page.get_by_role("heading", name="Who to contact first").scroll_into_view_if_needed()
    charts = page.locator(".js-plotly-plot")  # drawn once scrolled into view
    expect(charts.filter(has_text="Who to contact first")).to_have_count(1, timeout=PAGE_LOAD_MS)
    expect(charts.filter(has_text="Lift per tenth")).to_have_count(1, timeout=PAGE_LOAD_MS)
    expect_no_errors(page)
    shot(page, actions_dir, "1-churn-evaluate-gains")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the ranked list (CSV)").click()
    ranked = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8"))))
    assert ranked[0]["rank"] == "1" and ranked[0]["customer"] and " = " in ranked[0]["reason_1"]

    # Is it fair? Only once a column is chosen: senior citizens against the rest.
    expect(page.get_by_role("heading", name="Is it fair?")).to_be_visible()
    _choose(page, "Sensitive column", "senior_citizen")
    expect(page.get_by_text("Demographic parity difference")).to_be_visible(timeout=PAGE_LOAD_MS)
    page.get_by_role("heading", name="Is it fair?").scroll_into_view_if_needed()
    expect(charts.filter(has_text="per group of senior_citizen")).to_have_count(1, timeout=PAGE_LOAD_MS)
    expect_no_errors(page)
    shot(page, actions_dir, "2-churn-evaluate-fairness")

    # Predict: what would keep one customer, changing only what the company controls.
    go(page, "5 · Predict")
    choose_radio(page, "Table classification (e.g. churn yes/no)")
    expect(page.get_by_role("heading", name="What would change the answer?")).to_be_visible(timeout=PAGE_LOAD_MS)
    _choose(page, "contract", "Month-to-month")
    field = page.get_by_role("spinbutton", name="tenure", exact=True)
    field.fill("3")
    field.press("Enter")
    page.wait_for_timeout(400)
    settle(page)
    changeable = page.get_by_role("combobox", name="Columns you could change")
    for column in ("contract", "payment_method", "tech_support"):
        changeable.click()
        changeable.fill(column)
        changeable.press("Enter")
        page.wait_for_timeout(300)
        settle(page)
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Find the smallest changes").click()
    answer = page.get_by_test_id("stAlertContentSuccess").or_(page.get_by_test_id("stAlertContentWarning"))
    expect(answer.filter(has_text=re.compile(r"^(Changing|No change of up to three)"))).to_be_visible(
        timeout=PAGE_LOAD_MS
    )
    expect(page.get_by_text(re.compile(r"^Tried [\d,]+ variants of this row"))).to_be_visible()
    expect_no_errors(page)
    page.get_by_role("heading", name="What would change the answer?").scroll_into_view_if_needed()
    shot(page, actions_dir, "3-churn-predict-what-would-change")

    # A whole file: a drift line on top, reasons in the preview and in the download.
    raw, _ = sample_table("churn")
    batch = tmp_path / "customers.csv"
    raw.drop(columns=["churn"]).sample(300, random_state=2).to_csv(batch, index=False)
    page.get_by_role("tab", name="A whole table").click()
    panel = page.get_by_role("tabpanel", name="A whole table")
    panel.locator("input[type=file]").set_input_files(str(batch))
    expect(panel.get_by_text("Scored 300 rows")).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(panel.get_by_text(re.compile("^Compared with the training data:"))).to_be_visible()
    expect(panel.get_by_text("Drift per column")).to_be_visible()
    expect_no_errors(page)
    shot(page, actions_dir, "4-churn-predict-batch-reasons-drift")
    with page.expect_download() as download_info:
        panel.get_by_role("button", name="Download the scored table (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) == 300 and {"reason_1", "reason_2", "reason_3"} <= set(rows[0])
    assert all(re.search(r" \(typical .+\) (raises|lowers) the chance of '", r["reason_1"]) for r in rows[:50])


def test_house_prices_errors_and_a_drifted_file(page: Page, actions_url: str, actions_dir: Path, tmp_path: Path):
    open_app(page, actions_url)
    go(page, "4 · Evaluate")
    _choose(page, "Run to evaluate", "house")
    expect(page.get_by_role("heading", name="Where the errors are")).to_be_visible(timeout=PAGE_LOAD_MS)
    page.get_by_role("heading", name="Where the errors are").scroll_into_view_if_needed()
    charts = page.locator(".js-plotly-plot")
    expect(charts.filter(has_text="by tenth of the estimates")).to_have_count(1, timeout=PAGE_LOAD_MS)
    expect(charts.filter(has_text="Where the errors are")).to_have_count(1, timeout=PAGE_LOAD_MS)
    expect_no_errors(page)
    shot(page, actions_dir, "5-houses-evaluate-where-the-errors-are")

    go(page, "5 · Predict")
    choose_radio(page, "Table regression (predict a number, e.g. a price)")
    settle(page)
    raw, _ = sample_table("house_prices")
    batch = raw.drop(columns=["price"]).sample(200, random_state=3)
    batch["living_area_sqft"] = batch["living_area_sqft"] * 3  # mansions only
    batch["overall_quality"] = 10
    path = tmp_path / "mansions.csv"
    batch.to_csv(path, index=False)
    page.get_by_role("tab", name="A whole table").click()
    panel = page.get_by_role("tabpanel", name="A whole table")
    panel.locator("input[type=file]").set_input_files(str(path))
    expect(panel.get_by_text("Scored 200 rows")).to_be_visible(timeout=PAGE_LOAD_MS)
    warning = panel.get_by_test_id("stAlertContentWarning").filter(has_text="Compared with the training data")
    expect(warning).to_contain_text("may be off")
    panel.get_by_text("Drift per column").click()
    expect(panel.locator(".js-plotly-plot").filter(has_text="Has the data shifted?")).to_have_count(1)
    expect_no_errors(page)
    shot(page, actions_dir, "6-houses-predict-drift")
