"""Automatic: the text template follows from the data and the machine, always with a reason, always concrete."""

from __future__ import annotations

import numpy as np
import pytest

from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.errors import DataError
from modeling.templates import automatic
from tests.conftest import make_image_dataset, make_text_dataset

READY = (True, "")
FAST = 5000.0  # word pieces per second


def _never() -> float:
    raise AssertionError("the encoder must not be timed when it cannot be chosen")


def _chinese(n: int = 60) -> Dataset:
    texts = ["这个东西很好用" if i % 2 else "质量太差了不好" for i in range(n)]
    return Dataset(kind="text", name="zh", labels=np.arange(n) % 2, class_names=["neg", "pos"], texts=np.array(texts))


def _long(n: int = 40, words: int = 300) -> Dataset:
    texts = [" ".join(["word"] * words) for _ in range(n)]
    return Dataset(kind="text", name="long", labels=np.arange(n) % 2, class_names=["a", "b"], texts=np.array(texts))


def test_english_texts_get_the_encoder_with_keywords_and_a_reason_with_the_time():
    choice = automatic.choose_text_template(make_text_dataset(200), encoder=READY, read_tokens_per_s=FAST)
    assert choice.template == "minilm_ngrams"
    assert "short texts" in choice.reason and "Reading the texts once takes about" in choice.reason
    assert choice.facts["rows"] == 200 and choice.facts["encoder_seconds"] == pytest.approx(
        200 * (7 * 1.35 + 2) / FAST, abs=0.05
    )
    long_choice = automatic.choose_text_template(_long(), encoder=READY, read_tokens_per_s=FAST)
    assert long_choice.template == "minilm_ngrams" and "long texts" in long_choice.reason


def test_chinese_texts_and_a_missing_encoder_get_weighted_keywords():
    choice = automatic.choose_text_template(_chinese(), encoder=READY, read_tokens_per_s=_never)
    assert choice.template == "ngram_nb" and "Chinese" in choice.reason
    why_not = (False, "The pretrained encoder is not available: the package is not installed.")
    choice = automatic.choose_text_template(make_text_dataset(50), encoder=why_not, read_tokens_per_s=_never)
    assert choice.template == "ngram_nb" and "the package is not installed" in choice.reason


def test_too_slow_to_read_falls_back_and_says_how_long_each_would_take():
    slow = 20.0  # word pieces per second: 2,000 long texts would take hours
    choice = automatic.choose_text_template(_long(2000), encoder=READY, read_tokens_per_s=slow)
    assert choice.template == "ngram_nb"
    assert "2,000 texts" in choice.reason and "more than the 10 min" in choice.reason
    assert "minilm_ngrams yourself" in choice.reason
    limit_raised = automatic.choose_text_template(_long(2000), encoder=READY, read_tokens_per_s=slow, limit_s=1e6)
    assert limit_raised.template == "minilm_ngrams"


def test_the_config_names_the_concrete_template_so_the_yaml_reproduces_it():
    ds = make_text_dataset(40)
    choice = automatic.choose_text_template(ds, encoder=READY, read_tokens_per_s=FAST)
    config, same = automatic.automatic_config(ds, choice=choice)
    assert same is choice and config.template == "minilm_ngrams"
    assert (config.data.text_column, config.data.label_column) == ("text", "label")
    again = ExperimentConfig.from_yaml(config.to_yaml())
    assert again.template == "minilm_ngrams" and "automatic" not in config.to_yaml()


def test_automatic_is_for_text():
    with pytest.raises(DataError, match="text data"):
        automatic.choose_text_template(make_image_dataset(10))
