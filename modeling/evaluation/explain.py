"""Why did the model decide so? Word-level explanations for text models, and the baseline's telling words.

:func:`explain_text` uses occlusion: remove one word, ask the model again, and see how much each class's
probability drops. A word whose removal lowers a class's probability pushed towards that class. Every
variant (the full text plus one per word) goes to the model in one batch, so a 60-word text costs one
call with 61 rows. It works for any text model, the pretrained encoder included, because it only needs
probabilities. Texts longer than ``max_words`` are explained in spans of consecutive words, so the whole
text is still covered. Chinese and Japanese, written without spaces, are explained character by character.

:func:`keyword_baseline_top_words` fits the keyword baseline (TF-IDF words and word pairs + logistic
regression, as in :func:`modeling.evaluation.baselines.baseline_metrics`) and returns, per class, the terms whose
weights push most towards it: a plain, global view of what separates the classes in the training data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from modeling.data.language import is_cjk, reads_characters

_PIECES = re.compile(r"\s+|\S+")


@dataclass(frozen=True)
class Piece:
    """A run of the original text: a word (explained) or whitespace (kept as is)."""

    text: str
    is_word: bool


def split_words(text: str) -> list[Piece]:
    """Words and the whitespace between them, so joining the pieces gives back the text exactly.

    In a text that is mostly CJK characters, every CJK character is its own "word" (there are no spaces
    to split on); Latin words inside such a text stay whole.
    """
    cjk = reads_characters([text])
    pieces: list[Piece] = []
    for match in _PIECES.finditer(text):
        chunk = match.group()
        if chunk.isspace():
            pieces.append(Piece(chunk, False))
        elif cjk:
            pieces.extend(Piece(part, True) for part in _cjk_parts(chunk))
        else:
            pieces.append(Piece(chunk, True))
    return pieces


def _cjk_parts(chunk: str) -> list[str]:
    """Each CJK character alone; runs of other letters and digits (a brand, a number) together; punctuation alone."""
    parts: list[str] = []
    run = ""
    for char in chunk:
        if not is_cjk(char) and char.isalnum():
            run += char
            continue
        if run:
            parts.append(run)
            run = ""
        parts.append(char)
    if run:
        parts.append(run)
    return parts


def _spans(pieces: list[Piece], max_words: int) -> list[list[int]]:
    """Indices of word pieces grouped into at most ``max_words`` spans of consecutive words."""
    words = [i for i, p in enumerate(pieces) if p.is_word]
    if not words:
        return []
    size = max(1, math.ceil(len(words) / max(1, max_words)))
    return [words[i : i + size] for i in range(0, len(words), size)]


def explain_text(predictor: Any, text: str, max_words: int = 60) -> list[tuple[str, dict[str, float]]]:
    """(word, {class: weight}) for every word or span of ``text``, in reading order.

    ``weight`` is the class's probability with the full text minus its probability without that word:
    positive means the word pushed towards the class, negative means it pushed away. Whitespace is left
    out; :func:`explained_pieces` keeps it, to redraw the text. An empty text gives an empty list.
    """
    return [(word, weights) for word, weights in explained_pieces(predictor, text, max_words) if weights is not None]


def explained_pieces(predictor: Any, text: str, max_words: int = 60) -> list[tuple[str, dict[str, float] | None]]:
    """The whole text, in order, as (piece, weights): words and spans carry their weights, whitespace ``None``.

    Joining the pieces gives back the text exactly, which is what a page needs to redraw it with highlights.
    """
    pieces = split_words(str(text))
    spans = _spans(pieces, max_words)
    if not spans:
        return [(p.text, None) for p in pieces]
    variants = [str(text)]
    for span in spans:
        drop = set(span)
        variants.append(_join(p.text for i, p in enumerate(pieces) if i not in drop))
    probs = np.asarray(predictor.predict(variants, batch_size=len(variants)), dtype="float64")
    full, without = probs[0], probs[1:]
    names = list(predictor.class_names)
    out: list[tuple[str, dict[str, float] | None]] = []
    position = 0
    for k, span in enumerate(spans):
        while position < span[0]:  # whitespace (and nothing else) before this span
            out.append((pieces[position].text, None))
            position += 1
        words = "".join(pieces[i].text for i in range(span[0], span[-1] + 1))
        weights = {name: float(full[c] - without[k][c]) for c, name in enumerate(names)}
        out.append((words, weights))
        position = span[-1] + 1
    out.extend((p.text, None) for p in pieces[position:])
    return out


def _join(parts: Any) -> str:
    """Rejoin pieces, collapsing the double spaces a removed word leaves behind."""
    return re.sub(r"[ \t]{2,}", " ", "".join(parts)).strip()


def top_words(explanation: Sequence[tuple[str, dict[str, float]]], label: str, k: int = 8) -> list[tuple[str, float]]:
    """The ``k`` words that pushed hardest towards or away from ``label``, strongest first."""
    scored = [(word, weights.get(label, 0.0)) for word, weights in explanation]
    return sorted(scored, key=lambda item: abs(item[1]), reverse=True)[:k]


def keyword_baseline_top_words(train_dataset: Any, k: int = 15) -> dict[str, list[tuple[str, float]]]:
    """Per class, the ``k`` terms of the keyword baseline that push most towards it, with their weights.

    Two classes share one weight vector: large positive weights point to the second class, large
    negative ones to the first (returned with the sign flipped, so every list reads "towards this class").
    Empty lists when the baseline cannot be fitted (a single class, or no usable words).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    names = list(train_dataset.class_names)
    empty: dict[str, list[tuple[str, float]]] = {name: [] for name in names}
    texts = [str(t) for t in train_dataset.texts]
    labels = np.asarray(train_dataset.labels)
    present = np.unique(labels)
    if len(present) < 2 or not texts:
        return empty
    analyzer = "char" if reads_characters(texts[:2000]) else "word"
    vectorizer = TfidfVectorizer(
        analyzer=analyzer, ngram_range=(1, 2), min_df=2 if len(texts) >= 200 else 1, sublinear_tf=True
    )
    try:
        x = vectorizer.fit_transform(texts)
    except ValueError:  # empty vocabulary
        return empty
    clf = LogisticRegression(C=4.0, max_iter=1000).fit(x, labels)
    terms = np.asarray(vectorizer.get_feature_names_out())
    coef = np.asarray(clf.coef_)
    out = dict(empty)
    if coef.shape[0] == 1:
        low, high = int(clf.classes_[0]), int(clf.classes_[1])
        order = np.argsort(coef[0])
        out[names[high]] = [(str(terms[i]), float(coef[0][i])) for i in order[::-1][:k] if coef[0][i] > 0]
        out[names[low]] = [(str(terms[i]), float(-coef[0][i])) for i in order[:k] if coef[0][i] < 0]
        return out
    for row, cls in enumerate(clf.classes_):
        order = np.argsort(coef[row])[::-1][:k]
        out[names[int(cls)]] = [(str(terms[i]), float(coef[row][i])) for i in order if coef[row][i] > 0]
    return out
