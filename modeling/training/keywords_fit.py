"""Training for ``ngram_nb``, the weighted keyword n-grams: fitted exactly, like a logistic regression.

A linear model on a few thousand texts is a convex problem: scikit-learn's L-BFGS solver finds its best
weights in seconds, where gradient descent with early stopping on a small validation split stops short
of them (the Keras-trained keyword template scored up to 4 points below the keyword baseline on 300
short reviews). So this template's "training" is: learn the vocabulary and the term weights
(:mod:`modeling.templates.weighted_ngrams`), fit a logistic regression for each regularisation strength in
:data:`C_GRID`, keep the one with the lowest log-loss on the validation texts, and write its
coefficients into the Keras model's dense layer. The saved model is an ordinary ``.keras`` file (term counts
in, probabilities out; its counter saved beside it); scikit-learn is only a solver here, nothing of it is saved.

This is the registry's ``fit`` for ``ngram_nb``; :mod:`modeling.training.hybrid_fit` reuses
:func:`fit_softmax_regression` and :func:`fit_keyword_part` for ``minilm_ngrams``.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from modeling.errors import DataError, ModelDeckError
from modeling.templates import weighted_ngrams
from modeling.training.encoder_fit import FitResult
from modeling.training.progress import Progress

#: Regularisation strengths tried (scikit-learn's ``C``: higher trusts the training texts more). The keyword
#: baseline uses 4; on IMDB 2k the validation split chose 16-64 for the weighted features.
C_GRID = (1.0, 4.0, 16.0, 64.0)
#: How much the naive-Bayes ratios count in the term weights (0: plain sublinear TF-IDF, the keyword
#: baseline's features). Both are tried and the validation texts choose: the ratios added 3 points on
#: IMDB's long reviews and cost about 1 on 300 short ones, where they are estimated from too few texts.
NB_SHARES = (0.0, 1.0)
#: Used when there is no validation split to choose with (the keyword baseline's value).
DEFAULT_C = 4.0
#: Logit given to a class that no training row has, so its probability is ~0 but never NaN.
ABSENT_CLASS_LOGIT = -30.0


@dataclass
class LinearFit:
    """A fitted softmax regression, as the kernel and bias of a Keras ``Dense`` layer, with its scores."""

    kernel: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)
    C: float
    scores: dict[str, float]

    def logits(self, x: Any) -> np.ndarray:
        return np.asarray(x @ self.kernel) + self.bias


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def loss_and_accuracy(log_probs: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of log-probabilities, the figures Keras logs per epoch."""
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) == 0:
        return float("nan"), float("nan")
    loss = float(-log_probs[np.arange(len(labels)), labels].mean())
    return loss, float((log_probs.argmax(axis=1) == labels).mean())


def _as_dense_layer(clf: Any, num_classes: int, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's coefficients as a softmax layer: two classes become logits ``[0, z]``."""
    kernel = np.zeros((n_features, num_classes), dtype=np.float32)
    bias = np.full(num_classes, ABSENT_CLASS_LOGIT, dtype=np.float32)
    classes = clf.classes_.astype(int)
    if len(classes) == 2:
        kernel[:, classes[1]] = clf.coef_[0]
        bias[classes[0]], bias[classes[1]] = 0.0, clf.intercept_[0]
    else:
        kernel[:, classes] = clf.coef_.T
        bias[classes] = clf.intercept_
    return kernel, bias


def fit_softmax_regression(
    x: Any,
    y: np.ndarray,
    num_classes: int,
    x_val: Any = None,
    y_val: np.ndarray | None = None,
    grid: tuple[float, ...] = C_GRID,
    cancel: threading.Event | None = None,
    on_step: Any = None,
) -> LinearFit | None:
    """Logistic regressions for each ``C`` in ``grid``; the lowest validation log-loss wins (ties: fewer errors).

    Without validation rows the keyword baseline's ``C`` is used. ``cancel`` is checked between fits;
    ``None`` is returned when it was set before the first fit finished. ``on_step(i, total)`` reports progress.
    """
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(y, dtype=np.int64)
    if len(np.unique(y)) < 2:
        raise DataError("The training rows hold a single class: a classifier needs at least two. Add rows.")
    has_val = x_val is not None and y_val is not None and len(y_val) > 0
    grid = grid if has_val else (DEFAULT_C,)
    best: LinearFit | None = None
    best_key: tuple[float, float] | None = None
    for i, c in enumerate(grid):
        if cancel is not None and cancel.is_set():
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "did not converge" within max_iter: the weights are still usable
            clf = LogisticRegression(C=c, max_iter=1000).fit(x, y)
        kernel, bias = _as_dense_layer(clf, num_classes, x.shape[1])
        fit = LinearFit(kernel, bias, float(c), {})
        fit.scores["loss"], fit.scores["accuracy"] = loss_and_accuracy(log_softmax(fit.logits(x)), y)
        key = (0.0, 0.0)
        if has_val:
            val_loss, val_accuracy = loss_and_accuracy(log_softmax(fit.logits(x_val)), y_val)  # type: ignore[arg-type]
            fit.scores["val_loss"], fit.scores["val_accuracy"] = val_loss, val_accuracy
            key = (val_loss, -val_accuracy)
        if best is None or key < best_key:  # type: ignore[operator]
            best, best_key = fit, key
        if on_step is not None:
            on_step(i + 1, len(grid))
    return best


@dataclass
class KeywordPart:
    """The fitted keyword half: the counter (vocabulary), term weights and the regression on their features."""

    counter: Any
    weights: np.ndarray
    fit: LinearFit
    features_validation: Any

    def features(self, texts: Any) -> Any:
        """The weighted unit-length term rows of ``texts`` (SciPy sparse), what the model's features compute."""
        return weighted_ngrams.weigh(weighted_ngrams.count_matrix(self.counter, texts), self.weights)


def fit_keyword_part(
    settings: Any, train: Any, validation: Any, progress: Progress, cancel: threading.Event
) -> KeywordPart | None:
    """Vocabulary, term weights and regression for the weighted n-grams; ``None`` if stopped before any fit.

    Both term weightings in :data:`NB_SHARES` are tried with every strength in :data:`C_GRID`; the lowest
    validation log-loss wins. Without validation rows: plain TF-IDF with the keyword baseline's strength.
    """
    texts = np.asarray(train.texts, dtype=str)
    num_classes = len(train.class_names)
    progress.update(phase=f"Learning the vocabulary of {len(texts):,} training texts")
    counter, counts = weighted_ngrams.prepared_counter(settings.max_tokens, texts)
    has_val = validation is not None and len(validation) > 0
    val_counts = weighted_ngrams.count_matrix(counter, validation.texts) if has_val else None
    y_val = validation.labels if has_val else None
    shares = NB_SHARES if has_val else (0.0,)
    total = len(shares) * (len(C_GRID) if has_val else 1)
    progress.update(steps=total, step=0)
    best: KeywordPart | None = None
    for k, share in enumerate(shares):
        weights = weighted_ngrams.term_weights(counts, train.labels, num_classes, nb_share=share)
        x = weighted_ngrams.weigh(counts, weights)
        x_val = weighted_ngrams.weigh(val_counts, weights) if has_val else None

        def step(done: int, _: int, offset: int = k * len(C_GRID)) -> None:
            progress.update(step=offset + done, phase=f"Fitting the keyword weights ({offset + done} of {total} tried)")

        fit = fit_softmax_regression(x, train.labels, num_classes, x_val, y_val, cancel=cancel, on_step=step)
        if fit is None:
            break
        fit.scores["nb_share"] = share
        if best is None or _validation_key(fit) < _validation_key(best.fit):
            best = KeywordPart(counter, weights, fit, x_val)
    return best


def _validation_key(fit: LinearFit) -> tuple[float, float]:
    return (fit.scores.get("val_loss", 0.0), -fit.scores.get("val_accuracy", 0.0))


def history_point(scores: dict[str, float]) -> dict[str, list[float]]:
    """The fitted model's figures as a one-point history (it has no epochs; the charts show one point)."""
    keys = ("loss", "accuracy", "val_loss", "val_accuracy")  # nb_share and C are reported, not charted
    return {k: [float(scores[k])] for k in keys if k in scores and np.isfinite(scores[k])}


def fit(config: Any, train: Any, validation: Any, progress: Any = None, cancel: threading.Event | None = None):
    """The ``ngram_nb`` template's training: returns a :class:`~modeling.training.encoder_fit.FitResult`."""
    from modeling.training.fit import TrainingOutcome

    progress = progress or Progress(1)
    cancel = cancel or threading.Event()
    progress.update(epochs=1, unit="steps")
    part = fit_keyword_part(config.settings, train, validation, progress, cancel)
    if part is None:
        raise ModelDeckError("Stopped before the keyword weights were fitted: there is no model to keep.")
    model = weighted_ngrams.assemble(part.counter, len(train.class_names), part.weights)
    model.get_layer("probabilities").set_weights([part.fit.kernel, part.fit.bias])
    history = history_point(part.fit.scores)
    progress.add_epoch({k: v[0] for k, v in history.items()})
    outcome = TrainingOutcome(history, stopped_by_user=cancel.is_set(), best_epoch=1, epochs_run=1)
    return FitResult(model, outcome, None)


def estimate_search_seconds(dataset: Any, config: Any) -> float:
    """Seconds the model search should allow: counting the words twice plus a few regressions.

    Measured on a 2-core CPU: about 5 s for IMDB 2k (230 words a text) and 2 s for 500 short reviews.
    """
    texts = dataset.texts if dataset.texts is not None else np.array([], dtype=str)
    sample = texts[:500]
    words = float(np.mean([len(str(t).split()) or len(str(t)) / 2 for t in sample])) if len(sample) else 0.0
    return 2.0 + 8.0 * len(texts) * words / 1e6
