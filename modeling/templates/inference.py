"""Class probabilities from a Keras model, fast: batch by batch, and as one compiled function per backend.

Used by training (to evaluate on the test split), by the saved-run predictor and by the model search;
``model.predict`` is avoided because its per-call set-up costs ~40 ms, more than a digit's arithmetic.
A text model reads numbers: its attached text preparation (:mod:`modeling.templates.text_prep`) turns each
batch of texts into them here, so every caller hands over plain texts. Models saved before that (their first
layer works on strings) still get the strings, as TensorFlow tensors: they run on TensorFlow only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from modeling.data.dataset import Dataset
from modeling.templates.text_prep import preparation_of


def as_inputs(data: Dataset) -> np.ndarray:
    """A Keras dataset's raw examples: pixels as float32, texts as a NumPy array of strings."""
    inputs = np.asarray(data.inputs)
    return inputs.astype("float32") if np.issubdtype(inputs.dtype, np.number) else inputs.astype(str)


def predict_probabilities(
    model: keras.Model, data: Dataset | np.ndarray, batch_size: int = 256, call: Any = None
) -> np.ndarray:
    """Class probabilities for many examples, batch by batch, without ``model.predict``'s set-up cost.

    ``data`` holds raw examples (texts or pixels) or, for a model without a text preparation, the numbers it
    reads. Texts are read shortest first, so each batch pads to similar lengths. ``call`` is an optional
    compiled forward pass (see :func:`compiled_forward`); by default one is made for this call.
    """
    inputs = as_inputs(data) if isinstance(data, Dataset) else data
    if len(inputs) == 0:
        return np.zeros((0, model.output_shape[-1]), dtype="float32")
    forward = call or default_forward(model)
    preparation = preparation_of(model)
    texts = np.asarray(inputs).dtype.kind in "USO"
    order = np.argsort([len(str(t)) for t in inputs], kind="stable") if texts else np.arange(len(inputs))
    outs = []
    for start in range(0, len(inputs), batch_size):
        chunk = [inputs[i] for i in order[start : start + batch_size]] if texts else inputs[start : start + batch_size]
        if preparation is not None:
            x = preparation([str(t) for t in chunk])
        elif texts:
            x = string_tensor(chunk)
        else:
            x = np.asarray(chunk)
            x = x.astype("float32") if x.dtype.kind == "f" or x.dtype == np.uint8 else x
        outs.append(keras.ops.convert_to_numpy(forward(x)))
    probs = np.concatenate(outs).astype("float32")
    result = np.empty_like(probs)
    result[order] = probs
    return result


def default_forward(model: keras.Model) -> Callable[[Any], Any]:
    """A plain call on TensorFlow (tracing costs more than a few eager batches), compiled on JAX and PyTorch."""
    if keras.backend.backend() == "tensorflow":
        return lambda x: model(x, training=False)
    return compiled_forward(model)


def compiled_forward(model: keras.Model) -> Callable[[Any], Any]:
    """The model's inference pass as one compiled function of the active backend, any batch size.

    Calling a Keras model eagerly walks its layers in Python on every call; for one review or one digit that
    costs more than the arithmetic. TensorFlow traces a ``tf.function`` (retraced for a new shape, then
    generalised), JAX jit-compiles a stateless call with the variables as arguments (so later weights are
    used), PyTorch runs the model without recording gradients.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    if backend == "jax":
        import jax

        def stateless(trainable: Any, non_trainable: Any, x: Any) -> Any:
            return model.stateless_call(trainable, non_trainable, x, training=False)[0]

        jitted = jax.jit(stateless)
        return lambda x: jitted(
            [v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables], x
        )
    if backend == "torch":
        import torch

        def no_gradients(x: Any) -> Any:
            with torch.no_grad():
                return model(x, training=False)

        return no_gradients
    return lambda x: model(x, training=False)


def compiled_function(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (of backend tensors, built from ``keras.ops``) compiled for the active backend when it can be."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function, reduce_retracing=True)
    if backend == "jax":
        import jax

        return jax.jit(function)
    return function


def string_tensor(texts: Any) -> Any:
    """Texts as a TensorFlow string tensor: what a model saved with its text layer inside reads (TensorFlow only)."""
    import tensorflow as tf

    return tf.constant(np.asarray([str(t) for t in texts]))
