"""Four people on one hosted server at once: two train, two predict; all finish, nobody sees another's runs.

One Streamlit server in hosted mode with MODELDECK_MAX_TRAININGS=1 (see ``hosted_app_url`` in
conftest.py). Four browser contexts (four Streamlit sessions) run concurrently with Playwright's
async API in one Chromium, so the two trainings really compete for the single slot: the one that
clicks second must show the queue. Screenshots land in test-artifacts/e2e/many-users-*.png.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from modeling.runs.store import RunStore

pytestmark = pytest.mark.e2e

PAGE_LOAD_MS = 90_000  # four sessions share two cores: first visits import TensorFlow
TRAINING_MS = 300_000  # both trainings one after the other, on a busy 2-core machine
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-quic"]
STARTER_TEXT = "Starter: review sentiment"
STARTER_DIGITS = "Starter: handwritten digits"


@dataclass
class Outcome:
    """What one session saw, checked by the test after all four are done."""

    name: str
    run_id: str | None = None
    saw_queue: bool = False
    picker_options: list[str] = field(default_factory=list)
    runs_page_options: list[str] = field(default_factory=list)
    prediction: str | None = None
    steps: list[str] = field(default_factory=list)


# ---- async helpers (the sync ones in test_browser.py cannot share a thread with asyncio) -------------------
async def settle(page) -> None:
    from playwright.async_api import expect

    await expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=PAGE_LOAD_MS
    )


async def shot(page, artifacts: Path, name: str, outcome: Outcome) -> None:
    await settle(page)
    await page.screenshot(path=str(artifacts / f"many-users-{name}.png"), full_page=True)
    outcome.steps.append(f"{time.strftime('%H:%M:%S')} {name}")


async def go(page, title: str) -> None:
    from playwright.async_api import expect

    await page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    await expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=PAGE_LOAD_MS)
    await settle(page)


async def metric_value(page, label: str):
    label_loc = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    return page.get_by_test_id("stMetric").filter(has=label_loc).get_by_test_id("stMetricValue")


async def options_of(page, name: str) -> list[str]:
    """The labels offered by the select box called ``name`` (opened, read, closed again)."""
    box = page.get_by_role("combobox", name=name)
    await box.click()
    options = page.get_by_role("option")
    await options.first.wait_for(timeout=10_000)
    texts = [t.strip() for t in await options.all_inner_texts()]
    await page.keyboard.press("Escape")
    return texts


#: A word every Model option of the task has once the page has switched to it (the switch is a rerun, which a
#: loaded machine may finish after the click returns).
TASK_WORD = {"Image classification": "digits", "Text classification (e.g. sentiment)": "review"}


async def model_options(page, task_option: str) -> list[str]:
    """The Model picker's options once they belong to ``task_option`` (read again until then, up to 20 s)."""
    word = TASK_WORD[task_option]
    texts: list[str] = []
    for _ in range(20):
        texts = await options_of(page, "Model")
        if texts and all(word in t.lower() for t in texts):
            return texts
        await page.wait_for_timeout(1_000)
    return texts


async def open_app(context, url: str):
    from playwright.async_api import expect

    page = await context.new_page()
    await page.goto(url)
    await expect(page.get_by_role("heading", name="ModelDeck", level=1)).to_be_visible(timeout=PAGE_LOAD_MS)
    return page


# ---- the four people ------------------------------------------------------------------------------------
async def trainer(context, url, artifacts, sample, epochs, go_signal, ready, outcome: Outcome) -> None:
    from playwright.async_api import expect

    page = await open_app(context, url)
    await go(page, "1 · Data")
    card = page.get_by_test_id("stColumn").filter(has=page.get_by_text(sample, exact=True))
    await card.get_by_role("button", name="Use this sample").click()
    await expect(await metric_value(page, "Examples")).to_be_visible(timeout=PAGE_LOAD_MS)
    for _attempt in range(3):  # under load a rerun may start late; the Train page says what was applied
        await go(page, "2 · Model")
        await expect(await metric_value(page, "Parameters")).to_be_visible(timeout=PAGE_LOAD_MS)
        if sample == "Product reviews":  # a light epoch-trained template, so two trainings fit on two cores
            await page.get_by_test_id("stRadio").get_by_text("ngram_bag —", exact=False).first.click()
            await settle(page)
            await expect(await metric_value(page, "Parameters")).to_be_visible(timeout=PAGE_LOAD_MS)
        field_ = page.get_by_role("spinbutton", name="Epochs", exact=True)
        await field_.fill(str(epochs))
        await field_.press("Enter")
        await page.wait_for_timeout(1500)
        await settle(page)
        await go(page, "3 · Train")
        if await page.get_by_text(f"up to {epochs} epochs").count():
            break
    await expect(page.get_by_text(f"up to {epochs} epochs")).to_be_visible()
    await expect(page.get_by_text("This server trains 1 model at a time")).to_be_visible()

    ready.release()  # both trainers click Start together, so one of them has to queue
    await go_signal.wait()
    await page.get_by_role("button", name="Start training").click()
    progress = page.get_by_test_id("stProgress")
    saved = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Saved as run")
    deadline = time.monotonic() + TRAINING_MS / 1000
    while time.monotonic() < deadline:
        if await saved.count():
            break
        text = await progress.inner_text() if await progress.count() else ""
        if "in the queue" in text and not outcome.saw_queue:
            outcome.saw_queue = True
            await shot(page, artifacts, f"{outcome.name}-queued", outcome)
        await page.wait_for_timeout(300)
    await expect(saved).to_be_visible(timeout=5_000)
    outcome.run_id = (await saved.locator("code").inner_text()).strip()
    await expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    await shot(page, artifacts, f"{outcome.name}-trained", outcome)


async def check_trainer_sees_only_own(context_page, artifacts, task_option, outcome: Outcome) -> None:
    page = context_page
    await go(page, "Saved runs")
    outcome.runs_page_options = await options_of(page, "Run")
    await shot(page, artifacts, f"{outcome.name}-runs", outcome)
    await go(page, "5 · Predict")
    await page.get_by_test_id("stRadio").get_by_text(task_option, exact=True).click()
    await settle(page)
    outcome.picker_options = await model_options(page, task_option)
    await shot(page, artifacts, f"{outcome.name}-predict", outcome)


async def text_predictor(context, url, artifacts, outcome: Outcome):
    from playwright.async_api import expect

    page = await open_app(context, url)
    await go(page, "5 · Predict")
    await page.get_by_test_id("stRadio").get_by_text("Text classification (e.g. sentiment)", exact=True).click()
    await settle(page)
    box = page.get_by_role("textbox", name="Text")
    # The sentiment starter holds the pretrained encoder: its first load, beside two trainings, takes a while.
    await expect(box).to_be_visible(timeout=PAGE_LOAD_MS)
    await box.fill("Absolutely love it, works perfectly.")
    await box.press("Tab")
    await page.get_by_role("button", name="Predict", exact=True).click()
    value = await metric_value(page, "Prediction")
    await expect(value).to_have_text(re.compile(r"^(positive|negative)$"), timeout=PAGE_LOAD_MS)
    outcome.prediction = (await value.inner_text()).strip()
    await shot(page, artifacts, f"{outcome.name}-predicted", outcome)
    return page


async def digit_predictor(context, url, artifacts, outcome: Outcome):
    from playwright.async_api import expect

    page = await open_app(context, url)
    await go(page, "5 · Predict")
    await page.get_by_test_id("stRadio").get_by_text("Image classification", exact=True).click()
    await settle(page)
    canvas = page.get_by_test_id("stMain").locator("canvas").last
    await expect(canvas).to_be_visible(timeout=PAGE_LOAD_MS)
    box = await canvas.bounding_box()
    x = box["x"] + box["width"] / 2
    await page.mouse.move(x, box["y"] + box["height"] * 0.15)
    await page.mouse.down()
    await page.mouse.move(x, box["y"] + box["height"] * 0.85, steps=25)
    await page.mouse.up()
    value = await metric_value(page, "Prediction")
    await expect(value).to_have_text(re.compile(r"^\d$"), timeout=PAGE_LOAD_MS)
    outcome.prediction = (await value.inner_text()).strip()
    await shot(page, artifacts, f"{outcome.name}-predicted", outcome)
    return page


async def four_sessions(url: str, artifacts: Path) -> dict[str, Outcome]:
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=45_000)  # four sessions and a training share two cores

    outcomes = {n: Outcome(n) for n in ("trainer-reviews", "trainer-digits", "predict-text", "predict-digits")}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        contexts = [await browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(4)]
        for context in contexts:
            context.set_default_timeout(45_000)
        go_signal, ready = asyncio.Event(), asyncio.Semaphore(0)

        async def release_when_both_ready() -> None:
            await ready.acquire()
            await ready.acquire()
            go_signal.set()

        try:
            results = await asyncio.gather(
                trainer(
                    contexts[0], url, artifacts, "Product reviews", 1, go_signal, ready, outcomes["trainer-reviews"]
                ),
                trainer(
                    contexts[1], url, artifacts, "Handwritten digits", 1, go_signal, ready, outcomes["trainer-digits"]
                ),
                text_predictor(contexts[2], url, artifacts, outcomes["predict-text"]),
                digit_predictor(contexts[3], url, artifacts, outcomes["predict-digits"]),
                release_when_both_ready(),
            )
            text_page, digit_page = results[2], results[3]
            trainer_pages = [context.pages[0] for context in contexts[:2]]
            await asyncio.gather(
                check_trainer_sees_only_own(
                    trainer_pages[0], artifacts, "Text classification (e.g. sentiment)", outcomes["trainer-reviews"]
                ),
                check_trainer_sees_only_own(
                    trainer_pages[1], artifacts, "Image classification", outcomes["trainer-digits"]
                ),
            )
            # After both trainings, the people who only predicted still see only the starters.
            for page, option, outcome in (
                (text_page, "Text classification (e.g. sentiment)", outcomes["predict-text"]),
                (digit_page, "Image classification", outcomes["predict-digits"]),
            ):
                await go(page, "Saved runs")
                outcome.runs_page_options = await options_of(page, "Run")
                await go(page, "5 · Predict")
                await page.get_by_test_id("stRadio").get_by_text(option, exact=True).click()
                await settle(page)
                outcome.picker_options = await model_options(page, option)
                await shot(page, artifacts, f"{outcome.name}-after", outcome)
        finally:
            for context in contexts:
                await context.close()
            await browser.close()
    return outcomes


def test_four_sessions_at_once_train_and_predict_without_seeing_each_other(hosted_app_url, artifacts_dir):
    url, home = hosted_app_url
    result: dict[str, object] = {}

    def run() -> None:  # its own thread: asyncio must not meet the sync Playwright of other tests
        try:
            result["outcomes"] = asyncio.run(four_sessions(url, artifacts_dir))
        except BaseException as exc:  # re-raised in the test's thread below
            result["error"] = exc

    began = time.monotonic()
    worker = threading.Thread(target=run, name="four-sessions")
    worker.start()
    worker.join(timeout=600)
    elapsed = time.monotonic() - began
    assert not worker.is_alive(), "the four sessions did not finish within 10 minutes"
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    outcomes: dict[str, Outcome] = result["outcomes"]  # type: ignore[assignment]
    print(f"four sessions took {elapsed:.0f} s")
    for outcome in outcomes.values():
        print(outcome.name, *outcome.steps, sep="\n  ")

    reviews, digits = outcomes["trainer-reviews"], outcomes["trainer-digits"]
    assert reviews.run_id and digits.run_id and reviews.run_id != digits.run_id
    assert reviews.saw_queue or digits.saw_queue, "with one training slot, one of two trainings must queue"

    # Each trainer's lists hold its own run and the starters, never the other's run.
    def titles(options: list[str]) -> str:
        return " | ".join(options)

    assert "on Product reviews" in titles(reviews.runs_page_options)
    assert "on Handwritten digits" not in titles(reviews.runs_page_options)
    assert "on Handwritten digits" in titles(digits.runs_page_options)
    assert "on Product reviews" not in titles(digits.runs_page_options)
    assert any("on Product reviews" in o for o in reviews.picker_options), reviews.picker_options
    assert any("on Handwritten digits" in o for o in digits.picker_options), digits.picker_options

    # The people who only predicted got answers from the starters and see nothing else.
    assert outcomes["predict-text"].prediction in ("positive", "negative")
    assert outcomes["predict-digits"].prediction and outcomes["predict-digits"].prediction.isdigit()
    for name, starter in (("predict-text", STARTER_TEXT), ("predict-digits", STARTER_DIGITS)):
        seen = outcomes[name]
        assert all("Starter" in o for o in seen.runs_page_options), seen.runs_page_options
        assert len(seen.picker_options) == 1 and starter in seen.picker_options[0], seen.picker_options

    # On disk both runs exist, each recorded with its own owner, neither with the other's.
    on_disk = {i.run_id: i for i in RunStore(home, starters=None).list_runs()}
    assert set(on_disk) == {reviews.run_id, digits.run_id}
    assert on_disk[reviews.run_id].owner and on_disk[digits.run_id].owner
    assert on_disk[reviews.run_id].owner != on_disk[digits.run_id].owner
    assert all(i.status == "finished" for i in on_disk.values())
