"""Two baselines that give the model's accuracy a meaning, scored on the same test split.

"Always answer the most common label" is the floor any model must beat; a linear model on keywords or
pixels (TF-IDF + logistic regression for text, raw pixels for images) is what you get in seconds without
deep learning. A model that cannot beat the second one is not worth its training time, and the summary
says so. scikit-learn is imported inside the functions: importing this module must stay cheap.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from modeling.data.dataset import Dataset
from modeling.data.language import reads_characters
from modeling.errors import DataError
from modeling.evaluation.metrics import compute_metrics

#: Above this many training images the pixel baseline trains on a seeded random subset, to stay fast.
MAX_BASELINE_IMAGES = 20_000
#: Pixel features above this (e.g. 32 x 32 x 3) are block-averaged down, so the baseline stays small.
MAX_PIXEL_FEATURES = 3_072
#: Below this many training texts a word must appear once (not twice) to enter the keyword vocabulary.
SMALL_TEXT_SET = 50

MAJORITY_TITLE = "Always the majority class"
TEXT_LOGISTIC_TITLE = "Keyword model (logistic regression)"
IMAGE_LOGISTIC_TITLE = "Pixel model (logistic regression)"


def baseline_metrics(train: Dataset, test: Dataset, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Score two simple models on the test set, so the trained model's accuracy has something to beat.

    ``majority`` always answers the most frequent training class (with probability 1). ``logistic`` is a
    logistic regression on TF-IDF word and word-pair features (text) or on raw pixels scaled to 0..1
    (images; at most 20,000 training images, seeded, and block-averaged when large, so it takes seconds).
    Each entry is ``compute_metrics`` on the test set plus ``title`` (a short name for charts),
    ``description`` (one sentence for people) and ``train_seconds``; ``majority`` also names the class it
    always answers in ``always_answers``.
    """
    if list(train.class_names) != list(test.class_names):
        raise DataError("The training and test sets use different class lists; split them from one dataset.")
    if _linear(train) is not _linear(test):
        raise DataError("The training and test sets hold different kinds of data (text vs images).")
    if len(train) == 0:
        raise DataError("The training set is empty, so no baseline can be trained; use a smaller test share.")
    class_names = list(test.class_names)
    k = len(class_names)

    start = time.perf_counter()
    counts = np.bincount(train.labels, minlength=k)
    top = int(counts.argmax())
    majority_probs = np.zeros((len(test), k))
    majority_probs[:, top] = 1.0
    majority_seconds = time.perf_counter() - start
    majority = compute_metrics(test.labels, majority_probs, class_names)
    majority.update(
        title=MAJORITY_TITLE,
        description=f"Always answers '{class_names[top]}', the most common label",
        always_answers=class_names[top],
        train_seconds=round(majority_seconds, 4),
    )

    start = time.perf_counter()
    probs, title, description = _logistic_probs(train, test, k, seed)
    logistic_seconds = time.perf_counter() - start
    logistic = compute_metrics(test.labels, majority_probs if probs is None else probs, class_names)
    logistic.update(title=title, description=description, train_seconds=round(logistic_seconds, 4))
    return {"majority": majority, "logistic": logistic}


@dataclass(frozen=True)
class LinearBaseline:
    """The simple linear model of one kind of data: its name, and how it turns examples into features."""

    title: str
    #: ``(train, test, seed)`` -> ``(x_train, x_test, y_train, classifier, description)``, or a string saying why
    #: it could not be fitted (the majority stands in).
    features: Callable[[Dataset, Dataset, int], tuple[Any, Any, np.ndarray, Any, str] | str]


def _keyword_features(train: Dataset, test: Dataset, seed: int) -> tuple[Any, Any, np.ndarray, Any, str] | str:
    from sklearn.linear_model import LogisticRegression

    x_train, x_test, vocab = _tfidf(train.texts, test.texts)  # type: ignore[arg-type]
    if x_train is None:
        return "Could not be trained: the texts contain no usable words, so it equals the majority"
    units = "character and character-pair" if reads_characters(train.texts[:2000]) else "word and word-pair"  # type: ignore[index]
    description = (
        f"Logistic regression on {units} frequencies (TF-IDF, {vocab:,} features): a strong, fast keyword model"
    )
    return x_train, x_test, train.labels, LogisticRegression(C=4.0, max_iter=1000), description


def _pixel_features(train: Dataset, test: Dataset, seed: int) -> tuple[Any, Any, np.ndarray, Any, str] | str:
    from sklearn.linear_model import LogisticRegression

    rows = np.arange(len(train))
    if len(rows) > MAX_BASELINE_IMAGES:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAX_BASELINE_IMAGES, replace=False))
    y_train = train.labels[rows]
    if len(np.unique(y_train)) < 2:  # pragma: no cover - a 20,000-image subset always keeps 2 classes
        return "Could not be trained on a single class, so it equals the majority"
    subset = f" (trained on {len(rows):,} of {len(train):,} images)" if len(rows) < len(train) else ""
    description = f"Logistic regression on raw pixel brightness: a simple pixel model{subset}"
    x_train = pixel_features(train.images[rows])  # type: ignore[index]
    return x_train, pixel_features(test.images), y_train, LogisticRegression(max_iter=200), description  # type: ignore[arg-type]


#: The linear baseline of each kind of data this module scores (tables have their own, in their family's evaluation).
LINEAR_BASELINES: dict[str, LinearBaseline] = {
    "text": LinearBaseline(TEXT_LOGISTIC_TITLE, _keyword_features),
    "image": LinearBaseline(IMAGE_LOGISTIC_TITLE, _pixel_features),
}


def _linear(data: Dataset) -> LinearBaseline:
    try:
        return LINEAR_BASELINES[data.kind]
    except KeyError:
        raise DataError(f"There is no simple baseline for data of kind '{data.kind}' here.") from None


def _logistic_probs(train: Dataset, test: Dataset, k: int, seed: int) -> tuple[np.ndarray | None, str, str]:
    """Fit the linear baseline; ``None`` probabilities mean it could not be fitted and the majority stands in."""
    baseline = _linear(train)
    title = baseline.title
    if len(np.unique(train.labels)) < 2:
        return None, title, "Could not be trained: the training data holds a single class, so it equals the majority"
    fitted_parts = baseline.features(train, test, seed)
    if isinstance(fitted_parts, str):
        return None, title, fitted_parts
    x_train, x_test, y_train, clf, description = fitted_parts
    with warnings.catch_warnings():
        # Not converging fully within max_iter is fine for a baseline; the warning would only alarm users.
        warnings.simplefilter("ignore")
        clf.fit(x_train, y_train)
        fitted = clf.predict_proba(x_test)
    probs = np.zeros((len(test), k))
    probs[:, clf.classes_.astype(int)] = fitted  # classes missing from training keep probability 0
    return probs, title, description


def _tfidf(train_texts: np.ndarray, test_texts: np.ndarray) -> tuple[Any, Any, int]:
    """TF-IDF on 1-2 grams; a word must appear twice unless the set is tiny, where that would leave nothing."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Chinese and Japanese have no spaces between words: characters and character pairs stand in for words.
    analyzer = "char" if reads_characters(train_texts[:2000]) else "word"
    min_dfs = [1] if len(train_texts) < SMALL_TEXT_SET else [2, 1]
    for min_df in min_dfs:
        vectorizer = TfidfVectorizer(
            analyzer=analyzer, ngram_range=(1, 2), min_df=min_df, sublinear_tf=True, max_features=50_000
        )
        try:
            x_train = vectorizer.fit_transform(list(train_texts))
        except ValueError:  # "empty vocabulary": every word was too rare (or there were no words at all)
            continue
        return x_train, vectorizer.transform(list(test_texts)), len(vectorizer.vocabulary_)
    return None, None, 0


def pixel_features(images: np.ndarray) -> np.ndarray:
    """Flatten to 0..1 floats, block-averaging large images first so the baseline's memory stays bounded."""
    n, h, w, c = images.shape
    factor = math.ceil(math.sqrt(h * w * c / MAX_PIXEL_FEATURES))
    x = images.astype(np.float32) / 255.0
    if factor > 1:
        h2, w2 = h // factor, w // factor
        x = x[:, : h2 * factor, : w2 * factor].reshape(n, h2, factor, w2, factor, c).mean(axis=(2, 4))
    return x.reshape(n, -1)
