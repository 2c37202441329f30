"""The Keras model an export holds: the trained model without its training-only parts.

Two rebuilds, both reusing the trained layer objects (so the weights are the very same tensors):

* :func:`inference_model` drops the random augmentation layers (shift, rotation, zoom). They do
  nothing at prediction time, but their graph keeps random-number and image-warp operations that
  ONNX and LiteRT cannot convert.
* :func:`text_core` cuts a text model after its ``TextVectorization`` layer: the string operations
  (lower-casing, splitting, vocabulary lookup) do not run in ONNX Runtime or LiteRT, so the export
  holds the model from the token ids (or term counts) on, and :func:`tokenizer_spec` saves what the
  shipped ``tokenizer.py`` needs to do the layer's work.

ModelDeck's exportable text and image templates are chains (each layer feeds the next; ``ngram_nb`` keeps
its text layer and term weighting in a sub-model, itself a chain, which :func:`chain_layers` opens), which
is what lets a model be rebuilt layer by layer; the export's parity check (``modeling.export.verify``)
would catch a rebuild that changed an answer. Keras is imported inside the functions (and
:func:`quantized_model_file` reads only the file's JSON): import this module freely.
"""

from __future__ import annotations

import functools
import json
import zipfile
from pathlib import Path
from typing import Any

from modeling.errors import RunError

#: Keras dtype policies of layers that are not quantised (every other ``...DTypePolicy`` is: int8, int4,
#: float8, GPTQ, AWQ).
PLAIN_POLICIES = ("DTypePolicy", "FloatDTypePolicy")
#: Layers that only act while training; rebuilt models leave them out.
AUGMENTATION_LAYERS = ("RandomTranslation", "RandomRotation", "RandomZoom", "RandomFlip", "RandomContrast")


def _chain_layers(model: Any) -> list[Any]:
    """The layers after the input, checked to form a chain (one input, one output each)."""
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise RunError("This model has several inputs or outputs; ModelDeck can only export its own templates.")
    return layers


def _is_chain(model: Any) -> bool:
    """One input, one output, and every layer reads one tensor (so each feeds the next: no branches).

    Only each layer's first call is looked at: the sub-model's own graph (a rebuilt core calls the layers again).
    """
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return False
    nodes = [getattr(layer, "_inbound_nodes", None) or [None] for layer in layers]
    return all(node is not None and len(node.input_tensors) == 1 for node, *_ in nodes)


def chain_layers(model: Any) -> list[Any]:
    """The model's layers in order, with a nested sub-model that is itself a chain opened into its layers.

    ``ngram_nb`` reads texts through a ``keyword_features`` sub-model (text layer, term weighting); opened, the
    model is one chain again: TextVectorization, TermWeighting, Dense.
    """
    import keras

    flat: list[Any] = []
    for layer in _chain_layers(model):
        if isinstance(layer, keras.Model) and _is_chain(layer):
            flat += chain_layers(layer)
        else:
            flat.append(layer)
    return flat


def _rebuild(inputs: Any, layers: list[Any], name: str) -> Any:
    import keras

    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x, name=name)


def inference_model(model: Any) -> Any:
    """``model`` without augmentation layers, called once (exporters need a model that has run)."""
    import keras

    layers = _chain_layers(model)
    kept = [layer for layer in layers if type(layer).__name__ not in AUGMENTATION_LAYERS]
    if len(kept) == len(layers):
        return model
    spec = model.inputs[0]
    inputs = keras.Input(shape=tuple(spec.shape[1:]), dtype=spec.dtype, name=getattr(spec, "name", None) or "input")
    return _rebuild(inputs, kept, model.name)


def find_vectorizer(model: Any) -> Any | None:
    """The model's ``TextVectorization`` layer, or ``None`` (image models, the pretrained encoder)."""
    for layer in chain_layers(model):
        if type(layer).__name__ == "TextVectorization":
            return layer
    return None


def text_core(model: Any, for_onnx: bool = False) -> Any:
    """The part of a text model after its ``TextVectorization``: token ids (or multi-hot or count rows) in,
    probabilities out. ``for_onnx``: with :func:`onnx_twin` of each layer (ONNX lacks an operation or two)."""
    import keras

    layers = chain_layers(model)
    position = next((i for i, layer in enumerate(layers) if type(layer).__name__ == "TextVectorization"), None)
    if position is None:
        raise RunError("This text model has no TextVectorization layer to cut at.")
    vectorizer = layers[position]
    spec = vectorizer_input_spec(vectorizer)
    inputs = keras.Input(shape=spec["shape"], dtype=spec["dtype"], name=spec["name"])
    after = layers[position + 1 :]
    return _rebuild(inputs, [onnx_twin(layer) for layer in after] if for_onnx else after, f"{model.name}_core")


def onnx_ready(model: Any) -> Any:
    """A model that reads numbers (its text preparation runs outside), rebuilt with :func:`onnx_twin` of each layer.

    Returns ``model`` itself when no layer needs a twin (or the model is not a chain, which ONNX then converts
    as it is; the export's check would catch a difference).
    """
    import keras

    if len(model.inputs) != 1 or not _is_chain(model):
        return model
    layers = chain_layers(model)
    if not any(type(layer).__name__ == "TermWeighting" for layer in layers):
        return model
    spec = model.inputs[0]
    inputs = keras.Input(shape=tuple(spec.shape[1:]), dtype=spec.dtype, name=getattr(spec, "name", None) or "input")
    return _rebuild(inputs, [onnx_twin(layer) for layer in layers], f"{model.name}_onnx")


def onnx_twin(layer: Any) -> Any:
    """``layer``, or a twin that tf2onnx can convert computing the same numbers with the same weights.

    ONNX has no ``Log1p``: tf2onnx leaves :class:`~modeling.templates.layers.TermWeighting`'s ``log1p(count)``
    as an operation ONNX Runtime refuses. Counts are whole numbers, so ``1 + count`` is exact in float32 and
    ``log(1 + count)`` differs from ``log1p`` by at most a rounding step (the export's check measures it).
    """
    if type(layer).__name__ != "TermWeighting" or not layer.sublinear:
        return layer
    twin = _log_term_weighting()(layer.vocabulary_size, sublinear=True, name=layer.name, dtype=layer.dtype_policy)
    twin.set_term_weights(layer.term_weights.numpy())
    return twin


@functools.cache
def _log_term_weighting() -> type:
    import keras

    from modeling.templates.layers import TermWeighting

    class LogTermWeighting(TermWeighting):
        """TermWeighting with ``log(1 + count)`` written out (export only; never saved)."""

        def call(self, counts: Any) -> Any:
            x = keras.ops.log(1.0 + keras.ops.maximum(keras.ops.cast(counts, self.compute_dtype), 0.0))
            x = x * keras.ops.cast(self.term_weights, self.compute_dtype)
            norm = keras.ops.sqrt(keras.ops.sum(x * x, axis=-1, keepdims=True))
            return x / keras.ops.maximum(norm, 1e-12)

    return LogTermWeighting


def vectorizer_input_spec(vectorizer: Any) -> dict[str, Any]:
    """Shape, dtype and name of what the layer after ``vectorizer`` reads."""
    config = vectorizer.get_config()
    if config["output_mode"] in ("multi_hot", "count"):
        name = "multi_hot" if config["output_mode"] == "multi_hot" else "term_counts"
        return {"shape": (int(vectorizer.vocabulary_size()),), "dtype": "float32", "name": name}
    if config["output_mode"] == "int" and config.get("output_sequence_length"):
        return {"shape": (int(config["output_sequence_length"]),), "dtype": "int32", "name": "token_ids"}
    raise RunError(f"A TextVectorization layer with output_mode '{config['output_mode']}' cannot be exported yet.")


def tokenizer_spec(vectorizer: Any) -> dict[str, Any]:
    """Everything the shipped ``tokenizer.py`` needs: the layer's options and its vocabulary (JSON-ready)."""
    config = vectorizer.get_config()
    ngrams = config.get("ngrams")
    if isinstance(ngrams, int):
        ngrams = list(range(1, ngrams + 1))
    for option, allowed in (
        ("standardize", ("lower_and_strip_punctuation", "lower", "strip_punctuation", None)),
        ("split", ("whitespace", "character")),
    ):
        if config.get(option) not in allowed:
            raise RunError(f"The text layer's {option} '{config.get(option)}' has no plain-Python twin yet.")
    return {
        "standardize": config["standardize"],
        "split": config["split"],
        "ngrams": list(ngrams) if ngrams else [],
        "output_mode": config["output_mode"],
        "sequence_length": config.get("output_sequence_length"),
        "vocabulary": [str(term) for term in vectorizer.get_vocabulary()],
    }


def in_graph_tokens(vectorizer: Any, texts: Any) -> Any:
    """What ``vectorizer`` itself makes of ``texts`` (NumPy), to check the plain-Python twin against."""
    import numpy as np
    import tensorflow as tf

    out = vectorizer(tf.constant(np.asarray(texts, dtype=str)))
    return np.asarray(out)


def quantized_model_file(path: Path) -> bool:
    """Whether a saved ``.keras`` file holds quantised layers (8 or 4 bits), read from its JSON config alone.

    The sentiment starter's encoder is stored with Keras ``quantize("int8")`` (``scripts/train_starters.py``):
    weights in 8 bits, and each layer's inputs rounded to 8 bits as it runs. Those roundings make its answers
    depend on the order of the float arithmetic around them (see ``QUANTIZED_NOT_OFFERED`` in
    :mod:`modeling.export.formats`).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False
    pending = [config]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            name = str(node.get("class_name", ""))
            if name.endswith("DTypePolicy") and name not in PLAIN_POLICIES:
                return True
            pending += list(node.values())
        elif isinstance(node, list):
            pending += node
    return False
