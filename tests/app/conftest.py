"""Fixtures shared by the page tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def local_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Single-user mode over this test's workspace; the store the pages share is rebuilt for it."""
    from ui import run_state

    monkeypatch.setenv("MODELDECK_MODE", "local")
    run_state.run_store.clear()
    yield Path(os.environ["MODELDECK_HOME"])
    run_state.run_store.clear()
