"""The pretrained MiniLM template: offline loading, sentence vectors, frozen training, safe save and load."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from modeling.errors import ModelDeckError
from modeling.templates import minilm
from modeling.training import encoder_fit
from tests.conftest import make_text_dataset

AVAILABLE, REASON = minilm.encoder_source(check_hub=False)[0] is not None, minilm.encoder_status()[1]
needs_encoder = pytest.mark.skipif(not AVAILABLE, reason=f"pretrained encoder not installed: {REASON}")


def test_status_says_why_when_the_model_folder_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(minilm.encoder, "_hub_reachable", lambda *a, **k: False)
    ok, reason = minilm.encoder_status(model_dir=tmp_path / "no-such-folder")
    assert not ok
    assert "not available" in reason and "requirements-encoder.txt" in reason
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    ok, reason = minilm.encoder_status(model_dir=tmp_path / "model")
    assert not ok and "model.safetensors" in reason


def test_windows_follow_the_sequence_length():
    from modeling.config import TrainingSettings

    assert minilm.windows_for(TrainingSettings()) == minilm.DEFAULT_WINDOWS == 2
    assert minilm.windows_for(TrainingSettings(sequence_length=16)) == 1
    assert minilm.windows_for(TrainingSettings(sequence_length=2048)) == minilm.MAX_WINDOWS


@needs_encoder
def test_loads_offline_from_the_installed_package():
    preset, reason = minilm.encoder_source(check_hub=False)
    assert preset == str(minilm.local_model_dir())
    assert "offline" in reason
    tokenizer, backbone = minilm.load_parts()
    assert backbone.hidden_dim == minilm.EMBED_DIM
    assert tokenizer.vocabulary_size() == 30522


@needs_encoder
def test_sentence_vectors_are_384_numbers_and_mean_something():
    vectors = minilm.embed(
        ["The film was wonderful.", "I really loved this movie!", "Please find the invoice attached."],
        use_cache=False,
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    similar, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert similar > unrelated + 0.2


@needs_encoder
def test_long_texts_are_read_in_windows_and_pooled_over_all_tokens():
    import tensorflow as tf

    from modeling.templates.layers import SentenceEncoder

    tokenizer, backbone = minilm.load_parts()
    encoder = SentenceEncoder(tokenizer, backbone, window=16, max_windows=2, normalize=False)
    first, second = " ".join(["good"] * 14), "bad movie"  # 14 pieces fill one 16-token window exactly
    a, b, both = (encoder(tf.constant([t])).numpy()[0] for t in (first, second, f"{first} {second}"))
    # Token-weighted mean over the windows: 16 tokens in the first, 2 pieces + [CLS] + [SEP] in the second.
    np.testing.assert_allclose(both, (16 * a + 4 * b) / 20, atol=1e-5)
    cut = SentenceEncoder(tokenizer, backbone, window=16, max_windows=1, normalize=False)
    np.testing.assert_allclose(cut(tf.constant([f"{first} {second}"])).numpy()[0], a, atol=1e-5)


@needs_encoder
def test_embeddings_are_cached_in_memory_and_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELDECK_HOME", str(tmp_path))
    texts = ["cached once", "then reused"]
    first = minilm.embed(texts)
    assert len(list((tmp_path / "cache").glob("minilm-*.npy"))) == 1
    minilm.clear_memory_cache()
    never = lambda *_: pytest.fail("should come from the disk cache")  # noqa: E731
    monkeypatch.setattr(minilm.embeddings, "compiled_encoder", never)
    np.testing.assert_array_equal(minilm.embed(texts), first)


@needs_encoder
def test_frozen_training_learns_and_the_saved_model_gives_identical_answers(tmp_path):
    import keras

    from modeling.config import default_config
    from modeling.runs.keras_file import load_bundle_model
    from modeling.training.splits import split

    ds = make_text_dataset(240, seed=1)
    cfg = default_config("text_classification", source="test")
    cfg.template = "minilm"
    train, validation, test = split(ds, cfg)
    result = encoder_fit.fit(cfg, train, validation)
    fast = result.predict(test)
    assert (fast.argmax(1) == test.labels).mean() > 0.9
    assert result.outcome.epochs_run >= 1 and "val_accuracy" in result.outcome.history

    path = tmp_path / "model.keras"
    result.model.save(path)
    keras.saving.load_model(path, compile=False, safe_mode=True)  # plain Keras, safe mode
    loaded = load_bundle_model(path)
    from modeling.templates.inference import predict_probabilities

    np.testing.assert_allclose(predict_probabilities(loaded, test), fast, atol=1e-5)
    np.testing.assert_allclose(predict_probabilities(result.model, test), fast, atol=1e-5)


@needs_encoder
def test_stop_while_reading_texts_ends_with_a_plain_message():
    from modeling.config import default_config

    ds = make_text_dataset(40, seed=3)
    cfg = default_config("text_classification", source="test")
    cfg.template = "minilm"
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ModelDeckError, match="no model to keep"):
        encoder_fit.fit(cfg, ds, None, cancel=cancel)
