"""Load one of ModelDeck's own ``.keras`` files, refusing anything that would run code, with its text preparation.

Every family that keeps Keras models on disk loads them here: the text and image runs' ``model.keras``
(:mod:`modeling.runs.keras_predictor`) and the neural-network members of a table bundle
(:mod:`modeling.runs.table.bundle`). It lives alone so that neither predictor imports the other.

A text model reads numbers; the preparation that makes them (vocabulary, n-grams, word pieces) is saved beside
it as ``text_preparation.json`` (:mod:`modeling.templates.text_prep`) and attached to the loaded model, so the
model answers on TensorFlow, JAX and PyTorch alike. Runs saved before that kept their text layer inside the
model (TensorFlow string operations): :func:`reads_strings` tells them apart, and they load on TensorFlow only.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

from modeling.errors import RunError
from modeling.runs.store import atomic_write
from modeling.templates.text_prep import FILE_NAME, TextPreparation, attach, preparation_of

#: Layers of the models saved before text preparation moved out of the graph (TensorFlow string operations).
STRING_LAYERS = ("TextVectorization", "SentenceEncoder")
#: The largest text preparation read (a vocabulary of 200,000 long n-grams is a few MB).
MAX_PREPARATION_BYTES = 64_000_000


def preparation_path(model_path: Path) -> Path:
    return Path(model_path).with_name(FILE_NAME)


def save_text_preparation(model: Any, folder: Path) -> None:
    """Write ``model``'s text preparation into ``folder`` (nothing for a model without one, such as an image model).

    Called before the model file is written, so a run whose ``model.keras`` exists always has its preparation.
    """
    preparation = preparation_of(model)
    if preparation is not None:
        atomic_write(Path(folder) / FILE_NAME, json.dumps(preparation.to_dict(), ensure_ascii=False))


def reads_strings(path: Path) -> bool:
    """Whether the ``.keras`` file at ``path`` holds a text layer that works on strings (saved by an older ModelDeck).

    Read from the file's JSON config alone, without building the model.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            config = archive.read("config.json").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return any(f'"class_name": "{name}"' in config for name in STRING_LAYERS) or '"dtype": "string"' in config


def load_bundle_model(path: Path) -> Any:
    """The Keras model in ``path``, loaded with ``safe_mode=True``; a :class:`RunError` with a sentence otherwise.

    Its text preparation, when the folder has one, is attached (:func:`modeling.templates.text_prep.preparation_of`).
    """
    import keras

    from modeling.templates.layers import import_encoder_libraries  # registers ModelDeck's own layers too

    import_encoder_libraries()

    path = Path(path)
    if path.suffix != ".keras" or path.is_symlink() or not path.is_file():
        raise RunError("Only ModelDeck's own .keras model files can be loaded.")
    backend = keras.backend.backend()
    if backend != "tensorflow" and reads_strings(path):
        raise RunError(
            "This run was saved by an earlier ModelDeck: its model reads raw text with TensorFlow's own operations, "
            f"so it answers only on the TensorFlow backend, and this app runs Keras on {backend}. Retrain it with the "
            "same settings (its config.yaml) to use it here, or start the app with KERAS_BACKEND=tensorflow."
        )
    preparation = _read_preparation(preparation_path(path))
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:
        raise _refusal(exc, path) from None
    return attach(model, preparation) if preparation is not None else model


def _read_preparation(path: Path) -> TextPreparation | None:
    if not path.exists():
        return None
    if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_PREPARATION_BYTES:
        raise RunError("This run's text preparation file is not a plain file of a sensible size, so it was not read.")
    try:
        return TextPreparation.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunError(f"This run's text preparation ({FILE_NAME}) is damaged ({str(exc)[:120]}).") from None


def _refusal(exc: Exception, path: Path) -> RunError:
    """Why a model file was not loaded, in words, without the server's folders."""
    text = str(exc).strip()
    first = text.splitlines()[0][:200] if text else type(exc).__name__
    first = first.replace(str(path.parent), "…").replace(str(path.resolve().parent), "…")
    if "Lambda" in text or "lambda" in text:
        return RunError(
            "This model file contains a Lambda layer (Python code inside the model), so it was not loaded: "
            "ModelDeck only loads models it built itself, which never contain code."
        )
    unknown = re.search(r"Could not locate (?:class|function) '([^']{1,80})'", text)
    if unknown:
        return RunError(
            f"This model file was refused: it uses an object ModelDeck does not know ('{unknown.group(1)}'). "
            "Only models trained in ModelDeck can be used."
        )
    return RunError(
        f"This model file is damaged or is not a model ModelDeck can load safely ({first}). "
        "Only models trained in ModelDeck can be used."
    )
