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
    vocabulary, backbone = minilm.load_parts()
    assert backbone.hidden_dim == minilm.EMBED_DIM
    assert len(vocabulary) == 30522 and vocabulary[:1] == ["[PAD]"]


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
    import keras

    from modeling.templates.layers import TokenEncoder
    from modeling.templates.text_prep import WordPieces

    vocabulary, backbone = minilm.load_parts()
    two = WordPieces({"vocabulary": vocabulary, "window": 16, "max_windows": 2})
    encoder = TokenEncoder(backbone, normalize=False)
    first, second = " ".join(["good"] * 14), "bad movie"  # 14 pieces fill one 16-token window exactly
    ids = two([first, second, f"{first} {second}"])
    assert ids.shape == (3, 2, 16) and (ids[:2, 1] == 0).all()  # the short texts' second window is all padding
    a, b, both = keras.ops.convert_to_numpy(encoder(ids))
    # Token-weighted mean over the windows: 16 tokens in the first, 2 pieces + [CLS] + [SEP] in the second.
    np.testing.assert_allclose(both, (16 * a + 4 * b) / 20, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(encoder(two([first])))[0], a, atol=1e-5)  # no padding
    one = WordPieces({"vocabulary": vocabulary, "window": 16, "max_windows": 1})
    np.testing.assert_allclose(keras.ops.convert_to_numpy(encoder(one([f"{first} {second}"])))[0], a, atol=1e-5)


@needs_encoder
def test_word_pieces_are_keras_hubs_on_tricky_texts():
    """ModelDeck's plain-Python word pieces give Keras Hub's ids (measured equal on every review and IMDB text)."""
    import keras_hub

    texts = [
        "ÉCOLE Äpfel ПРИВЕТ straße — «quoted» don't STOP!!!",
        "tabs\tand\nnew lines\r\nand\x0bvertical\x0cfeed, non\u00a0breaking",
        "emoji 😀👍🏽 and ZWJ 👩‍💻, ﬁne Ⅻ ＡＢＣ soft\u00adhyphen zero\u200bwidth 这部电影很好",
        "",
        "x" * 150,
        "The café's crème brûlée: unbelievably good!!",
    ]
    tokenizer = keras_hub.models.BertTokenizer.from_preset(str(minilm.local_model_dir()))
    expected = [list(np.asarray(tokenizer(text))) for text in texts]
    ours = minilm.word_pieces(4)
    assert [ours.pieces(text) for text in texts] == expected


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
    from modeling.runs.keras_file import load_bundle_model, save_text_preparation
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
    save_text_preparation(result.model, tmp_path)
    result.model.save(path)
    keras.saving.load_model(path, compile=False, safe_mode=True)  # plain Keras, safe mode
    loaded = load_bundle_model(path)  # with its word pieces attached
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
