"""Write one format's files into a folder: the model file, its preprocessing and what ``predict.py`` reads.

:func:`write_artefacts` returns the ``export.json`` facts (runtime, model file, what the model reads).
The shipped helpers live in ``modeling/export/shipped/`` as real, tested Python files and are copied as they
are; a text model's ``tokenizer.py`` is the app's own :mod:`modeling.templates.text_prep` and ``prepare_image/``
is copied from the very modules the Predict page uses (:func:`digit_preparation_files`), so the export cannot
drift from the app.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from modeling.errors import RunError
from modeling.export.formats import FORMATS, input_kind
from modeling.export.models import (
    find_vectorizer,
    inference_model,
    onnx_ready,
    text_core,
    tokenizer_spec,
    vectorizer_input_spec,
)
from modeling.settings import REPO_ROOT
from modeling.templates.text_prep import Ngrams, TextPreparation, preparation_of

SHIPPED = Path(__file__).with_name("shipped")
#: Signature name and input key of the SavedModel's serving function (documented in the export's README).
SIGNATURE = "serving_default"


def _export_keras(model: Any, fmt: str, target: Path) -> None:
    """``model.export`` with Keras's own converters (tf2onnx for ONNX, TensorFlow's converter for LiteRT)."""
    import contextlib
    import io

    formats = {"saved_model": "tf_saved_model", "onnx": "onnx", "litert": "litert"}
    # The converters print pages of progress; the export's own check says what matters.
    with contextlib.redirect_stdout(io.StringIO()):
        model.export(str(target), format=formats[fmt], verbose=False)


def _called(model: Any, example: Any) -> Any:
    """Exporters refuse a model that has never run: run it once on one example (texts prepared as it reads them)."""
    import numpy as np

    from modeling.templates.inference import string_tensor

    preparation = preparation_of(model)
    if preparation is not None:
        model(preparation([str(t) for t in example[:1]]), training=False)
    elif np.asarray(example).dtype.kind in "US":
        model(string_tensor(example[:1]), training=False)
    else:
        model(np.asarray(example[:1], dtype="float32"), training=False)
    return model


#: Input kinds whose model holds ModelDeck's own layers (``layers.py`` ships beside the ``.keras`` file) and
#: those among them that need Keras Hub (the pretrained encoder's backbone).
OWN_LAYER_KINDS = ("encoder_text", "weighted_text", "hybrid_text")
ENCODER_KINDS = ("encoder_text", "hybrid_text")
#: Input kinds whose runs saved before text preparation left the graph export to ONNX / LiteRT as the model
#: after its text layer, plus the tokenizer.
TOKENIZED_KINDS = ("vectorized_text", "weighted_text")
#: What every text export reads its preparation with: ModelDeck's own module, shipped as it is.
TOKENIZER_SOURCE = REPO_ROOT / "modeling" / "templates" / "text_prep.py"


def write_preparation(preparation: TextPreparation, folder: Path) -> dict[str, Any]:
    """``vocabulary.json`` (the preparation as data) and ``tokenizer.py`` (the code that applies it) in ``folder``."""
    preparation.save(folder / "vocabulary.json")
    shutil.copyfile(TOKENIZER_SOURCE, folder / "tokenizer.py")
    first = preparation.tokenizer()
    return {
        "tokenizer": True,
        "tokenizer_output": getattr(first, "output_mode", first.kind),
        "model_inputs": preparation.names,
    }


def _older_text_core(model: Any, fmt: str) -> tuple[TextPreparation, Any]:
    """A run saved with its ``TextVectorization`` inside: the model after that layer, and the layer as data."""
    vectorizer = find_vectorizer(model)
    core = text_core(model, for_onnx=fmt == "onnx")
    name = vectorizer_input_spec(vectorizer)["name"]
    return TextPreparation([(name, Ngrams(tokenizer_spec(vectorizer)))]), core


def write_artefacts(
    model: Any, template: str, fmt: str, folder: Path, example: Any, model_file: Path | None = None
) -> dict[str, Any]:
    """Write the model file of ``fmt`` (and its preprocessing) into ``folder``; return the export facts.

    ``example`` is a few of the model's raw inputs (texts or pixels), used to run rebuilt models once.
    ``model_file`` is the run's own ``.keras`` file: the Keras export is that file, byte for byte (saving the
    loaded model again would only risk a difference; Keras 3.15 cannot even save a loaded 8-bit encoder).
    A text model reads numbers: every format ships its preparation (``vocabulary.json``, ``tokenizer.py``).
    """
    kind = input_kind(template)
    item = FORMATS[fmt]
    folder.mkdir(parents=True, exist_ok=True)
    facts: dict[str, Any] = {"runtime": fmt, "model_file": item.model_file, "format": item.title}
    preparation = preparation_of(model)
    exported = model
    if preparation is None and kind in TOKENIZED_KINDS and fmt in ("onnx", "litert"):
        preparation, exported = _older_text_core(model, fmt)
    elif preparation is not None and fmt == "onnx":
        exported = onnx_ready(model)
    if preparation is not None:
        facts.update(write_preparation(preparation, folder))
    if fmt == "keras":
        if model_file is not None:
            shutil.copyfile(model_file, folder / item.model_file)
        else:
            model.save(folder / item.model_file)
        if kind in OWN_LAYER_KINDS:  # ModelDeck's layers must be registered before loading
            shutil.copyfile(REPO_ROOT / "modeling" / "templates" / "layers.py", folder / "modeldeck_layers.py")
            facts["needs_keras_hub"] = kind in ENCODER_KINDS
            facts["needs_tensorflow_text"] = kind in ENCODER_KINDS and preparation is None
            facts["own_layers"] = True
        return facts
    if preparation is not None:
        exported(preparation([str(t) for t in example[:1]]), training=False)
    else:
        exported = _called(inference_model(model), example)
    _export_keras(exported, fmt, folder / item.model_file)
    if fmt == "saved_model":
        facts["signature"] = SIGNATURE
        facts["signature_inputs"] = _signature_inputs(folder / item.model_file)
        facts["signature_input"] = facts["signature_inputs"][0]
        facts["needs_tensorflow_text"] = kind in ENCODER_KINDS and preparation is None
    return facts


def write_keras_model(model: Any, fmt: str, target: Path, example: Any) -> dict[str, Any]:
    """A Keras model that reads numbers (a table's network) written as ``fmt`` at ``target``.

    ``example`` is a few input rows (float32), used to run the model once. Returns the facts ``predict.py``
    needs (the SavedModel's signature and its input key).
    """
    if fmt == "keras":
        model.save(target)
        return {}
    _export_keras(_called(inference_model(model), example), fmt, target)
    if fmt != "saved_model":
        return {}
    keys = _signature_inputs(target)
    if len(keys) != 1:
        raise RunError("The SavedModel's serving signature does not have exactly one input.")
    return {"signature": SIGNATURE, "signature_input": keys[0]}


def _signature_inputs(path: Path) -> list[str]:
    """The input keys of the SavedModel's serving signature (Keras names them after the model's inputs)."""
    import tensorflow as tf

    serve = tf.saved_model.load(str(path)).signatures[SIGNATURE]
    keys = list(serve.structured_input_signature[1])
    if not keys:
        raise RunError("The SavedModel's serving signature has no input.")
    return keys


def digit_preparation_files() -> dict[str, str]:
    """The ``prepare_image/`` package: the Predict page's digit preparation (``modeling.data.digits``), standalone.

    ``modeling/data/digits.py`` and every ModelDeck module it imports (followed recursively) are copied
    with ``from modeling.x.y import`` rewritten to ``from .y import``, so the export runs the app's own
    code, not a rewrite of it. What remains needs NumPy, Pillow and SciPy. Returns {file name: source}.
    """
    files: dict[str, str] = {}
    pending = ["modeling.data.digits"]
    while pending:
        module = pending.pop()
        name = module.rsplit(".", 1)[-1]
        if f"{name}.py" in files:
            continue
        source = (REPO_ROOT / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8")
        imported = re.findall(r"^from (modeling(?:\.\w+)+) import", source, flags=re.MULTILINE)
        for other in imported:
            if other.rsplit(".", 1)[-1] in ("settings", "format") or other.count(".") == 0:
                raise RunError(f"The digit preparation imports {other}, which an export cannot ship.")
            pending.append(other)
        files[f"{name}.py"] = re.sub(
            r"^from modeling(?:\.\w+)*\.(\w+) import", r"from .\1 import", source, flags=re.MULTILINE
        )
    files["__init__.py"] = (
        '"""Digit preparation exactly as ModelDeck\'s Predict page does it (its own modules, copied when this\n'
        'export was made). Needs NumPy, Pillow and SciPy."""\n\nfrom .digits import prepare_digit\n\n'
        '__all__ = ["prepare_digit"]\n'
    )
    return files
