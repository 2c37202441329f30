"""The ``minilm_ngrams`` template: the pretrained encoder's sentence vectors and weighted keyword n-grams.

Two views of each text, each with its own linear layer:

* the keyword half (:mod:`modeling.templates.weighted_ngrams`): which words and word pairs occur, weighted
  by how strongly they separate the classes; exact and strong on long texts and domain words;
* the encoder half (all-MiniLM-L6-v2, frozen): a sentence vector that knows synonyms, negation and
  phrasing the training texts never showed; strong on short texts and small datasets.

Each half's logistic regression gives class log-probabilities; the model answers with the softmax of
``w * keyword + (1 - w) * encoder``, a weighted product of the two opinions whose weight ``w`` is chosen on
the validation texts when the model is fitted (:mod:`modeling.training.hybrid_fit`). Measured: on IMDB's
long reviews the validation split gave the keywords 0.8-1.0 of the say, on short product reviews 0.2-0.4.

The saved model is string in, probabilities out, built from ModelDeck's registered layers and Keras
built-ins only (Dense, Activation, Rescaling, Add), so it loads with ``safe_mode=True``.
"""

from __future__ import annotations

from typing import Any

from modeling.data.dataset import Dataset
from modeling.templates import weighted_ngrams
from modeling.templates.minilm.encoder import build_encoder, windows_for

NAME = "minilm_ngrams"


def assemble(encoder: Any, keyword_features: Any, num_classes: int, keyword_share: float = 0.5) -> Any:
    """String input -> both halves -> their weighted log-probabilities -> class probabilities.

    ``keyword_share`` is ``w`` above (0..1). The two ``Dense`` layers are named ``keyword_logits`` and
    ``encoder_logits``; the fitted coefficients are written into them after assembling.
    """
    import keras
    from keras import layers

    from modeling.templates.text import string_input

    if not 0.0 <= keyword_share <= 1.0:
        raise ValueError(f"keyword_share must be between 0 and 1, got {keyword_share}")
    inputs = string_input()
    keyword = weighted_ngrams.linear_layer(num_classes, "keyword_logits", activation=None)(keyword_features(inputs))
    sentence = weighted_ngrams.linear_layer(num_classes, "encoder_logits", activation=None)(encoder(inputs))
    keyword = layers.Activation("log_softmax", name="keyword_log_probabilities")(keyword)
    sentence = layers.Activation("log_softmax", name="encoder_log_probabilities")(sentence)
    keyword = layers.Rescaling(float(keyword_share), name="keyword_share")(keyword)
    sentence = layers.Rescaling(float(1.0 - keyword_share), name="encoder_share")(sentence)
    combined = layers.Add(name="both_opinions")([keyword, sentence])
    outputs = layers.Activation("softmax", dtype="float32", name="probabilities")(combined)
    return keras.Model(inputs, outputs, name=NAME)


def minilm_ngrams(settings: Any, train: Dataset) -> Any:
    """The registry's builder: the untrained model (for the Model page's size; training fits it)."""
    from modeling.templates.text import texts_and_classes

    texts, num_classes = texts_and_classes(train)
    vectorizer, _ = weighted_ngrams.prepared_vectorizer(settings.max_tokens, texts)
    encoder = build_encoder(windows_for(settings))
    encoder.trainable = False
    return assemble(encoder, weighted_ngrams.feature_model(vectorizer), num_classes)
