"""The pretrained encoder's Keras and SavedModel exports, actually run: checked in a fresh process like the others.

The ``minilm`` template's exports carry the encoder's own layer code (Keras) or need ``tensorflow-text``
(SavedModel). Trains one small frozen-encoder run on synthetic reviews, exports both formats and requires
the check (the ZIP's ``predict.py`` in an isolated process against the Keras model) to pass with every
answer identical. Skipped with the reason where the encoder's files are not installed.
"""

from __future__ import annotations

import json
import zipfile

import pytest

from modeling.config import ExperimentConfig, template_settings
from modeling.export.bundle import build_export
from modeling.runs.store import RunStore
from modeling.templates import minilm
from modeling.training.experiment import run_experiment
from tests.conftest import make_text_dataset

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def minilm_run(tmp_path_factory):
    available, reason = minilm.encoder_status()
    if not available:
        pytest.skip(reason)
    store = RunStore(tmp_path_factory.mktemp("minilm-export"), starters=None)
    settings = template_settings("minilm").model_copy(update={"epochs": 3, "sequence_length": 32})
    config = ExperimentConfig(task="text_classification", template="minilm", settings=settings)
    return store.load(run_experiment(config, make_text_dataset(80), store=store).name)


@pytest.mark.parametrize("fmt", ["keras", "saved_model"])
def test_minilm_export_runs_and_matches(minilm_run, fmt, tmp_path):
    result = build_export(minilm_run, fmt, "# card", out_dir=tmp_path)
    check = result.check
    assert check.passed, check.reason
    assert check.rows == len(minilm_run.load_test()) and check.identical == check.rows
    assert check.max_difference <= 1e-5
    with zipfile.ZipFile(result.zip_path) as archive:
        names = {n.split("/", 1)[1] for n in archive.namelist()}
        info = json.loads(archive.read(f"{result.zip_path.stem}/export.json"))
        requirements = archive.read(f"{result.zip_path.stem}/requirements.txt").decode()
    assert "tensorflow-text" in requirements and "keras-hub" in requirements
    if fmt == "keras":
        assert {"model.keras", "modeldeck_layers.py"} <= names and info["needs_keras_hub"]
    else:
        assert any(n.startswith("saved_model/") for n in names) and info["needs_tensorflow_text"]
