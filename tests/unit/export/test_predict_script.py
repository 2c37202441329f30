"""The ZIP's predict.py runs in a virtual environment that holds only its runtime (no TensorFlow, no ModelDeck).

Slow: the environment is built once per session with pip (the runtimes come from PyPI), and skipped with
the reason when pip cannot reach the registry.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from modeling.export.bundle import build_export
from modeling.runs.store import RunStore
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def runtime_python(tmp_path_factory) -> Path:
    """A fresh venv with ONNX Runtime, LiteRT, NumPy, Pillow and SciPy at the versions installed here."""
    import importlib.metadata as md

    folder = tmp_path_factory.mktemp("runtime-venv")
    venv.create(folder, with_pip=True)
    python = folder / "bin" / "python"
    pins = [f"{name}=={md.version(name)}" for name in ("onnxruntime", "ai-edge-litert", "numpy", "pillow", "scipy")]
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *pins], capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        pytest.skip(f"could not install the runtimes: {done.stderr.strip().splitlines()[-1:]}")
    return python


def _unzipped(run_id: str, fmt: str, folder: Path) -> Path:
    store = RunStore(folder / "home", starters=REPO_ROOT / "starters")
    result = build_export(store.load(run_id), fmt, "# card", out_dir=folder)
    with zipfile.ZipFile(result.zip_path) as archive:
        archive.extractall(folder)  # our own ZIP
    return folder / result.zip_path.stem


def _answers(python: Path, export: Path, source: Path, tmp_path: Path) -> list[dict[str, str]]:
    out = tmp_path / "answers.csv"
    done = subprocess.run(
        [str(python), "-I", str(export / "predict.py"), str(source), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with out.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("fmt", ["onnx", "litert"])
def test_text_export_scores_a_csv_with_only_its_runtime(runtime_python, fmt, tmp_path):
    export = _unzipped("starter-reviews", fmt, tmp_path)
    table = tmp_path / "reviews.csv"
    table.write_text('text\n"I love it, works great"\n"Broken after a day, I want a refund"\n', encoding="utf-8")
    rows = _answers(runtime_python, export, table, tmp_path)
    assert [r["predicted_label"] for r in rows] == ["positive", "negative"]
    assert all(0.5 <= float(r["confidence"]) <= 1.0 for r in rows)


@pytest.mark.parametrize("fmt", ["onnx", "litert"])
def test_digit_export_reads_a_photo_with_only_its_runtime(runtime_python, fmt, tmp_path):
    export = _unzipped("starter-digits", fmt, tmp_path)
    picture = Image.new("RGB", (200, 200), "white")
    ImageDraw.Draw(picture).line([(100, 30), (100, 170)], fill="black", width=14)  # a one
    photo = tmp_path / "one.png"
    picture.save(photo)
    rows = _answers(runtime_python, export, photo, tmp_path)
    assert rows[0]["predicted_label"] == "1"
    assert sys.executable not in str(runtime_python)
