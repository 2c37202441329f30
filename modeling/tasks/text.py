"""Text classification templates: keyword n-grams, averaged embeddings and a 1-D CNN.

Every template starts with a ``TextVectorization`` layer adapted on the training
texts, so the saved model takes raw strings and its vocabulary travels with it.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from modeling.config import TrainingSettings


def _string_input() -> keras.KerasTensor:
    return keras.Input(shape=(), dtype="string", name="text")


def _head(x: keras.KerasTensor, settings: TrainingSettings, num_classes: int, hidden: bool = True):
    if hidden:
        for i in range(settings.hidden_layers):
            x = layers.Dense(settings.hidden_units, activation="relu", name=f"hidden_{i + 1}")(x)
            if settings.dropout > 0:
                x = layers.Dropout(settings.dropout, seed=settings.seed, name=f"dropout_{i + 1}")(x)
    return layers.Dense(num_classes, activation="softmax", dtype="float32", name="probabilities")(x)


def _adapted(vectorizer: layers.TextVectorization, texts: np.ndarray) -> layers.TextVectorization:
    import tensorflow as tf

    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(np.asarray(texts, dtype=str)).batch(512))
    return vectorizer


def ngram_bag(settings: TrainingSettings, texts: np.ndarray, num_classes: int) -> keras.Model:
    """TF-IDF weighted words and word pairs, dropout, then a small dense head.

    On a few thousand texts this matches TF-IDF + logistic regression, the strongest simple baseline.
    """
    vectorizer = _adapted(
        layers.TextVectorization(max_tokens=settings.max_tokens, output_mode="tf_idf", ngrams=2, name="ngrams"),
        texts,
    )
    inputs = _string_input()
    x = vectorizer(inputs)
    if settings.dropout > 0:
        x = layers.Dropout(settings.dropout, seed=settings.seed, name="dropout_input")(x)
    return keras.Model(inputs, _head(x, settings, num_classes), name="ngram_bag")


def _sequence_vectorizer(settings: TrainingSettings, texts: np.ndarray) -> layers.TextVectorization:
    return _adapted(
        layers.TextVectorization(
            max_tokens=settings.max_tokens, output_sequence_length=settings.sequence_length, name="words"
        ),
        texts,
    )


def embedding_bag(settings: TrainingSettings, texts: np.ndarray, num_classes: int) -> keras.Model:
    """Learn a vector per word and average them over the text (fastText-style)."""
    vectorizer = _sequence_vectorizer(settings, texts)
    inputs = _string_input()
    x = vectorizer(inputs)
    x = layers.Embedding(vectorizer.vocabulary_size(), settings.embedding_dim, mask_zero=True, name="embed")(x)
    x = layers.GlobalAveragePooling1D(name="average")(x)
    return keras.Model(inputs, _head(x, settings, num_classes), name="embedding_bag")


def conv1d(settings: TrainingSettings, texts: np.ndarray, num_classes: int) -> keras.Model:
    """Convolutions over word vectors detect short phrases ('not good', 'highly recommend')."""
    vectorizer = _sequence_vectorizer(settings, texts)
    inputs = _string_input()
    x = vectorizer(inputs)
    x = layers.Embedding(vectorizer.vocabulary_size(), settings.embedding_dim, name="embed")(x)
    if settings.dropout > 0:
        x = layers.SpatialDropout1D(min(settings.dropout, 0.3), seed=settings.seed, name="dropout_words")(x)
    x = layers.Conv1D(128, 5, activation="relu", padding="same", name="phrases")(x)
    x = layers.GlobalMaxPooling1D(name="strongest_phrase")(x)
    return keras.Model(inputs, _head(x, settings, num_classes), name="conv1d")


TEMPLATES = {"ngram_bag": ngram_bag, "embedding_bag": embedding_bag, "conv1d": conv1d}


def build(template: str, settings: TrainingSettings, texts: np.ndarray | None, num_classes: int) -> keras.Model:
    if texts is None or len(texts) == 0:
        raise ValueError("Text templates need training texts to learn a vocabulary.")
    return TEMPLATES[template](settings, texts, num_classes)
