"""Take the model with you, clicked through in Chromium: a table run's ONNX export from the Evaluate page.

The server's workspace holds one small table run (gradient-boosted trees predicting a price band). The test
prepares the ONNX export in the Export box, waits for its check, downloads the ZIP, opens it and runs the
ZIP's own ``predict.py`` on three raw rows. Kept short: trees need no TensorFlow in the check's process.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import PAGE_LOAD_MS, expect_no_errors, go, open_app, shot, streamlit_server

pytestmark = pytest.mark.e2e


def _raw_rows(n: int, seed: int):
    from tests.unit.training.table_data import raw_houses

    raw = raw_houses(n, seed=seed)
    raw["band"] = np.where(raw["price"] > raw["price"].median(), "high", "low")
    return raw.drop(columns=["price"])


@pytest.fixture(scope="module")
def table_url(tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path):
    """A single-user server whose workspace holds one finished table run."""
    from modeling.config import default_config
    from modeling.data.tabular import dataset_from_table
    from modeling.runs.store import RunStore
    from modeling.training.experiment import run_experiment

    home = tmp_path_factory.mktemp("modeldeck_home")
    dataset = dataset_from_table(_raw_rows(300, 0), "band", name="houses", task="tabular_classification")
    config = default_config(dataset.task, "session:houses", "boosted_trees")
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"max_rounds": 30})})
    run_experiment(config, dataset, store=RunStore(home))
    previous = os.environ.get("MODELDECK_MODE")
    os.environ["MODELDECK_MODE"] = "local"
    try:
        with streamlit_server(home, artifacts_dir / "test_export_browser-server.log") as url:
            yield url
    finally:
        if previous is None:
            os.environ.pop("MODELDECK_MODE", None)
        else:
            os.environ["MODELDECK_MODE"] = previous


def test_a_table_export_downloads_and_runs(page: Page, table_url: str, artifacts_dir: Path, tmp_path: Path) -> None:
    open_app(page, table_url)
    go(page, "4 · Evaluate")
    expect(page.get_by_role("heading", name="Take the model with you")).to_be_visible(timeout=PAGE_LOAD_MS)
    expect(page.get_by_text(re.compile(r"^Not offered: LiteRT has no operations for decision trees"))).to_be_visible()
    page.get_by_role("button", name="Prepare the ONNX export").click()
    checked = page.get_by_text(re.compile(r"^Checked: ONNX: (\d+) of \1 answers identical"))
    expect(checked).to_be_visible(timeout=PAGE_LOAD_MS)
    expect_no_errors(page)
    shot(page, artifacts_dir, "export-1-checked")

    with page.expect_download(timeout=PAGE_LOAD_MS) as download_info:
        page.get_by_role("button", name=re.compile(r"^Download .*-onnx\.zip")).click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        names = {name.split("/", 1)[1] for name in archive.namelist()}
        archive.extractall(tmp_path)  # our own ZIP, just downloaded
    assert {"model.onnx", "predict.py", "prepare_table.py", "preparation.json", "labels.json", "MODEL_CARD.md"} <= names
    folder = tmp_path / saved.stem
    assert json.loads((folder / "check.json").read_text())["passed"] is True

    rows = tmp_path / "three.csv"
    _raw_rows(3, 7).drop(columns=["band"]).to_csv(rows, index=False)
    done = subprocess.run(
        [sys.executable, "-I", str(folder / "predict.py"), str(rows), "-o", str(tmp_path / "scored.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with (tmp_path / "scored.csv").open(encoding="utf-8") as fh:
        scored = list(csv.DictReader(fh))
    assert len(scored) == 3 and {row["predicted_label"] for row in scored} <= {"high", "low"}
