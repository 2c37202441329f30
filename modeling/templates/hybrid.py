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

The saved model reads numbers (term counts and word-piece ids, made by its attached text preparation) and
answers probabilities; it is built from ModelDeck's registered layers and Keras built-ins only (Dense,
Activation, Rescaling, Add), so it loads with ``safe_mode=True`` on every Keras backend.
"""

from __future__ import annotations

from typing import Any

from modeling.data.dataset import Dataset
from modeling.templates import weighted_ngrams
from modeling.templates.minilm.encoder import TOKENS_INPUT, build_encoder, windows_for, word_pieces

NAME = "minilm_ngrams"


def assemble(
    encoder: Any, counter: Any, tokenizer: Any, num_classes: int, keyword_share: float = 0.5, term_weights: Any = None
) -> Any:
    """Both inputs -> both halves -> their weighted log-probabilities -> class probabilities.

    The model reads two inputs, by name: ``term_counts`` (``counter``'s counts of words and word pairs) and
    ``token_ids`` (``tokenizer``'s word-piece windows); both tokenizers are attached as its text preparation.
    ``keyword_share`` is ``w`` above (0..1) and ``term_weights`` the fitted weight of each term. The two
    ``Dense`` layers are named ``keyword_logits`` and ``encoder_logits``; the fitted coefficients are written
    into them after assembling.
    """
    import keras
    from keras import layers

    from modeling.templates.text_prep import TextPreparation, attach

    if not 0.0 <= keyword_share <= 1.0:
        raise ValueError(f"keyword_share must be between 0 and 1, got {keyword_share}")
    counts = keras.Input(shape=(len(counter.vocabulary),), dtype="float32", name=weighted_ngrams.COUNTS_INPUT)
    ids = keras.Input(shape=(None, None), dtype="int32", name=TOKENS_INPUT)
    features = weighted_ngrams.feature_model(len(counter.vocabulary), term_weights)
    keyword = weighted_ngrams.linear_layer(num_classes, "keyword_logits", activation=None)(features(counts))
    sentence = weighted_ngrams.linear_layer(num_classes, "encoder_logits", activation=None)(encoder(ids))
    keyword = layers.Activation("log_softmax", name="keyword_log_probabilities")(keyword)
    sentence = layers.Activation("log_softmax", name="encoder_log_probabilities")(sentence)
    keyword = layers.Rescaling(float(keyword_share), name="keyword_share")(keyword)
    sentence = layers.Rescaling(float(1.0 - keyword_share), name="encoder_share")(sentence)
    combined = layers.Add(name="both_opinions")([keyword, sentence])
    outputs = layers.Activation("softmax", dtype="float32", name="probabilities")(combined)
    model = keras.Model({weighted_ngrams.COUNTS_INPUT: counts, TOKENS_INPUT: ids}, outputs, name=NAME)
    preparation = TextPreparation([(weighted_ngrams.COUNTS_INPUT, counter), (TOKENS_INPUT, tokenizer)])
    return attach(model, preparation)


def minilm_ngrams(settings: Any, train: Dataset) -> Any:
    """The registry's builder: the untrained model (for the Model page's size; training fits it)."""
    from modeling.templates.text import texts_and_classes

    texts, num_classes = texts_and_classes(train)
    counter, _ = weighted_ngrams.prepared_counter(settings.max_tokens, texts)
    encoder = build_encoder()
    encoder.trainable = False
    return assemble(encoder, counter, word_pieces(windows_for(settings)), num_classes)
