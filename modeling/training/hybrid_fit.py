"""Training for ``minilm_ngrams``: two exact regressions and one weight chosen on the validation texts.

1. The encoder (frozen) reads every training and validation text once; the vectors are cached like the
   ``minilm`` template's (:mod:`modeling.templates.minilm.embeddings`), so a second run on the same data
   does not read them again.
2. The keyword half is fitted as in ``ngram_nb`` (:func:`modeling.training.keywords_fit.fit_keyword_part`).
3. A logistic regression on the sentence vectors, its strength chosen on the validation texts.
4. The keyword share ``w`` (0, 0.05, ..., 1) that gives the lowest validation log-loss for the softmax of
   ``w * keyword log-probabilities + (1 - w) * encoder log-probabilities``. Without validation rows: 0.5.

Regressions, not gradient descent: on a few hundred to a few thousand texts they reach the best weights
in seconds and do not depend on a learning rate. The result is assembled into one Keras model (term counts
and word-piece ids in, probabilities out, both tokenizers attached; :mod:`modeling.templates.hybrid`).
This is the registry's ``fit`` for ``minilm_ngrams``.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from modeling.errors import ConfigError, ModelDeckError
from modeling.templates import hybrid
from modeling.templates.minilm.embeddings import EncodingCancelled
from modeling.templates.minilm.encoder import MODEL_NAME, build_encoder, encoder_status, windows_for, word_pieces
from modeling.training import keywords_fit
from modeling.training.encoder_fit import FitResult, encode_with_progress, estimate_search_seconds
from modeling.training.progress import Progress

#: Regularisation strengths tried for the regression on sentence vectors (chosen on validation: 0.5-8).
ENCODER_C_GRID = (0.5, 2.0, 8.0, 32.0)
#: Keyword shares tried when the two halves are weighed on the validation texts.
SHARES = tuple(round(x, 2) for x in np.linspace(0.0, 1.0, 21))


def combine(keyword_log_probs: np.ndarray, encoder_log_probs: np.ndarray, share: float) -> np.ndarray:
    """Log-probabilities of ``softmax(share * keyword + (1 - share) * encoder)``: what the saved model computes."""
    return keywords_fit.log_softmax(share * keyword_log_probs + (1.0 - share) * encoder_log_probs)


def choose_share(keyword_log_probs: np.ndarray, encoder_log_probs: np.ndarray, labels: np.ndarray) -> float:
    """The keyword share with the lowest log-loss on ``labels`` (ties: the one nearer 0.5); 0.5 with no rows."""
    if len(labels) == 0:
        return 0.5
    scored = [
        (keywords_fit.loss_and_accuracy(combine(keyword_log_probs, encoder_log_probs, s), labels)[0], abs(s - 0.5), s)
        for s in SHARES
    ]
    return float(min(scored)[2])


def fit(config: Any, train: Any, validation: Any, progress: Any = None, cancel: threading.Event | None = None):
    """Fit both halves and their weighting; the run then saves ``result.model`` (see the module docstring)."""
    from modeling.training.fit import TrainingOutcome

    settings = config.settings
    if settings.encoder_mode != "frozen":
        raise ConfigError(
            f"settings.encoder_mode = '{settings.encoder_mode}' is not valid for {hybrid.NAME}: it reads the "
            "encoder frozen (allowed: frozen). Choose the template 'minilm' to fine-tune the encoder."
        )
    ok, reason = encoder_status()
    if not ok:
        raise ConfigError(reason)
    progress = progress or Progress(1)
    cancel = cancel or threading.Event()
    progress.update(epochs=1, unit="steps")
    num_classes = len(train.class_names)
    has_val = validation is not None and len(validation) > 0
    windows = windows_for(settings)

    progress.update(phase=f"Loading {MODEL_NAME}")
    encoder = build_encoder()
    encoder.trainable = False
    try:
        v_train = encode_with_progress(train.texts, windows, "training", progress, cancel)
        v_val = encode_with_progress(validation.texts, windows, "validation", progress, cancel) if has_val else None
    except EncodingCancelled:
        raise ModelDeckError(
            "Stopped while the encoder was reading the texts, before any training: there is no model to keep."
        ) from None

    keyword = keywords_fit.fit_keyword_part(settings, train, validation, progress, cancel)
    progress.update(phase="Fitting the sentence-vector weights")
    y_val = validation.labels if has_val else None
    sentence = keywords_fit.fit_softmax_regression(
        v_train, train.labels, num_classes, v_val, y_val, grid=ENCODER_C_GRID, cancel=cancel
    )
    if keyword is None or sentence is None:
        raise ModelDeckError("Stopped before both halves of the model were fitted: there is no model to keep.")

    progress.update(phase="Weighing keywords against sentence vectors on the validation texts")
    share = 0.5
    if has_val:
        kw_val = keywords_fit.log_softmax(keyword.fit.logits(keyword.features_validation))
        en_val = keywords_fit.log_softmax(sentence.logits(v_val))
        share = choose_share(kw_val, en_val, validation.labels)

    model = hybrid.assemble(encoder, keyword.counter, word_pieces(windows), num_classes, share, keyword.weights)
    model.get_layer("keyword_logits").set_weights([keyword.fit.kernel, keyword.fit.bias])
    model.get_layer("encoder_logits").set_weights([sentence.kernel, sentence.bias])

    scores = _scores(keyword, sentence, share, train, v_train, validation, v_val)
    progress.add_epoch(scores)
    outcome = TrainingOutcome(keywords_fit.history_point(scores), cancel.is_set(), best_epoch=1, epochs_run=1)

    def predict(data: Any) -> np.ndarray:
        """Test-split probabilities from cached sentence vectors (the same numbers the saved model computes)."""
        vectors = encode_with_progress(data.texts, windows, "test", progress, None)
        return np.exp(_log_probs(keyword, sentence, share, data.texts, vectors)).astype("float32")

    return FitResult(model, outcome, predict)


def _log_probs(keyword: Any, sentence: Any, share: float, texts: Any, vectors: np.ndarray) -> np.ndarray:
    kw = keywords_fit.log_softmax(keyword.fit.logits(keyword.features(texts)))
    return combine(kw, keywords_fit.log_softmax(sentence.logits(vectors)), share)


def _scores(keyword: Any, sentence: Any, share: float, train: Any, v_train: Any, validation: Any, v_val: Any):
    """Training and validation loss and accuracy of the combined model (its one-point history)."""
    kw_train = keywords_fit.log_softmax(keyword.fit.logits(keyword.features(train.texts)))
    scores: dict[str, float] = {}
    combined = combine(kw_train, keywords_fit.log_softmax(sentence.logits(v_train)), share)
    scores["loss"], scores["accuracy"] = keywords_fit.loss_and_accuracy(combined, train.labels)
    if v_val is not None:
        kw_val = keywords_fit.log_softmax(keyword.fit.logits(keyword.features_validation))
        combined = combine(kw_val, keywords_fit.log_softmax(sentence.logits(v_val)), share)
        scores["val_loss"], scores["val_accuracy"] = keywords_fit.loss_and_accuracy(combined, validation.labels)
    return {k: v for k, v in scores.items() if np.isfinite(v)}


def estimate_hybrid_search_seconds(dataset: Any, config: Any) -> float:
    """The encoder's reading time (timed on this machine) plus the keyword half's fit."""
    return estimate_search_seconds(dataset, config) + keywords_fit.estimate_search_seconds(dataset, config)
