"""The shipped plain-Python tokenizer equals the model's own TextVectorization layer, text by text.

Three layers: multi-hot n-grams (``ngram_bag``), padded word ids (``embedding_bag``) and the term counts of the
weighted keyword model (``ngram_nb``, whose vocabulary has its rare and one-letter terms removed), each on every
text of both review samples (English by words, Chinese by characters) plus a few tricky ones.
"""

from __future__ import annotations

import numpy as np
import pytest

from modeling.config import template_settings
from modeling.data.samples import REVIEWS_PATH, REVIEWS_ZH_PATH, reviews_from_file
from modeling.export.models import find_vectorizer, in_graph_tokens, text_core, tokenizer_spec
from modeling.export.shipped.tokenizer import Tokenizer

TRICKY = [
    "ÉCOLE Äpfel ПРИВЕТ straße — «quoted» don't STOP!!!",
    "tabs\tand\nnew lines\r\nand\x0bvertical\x0cfeed",
    "non\u00a0breaking\u2003spaces\u3000ideographic stay inside words",
    "emoji 😀👍🏽 and ZWJ 👩‍💻 and combining é",
    "   leading and trailing   ",
    "!!!",
    "a",
    "URL http://example.com/a?b=c#d and e-mail x@y.z",
    "不好 不错，很好！",
    "good good good GOOD good. not good, not good at all",
    "很好很好很好 不好不好",
]


def _model(template: str, path):
    from modeling.config import ExperimentConfig
    from modeling.templates import build_model

    data = reviews_from_file(path, key="reviews" if path == REVIEWS_PATH else "reviews_zh")
    config = ExperimentConfig(task="text_classification", template=template, settings=template_settings(template))
    return build_model(config, data), data


@pytest.mark.parametrize("template", ["ngram_bag", "embedding_bag", "ngram_nb"])
@pytest.mark.parametrize("path", [REVIEWS_PATH, REVIEWS_ZH_PATH], ids=["english", "chinese"])
def test_tokenizer_twin_equals_the_layer_on_every_sample_text(template, path):
    model, data = _model(template, path)
    vectorizer = find_vectorizer(model)
    spec = tokenizer_spec(vectorizer)
    if path == REVIEWS_ZH_PATH:
        assert spec["split"] == "character"  # Chinese is read character by character
    texts = [*data.texts.tolist(), *TRICKY]
    twin = Tokenizer(spec)(texts)
    graph = in_graph_tokens(vectorizer, texts)
    assert twin.shape == graph.shape
    differing = [texts[i] for i in np.flatnonzero((twin != graph.astype(twin.dtype)).any(axis=1))]
    assert differing == []


@pytest.mark.parametrize("path", [REVIEWS_PATH, REVIEWS_ZH_PATH], ids=["english", "chinese"])
def test_weighted_keyword_core_after_the_counts_gives_the_whole_model_answers(path):
    """ngram_nb's text layer sits in a sub-model; cut after it, the core (and its ONNX twin) answers the same."""
    import tensorflow as tf

    from modeling.export.models import chain_layers

    model, data = _model("ngram_nb", path)
    assert [type(layer).__name__ for layer in chain_layers(model)] == ["TextVectorization", "TermWeighting", "Dense"]
    weighting = chain_layers(model)[1]
    weighting.set_term_weights(np.random.default_rng(0).uniform(0.0, 6.0, weighting.vocabulary_size))
    spec = tokenizer_spec(find_vectorizer(model))
    assert spec["output_mode"] == "count"
    texts = [*data.texts.tolist(), *TRICKY]
    whole = np.asarray(model(tf.constant(texts), training=False))
    counts = Tokenizer(spec)(texts)
    assert counts.max() >= 3  # repeated words are counted, not just marked
    for for_onnx in (False, True):
        core = text_core(model, for_onnx=for_onnx)
        assert np.abs(whole - np.asarray(core(counts, training=False))).max() < 1e-6
    # The core was rebuilt twice; the model itself still opens into the same chain.
    assert len(chain_layers(model)) == 3


def test_text_core_after_the_tokenizer_gives_the_whole_model_answers():
    import tensorflow as tf

    model, data = _model("embedding_bag", REVIEWS_PATH)
    texts = data.texts[:50].tolist()
    whole = np.asarray(model(tf.constant(texts), training=False))
    core = text_core(model)
    parts = np.asarray(core(Tokenizer(tokenizer_spec(find_vectorizer(model)))(texts), training=False))
    assert np.abs(whole - parts).max() < 1e-6


def test_tokenizer_ascii_rules_match_tensorflow():
    spec = {
        "standardize": "lower_and_strip_punctuation",
        "split": "whitespace",
        "ngrams": [1, 2],
        "output_mode": "multi_hot",
        "vocabulary": ["[UNK]", "école", "don't", "dont", "not good"],
    }
    tokens = Tokenizer(spec).tokens("ÉCOLE Don't  NOT good")
    assert tokens[:4] == ["École", "dont", "not", "good"]  # only A-Z is lower-cased, as tf.strings.lower does
    assert "not good" in tokens
