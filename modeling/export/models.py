"""The Keras model an export holds: the trained model without its training-only parts.

Two rebuilds, both reusing the trained layer objects (so the weights are the very same tensors):

* :func:`inference_model` drops the random augmentation layers (shift, rotation, zoom). They do
  nothing at prediction time, but their graph keeps random-number and image-warp operations that
  ONNX and LiteRT cannot convert.
* :func:`text_core` cuts a text model after its ``TextVectorization`` layer: the string operations
  (lower-casing, splitting, vocabulary lookup) do not run in ONNX Runtime or LiteRT, so the export
  holds the model from the token ids on, and :func:`tokenizer_spec` saves what the shipped
  ``tokenize.py`` needs to do the layer's work.

ModelDeck's templates are chains (each layer feeds the next), which is what lets a model be rebuilt
layer by layer; the export's parity check (``modeling.export.verify``) would catch a rebuild that
changed an answer. Keras is imported inside the functions: import this module freely.
"""

from __future__ import annotations

from typing import Any

from modeling.errors import RunError

#: Layers that only act while training; rebuilt models leave them out.
AUGMENTATION_LAYERS = ("RandomTranslation", "RandomRotation", "RandomZoom", "RandomFlip", "RandomContrast")


def _chain_layers(model: Any) -> list[Any]:
    """The layers after the input, checked to form a chain (one input, one output each)."""
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise RunError("This model has several inputs or outputs; ModelDeck can only export its own templates.")
    return layers


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
    for layer in _chain_layers(model):
        if type(layer).__name__ == "TextVectorization":
            return layer
    return None


def text_core(model: Any) -> Any:
    """The part of a text model after its ``TextVectorization``: token ids (or multi-hot rows) in, probabilities out."""
    import keras

    layers = _chain_layers(model)
    position = next((i for i, layer in enumerate(layers) if type(layer).__name__ == "TextVectorization"), None)
    if position is None:
        raise RunError("This text model has no TextVectorization layer to cut at.")
    vectorizer = layers[position]
    spec = vectorizer_input_spec(vectorizer)
    inputs = keras.Input(shape=spec["shape"], dtype=spec["dtype"], name=spec["name"])
    return _rebuild(inputs, layers[position + 1 :], f"{model.name}_core")


def vectorizer_input_spec(vectorizer: Any) -> dict[str, Any]:
    """Shape, dtype and name of what the layer after ``vectorizer`` reads."""
    config = vectorizer.get_config()
    if config["output_mode"] == "multi_hot":
        return {"shape": (int(vectorizer.vocabulary_size()),), "dtype": "float32", "name": "multi_hot"}
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
