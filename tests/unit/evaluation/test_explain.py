"""Why: occlusion explanations of single predictions, and the keyword baseline's telling words."""

from __future__ import annotations

import numpy as np
import pytest

from modeling.data.dataset import Dataset
from modeling.evaluation.explain import (
    explain_text,
    explained_pieces,
    keyword_baseline_top_words,
    split_words,
    top_words,
)
from tests.conftest import NEGATIVE, POSITIVE, make_text_dataset


class KeywordModel:
    """A stand-in predictor: 'good' pushes to positive, 'bad' to negative; counts its calls."""

    def __init__(self) -> None:
        self.class_names = ["negative", "positive"]
        self.calls = 0

    def predict(self, texts, batch_size=256):
        self.calls += 1
        out = []
        for text in texts:
            words = str(text).lower().split()
            score = 0.5 + 0.3 * words.count("good") - 0.3 * words.count("bad")
            p = float(np.clip(score, 0.01, 0.99))
            out.append([1 - p, p])
        return np.asarray(out)


def test_words_and_spaces_rebuild_the_text():
    text = "Great  phone,\nbut [the] battery!"
    pieces = split_words(text)
    assert "".join(p.text for p in pieces) == text
    assert [p.text for p in pieces if p.is_word] == ["Great", "phone,", "but", "[the]", "battery!"]
    chinese = split_words("质量很好，iPhone不错")
    assert [p.text for p in chinese if p.is_word] == ["质", "量", "很", "好", "，", "iPhone", "不", "错"]


def test_occlusion_finds_the_words_that_pushed_and_batches_one_call():
    model = KeywordModel()
    explanation = explain_text(model, "the food was good but the service bad")
    assert model.calls == 1
    weights = dict((w, v["positive"]) for w, v in explanation)
    assert weights["good"] > 0.2 and weights["bad"] < -0.2 and abs(weights["the"]) < 1e-9
    assert dict(explanation)["good"]["negative"] == pytest.approx(-weights["good"])
    assert top_words(explanation, "positive", k=2)[0][0] in {"good", "bad"}
    assert explain_text(model, "   ") == []


def test_long_texts_are_explained_in_spans_that_cover_everything():
    model = KeywordModel()
    text = " ".join(["filler"] * 150 + ["good"])
    pieces = explained_pieces(model, text, max_words=60)
    assert "".join(p for p, _ in pieces) == text
    explained = [w for _, w in pieces if w is not None]
    assert len(explained) <= 60 and model.calls == 1
    assert explained[-1]["positive"] > 0.2  # the span holding 'good'


def test_explains_a_real_trained_model():
    from modeling.config import default_config
    from modeling.runs.keras_predictor import KerasPredictor as Predictor
    from modeling.templates import build_model
    from modeling.training.fit import train_model

    ds = make_text_dataset(160, seed=2)
    cfg = default_config("text_classification", source="test", template="ngram_bag")
    model = build_model(cfg, ds)
    train_model(model, ds, None, cfg.settings.model_copy(update={"epochs": 15}))
    predictor = Predictor(model, ds.class_names, "text_classification")
    explanation = explain_text(predictor, "the delivery was excellent and the box was perfect")
    best_word, best_weight = top_words(explanation, "positive", k=1)[0]
    assert best_word in POSITIVE and best_weight > 0


def test_keyword_baseline_top_words_per_class():
    ds = make_text_dataset(200, seed=1)
    words = keyword_baseline_top_words(ds, k=5)
    assert set(words) == {"negative", "positive"}
    assert len(words["positive"]) == 5 and all(v > 0 for _, v in words["positive"])
    assert sum(w in POSITIVE for w, _ in words["positive"]) >= 4
    assert sum(w in NEGATIVE for w, _ in words["negative"]) >= 4

    three = Dataset(
        kind="text",
        name="topics",
        labels=np.arange(90) % 3,
        class_names=["sport", "food", "music"],
        texts=np.array([["goal match team", "pizza pasta sauce", "guitar song band"][i % 3] for i in range(90)]),
    )
    top = keyword_baseline_top_words(three, k=3)
    assert {w for w, _ in top["food"]} & {"pizza", "pasta", "sauce"}
    single = Dataset(kind="text", name="one", labels=np.zeros(12), class_names=["a"], texts=np.array(["x y"] * 12))
    assert keyword_baseline_top_words(single) == {"a": []}


def test_runs_save_the_telling_words(tmp_path):
    from modeling.config import default_config
    from modeling.runs.store import RunStore
    from modeling.training.experiment import run_experiment

    store = RunStore(tmp_path, starters=None)
    cfg = default_config("text_classification", source="test", template="ngram_bag")
    cfg.settings.epochs = 2
    run = store.load(run_experiment(cfg, make_text_dataset(120), store=store).name)
    keywords = run.evaluation["keywords"]
    assert keywords["positive"] and keywords["negative"]
    assert all(isinstance(w, str) and isinstance(v, float) for w, v in keywords["positive"])


def test_highlights_are_escaped_markdown_directives():
    from ui.text.explain import highlighted_markdown

    pieces = [
        ("[click](http://x)", {"pos": 0.4}),
        (" ", None),
        ("meh", {"pos": 0.001}),
        (" ", None),
        ("bad", {"pos": -0.1}),
    ]
    md = highlighted_markdown(pieces, "pos")
    assert md.startswith(":green-background[**\\[click\\]\\(http\\:")
    assert ":red-background[bad]" in md and " meh " in md
    assert "<" not in md
