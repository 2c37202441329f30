"""Model templates, one module per task family.

Each template is a short function from settings to a ``keras.Model`` whose
input is the raw example (a string, or uint8 pixels) and whose output is class
probabilities. Preprocessing lives inside the model, so a saved ``.keras`` file
is the whole model. This package imports Keras at import time: import it lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

    from modeling.config import ExperimentConfig
    from modeling.data.dataset import Dataset


def build_model(config: ExperimentConfig, train: Dataset) -> keras.Model:
    """Build (and, for text, adapt the vocabulary of) the template named in ``config``."""
    if config.task == "image_classification":
        from modeling.templates import image

        return image.build(config.template, config.settings, train.image_shape, len(train.class_names))
    if config.template == "minilm":
        from modeling.templates import pretrained

        return pretrained.build(config.settings, len(train.class_names))
    from modeling.templates import text

    return text.build(config.template, config.settings, train.texts, len(train.class_names))


def custom_fit(config: ExperimentConfig):
    """The template's own training function, for templates that do not train through ``train_model``.

    The pretrained encoder reads each text once and trains only a small head on the cached vectors
    (or fine-tunes end to end). Its ``fit(config, train, validation, progress, cancel)`` returns a
    ``FitResult`` (model, outcome, fast test predictions) with the same progress and Stop behaviour.
    ``None`` means: build with :func:`build_model` and train with ``modeling.training.fit.train_model``.
    """
    if config.task == "text_classification" and config.template == "minilm":
        from modeling.templates import pretrained

        return pretrained.fit
    return None


def parameter_summary(model: keras.Model) -> dict[str, object]:
    """Size of a model in parameters and megabytes, plus one row per layer for the Model page."""
    layers = []
    for layer in model.layers:
        try:
            shape = tuple(layer.output.shape)
        except (AttributeError, ValueError):
            shape = ()
        layers.append(
            {
                "layer": layer.name,
                "type": type(layer).__name__,
                "output shape": str(shape).replace("None", "batch"),
                "parameters": int(layer.count_params()) if layer.built else 0,
            }
        )
    params = int(model.count_params())
    return {"parameters": params, "megabytes": params * 4 / 1_000_000, "layers": layers}
