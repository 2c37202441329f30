"""The ZIP's predict.py runs in a virtual environment that holds only its runtime (no TensorFlow, no ModelDeck).

Slow: the environment is built once per session with pip (the runtimes come from PyPI), and skipped with
the reason when pip cannot reach the registry. Table exports also need pandas (their ``prepare_table.py``),
and are compared with ModelDeck's own table predictor on the same raw rows.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from modeling.export.bundle import build_export
from modeling.runs.store import RunStore
from tests.conftest import REPO_ROOT
from tests.unit.training.table_data import raw_houses

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def runtime_python(tmp_path_factory) -> Path:
    """A fresh venv with ONNX Runtime, LiteRT, NumPy, pandas, Pillow and SciPy at the versions installed here."""
    import importlib.metadata as md

    folder = tmp_path_factory.mktemp("runtime-venv")
    venv.create(folder, with_pip=True)
    python = folder / "bin" / "python"
    pins = [
        f"{name}=={md.version(name)}"
        for name in ("onnxruntime", "ai-edge-litert", "numpy", "pandas", "pillow", "scipy")
    ]
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


@pytest.fixture(scope="module", params=["ngram_bag", "ngram_nb"])
def reviews_run(request, tmp_path_factory):
    """Keyword models on the built-in product reviews (the sentiment starter's encoder has no ONNX): multi-hot
    n-grams, and weighted n-gram counts (``tokenizer.py`` counting, the model file weighing)."""
    from modeling.config import DataConfig, ExperimentConfig, template_settings
    from modeling.training.experiment import run_experiment

    store = RunStore(tmp_path_factory.mktemp("reviews"), starters=None)
    settings = template_settings(request.param).model_copy(update={"epochs": 12})
    config = ExperimentConfig(
        data=DataConfig(source="sample:reviews"), task="text_classification", template=request.param, settings=settings
    )
    return store.load(run_experiment(config, store=store).name)


@pytest.mark.parametrize("fmt", ["onnx", "litert"])
def test_text_export_scores_a_csv_with_only_its_runtime(runtime_python, reviews_run, fmt, tmp_path):
    result = build_export(reviews_run, fmt, "# card", out_dir=tmp_path)
    with zipfile.ZipFile(result.zip_path) as archive:
        archive.extractall(tmp_path)  # our own ZIP
    export = tmp_path / result.zip_path.stem
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


@pytest.mark.parametrize("task", ["tabular_regression", "tabular_classification"])
def test_table_blend_scores_a_raw_csv_with_only_its_runtime(runtime_python, task, tmp_path):
    from modeling.config import default_config
    from modeling.data.readers.tables import read_table
    from modeling.data.tabular import dataset_from_table
    from modeling.runs.table.predictor import TablePredictor
    from modeling.training.experiment import run_experiment

    raw = raw_houses(320, seed=2)
    target = "price"
    if task == "tabular_classification":
        raw["pricey"] = np.where(raw["price"] > raw["price"].median(), "yes", "no")
        raw, target = raw.drop(columns=["price"]), "pricey"
    store = RunStore(tmp_path / "home", starters=None)
    config = default_config(task, "session:houses", "automatic")
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"time_budget_s": 12})})
    run = store.load(run_experiment(config, dataset_from_table(raw, target, task=task), store=store).name)
    result = build_export(run, "onnx", "# card", out_dir=tmp_path)
    with zipfile.ZipFile(result.zip_path) as archive:
        archive.extractall(tmp_path)  # our own ZIP
    export = tmp_path / result.zip_path.stem
    later = raw_houses(40, seed=9).drop(columns=["price"])  # raw rows as a user has them: "1,234", blanks
    later.loc[0, "city"] = "Atlantis"  # never seen in training
    source = tmp_path / "later.csv"
    later.to_csv(source, index=False)
    rows = _answers(runtime_python, export, source, tmp_path)
    app, _ = TablePredictor.from_run(run).score_table(read_table(source.read_bytes(), source.name))
    assert len(rows) == 40
    if task == "tabular_regression":
        got = np.array([float(r["predicted_price"]) for r in rows])
        assert np.abs(got - app["predicted_price"].to_numpy()).max() <= 1e-6 * np.std(app["predicted_price"])
        high = np.array([float(r["high_90"]) for r in rows])  # the value plus the saved half-width: same tolerance
        assert np.abs(high - app["high_90"].to_numpy()).max() <= 1e-6 * np.std(app["predicted_price"])
    else:
        assert [r["predicted_label"] for r in rows] == app["predicted_label"].tolist()
        got = np.array([float(r["probability_yes"]) for r in rows])
        assert np.abs(got - app["probability_yes"].to_numpy()).max() <= 1e-4  # both rounded to 4 decimals
