"""The pretrained encoder's Keras and SavedModel exports (`minilm`, `minilm_ngrams`), checked in a fresh process.

The ``minilm`` template's exports carry the encoder's own layer code (Keras) or need ``tensorflow-text``
(SavedModel). Trains one small frozen-encoder run on synthetic reviews, exports both formats and requires
the check (the ZIP's ``predict.py`` in an isolated process against the Keras model) to pass with every
answer identical. The same for ``minilm_ngrams`` trained on the product reviews, and for the sentiment starter,
whose 8-bit encoder gets the Keras export only. Skipped with the reason where the encoder is not installed.
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
    # The word pieces are made by the shipped tokenizer.py in plain Python: no TensorFlow Text anywhere.
    assert "tensorflow-text" not in requirements and not info.get("needs_tensorflow_text")
    assert {"tokenizer.py", "vocabulary.json"} <= names
    if fmt == "keras":
        assert {"model.keras", "modeldeck_layers.py"} <= names and info["needs_keras_hub"]
        assert "keras-hub" in requirements
    else:
        assert any(n.startswith("saved_model/") for n in names)


@pytest.fixture(scope="module")
def hybrid_run(tmp_path_factory):
    """The encoder plus weighted keywords on the built-in product reviews (real texts: probabilities not saturated)."""
    available, reason = minilm.encoder_status()
    if not available:
        pytest.skip(reason)
    from modeling.config import DataConfig

    store = RunStore(tmp_path_factory.mktemp("hybrid-export"), starters=None)
    settings = template_settings("minilm_ngrams").model_copy(update={"sequence_length": 64})
    data = DataConfig(source="sample:reviews")
    config = ExperimentConfig(data=data, task="text_classification", template="minilm_ngrams", settings=settings)
    return store.load(run_experiment(config, store=store).name)


@pytest.mark.parametrize("fmt", ["keras", "saved_model"])
def test_encoder_plus_keywords_export_runs_and_matches(hybrid_run, fmt, tmp_path):
    result = build_export(hybrid_run, fmt, "# card", out_dir=tmp_path)
    check = result.check
    assert check.passed, check.reason
    assert check.rows == len(hybrid_run.load_test()) == 101 and check.identical == check.rows
    assert check.max_difference <= 1e-5
    with zipfile.ZipFile(result.zip_path) as archive:
        names = {n.split("/", 1)[1] for n in archive.namelist()}
        readme = archive.read(f"{result.zip_path.stem}/README.md").decode()
    if fmt == "keras":
        assert {"model.keras", "modeldeck_layers.py"} <= names and "import modeldeck_layers" in readme
        # The Keras export is the run's own file, byte for byte.
        with zipfile.ZipFile(result.zip_path) as archive:
            assert archive.read(f"{result.zip_path.stem}/model.keras") == hybrid_run.model_path.read_bytes()
    assert "8 bits" not in readme


def test_the_8_bit_sentiment_starter_exports_to_keras_only(tmp_path):
    """Its encoder is stored in 8 bits: the Keras file (the one the app runs) passes, a SavedModel is refused."""
    from modeling.errors import RunError
    from modeling.settings import STARTERS_DIR

    run = RunStore(tmp_path / "home", starters=STARTERS_DIR).load("starter-reviews")
    if run.config.template != "minilm_ngrams":
        pytest.skip("the sentiment starter was trained without the encoder here")
    with pytest.raises(RunError, match="8 bits"):
        build_export(run, "saved_model", "", out_dir=tmp_path)
    result = build_export(run, "keras", "# card", out_dir=tmp_path)
    assert result.check.passed and result.check.identical == result.check.rows == len(run.load_test())
    assert result.check.max_difference <= 1e-5
    with zipfile.ZipFile(result.zip_path) as archive:
        readme = archive.read(f"{result.zip_path.stem}/README.md").decode()
    assert "stored in 8 bits" in readme and "model.predict" in readme


def test_the_saved_encoder_plus_keywords_model_is_what_the_app_evaluated(hybrid_run):
    """Evaluation used cached sentence vectors and NumPy; the saved model, loaded again, must give the same answers."""
    import numpy as np

    from modeling.runs.loading import load_predictor
    from modeling.runs.predictions import load_predictions

    test = hybrid_run.load_test()
    probs = load_predictor(hybrid_run).predict(test.texts, calibrated=False)
    right = int((probs.argmax(axis=1) == test.labels).sum())
    assert right == round(hybrid_run.evaluation["model"]["accuracy"] * len(test))
    assert np.abs(probs - load_predictions(hybrid_run).test_raw).max() <= 1e-5
