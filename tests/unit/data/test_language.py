"""Texts without spaces between words (Chinese, Japanese) train and predict sensibly."""

from __future__ import annotations

import numpy as np
import pytest

from modeling.data.language import cjk_share, reads_characters
from modeling.data.samples import load_sample, sample_status


def test_cjk_share_tells_scripts_apart():
    assert cjk_share(["The product was great", "Terrible, broke in a week"]) == 0.0
    assert cjk_share(["质量很好，非常满意。", "太差了"]) == 1.0
    assert reads_characters(["とても良い商品でした", "二度と買いません"])  # Japanese kana and kanji
    assert not reads_characters(["I loved it 很好"])  # mostly English
    assert cjk_share([]) == 0.0 and cjk_share(["123 !!!"]) == 0.0


def test_chinese_sample_is_shipped_balanced_and_varied():
    assert sample_status("reviews_zh") == (True, "")
    ds = load_sample("reviews_zh")
    assert ds.source == "sample:reviews_zh" and ds.name == "Chinese reviews"
    assert len(ds) >= 220 and ds.class_names == ["negative", "positive"]
    counts = ds.class_counts()
    assert counts["negative"] == counts["positive"]
    assert len(set(ds.texts)) == len(ds)  # no duplicates
    assert reads_characters(ds.texts)
    joined = "".join(ds.texts)
    assert "不好" in joined and "不错" in joined  # negation both ways


@pytest.mark.parametrize("template", ["ngram_bag", "embedding_bag", "conv1d"])
def test_text_templates_read_chinese_character_by_character(template):
    from modeling.config import default_config
    from modeling.templates import build_model

    ds = load_sample("reviews_zh")
    cfg = default_config("text_classification", source="sample:reviews_zh", template=template)
    from modeling.templates.text_prep import preparation_of

    model = build_model(cfg, ds)
    tokenizer = preparation_of(model).tokenizer()
    assert tokenizer.split == "character"
    vocabulary = tokenizer.vocabulary
    assert "差" in vocabulary and "好" in vocabulary
    if template == "ngram_bag":
        assert "不 好" in vocabulary or "不 错" in vocabulary  # character pairs
    english = build_model(cfg.model_copy(update={"template": template}), _english())
    assert preparation_of(english).tokenizer().split == "whitespace"


def _english():
    from tests.conftest import make_text_dataset

    return make_text_dataset(40)


@pytest.mark.parametrize("template", ["ngram_bag", "conv1d"])
def test_chinese_reviews_train_save_and_predict(template):
    from modeling.config import default_config
    from modeling.runs.loading import load_predictor
    from modeling.runs.store import default_store
    from modeling.training.experiment import run_experiment

    ds = load_sample("reviews_zh")
    cfg = default_config("text_classification", source="sample:reviews_zh", template=template)
    store = default_store()
    run = store.load(run_experiment(cfg, ds, store=store).name)
    evaluation = run.evaluation
    assert evaluation["model"]["accuracy"] > 0.65  # chance is 0.5; about 0.7-0.84 measured
    assert evaluation["baselines"]["logistic"]["accuracy"] > 0.7  # the baseline reads characters too
    predictor = load_predictor(run)  # loads with safe_mode=True
    probs = predictor.predict(["质量很好，非常满意，推荐购买。", "太差了，用了两天就坏了，不推荐。"])
    assert np.argmax(probs, axis=1).tolist() == [1, 0]


@pytest.mark.parametrize("template", ["ngram_bag", "embedding_bag"])
def test_words_with_odd_line_breaks_do_not_break_saving(template, tmp_path):
    """IMDB writes '…' as '\\x85', which Python splits lines on: the saved vocabulary must still load."""
    from modeling.config import default_config
    from modeling.data.dataset import Dataset
    from modeling.runs.keras_file import load_bundle_model
    from modeling.templates import build_model

    texts = [f"great film\x85really is{i % 3} good" if i % 2 else f"bad\u2028plot is{i % 3}\x1cdull" for i in range(40)]
    ds = Dataset(kind="text", name="odd", labels=np.arange(40) % 2, class_names=["neg", "pos"], texts=np.array(texts))
    cfg = default_config("text_classification", source="test", template=template)
    from modeling.runs.keras_file import save_text_preparation
    from modeling.templates.text_prep import preparation_of

    model = build_model(cfg, ds)
    save_text_preparation(model, tmp_path)
    model.save(tmp_path / "model.keras")
    loaded = load_bundle_model(tmp_path / "model.keras")
    vocabulary = preparation_of(loaded).tokenizer().vocabulary
    assert len(vocabulary) == len(set(vocabulary)) and vocabulary == preparation_of(model).tokenizer().vocabulary
    assert any("\x85" in term for term in vocabulary)  # the odd character survived the file
