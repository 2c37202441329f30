"""Templates: settings -> an untrained model. One spec per template in :mod:`modeling.templates.registry`.

Each template is a short function from settings and the training data to a ``keras.Model`` whose input is
the raw example (a string, or uint8 pixels) and whose output is class probabilities. Preprocessing lives
inside the model, so a saved ``.keras`` file is the whole model. The builders import Keras: this package's
``__init__`` does not, so ``modeling.config`` can read the registry cheaply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modeling.templates.registry import spec

if TYPE_CHECKING:
    import keras

    from modeling.config import ExperimentConfig
    from modeling.data.dataset import Dataset


def build_model(config: ExperimentConfig, train: Dataset) -> keras.Model:
    """Build (and, for text, adapt the vocabulary of) the template named in ``config``."""
    return spec(config.template).build(config.settings, train)


def custom_fit(config: ExperimentConfig) -> Any:
    """The template's own training function, for templates that do not train through ``train_model``.

    The pretrained encoder reads each text once and trains only a small head on the cached vectors
    (or fine-tunes end to end). Its ``fit(config, train, validation, progress, cancel)`` returns a
    ``FitResult`` (model, outcome, fast test predictions) with the same progress and Stop behaviour.
    ``None`` means: build with :func:`build_model` and train with ``modeling.training.fit.train_model``.
    """
    return spec(config.template).custom_fit()


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
