"""Image classification templates: a dense network (MLP) and a small CNN.

Inputs are uint8 pixels of shape (H, W, C); scaling to 0..1 and optional
augmentation are layers of the model, so the saved file needs no outside code.
"""

from __future__ import annotations

import keras
from keras import layers

from modeling.config import TrainingSettings
from modeling.data.dataset import Dataset


def _preprocess(inputs: keras.KerasTensor, settings: TrainingSettings) -> keras.KerasTensor:
    x = layers.Rescaling(1.0 / 255, name="scale_pixels")(inputs)
    if settings.augment:
        # Small shifts, turns and zooms: a 7 should stay a 7. Active only while training.
        x = layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=settings.seed, name="shift")(x)
        x = layers.RandomRotation(0.04, fill_mode="constant", seed=settings.seed, name="rotate")(x)
        x = layers.RandomZoom(0.1, fill_mode="constant", seed=settings.seed, name="zoom")(x)
    return x


def _head(x: keras.KerasTensor, settings: TrainingSettings, num_classes: int) -> keras.KerasTensor:
    for i in range(settings.hidden_layers):
        x = layers.Dense(settings.hidden_units, activation="relu", name=f"hidden_{i + 1}")(x)
        if settings.dropout > 0:
            x = layers.Dropout(settings.dropout, seed=settings.seed, name=f"dropout_{i + 1}")(x)
    # float32 output keeps probabilities exact under mixed precision.
    return layers.Dense(num_classes, activation="softmax", dtype="float32", name="probabilities")(x)


def _shape_and_classes(train: Dataset) -> tuple[tuple[int, int, int], int]:
    if train.image_shape is None:
        raise ValueError("Image templates need the image shape of the training data.")
    return tuple(train.image_shape), len(train.class_names)  # type: ignore[return-value]


def dense(settings: TrainingSettings, train: Dataset) -> keras.Model:
    """The classic MLP: flatten the pixels, one or more dense layers with dropout."""
    shape, num_classes = _shape_and_classes(train)
    inputs = keras.Input(shape=shape, name="pixels")
    x = layers.Flatten(name="flatten")(_preprocess(inputs, settings))
    return keras.Model(inputs, _head(x, settings, num_classes), name="dense_network")


def small_cnn(settings: TrainingSettings, train: Dataset) -> keras.Model:
    """Two conv + pool blocks, then the dense head: the standard small-image recipe."""
    shape, num_classes = _shape_and_classes(train)
    inputs = keras.Input(shape=shape, name="pixels")
    x = _preprocess(inputs, settings)
    x = layers.Conv2D(32, 3, activation="relu", padding="same", name="conv_1")(x)
    x = layers.MaxPooling2D(2, name="pool_1")(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same", name="conv_2")(x)
    x = layers.MaxPooling2D(2, name="pool_2")(x)
    if shape[0] >= 48:
        # Bigger pictures get a third block so the dense head stays small.
        x = layers.Conv2D(128, 3, activation="relu", padding="same", name="conv_3")(x)
        x = layers.MaxPooling2D(2, name="pool_3")(x)
    x = layers.Flatten(name="flatten")(x)
    if settings.dropout > 0:
        x = layers.Dropout(min(settings.dropout, 0.5), seed=settings.seed, name="dropout_features")(x)
    return keras.Model(inputs, _head(x, settings, num_classes), name="small_cnn")
