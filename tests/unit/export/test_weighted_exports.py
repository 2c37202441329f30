"""The weighted keyword model (``ngram_nb``) in every format, on both review samples (words and characters).

ONNX and LiteRT hold the model after its counting layer (term weighting and the linear layer) and ship
``tokenizer.py``, which counts each text's words and word pairs as the layer does: the export's own check
compares the tokenizer with the layer on every test text, then runs ``predict.py`` in a fresh process. Here the
answers must match the Keras model within 1e-5 and agree on every label, on real texts whose probabilities are
not all near 0 or 1.
"""

from __future__ import annotations

import json
import zipfile

import pytest

from modeling.config import DataConfig, ExperimentConfig, template_settings
from modeling.export.bundle import build_export
from modeling.runs.store import RunStore
from modeling.training.experiment import run_experiment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["reviews", "reviews_zh"])
def weighted_run(request, tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp(f"weighted-{request.param}"), starters=None)
    config = ExperimentConfig(
        data=DataConfig(source=f"sample:{request.param}"),
        task="text_classification",
        template="ngram_nb",
        settings=template_settings("ngram_nb"),
    )
    return store.load(run_experiment(config, store=store).name)


@pytest.mark.parametrize("fmt", ["onnx", "litert", "keras", "saved_model"])
def test_weighted_keywords_export_matches_on_real_reviews(weighted_run, fmt, tmp_path):
    result = build_export(weighted_run, fmt, "# card", out_dir=tmp_path)
    check = result.check
    test = weighted_run.load_test()
    assert check.passed, check.reason
    assert check.rows == len(test) and check.identical == check.rows
    assert check.max_difference <= 1e-5
    stem = result.zip_path.stem
    with zipfile.ZipFile(result.zip_path) as archive:
        names = {n.split("/", 1)[1] for n in archive.namelist()}
        info = json.loads(archive.read(f"{stem}/export.json"))
        readme = archive.read(f"{stem}/README.md").decode()
        preparation = json.loads(archive.read(f"{stem}/vocabulary.json"))
    # Every format ships the text preparation as data and the code that applies it: the model reads counts.
    assert {"tokenizer.py", "vocabulary.json"} <= names
    (counts,) = preparation["inputs"]
    assert counts["output_mode"] == "count" and counts["ngrams"] == [1, 2]
    assert counts["split"] == ("character" if weighted_run.config.data.source.endswith("_zh") else "whitespace")
    if fmt in ("onnx", "litert"):
        assert "modeldeck_layers.py" not in names
        assert info["input"]["tokenizer"] and info["tokenizer_output"] == "count"
        assert "counts how often each word" in readme
    elif fmt == "keras":
        assert "modeldeck_layers.py" in names and "import modeldeck_layers" in readme
    assert not info.get("quantized")
