"""The plain-Python text preparation equals Keras's own TextVectorization layer, text by text.

Text models read numbers; the texts are turned into them by :class:`~modeling.templates.text_prep.Ngrams`
(in the app, on every Keras backend, and shipped in every export as ``tokenizer.py``). Runs saved before that
carry a TextVectorization layer inside, and their exports ship the same twin, so the twin must equal the layer:
checked for multi-hot n-grams (``ngram_bag``), padded word ids (``embedding_bag``) and term counts
(``ngram_nb``), on every text of both review samples (English by words, Chinese by characters) plus tricky ones,
with the vocabulary learnt both by ``TextVectorization.adapt`` and by :func:`learn_vocabulary`.
"""

from __future__ import annotations

import numpy as np
import pytest

from modeling.data.samples import REVIEWS_PATH, REVIEWS_ZH_PATH, reviews_from_file
from modeling.export.models import in_graph_tokens, tokenizer_spec
from modeling.templates.text_prep import Ngrams, TextPreparation, learn_vocabulary, preparation_of

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

LAYERS = {  # what each text template's preparation is, as TextVectorization options
    "ngram_bag": {"output_mode": "multi_hot", "ngrams": 2, "max_tokens": 5000},
    "embedding_bag": {"output_mode": "int", "output_sequence_length": 40, "max_tokens": 3000},
    "ngram_nb": {"output_mode": "count", "ngrams": 2, "max_tokens": 8000},
}


def _texts(path) -> list[str]:
    data = reviews_from_file(path, key="reviews" if path == REVIEWS_PATH else "reviews_zh")
    return [str(t) for t in data.texts.tolist()]


def _layer(options: dict, split: str, texts: list[str]):
    import keras

    layer = keras.layers.TextVectorization(split=split, **options)
    layer.adapt(np.asarray(texts, dtype=object))
    return layer


@pytest.mark.parametrize("template", sorted(LAYERS))
@pytest.mark.parametrize("path", [REVIEWS_PATH, REVIEWS_ZH_PATH], ids=["english", "chinese"])
def test_twin_equals_the_layer_on_every_sample_text(template, path):
    split = "character" if path == REVIEWS_ZH_PATH else "whitespace"
    train = _texts(path)
    layer = _layer(LAYERS[template], split, train)
    spec = tokenizer_spec(layer)
    texts = [*train, *TRICKY]
    twin = Ngrams(spec)(texts)
    graph = in_graph_tokens(layer, texts)
    assert twin.shape == graph.shape
    differing = [texts[i] for i in np.flatnonzero((twin != graph.astype(twin.dtype)).any(axis=1))]
    assert differing == []


@pytest.mark.parametrize("template", sorted(LAYERS))
@pytest.mark.parametrize("path", [REVIEWS_PATH, REVIEWS_ZH_PATH], ids=["english", "chinese"])
def test_learnt_vocabulary_is_the_one_adapt_learns(template, path):
    """So a model trained on any backend (no TensorFlow to adapt a layer) reads the same columns."""
    options = LAYERS[template]
    split = "character" if path == REVIEWS_ZH_PATH else "whitespace"
    train = _texts(path)
    layer = _layer(options, split, train)
    ngrams = list(range(1, options.get("ngrams", 1) + 1)) if options.get("ngrams") else []
    learnt = learn_vocabulary(
        train, options["max_tokens"], output_mode=options["output_mode"], split=split, ngrams=ngrams
    )
    assert learnt == [str(term) for term in layer.get_vocabulary()]


def test_sparse_training_rows_equal_the_dense_ones():
    texts = [*_texts(REVIEWS_PATH)[:200], *TRICKY]
    for mode in ("multi_hot", "count"):
        vocabulary = learn_vocabulary(texts, 2000, output_mode=mode, ngrams=[1, 2])
        tokenizer = Ngrams({"output_mode": mode, "ngrams": [1, 2], "vocabulary": vocabulary})
        assert np.array_equal(tokenizer.sparse(texts).toarray(), tokenizer(texts))
    assert tokenizer(["good good good"]).max() == 3.0  # counts, not marks


@pytest.mark.parametrize("template", sorted(LAYERS))
def test_a_built_text_model_reads_numbers_and_carries_its_preparation(template, tmp_path):
    """Every text template's model takes the prepared numbers; the preparation round-trips through its file."""
    from modeling.config import ExperimentConfig, template_settings
    from modeling.templates import build_model

    data = reviews_from_file(REVIEWS_PATH, key="reviews")
    config = ExperimentConfig(task="text_classification", template=template, settings=template_settings(template))
    model = build_model(config, data)
    preparation = preparation_of(model)
    assert preparation is not None
    texts = [*data.texts[:20].tolist(), *TRICKY]
    numbers = preparation(texts)
    probabilities = np.asarray(model(numbers, training=False))
    assert probabilities.shape == (len(texts), len(data.class_names))
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    preparation.save(tmp_path / "prep.json")
    again = TextPreparation.load(tmp_path / "prep.json")(texts)
    assert np.array_equal(again, numbers)


def test_ascii_rules_match_tensorflow():
    spec = {
        "standardize": "lower_and_strip_punctuation",
        "split": "whitespace",
        "ngrams": [1, 2],
        "output_mode": "multi_hot",
        "vocabulary": ["[UNK]", "école", "don't", "dont", "not good"],
    }
    tokens = Ngrams(spec).tokens("ÉCOLE Don't  NOT good")
    assert tokens[:4] == ["École", "dont", "not", "good"]  # only A-Z is lower-cased, as tf.strings.lower does
    assert "not good" in tokens


def test_a_newer_or_damaged_preparation_is_refused_with_a_sentence(tmp_path):
    (tmp_path / "p.json").write_text('{"format": 99, "inputs": [{"name": "x"}]}', encoding="utf-8")
    with pytest.raises(ValueError, match="newer ModelDeck, or is damaged"):
        TextPreparation.load(tmp_path / "p.json")
