"""Weighted keyword n-grams (``ngram_nb``): term weights, the registered layer, exact fitting, safe saving."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
import scipy.sparse as sp

from modeling.config import default_config
from modeling.errors import ModelDeckError
from modeling.runs.store import RunStore
from modeling.templates import weighted_ngrams
from modeling.training import keywords_fit
from modeling.training.experiment import run_experiment
from modeling.training.splits import split
from tests.conftest import make_text_dataset


def test_term_weights_favour_words_that_separate_the_classes():
    # columns: [UNK], "great" (only in class 1), "the" (everywhere), "bad" (only in class 0)
    counts = sp.csr_matrix(np.array([[0, 1, 1, 0], [0, 2, 1, 0], [0, 0, 1, 1], [3, 0, 1, 1]], dtype=np.float32))
    labels = np.array([1, 1, 0, 0])
    weights = weighted_ngrams.term_weights(counts, labels, 2)
    assert weights[0] == 0.0  # unknown words say nothing
    assert weights[1] > weights[2] and weights[3] > weights[2]
    assert weights[1] == pytest.approx(weights[3])  # equally telling, one for each class
    plain = weighted_ngrams.term_weights(counts, labels, 2, nb_share=0.0)
    np.testing.assert_allclose(plain[[1, 3]], np.log(5 / 3) + 1.0, rtol=1e-6)  # idf: in 2 of 4 texts
    assert plain[2] == pytest.approx(1.0)  # in every text: idf 1


def test_the_layer_computes_what_the_fitting_code_computes_and_saves_its_weights(tmp_path):
    import keras

    from modeling.templates.layers import TermWeighting

    rng = np.random.default_rng(0)
    counts = rng.integers(0, 4, size=(6, 9)).astype(np.float32)
    counts[5] = 0.0  # an empty text stays all zeros, never NaN
    weights = rng.uniform(0.0, 3.0, size=9).astype(np.float32)
    layer = TermWeighting(9)
    layer.set_term_weights(weights)
    out = keras.ops.convert_to_numpy(layer(counts))
    np.testing.assert_allclose(out, weighted_ngrams.weigh(sp.csr_matrix(counts), weights).toarray(), atol=1e-6)
    assert np.isfinite(out).all() and not out[5].any()

    inputs = keras.Input((9,))
    model = keras.Model(inputs, TermWeighting(9, name="w")(inputs))
    model.get_layer("w").set_term_weights(weights)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(counts)), out, atol=1e-6)
    with pytest.raises(ValueError, match="expected 9 term weights"):
        layer.set_term_weights(weights[:3])
    with pytest.raises(ValueError, match="finite"):
        layer.set_term_weights(np.full(9, np.nan))


def test_the_vocabulary_drops_rare_terms_and_single_letters_but_not_characters_of_cjk():
    texts = np.array(["a great film", "a great plot", "I hated it", "hated the film", "once only"] * 12)
    counter, counts = weighted_ngrams.prepared_counter(1000, texts)
    vocabulary = counter.vocabulary
    assert vocabulary[0] == "[UNK]" and "great" in vocabulary and "hated" in vocabulary
    assert "a" not in vocabulary and "a great" not in vocabulary and "i" not in vocabulary
    assert counts.shape == (len(texts), len(vocabulary))
    # The pruned counter counts every term as the first pass did; only [UNK] (column 0, weight 0) differs.
    recount = weighted_ngrams.count_matrix(counter, texts).toarray()
    np.testing.assert_array_equal(counts.toarray()[:, 1:], recount[:, 1:])
    np.testing.assert_array_equal(counter(list(texts)), recount)  # dense rows (an export) == sparse rows (training)
    json.dumps(counter.spec())  # ships as JSON next to the model

    few = np.array(["unique words here", "every one once"])  # under 50 texts: rare terms stay
    counter, _ = weighted_ngrams.prepared_counter(1000, few)
    assert "unique" in counter.vocabulary
    zh = np.array(["这个很好", "质量太差", "很好用"] * 20)
    counter, _ = weighted_ngrams.prepared_counter(1000, zh)
    assert counter.split == "character" and "好" in counter.vocabulary  # one character is a whole term in Chinese


def test_ngram_nb_trains_exactly_and_the_saved_model_reproduces_its_evaluation(tmp_path):
    import keras

    from modeling.runs.keras_file import load_bundle_model
    from modeling.runs.loading import load_predictor
    from modeling.templates.inference import predict_probabilities

    store = RunStore(tmp_path, starters=None)
    ds = make_text_dataset(200, seed=2)
    cfg = default_config("text_classification", "test", template="ngram_nb")
    run = store.load(run_experiment(cfg, ds, store=store).name)
    assert run.evaluation["model"]["accuracy"] >= run.evaluation["baselines"]["logistic"]["accuracy"]
    assert run.evaluation["model"]["accuracy"] > 0.95
    assert set(run.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 1 for v in run.history.values())  # fitted in one step: one point, no epochs

    keras.saving.load_model(run.path / "model.keras", compile=False, safe_mode=True)  # plain Keras, safe mode
    model = load_bundle_model(run.path / "model.keras")  # with its counter attached
    assert "term_weighting" in {layer.name for layer in model.get_layer("keyword_features").layers}
    assert model.inputs[0].dtype == "float32"  # term counts in: no string operation inside the model
    _, _, test = split(ds, cfg)
    saved = np.load(run.path / "predictions.npz", allow_pickle=False)
    np.testing.assert_allclose(predict_probabilities(model, test), saved["test_probs"], atol=1e-5)
    assert load_predictor(run).predict_one("terrible, broken, awful").label == "negative"


def test_regression_fit_chooses_on_validation_and_handles_stop():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 5))
    y = (x[:, 0] > 0).astype(int)
    fit = keywords_fit.fit_softmax_regression(x, y, 3, x[:20], y[:20])
    assert fit is not None and fit.C in keywords_fit.C_GRID
    assert fit.kernel.shape == (5, 3) and fit.bias[2] == keywords_fit.ABSENT_CLASS_LOGIT  # class 2 never seen
    probs = np.exp(keywords_fit.log_softmax(fit.logits(x)))
    assert (probs.argmax(1) == y).mean() > 0.9 and probs[:, 2].max() < 1e-6
    no_val = keywords_fit.fit_softmax_regression(x, y, 2)
    assert no_val.C == keywords_fit.DEFAULT_C
    stopped = threading.Event()
    stopped.set()
    assert keywords_fit.fit_softmax_regression(x, y, 2, x, y, cancel=stopped) is None


def test_stop_before_fitting_keeps_no_model():
    ds = make_text_dataset(60)
    cfg = default_config("text_classification", "test", template="ngram_nb")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ModelDeckError, match="no model to keep"):
        keywords_fit.fit(cfg, ds, ds.subset(np.arange(10)), cancel=cancel)
