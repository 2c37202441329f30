"""Write one format's files into a folder: the model file, its preprocessing and what ``predict.py`` reads.

:func:`write_artefacts` returns the ``export.json`` facts (runtime, model file, what the model reads).
The shipped helpers (``predict.py``, ``tokenizer.py``) live in ``modeling/export/shipped/`` as real,
tested Python files and are copied as they are; ``prepare_image/`` is copied from the very modules
the Predict page uses (:func:`digit_preparation_files`), so the export cannot drift from the app.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from modeling.errors import RunError
from modeling.export.formats import FORMATS, input_kind
from modeling.export.models import find_vectorizer, inference_model, text_core, tokenizer_spec
from modeling.settings import REPO_ROOT

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
    """Exporters refuse a model that has never run: run it once on one example."""
    import numpy as np

    if np.asarray(example).dtype.kind in "US":
        _call_strings(model, example)
    else:
        model(np.asarray(example[:1], dtype="float32"), training=False)
    return model


def _call_strings(model: Any, texts: Any) -> None:
    import tensorflow as tf

    model(tf.constant([str(t) for t in texts[:1]]), training=False)


#: Input kinds whose model holds ModelDeck's own layers (``layers.py`` ships beside the ``.keras`` file) and
#: those among them that need Keras Hub and TensorFlow Text (the pretrained encoder).
OWN_LAYER_KINDS = ("encoder_text", "weighted_text", "hybrid_text")
ENCODER_KINDS = ("encoder_text", "hybrid_text")
#: Input kinds whose ONNX / LiteRT export is the model after its text layer, plus ``tokenizer.py``.
TOKENIZED_KINDS = ("vectorized_text", "weighted_text")


def write_artefacts(
    model: Any, template: str, fmt: str, folder: Path, example: Any, model_file: Path | None = None
) -> dict[str, Any]:
    """Write the model file of ``fmt`` (and its preprocessing) into ``folder``; return the export facts.

    ``example`` is a few of the model's raw inputs (texts or pixels), used to run rebuilt models once.
    ``model_file`` is the run's own ``.keras`` file: the Keras export is that file, byte for byte (saving the
    loaded model again would only risk a difference; Keras 3.15 cannot even save a loaded 8-bit encoder).
    """
    kind = input_kind(template)
    item = FORMATS[fmt]
    folder.mkdir(parents=True, exist_ok=True)
    facts: dict[str, Any] = {"runtime": fmt, "model_file": item.model_file, "format": item.title}
    if fmt == "keras":
        if model_file is not None:
            shutil.copyfile(model_file, folder / item.model_file)
        else:
            model.save(folder / item.model_file)
        if kind in OWN_LAYER_KINDS:  # ModelDeck's layers must be registered before loading
            shutil.copyfile(REPO_ROOT / "modeling" / "templates" / "layers.py", folder / "modeldeck_layers.py")
            facts["needs_keras_hub"] = kind in ENCODER_KINDS
            facts["own_layers"] = True
        return facts
    if kind in TOKENIZED_KINDS and fmt in ("onnx", "litert"):
        vectorizer = find_vectorizer(model)
        core = text_core(model, for_onnx=fmt == "onnx")
        spec = tokenizer_spec(vectorizer)
        (folder / "vocabulary.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        shutil.copyfile(SHIPPED / "tokenizer.py", folder / "tokenizer.py")
        core(_tokenized(spec, example), training=False)
        _export_keras(core, fmt, folder / item.model_file)
        facts["tokenizer"] = True
        facts["tokenizer_output"] = spec["output_mode"]
        return facts
    exported = _called(inference_model(model), example)
    _export_keras(exported, fmt, folder / item.model_file)
    if fmt == "saved_model":
        facts["signature"] = SIGNATURE
        facts["signature_input"] = _signature_input(folder / item.model_file)
        facts["needs_tensorflow_text"] = kind in ENCODER_KINDS
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
    return {"signature": SIGNATURE, "signature_input": _signature_input(target)}


def _tokenized(spec: dict[str, Any], texts: Any) -> Any:
    from modeling.export.shipped.tokenizer import Tokenizer

    return Tokenizer(spec)([str(t) for t in texts[:1]])


def _signature_input(path: Path) -> str:
    """The input key of the SavedModel's serving signature (Keras names it after the model's input)."""
    import tensorflow as tf

    serve = tf.saved_model.load(str(path)).signatures[SIGNATURE]
    keys = list(serve.structured_input_signature[1])
    if len(keys) != 1:
        raise RunError("The SavedModel's serving signature does not have exactly one input.")
    return keys[0]


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
