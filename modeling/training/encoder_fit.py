"""Training for the pretrained encoder template: frozen (read once, train a head) or fine-tuned end to end.

Frozen mode encodes every text once (cached, see :mod:`modeling.templates.minilm.embeddings`) and trains a
small head on the vectors through :func:`modeling.training.fit.fit_with_controls`, so progress, Stop, best
weights and early stopping behave as for every other template; the saved model reads word-piece ids (its
tokenizer attached, saved beside it). Fine-tuning trains the whole model with
:func:`modeling.training.fit.train_model` on the ids of every text, made once before the first epoch.
This is the registry's ``fit`` for ``minilm`` (see :mod:`modeling.templates.registry`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from modeling.errors import ConfigError, ModelDeckError
from modeling.templates.minilm import WINDOW, cache_key, cached_vectors, measure_throughput
from modeling.templates.minilm.embeddings import EncodingCancelled, embed
from modeling.templates.minilm.encoder import (
    FINE_TUNE_MAX_LR,
    MODEL_NAME,
    assemble,
    build,
    build_encoder,
    encoder_status,
    head,
    windows_for,
    word_pieces,
)
from modeling.templates.registry import spec
from modeling.training.progress import Progress
from modeling.training.splits import split


# ---- training ----------------------------------------------------------------------------------
@dataclass
class FitResult:
    """A trained model, how training went, and a fast way to score the test split."""

    model: Any
    outcome: Any
    predict: Callable[[Any], np.ndarray] | None = None


def fit(config: Any, train: Any, validation: Any, progress: Any = None, cancel: threading.Event | None = None):
    """Train the ``minilm`` template in the mode its settings name; the run then saves ``result.model``."""
    ok, reason = encoder_status()
    if not ok:
        raise ConfigError(reason)

    progress = progress or Progress(config.settings.epochs)
    cancel = cancel or threading.Event()
    num_classes = len(train.class_names)
    if config.settings.encoder_mode == "fine_tune":
        return _fit_fine_tune(config.settings, train, validation, num_classes, progress, cancel)
    return _fit_frozen(config.settings, train, validation, num_classes, progress, cancel)


def encode_with_progress(texts: np.ndarray, max_windows: int, label: str, progress: Any, cancel: Any) -> np.ndarray:
    def report(done: int, total: int) -> None:
        progress.update(phase=f"Reading the {label} texts with {MODEL_NAME}: {done:,} of {total:,}")

    return embed(texts, max_windows, on_progress=report, cancel=cancel)


def _fit_frozen(settings: Any, train: Any, validation: Any, num_classes: int, progress: Any, cancel: Any) -> FitResult:
    import keras

    from modeling.training.fit import TrainingOutcome

    windows = windows_for(settings)
    progress.update(phase=f"Loading {MODEL_NAME}")
    encoder = build_encoder()
    try:
        x_train = encode_with_progress(train.texts, windows, "training", progress, cancel)
        has_val = validation is not None and len(validation) > 0
        x_val = encode_with_progress(validation.texts, windows, "validation", progress, cancel) if has_val else None
    except EncodingCancelled:
        raise ModelDeckError(
            "Stopped while the encoder was reading the texts, before any training: there is no model to keep."
        ) from None
    head_model = head(settings, num_classes)
    y_val = None if x_val is None else validation.labels
    outcome: TrainingOutcome = fit_arrays(head_model, x_train, train.labels, x_val, y_val, settings, progress, cancel)
    model = assemble(encoder, head_model, word_pieces(windows))

    def predict(data: Any) -> np.ndarray:
        vectors = encode_with_progress(data.texts, windows, "test", progress, None)
        return keras.ops.convert_to_numpy(head_model(vectors, training=False)).astype("float32")

    return FitResult(model, outcome, predict)


def _fit_fine_tune(
    settings: Any, train: Any, validation: Any, num_classes: int, progress: Any, cancel: Any
) -> FitResult:
    from modeling.training.fit import train_model

    progress.update(phase=f"Loading {MODEL_NAME} for fine-tuning")
    capped = settings.model_copy(update={"learning_rate": min(settings.learning_rate, FINE_TUNE_MAX_LR)})
    model = build(capped, num_classes, fresh=True)
    with contextlib.suppress(ValueError):  # mean pooling does not use the [CLS] pooler: no gradients for it
        model.get_layer("sentence_encoder").backbone.get_layer("pooled_dense").trainable = False
    outcome = train_model(model, train, validation, capped, progress, cancel)
    return FitResult(model, outcome, None)


def fit_arrays(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    x_val: np.ndarray | None,
    y_val: np.ndarray | None,
    settings: Any,
    progress: Any,
    cancel: threading.Event,
):
    """``train_model`` for numeric arrays: the same progress, Stop, best-weights and early-stopping behaviour."""
    from modeling.training.fit import fit_with_controls

    has_val = x_val is not None and len(x_val) > 0

    def data(batch_size: int) -> tuple[dict[str, Any], Any]:
        fit_data = {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}
        return fit_data, ((x_val, y_val) if has_val else None)

    return fit_with_controls(model, len(x), has_val, data, settings, progress, cancel)


def estimate_search_seconds(dataset: Any, config: Any) -> float:
    """Seconds the model search should allow: reading every not-yet-cached text once, plus a fixed cost.

    The encoder's speed is timed on this machine (:func:`modeling.templates.minilm.measure_throughput`);
    texts whose vectors are already cached cost nothing, so a second search on the same data is cheap.
    """

    windows = windows_for(config.settings)
    uncached = 0
    for part in split(dataset, config):
        if cached_vectors(cache_key([str(t) for t in part.texts], windows), len(part)) is None:
            uncached += len(part)
    sample = dataset.texts[:500]
    words = float(np.mean([len(str(t).split()) or len(str(t)) / 2 for t in sample])) if len(sample) else 0.0
    tokens = min(words * 1.35 + 2, windows * WINDOW)  # word pieces per English word ~1.35
    fixed = spec("minilm").cost.fixed_s if spec("minilm").cost else 0.0
    return fixed + uncached * tokens / measure_throughput().read_tokens_per_s
