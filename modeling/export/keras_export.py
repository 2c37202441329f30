"""A text or image run -> one verified export ZIP: model file, labels, preprocessing, predict.py, README, card.

The ``keras`` family's exporter (:data:`modeling.export.families.FAMILIES`). :func:`build_keras_export` writes
everything into a scratch folder, checks it (for a run saved with its text layer inside, the shipped tokenizer
against that layer on every test text; then the whole export in a fresh process against the Keras model, see
:mod:`modeling.export.verify`) and only then zips it. A failed check raises
:class:`~modeling.export.archive.ExportFailed` with the reason, and no ZIP exists.
What the model reads (texts, pixels) is the template's ``export_input``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from modeling.export.archive import ExportFailed, ExportResult, package_versions, zip_and_keep
from modeling.export.artefacts import SHIPPED, digit_preparation_files, write_artefacts
from modeling.export.formats import FORMATS, input_kind
from modeling.export.models import quantized_model_file
from modeling.export.readme import export_readme
from modeling.export.verify import check_export
from modeling.runs.decision_rules import load_decision
from modeling.runs.keras_file import load_bundle_model
from modeling.runs.keras_inputs import DIGIT_SHAPE
from modeling.runs.store import Run
from modeling.templates.text_prep import preparation_of

#: The input kind whose model reads pixels (every other Keras input kind reads texts).
PIXELS = "pixels"


def _requirements(fmt: str, kind: str, facts: dict[str, Any], digits: bool) -> str:
    names = list(FORMATS[fmt].runtime_packages)
    if kind == PIXELS:
        names += ["pillow"] + (["scipy"] if digits else [])
    if facts.get("needs_keras_hub"):
        names += ["keras-hub"]
    if facts.get("needs_tensorflow_text"):
        names += ["tensorflow-text"]
    return package_versions(names)


def _check_tokenizer(model: Any, staging: Path, texts: np.ndarray) -> None:
    """For a run saved with its text layer inside: the shipped tokenizer must give exactly what that layer gives,
    on every test text. (A newer run's model reads numbers; its export ships the very preparation the app used.)"""
    from modeling.export.models import find_vectorizer, in_graph_tokens
    from modeling.templates.text_prep import TextPreparation

    twin = TextPreparation.load(staging / "vocabulary.json")(list(texts))
    graph = in_graph_tokens(find_vectorizer(model), texts).astype(twin.dtype)
    differing = int((twin != graph).any(axis=1).sum()) if len(texts) else 0
    if differing or twin.shape != graph.shape:
        raise ExportFailed(
            f"The exported tokenizer reads {differing} of {len(texts)} test texts differently from the model's own "
            "text layer, so the export was not offered."
        )


def write_decision_rule(run: Run, folder: Path) -> None:
    """The run's saved decision rule (``decision.json``) and the shipped code that applies it, as ModelDeck does."""
    shutil.copyfile(SHIPPED / "decision_rule.py", folder / "decision_rule.py")
    rule = load_decision(run.path).model_dump(mode="json")
    (folder / "decision.json").write_text(json.dumps(rule, ensure_ascii=False, indent=1), encoding="utf-8")


def write_test_inputs(inputs: np.ndarray, folder: Path) -> Path:
    """The test inputs as the file ``predict.py`` reads: a JSON list of texts, or an ``.npz`` of pixels."""
    if inputs.dtype.kind in "US":
        path = folder / "test_texts.json"
        path.write_text(json.dumps([str(t) for t in inputs], ensure_ascii=False), encoding="utf-8")
        return path
    path = folder / "test_images.npz"
    np.savez_compressed(path, images=np.asarray(inputs, dtype=np.uint8))
    return path


def build_keras_export(run: Run, fmt: str, model_card: str = "", out_dir: Path | None = None) -> ExportResult:
    """Export the text or image run ``run`` as ``fmt``, check it on the test split, zip it; raise on any failure."""
    from modeling.templates.inference import predict_probabilities

    template = run.config.template
    kind = input_kind(template) or ""
    test = run.load_test()
    inputs = np.asarray(test.inputs)
    model = load_bundle_model(run.model_path)
    expected = predict_probabilities(model, inputs if inputs.dtype.kind in "US" else inputs.astype(np.float32))
    item = FORMATS[fmt]
    digits = tuple(test.image_shape or ()) == DIGIT_SHAPE
    with tempfile.TemporaryDirectory(prefix="modeldeck-export-") as scratch:
        staging = Path(scratch) / f"{run.info.run_id}-{fmt}"
        facts = write_artefacts(model, template, fmt, staging, inputs[:4], run.model_path)
        facts.update(
            run_id=run.info.run_id,
            template=template,
            temperature=float(((run.evaluation or {}).get("calibration") or {}).get("temperature") or 1.0),
            input=_input_facts(run, test, kind, facts, digits),
            quantized=quantized_model_file(run.model_path),
        )
        if facts.get("tokenizer") and preparation_of(model) is None:
            _check_tokenizer(model, staging, inputs)
        if digits:
            (staging / "prepare_image").mkdir()
            for name, source in digit_preparation_files().items():
                (staging / "prepare_image" / name).write_text(source, encoding="utf-8")
        shutil.copyfile(SHIPPED / "predict.py", staging / "predict.py")
        write_decision_rule(run, staging)
        (staging / "labels.json").write_text(
            json.dumps(run.class_names, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        (staging / "export.json").write_text(json.dumps(facts, indent=1), encoding="utf-8")
        (staging / "requirements.txt").write_text(_requirements(fmt, kind, facts, digits), encoding="utf-8")
        check = check_export(item.title, staging, write_test_inputs(inputs, Path(scratch)), expected)
        if not check.passed:
            raise ExportFailed(f"The {item.title} export failed its check, so it is not offered: {check.reason}.")
        (staging / "check.json").write_text(json.dumps(check.to_dict(), indent=1), encoding="utf-8")
        (staging / "README.md").write_text(export_readme(run, item, facts, check), encoding="utf-8")
        if model_card:
            (staging / "MODEL_CARD.md").write_text(model_card, encoding="utf-8")
        return zip_and_keep(run, fmt, staging, check, out_dir)


def _input_facts(run: Run, test: Any, kind: str, facts: dict[str, Any], digits: bool) -> dict[str, Any]:
    if kind == PIXELS:
        return {"kind": "image", "shape": list(test.image_shape), "digits": digits, "dtype": "uint8 pixels 0..255"}
    column = run.config.data.text_column or run.meta.get("dataset", {}).get("text_column") or "text"
    return {"kind": "text", "text_column": column, "tokenizer": bool(facts.get("tokenizer"))}
