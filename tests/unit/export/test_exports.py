"""Every template x format: export, check in a fresh process, parity with the Keras model, ZIP contents.

Trains one small run per template (a few epochs on synthetic data made on the fly), then exports it to
every format it is offered in. The check itself runs the ZIP's own ``predict.py`` in an isolated Python
process with the format's runtime; here the answers must match the Keras model within 1e-5 and agree on
every label.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from modeling.config import ExperimentConfig, template_settings
from modeling.errors import RunError
from modeling.export.bundle import ExportFailed, build_export, cached_export
from modeling.export.formats import SUPPORTED, input_kind, offer, offers
from modeling.runs.store import RunStore
from modeling.training.experiment import run_experiment
from tests.conftest import make_image_dataset, make_text_dataset

pytestmark = pytest.mark.slow

TEMPLATES = ["small_cnn", "dense", "ngram_bag", "embedding_bag", "conv1d", "ngram_nb"]
CASES = [(template, fmt) for template in TEMPLATES for fmt in SUPPORTED[input_kind(template)]]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return RunStore(tmp_path_factory.mktemp("export-runs"), starters=None)


@pytest.fixture(scope="module")
def runs(store):
    made = {}
    for template in TEMPLATES:
        image = template in ("small_cnn", "dense")
        data = make_image_dataset(90) if image else make_text_dataset(160)
        settings = template_settings(template).model_copy(
            update={"epochs": 3, "augment": template == "small_cnn", "sequence_length": 16, "max_tokens": 500}
        )
        config = ExperimentConfig(
            task="image_classification" if image else "text_classification", template=template, settings=settings
        )
        made[template] = store.load(run_experiment(config, data, store=store).name)
    return made


@pytest.mark.parametrize(("template", "fmt"), CASES)
def test_export_matches_the_keras_model(runs, template, fmt, tmp_path):
    run = runs[template]
    assert offer(template, fmt).supported, offer(template, fmt).reason
    result = build_export(run, fmt, "# card", out_dir=tmp_path)
    check = result.check
    assert check.passed, check.reason
    assert check.rows == len(run.load_test())
    assert check.identical == check.rows
    assert check.max_difference <= 1e-5
    with zipfile.ZipFile(result.zip_path) as archive:
        names = {n.split("/", 1)[1] for n in archive.namelist()}
        info = json.loads(archive.read(f"{result.zip_path.stem}/export.json"))
        labels = json.loads(archive.read(f"{result.zip_path.stem}/labels.json"))
    assert {"predict.py", "labels.json", "README.md", "MODEL_CARD.md", "check.json", "requirements.txt"} <= names
    assert labels == run.class_names
    assert info["runtime"] == fmt
    if fmt in ("onnx", "litert") and run.task == "text_classification":
        assert {"tokenizer.py", "vocabulary.json"} <= names  # string ops stay out of the model file
    if fmt == "saved_model":
        assert info["signature"] == "serving_default"
    assert not any("__pycache__" in n for n in names)


def test_kept_export_is_reused_until_the_model_changes(runs):
    run = runs["dense"]
    first = build_export(run, "onnx", "# card")
    again = cached_export(run, "onnx")
    assert again is not None and again.zip_path == first.zip_path
    import os

    # A retrained model must never be served an old export.
    stat = run.model_path.stat()
    os.utime(run.model_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    assert cached_export(run, "onnx") is None


def test_a_failed_check_blocks_the_zip(runs, tmp_path, monkeypatch):
    from modeling.export import keras_export

    def broken(title, export_dir, input_path, expected):
        from modeling.export.verify import compare

        return compare(title, expected, np.asarray(expected) + 0.01)

    monkeypatch.setattr(keras_export, "check_export", broken)
    with pytest.raises(ExportFailed, match=r"probabilities differ by up to 0\.01"):
        build_export(runs["dense"], "litert", "", out_dir=tmp_path)
    assert list(tmp_path.glob("*.zip")) == []


def test_unsupported_and_unknown_formats_say_why():
    reasons = {item.format.key: item.reason for item in offers("minilm")}
    assert "TensorFlow Text" in reasons["onnx"] and "LiteRT" in reasons["litert"]
    assert all(item.supported for item in offers("ngram_nb"))  # keyword counts ship as tokenizer.py
    hybrid = {item.format.key: item for item in offers("minilm_ngrams")}
    assert {key for key, item in hybrid.items() if item.supported} == {"keras", "saved_model"}
    assert "TensorFlow Text" in hybrid["onnx"].reason and "LiteRT" in hybrid["litert"].reason
    # A model with 8-bit layers (the sentiment starter) gets the Keras export only, and each other format says why.
    quantized = {item.format.key: item for item in offers("minilm_ngrams", quantized=True)}
    assert [key for key, item in quantized.items() if item.supported] == ["keras"]
    assert "8 bits" in quantized["saved_model"].reason
    assert not offer("some_future_template", "onnx").supported
    with pytest.raises(RunError, match="no export format"):
        build_export(None, "pickle")  # type: ignore[arg-type]


def test_only_the_sentiment_starter_is_stored_in_8_bits(tmp_path):
    from modeling.export.models import quantized_model_file
    from tests.conftest import REPO_ROOT

    starters = REPO_ROOT / "starters"
    assert quantized_model_file(starters / "starter-reviews" / "model.keras")
    assert not quantized_model_file(starters / "starter-digits" / "model.keras")
    assert not quantized_model_file(tmp_path / "missing.keras")
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    assert not quantized_model_file(tmp_path / "broken.keras")
