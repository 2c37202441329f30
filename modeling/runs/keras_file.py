"""Load one of ModelDeck's own ``.keras`` files, refusing anything that would run code.

Every family that keeps Keras models on disk loads them here: the text and image runs' ``model.keras``
(:mod:`modeling.runs.keras_predictor`) and the neural-network members of a table bundle
(:mod:`modeling.runs.table.bundle`). It lives alone so that neither predictor imports the other.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from modeling.errors import RunError


def load_bundle_model(path: Path) -> Any:
    """The Keras model in ``path``, loaded with ``safe_mode=True``; a :class:`RunError` with a sentence otherwise."""
    import keras

    from modeling.templates.layers import import_encoder_libraries  # registers ModelDeck's own layers too

    import_encoder_libraries()

    path = Path(path)
    if path.suffix != ".keras" or path.is_symlink() or not path.is_file():
        raise RunError("Only ModelDeck's own .keras model files can be loaded.")
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:
        raise _refusal(exc, path) from None


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
