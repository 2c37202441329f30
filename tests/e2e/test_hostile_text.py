"""User text in a real browser: HTML, Markdown links, emoji, right-to-left and CJK show as typed, and nothing runs.

AppTest only sees the Markdown source; this test reads what Chromium actually renders.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import PAGE_LOAD_MS, go, metric_value, open_app, settle, shot

pytestmark = pytest.mark.e2e

NAME = "<img src=x onerror=window.__pwned=1> [click](javascript:window.__pwned=2) **AT&amp;T** 😀 مرحبا 你好"
LABELS = ["<b>good</b> 😀", "سيء جدا", "坏 [x](https://e.vil)"]


def test_hostile_file_names_and_labels_render_as_typed(page: Page, app_url: str, artifacts_dir: Path) -> None:
    rows = "\n".join(f'"review {i} {NAME}","{LABELS[i % 3]}"' for i in range(30))
    open_app(page, app_url)
    go(page, "1 · Data")
    page.get_by_role("tab", name="Upload your own").click()
    page.locator("input[type=file]").first.set_input_files(
        files=[{"name": f"{NAME}.csv", "mimeType": "text/csv", "buffer": ("text,label\n" + rows).encode()}]
    )
    expect(page.get_by_role("button", name="Use these columns")).to_be_visible(timeout=PAGE_LOAD_MS)
    settle(page)
    page.get_by_role("button", name="Use these columns").click()
    expect(metric_value(page, "Examples")).to_have_text("30", timeout=PAGE_LOAD_MS)
    settle(page)

    heading = page.get_by_role("heading", name=re.compile("^Active data"))
    expect(heading).to_have_text(f"Active data: {NAME}.csv")  # intact: every character as typed
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(f"{NAME}.csv", exact=False)).to_be_visible()
    assert page.evaluate("() => window.__pwned") is None, "markup from a file name ran"
    main = page.get_by_test_id("stMain")
    assert main.locator("img[src=x]").count() == 0 and sidebar.locator("img[src=x]").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("a[href*='e.vil']").count() == 0
    shot(page, artifacts_dir, "hostile-text-data")
