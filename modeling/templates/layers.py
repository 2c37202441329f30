"""ModelDeck's own Keras layers, registered so saved models load with ``safe_mode=True``.

A ``.keras`` file names each layer class; Keras can only rebuild a custom class that is
registered when the file is loaded. :func:`modeling.runs.keras_file.load_bundle_model` imports this
module first, so every model ModelDeck saves loads in the app, the command line and a notebook
(``import modeling.templates.layers`` before ``keras.saving.load_model``). Nothing here runs
arbitrary code on load: each layer is rebuilt from plain config values.

This module imports Keras (never Keras Hub or TensorFlow at import time): import it lazily.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import keras

PACKAGE = "modeldeck"


@keras.saving.register_keras_serializable(package=PACKAGE)
class TokenEncoder(keras.layers.Layer):
    """Word-piece ids in, one sentence vector per text out: the BERT backbone and mean pooling, on any backend.

    The input is ``(texts, windows, tokens)`` int ids from :class:`modeling.templates.text_prep.WordPieces`: each
    text's pieces cut into consecutive windows of ``[CLS] piece ... [SEP]``, padded with ``pad_id``. Every
    window goes through the backbone; the text's vector is the mean of all its token vectors over all its
    windows, padding excluded (sentence-transformers' mean pooling, extended to several windows), L2-normalised
    when ``normalize`` is true, as all-MiniLM-L6-v2 does. A window that is all padding (a text shorter than its
    neighbours in the batch) attends to its first slot only, so it stays finite, and counts for nothing.
    Only ``keras.ops``: the tokenizer runs before the model, in plain Python.
    """

    def __init__(self, backbone: Any, pad_id: int = 0, normalize: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.backbone = backbone
        self.pad_id = int(pad_id)
        self.normalize = bool(normalize)
        self.hidden_dim = int(backbone.hidden_dim)

    def build(self, input_shape: Any = None) -> None:
        self.built = True

    def compute_output_spec(self, inputs: Any, training: Any = None) -> keras.KerasTensor:
        return keras.KerasTensor((inputs.shape[0], self.hidden_dim), dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, int]:
        return (input_shape[0], self.hidden_dim)

    def call(self, token_ids: Any, training: Any = None) -> Any:
        ops = keras.ops
        ids = ops.cast(token_ids, "int32")
        shape = ops.shape(ids)
        flat = ops.reshape(ids, (-1, shape[2]))
        real = ops.not_equal(flat, self.pad_id)
        attend = ops.logical_or(real, ops.expand_dims(ops.equal(ops.arange(shape[2]), 0), 0))
        outputs = self.backbone(
            {"token_ids": flat, "segment_ids": ops.zeros_like(flat), "padding_mask": attend}, training=training
        )
        tokens = outputs["sequence_output"]
        weights = ops.cast(real, tokens.dtype)
        window_sums = ops.sum(tokens * ops.expand_dims(weights, -1), axis=1)
        text_sums = ops.sum(ops.reshape(window_sums, (shape[0], shape[1], self.hidden_dim)), axis=1)
        counts = ops.sum(ops.reshape(ops.sum(weights, axis=1), (shape[0], shape[1])), axis=1)
        vectors = text_sums / ops.expand_dims(ops.maximum(counts, 1.0), -1)
        if self.normalize:
            vectors = vectors / ops.sqrt(ops.maximum(ops.sum(vectors * vectors, axis=-1, keepdims=True), 1e-12))
        return vectors

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            backbone=keras.saving.serialize_keras_object(self.backbone), pad_id=self.pad_id, normalize=self.normalize
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TokenEncoder:
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SentenceEncoder(keras.layers.Layer):
    """Raw strings in, one sentence vector per string out: tokenizer, BERT backbone, mean pooling.

    Runs saved before ModelDeck moved text preparation out of the graph hold this layer (the sentiment starter
    of that time, and people's own runs); it is kept so they still load and answer, on the TensorFlow backend
    only. New models read token ids through :class:`TokenEncoder`.

    Each text is cut into word pieces; the first ``max_windows * (window - 2)`` pieces are split into
    consecutive windows of at most ``window`` tokens (``[CLS] piece ... piece [SEP]``), every window
    goes through the backbone, and the text's vector is the mean of all its token vectors over all
    its windows, padding excluded (sentence-transformers' mean pooling, extended to several windows).
    Vectors are L2-normalised when ``normalize`` is true, as all-MiniLM-L6-v2 does.
    ``special_ids`` are the [CLS], [SEP] and [PAD] token ids (read from the tokenizer when omitted).

    ``<br />`` tags (common in scraped reviews) are replaced by spaces first. The layer needs the
    TensorFlow backend (Keras Hub's tokenizers run on TensorFlow Text).
    """

    def __init__(
        self,
        tokenizer: Any,
        backbone: Any,
        window: int = 128,
        max_windows: int = 2,
        normalize: bool = True,
        special_ids: tuple[int, int, int] | list[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if window < 8 or window > 512:
            raise ValueError(f"window must be between 8 and 512 tokens, got {window}")
        if max_windows < 1:
            raise ValueError(f"max_windows must be at least 1, got {max_windows}")
        self.tokenizer = tokenizer
        self.backbone = backbone
        self.window = int(window)
        self.max_windows = int(max_windows)
        self.normalize = bool(normalize)
        self.hidden_dim = int(backbone.hidden_dim)
        # The tokenizer's vocabulary (and so its special ids) arrives only after loading, from the
        # file's assets; the ids are kept in the config so the layer can be rebuilt before that.
        if special_ids is None:
            special_ids = (tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id)
        self.cls_id, self.sep_id, self.pad_id = (int(i) for i in special_ids)

    @property
    def max_tokens(self) -> int:
        """Word pieces read per text (special tokens excluded)."""
        return (self.window - 2) * self.max_windows

    def build(self, input_shape: Any = None) -> None:
        self.built = True

    def compute_output_spec(self, inputs: Any, training: Any = None) -> keras.KerasTensor:
        return keras.KerasTensor((inputs.shape[0], self.hidden_dim), dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, int]:
        return (input_shape[0], self.hidden_dim)

    def call(self, inputs: Any, training: Any = None) -> Any:
        import tensorflow as tf

        texts = tf.reshape(tf.convert_to_tensor(inputs, dtype=tf.string), [-1])
        texts = tf.strings.regex_replace(texts, r"<br\s*/?>", " ")
        batch = tf.shape(texts, out_type=tf.int64)[0]
        pieces = word_pieces(self.tokenizer, texts)
        pieces = tf.cast(pieces[:, : self.max_tokens], tf.int32)
        body = self.window - 2
        lengths = pieces.row_lengths()
        windows_per_text = tf.maximum(tf.cast(1, tf.int64), (lengths + body - 1) // body)
        text_of_window = tf.repeat(tf.range(batch), windows_per_text)
        starts = tf.ragged.range(windows_per_text).flat_values * body
        window_lengths = tf.clip_by_value(tf.gather(lengths, text_of_window) - starts, 0, body)
        windows = tf.RaggedTensor.from_row_lengths(pieces.flat_values, window_lengths)
        n_windows = tf.shape(window_lengths)[0]
        cls = tf.RaggedTensor.from_tensor(tf.fill([n_windows, 1], tf.constant(self.cls_id, tf.int32)))
        sep = tf.RaggedTensor.from_tensor(tf.fill([n_windows, 1], tf.constant(self.sep_id, tf.int32)))
        token_ids = tf.concat([cls, windows, sep], axis=1).to_tensor(default_value=self.pad_id)
        counts = window_lengths + 2
        mask = tf.sequence_mask(counts, maxlen=tf.shape(token_ids, out_type=tf.int64)[1])
        outputs = self.backbone(
            {"token_ids": token_ids, "segment_ids": tf.zeros_like(token_ids), "padding_mask": mask},
            training=training,
        )
        tokens = outputs["sequence_output"]
        weights = tf.cast(mask, tokens.dtype)[..., None]
        window_sums = tf.reduce_sum(tokens * weights, axis=1)
        text_sums = tf.math.unsorted_segment_sum(window_sums, text_of_window, batch)
        text_counts = tf.math.unsorted_segment_sum(tf.cast(counts, tokens.dtype), text_of_window, batch)
        vectors = text_sums / tf.maximum(text_counts, 1.0)[:, None]
        if self.normalize:
            vectors = tf.math.l2_normalize(vectors, axis=-1)
        return vectors

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            tokenizer=keras.saving.serialize_keras_object(self.tokenizer),
            backbone=keras.saving.serialize_keras_object(self.backbone),
            window=self.window,
            max_windows=self.max_windows,
            normalize=self.normalize,
            special_ids=[self.cls_id, self.sep_id, self.pad_id],
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SentenceEncoder:
        config = dict(config)
        config["tokenizer"] = keras.saving.deserialize_keras_object(config["tokenizer"])
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)


def word_pieces(tokenizer: Any, texts: Any) -> Any:
    """Token ids as a ``tf.RaggedTensor``, also in eager mode.

    Keras Hub converts a tokenizer's ragged output into Python lists when it runs eagerly; inside its
    ``no_convert_scope`` the TensorFlow tensor is kept, which is what the windowing needs.
    """
    import tensorflow as tf

    try:
        from keras_hub.src.utils.tensor_utils import no_convert_scope
    except ImportError:  # a future Keras Hub: convert whatever comes back
        pieces = tokenizer(texts)
    else:
        with no_convert_scope():
            pieces = tokenizer(texts)
    if isinstance(pieces, tf.RaggedTensor):
        return pieces
    if isinstance(pieces, tf.Tensor):
        return tf.RaggedTensor.from_tensor(pieces)
    return tf.ragged.constant(pieces, dtype=tf.int32, ragged_rank=1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class TermWeighting(keras.layers.Layer):
    """Term counts in, weighted unit-length term vectors out: ``log(1 + count) * weight``, then L2 norm.

    The weights are one number per vocabulary entry, learnt from the training texts when the model is
    fitted (inverse document frequency times how strongly the term separates the classes, see
    :mod:`modeling.templates.weighted_ngrams`) and saved as a non-trainable variable of the layer, so the
    ``.keras`` file holds them beside the vocabulary and no Python object. Plain element-wise maths on
    ``keras.ops``: it runs on every backend and exports to ONNX / LiteRT as a multiply and a norm.
    ``sublinear`` (the default) dampens repeated words: the tenth "great" adds less than the first.
    """

    def __init__(self, vocabulary_size: int, sublinear: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if int(vocabulary_size) < 1:
            raise ValueError(f"vocabulary_size must be at least 1, got {vocabulary_size}")
        self.vocabulary_size = int(vocabulary_size)
        self.sublinear = bool(sublinear)
        self.term_weights = self.add_weight(
            shape=(self.vocabulary_size,), initializer="ones", trainable=False, name="term_weights"
        )

    def set_term_weights(self, weights: Any) -> None:
        """Replace the per-term weights (a vector as long as the vocabulary, finite and not negative)."""
        import numpy as np

        values = np.asarray(weights, dtype="float32").reshape(-1)
        if values.shape != (self.vocabulary_size,):
            raise ValueError(f"expected {self.vocabulary_size} term weights, got {values.shape[0]}")
        if not np.isfinite(values).all() or (values < 0).any():
            raise ValueError("term weights must be finite numbers of at least 0")
        self.term_weights.assign(values)

    def call(self, counts: Any) -> Any:
        x = keras.ops.cast(counts, self.compute_dtype)
        if self.sublinear:
            x = keras.ops.log1p(keras.ops.maximum(x, 0.0))
        x = x * keras.ops.cast(self.term_weights, self.compute_dtype)
        norm = keras.ops.sqrt(keras.ops.sum(x * x, axis=-1, keepdims=True))
        return x / keras.ops.maximum(norm, 1e-12)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(vocabulary_size=self.vocabulary_size, sublinear=self.sublinear)
        return config


_IMPORT_LOCK = threading.Lock()


def import_encoder_libraries() -> None:
    """Import Keras Hub once, under a lock, before any model that may hold its layers is built or loaded.

    Two Streamlit sessions loading models at the same moment import Keras Hub from two threads; Python
    can then hand one of them a partially initialised module ("cannot import name 'PositionEmbedding' ...
    most likely due to a circular import"), and that visitor's model fails to load. Without Keras Hub
    installed there is nothing to do: models that need it say so when they load.
    """
    with _IMPORT_LOCK, contextlib.suppress(ImportError):
        import keras_hub  # noqa: F401
