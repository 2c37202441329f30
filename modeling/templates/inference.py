"""Class probabilities from a Keras model, fast: batch by batch, and as one traced graph for single items.

Used by training (to evaluate on the test split), by the saved-run predictor and by the model search;
``model.predict`` is avoided because its per-call set-up costs ~40 ms, more than a digit's arithmetic.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from modeling.data.dataset import Dataset


def as_inputs(data: Dataset) -> np.ndarray:
    """A Keras dataset's model inputs: pixels as float32, texts as a NumPy array of strings."""
    inputs = np.asarray(data.inputs)
    return inputs.astype("float32") if np.issubdtype(inputs.dtype, np.number) else inputs.astype(str)


def predict_probabilities(
    model: keras.Model, data: Dataset | np.ndarray, batch_size: int = 256, call: Any = None
) -> np.ndarray:
    """Class probabilities for many examples, batch by batch, without ``model.predict``'s set-up cost.

    ``call`` is an optional compiled forward pass (see :func:`compiled_forward`).
    """
    inputs = as_inputs(data) if isinstance(data, Dataset) else data
    if len(inputs) == 0:
        return np.zeros((0, model.output_shape[-1]), dtype="float32")
    forward = call or (lambda x: model(x, training=False))
    outs = []
    for start in range(0, len(inputs), batch_size):
        chunk = inputs[start : start + batch_size]
        outs.append(keras.ops.convert_to_numpy(forward(_to_tensor(chunk))))
    return np.concatenate(outs).astype("float32")


def compiled_forward(model: keras.Model):
    """The model's inference pass as one traced graph (TensorFlow backend), any batch size.

    Calling a Keras model eagerly walks its layers in Python on every call; for one review
    or one digit that costs more than the arithmetic. Other backends get the plain call.
    """
    if keras.backend.backend() != "tensorflow":
        return lambda x: model(x, training=False)
    import tensorflow as tf

    spec = tf.TensorSpec([None, *model.input_shape[1:]], model.inputs[0].dtype)
    return tf.function(lambda x: model(x, training=False), input_signature=[spec], reduce_retracing=True)


def _to_tensor(chunk: np.ndarray):
    if chunk.dtype.kind in "US":
        import tensorflow as tf

        return tf.constant(chunk.astype(str))
    return chunk.astype("float32")
