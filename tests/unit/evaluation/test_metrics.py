"""Metrics must equal scikit-learn's, survive JSON, and never crash on the small, odd test sets users make."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from modeling.data.dataset import Dataset
from modeling.errors import DataError, InvalidPredictions
from modeling.evaluation import baselines as bl
from modeling.evaluation import metrics as ev


def _random_case(n: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities that are informative but imperfect, like a half-trained model."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    probs = rng.dirichlet(np.ones(k), n)
    probs[np.arange(n), y] += rng.random(n)
    return y, probs / probs.sum(axis=1, keepdims=True)


def _names(k: int) -> list[str]:
    return [f"class {i}" for i in range(k)]


def _only_plain_types(value: object) -> bool:
    """True when a structure holds only what json writes natively (no NumPy scalars sneaking in)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _only_plain_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_only_plain_types(v) for v in value)
    return value is None or type(value) in (int, float, str, bool)


# ---- compute_metrics -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [2, 4])
def test_metrics_equal_sklearn(k: int) -> None:
    y, probs = _random_case(500, k, seed=k)
    pred = probs.argmax(axis=1)
    m = ev.compute_metrics(y, probs, _names(k))

    assert m["n"] == 500
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    p, r, f, _ = skm.precision_recall_fscore_support(y, pred, average="macro", zero_division=0)
    assert (m["precision_macro"], m["recall_macro"], m["f1_macro"]) == pytest.approx((p, r, f))
    assert m["confusion"] == skm.confusion_matrix(y, pred, labels=range(k)).tolist()
    cp, cr, cf, cs = skm.precision_recall_fscore_support(y, pred, labels=range(k), zero_division=0)
    for i, name in enumerate(_names(k)):
        assert m["per_class"][name] == pytest.approx(
            {"precision": cp[i], "recall": cr[i], "f1": cf[i], "support": cs[i]}
        )
    if k == 2:
        assert m["roc"]["auc"] == pytest.approx(skm.roc_auc_score(y, probs[:, 1]))
        assert m["pr"]["auc"] == pytest.approx(skm.average_precision_score(y, probs[:, 1]))
        fpr, tpr, _ = skm.roc_curve(y, probs[:, 1])
        assert m["roc"]["fpr"][0] == pytest.approx(fpr[0]) and m["roc"]["tpr"][-1] == pytest.approx(tpr[-1])
    else:
        assert "roc" not in m and "pr" not in m


@pytest.mark.parametrize("k", [2, 4])
def test_metrics_are_json_serialisable_with_plain_types(k: int) -> None:
    y, probs = _random_case(300, k)
    m = ev.compute_metrics(y, probs, _names(k))
    assert json.loads(json.dumps(m)) == m
    assert _only_plain_types(m)


def test_curves_are_thinned_but_keep_their_ends() -> None:
    y, probs = _random_case(5000, 2, seed=3)
    m = ev.compute_metrics(y, probs, ["no", "yes"])
    assert 2 <= len(m["roc"]["fpr"]) <= ev.MAX_CURVE_POINTS
    assert len(m["roc"]["fpr"]) == len(m["roc"]["tpr"])
    assert len(m["pr"]["precision"]) == len(m["pr"]["recall"]) <= ev.MAX_CURVE_POINTS
    assert (m["roc"]["fpr"][0], m["roc"]["tpr"][0]) == (0.0, 0.0)
    assert (m["roc"]["fpr"][-1], m["roc"]["tpr"][-1]) == (1.0, 1.0)
    assert m["pr"]["recall"][-1] == 0.0 and m["pr"]["recall"][0] == 1.0
    assert len(json.dumps(m)) < 20_000


def test_single_class_binary_test_set_gives_none_auc_not_an_error() -> None:
    y = np.zeros(20, dtype=int)
    probs = np.column_stack([np.linspace(0.9, 0.4, 20), np.linspace(0.1, 0.6, 20)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sklearn's undefined-metric warnings would alarm users in logs
        m = ev.compute_metrics(y, probs, ["cat", "dog"])
    assert m["roc"] == {"fpr": [], "tpr": [], "auc": None}
    assert m["pr"]["auc"] is None
    json.dumps(m)

    all_positive = ev.compute_metrics(np.ones(20, dtype=int), probs, ["cat", "dog"])
    assert all_positive["roc"]["auc"] is None
    assert all_positive["pr"]["auc"] == pytest.approx(1.0)


def test_class_absent_from_test_set_is_listed_with_zero_support() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    probs = np.array(
        [[0.8, 0.1, 0.1], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1], [0.3, 0.6, 0.1], [0.7, 0.2, 0.1], [0.5, 0.4, 0.1]]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = ev.compute_metrics(y, probs, ["a", "b", "c"])
    pred = probs.argmax(axis=1)
    assert m["per_class"]["c"]["support"] == 0
    assert m["confusion"][2] == [0, 0, 0]
    assert m["f1_macro"] == pytest.approx(skm.f1_score(y, pred, average="macro", zero_division=0))


def test_confidence_and_most_common_mistake() -> None:
    y = np.array([0, 0, 0, 1, 1, 2])
    probs = np.array(
        [
            [0.9, 0.1, 0.0],  # right, 0.9
            [0.3, 0.7, 0.0],  # wrong 0 -> 1, 0.7
            [0.4, 0.6, 0.0],  # wrong 0 -> 1, 0.6
            [0.2, 0.8, 0.0],  # right, 0.8
            [0.5, 0.0, 0.5],  # wrong 1 -> 0 (argmax tie takes the first), 0.5
            [0.0, 0.0, 1.0],  # right, 1.0
        ]
    )
    m = ev.compute_metrics(y, probs, ["ham", "spam", "promo"])
    assert m["confidence"]["mean_correct"] == pytest.approx(0.9)
    assert m["confidence"]["mean_wrong"] == pytest.approx(0.6)
    assert m["most_common_mistake"] == {"true": "ham", "predicted": "spam", "count": 2}


def test_perfect_predictions_have_no_mistake_and_no_wrong_confidence() -> None:
    y = np.array([0, 1, 1, 0])
    m = ev.compute_metrics(y, np.eye(2)[y], ["a", "b"])
    assert m["accuracy"] == 1.0
    assert m["most_common_mistake"] is None
    assert m["confidence"] == {"mean_correct": 1.0, "mean_wrong": None}
    assert m["roc"]["auc"] == 1.0


def test_one_dimensional_sigmoid_output_is_read_as_positive_probability() -> None:
    y = np.array([0, 1, 1, 0, 1])
    p1 = np.array([0.2, 0.9, 0.4, 0.3, 0.8])
    m = ev.compute_metrics(y, p1, ["neg", "pos"])
    assert m["accuracy"] == pytest.approx(0.8)
    assert m["roc"]["auc"] == pytest.approx(skm.roc_auc_score(y, p1))


@pytest.mark.parametrize(
    ("y", "probs", "fragment"),
    [
        (np.array([0, 1]), np.ones((2, 3)) / 3, "2 classes"),
        (np.array([0, 1, 1]), np.full((2, 2), 0.5), "3 labels but 2 predictions"),
        (np.array([], dtype=int), np.zeros((0, 2)), "empty"),
        (np.array([0, 1]), np.array([[np.nan, 0.5], [0.5, 0.5]]), "learning rate"),
        (np.array([0, 5]), np.full((2, 2), 0.5), "between 0 and 1"),
    ],
)
def test_bad_inputs_raise_a_sentence_for_users(y: np.ndarray, probs: np.ndarray, fragment: str) -> None:
    # Bad data is a DataError; NaN probabilities are the model's fault (InvalidPredictions): both are sentences.
    with pytest.raises((DataError, InvalidPredictions), match=fragment):
        ev.compute_metrics(y, probs, ["a", "b"])


@settings(max_examples=40, deadline=None)
@given(
    k=st.integers(2, 6),
    n=st.integers(1, 60),
    seed=st.integers(0, 10_000),
)
def test_metrics_invariants_hold_for_any_input(k: int, n: int, seed: int) -> None:
    y, probs = _random_case(n, k, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = ev.compute_metrics(y, probs, _names(k))
    confusion = np.array(m["confusion"])
    assert confusion.sum() == n
    assert m["accuracy"] == pytest.approx(np.trace(confusion) / n)
    assert sum(c["support"] for c in m["per_class"].values()) == n
    assert 0.0 <= m["f1_macro"] <= 1.0
    assert _only_plain_types(m)
    if m["most_common_mistake"] is None:
        assert m["accuracy"] == 1.0


def test_importing_the_package_modules_stays_light() -> None:
    code = (
        "import sys, modeling.evaluation.metrics, modeling.reporting.charts, modeling.reporting.summary\n"
        "heavy = [m for m in ('sklearn', 'tensorflow', 'keras', 'streamlit') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- baselines -----------------------------------------------------------------------------------------------
POSITIVE_WORDS = ["good", "great", "lovely", "superb", "enjoyable"]
NEGATIVE_WORDS = ["bad", "awful", "boring", "dreadful", "terrible"]
FILLER = ["the", "film", "plot", "was", "actors", "really", "story", "quite", "ending", "music"]


def _text_dataset(n: int, seed: int, positive_share: float = 0.6) -> Dataset:
    """Reviews whose label is given away by one sentiment word: a keyword model must nail these."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < positive_share).astype(int)
    texts = [
        " ".join([*rng.choice(FILLER, 6).tolist(), str(rng.choice(POSITIVE_WORDS if label else NEGATIVE_WORDS))])
        for label in labels
    ]
    return Dataset(kind="text", name="reviews", labels=labels, class_names=["negative", "positive"], texts=texts)


def _image_dataset(n: int, seed: int) -> Dataset:
    """8x8 grey images: class 0 is dark on the left half, class 1 dark on the right half, with noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = rng.integers(150, 256, (n, 8, 8, 1))
    dark = rng.integers(0, 90, (n, 8, 4, 1))
    for i, label in enumerate(labels):
        if label == 0:
            images[i, :, :4] = dark[i]
        else:
            images[i, :, 4:] = dark[i]
    return Dataset(kind="image", name="halves", labels=labels, class_names=["left", "right"], images=images)


def test_majority_baseline_scores_the_share_of_the_training_majority_class() -> None:
    train, test = _text_dataset(200, seed=1, positive_share=0.7), _text_dataset(90, seed=2, positive_share=0.4)
    base = bl.baseline_metrics(train, test)
    majority = base["majority"]
    assert majority["always_answers"] == "positive"
    assert majority["accuracy"] == pytest.approx(np.mean(test.labels == 1))
    assert majority["description"] == "Always answers 'positive', the most common label"
    assert majority["confidence"]["mean_correct"] == 1.0
    assert [row[0] for row in majority["confusion"]] == [0, 0]  # never answers 'negative'


def test_keyword_baseline_beats_majority_on_easy_text() -> None:
    base = bl.baseline_metrics(_text_dataset(300, seed=3), _text_dataset(100, seed=4))
    logistic = base["logistic"]
    assert logistic["accuracy"] >= 0.95 > base["majority"]["accuracy"]
    assert logistic["title"] == bl.TEXT_LOGISTIC_TITLE
    assert "TF-IDF" in logistic["description"]
    assert logistic["train_seconds"] >= 0.0
    assert _only_plain_types(base)
    json.dumps(base)


def test_keyword_baseline_works_on_a_tiny_text_set() -> None:
    # Under 50 texts every word appears about once; min_df=2 would leave no vocabulary at all.
    texts = [f"{w} item{i}" for i, w in enumerate(["good", "bad"] * 10)]
    train = Dataset(kind="text", name="t", labels=[0, 1] * 10, class_names=["pos", "neg"], texts=texts)
    test = Dataset(kind="text", name="t", labels=[0, 1, 0, 1], class_names=["pos", "neg"], texts=["good", "bad"] * 2)
    assert bl.baseline_metrics(train, test)["logistic"]["accuracy"] == 1.0


def test_keyword_baseline_reads_chinese_by_characters_and_says_so() -> None:
    good, bad = ["很好用质量不错", "非常满意推荐"], ["太差了不好用", "质量很差退货"]
    texts = [good[i % 2] + str(i) if i % 4 < 2 else bad[i % 2] + str(i) for i in range(40)]
    labels = [0 if i % 4 < 2 else 1 for i in range(40)]
    train = Dataset(kind="text", name="zh", labels=labels, class_names=["pos", "neg"], texts=texts)
    unseen = ["质量不错很满意", "太差了"]
    test = Dataset(kind="text", name="zh", labels=[0, 1], class_names=["pos", "neg"], texts=unseen)
    logistic = bl.baseline_metrics(train, test)["logistic"]
    assert "character and character-pair" in logistic["description"]
    assert logistic["accuracy"] == 1.0
    english = bl.baseline_metrics(_text_dataset(60, seed=3), _text_dataset(20, seed=4))["logistic"]
    assert "word and word-pair" in english["description"]


def test_keyword_baseline_without_any_words_falls_back_to_majority() -> None:
    train = Dataset(kind="text", name="t", labels=[0, 1, 1], class_names=["a", "b"], texts=["!", "?", "."])
    test = Dataset(kind="text", name="t", labels=[0, 1], class_names=["a", "b"], texts=["!", "?"])
    base = bl.baseline_metrics(train, test)
    assert "no usable words" in base["logistic"]["description"]
    assert base["logistic"]["accuracy"] == base["majority"]["accuracy"] == 0.5


def test_pixel_baseline_beats_majority_on_easy_images() -> None:
    base = bl.baseline_metrics(_image_dataset(200, seed=5), _image_dataset(80, seed=6))
    assert base["logistic"]["accuracy"] >= 0.95
    assert base["logistic"]["accuracy"] > base["majority"]["accuracy"]
    assert base["logistic"]["title"] == bl.IMAGE_LOGISTIC_TITLE
    assert "roc" in base["logistic"]


def test_pixel_baseline_subsamples_large_training_sets_reproducibly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bl, "MAX_BASELINE_IMAGES", 60)
    train, test = _image_dataset(150, seed=7), _image_dataset(40, seed=8)
    first, second = bl.baseline_metrics(train, test, seed=1), bl.baseline_metrics(train, test, seed=1)
    assert "60 of 150 images" in first["logistic"]["description"]
    assert first["logistic"]["confusion"] == second["logistic"]["confusion"]


def test_large_images_are_block_averaged_for_the_pixel_baseline() -> None:
    images = np.full((2, 96, 96, 3), 255, dtype=np.uint8)
    x = bl.pixel_features(images)
    assert x.shape == (2, 32 * 32 * 3)
    assert np.allclose(x, 1.0)
    assert bl.pixel_features(np.zeros((3, 28, 28, 1), dtype=np.uint8)).shape == (3, 784)


def test_logistic_baseline_covers_a_class_missing_from_training() -> None:
    rng = np.random.default_rng(9)
    train = _text_dataset(120, seed=9)
    names = ["negative", "positive", "neutral"]
    train = Dataset(kind="text", name="t", labels=train.labels, class_names=names, texts=train.texts)
    test_labels = rng.integers(0, 3, 30)
    words = {0: "bad", 1: "good", 2: "meh"}
    test = Dataset(
        kind="text",
        name="t",
        labels=test_labels,
        class_names=names,
        texts=[f"it was {words[int(v)]}" for v in test_labels],
    )
    logistic = bl.baseline_metrics(train, test)["logistic"]
    assert len(logistic["confusion"]) == 3
    assert [row[2] for row in logistic["confusion"]] == [0, 0, 0]  # never predicts the class it never saw
    assert logistic["per_class"]["neutral"]["support"] == int(np.sum(test_labels == 2))


def test_logistic_baseline_with_one_training_class_equals_majority() -> None:
    train = Dataset(kind="text", name="t", labels=[1] * 5, class_names=["a", "b"], texts=["x y"] * 5)
    test = Dataset(kind="text", name="t", labels=[0, 1], class_names=["a", "b"], texts=["x", "y"])
    base = bl.baseline_metrics(train, test)
    assert base["logistic"]["confusion"] == base["majority"]["confusion"]
    assert "single class" in base["logistic"]["description"]


def test_baselines_refuse_mismatched_class_lists() -> None:
    train = _text_dataset(30, seed=1)
    test = Dataset(kind="text", name="t", labels=[0, 1], class_names=["no", "yes"], texts=["a", "b"])
    with pytest.raises(DataError, match="different class lists"):
        bl.baseline_metrics(train, test)


# ---- evaluate_predictions and misclassified ------------------------------------------------------------------
def test_evaluate_predictions_reports_lift_in_points() -> None:
    y = np.array([0, 1, 1, 0, 1, 1, 0, 1])  # the model gets 7 of 8 right
    probs = np.eye(2)[y]
    probs[0] = [0.4, 0.6]
    baselines = {"majority": {"accuracy": 0.625}, "logistic": {"accuracy": 0.8}}
    result = ev.evaluate_predictions(y, probs, ["neg", "pos"], baselines)
    assert result["model"]["accuracy"] == 0.875
    assert result["baselines"] is baselines
    assert result["lift"] == {"majority": 25.0, "logistic": 7.5}
    assert ev.evaluate_predictions(y, probs, ["neg", "pos"], None)["lift"] == {}


def test_evaluate_predictions_with_real_baselines_is_json_ready() -> None:
    train, test = _text_dataset(120, seed=11), _text_dataset(40, seed=12)
    y, probs = test.labels, np.eye(2)[test.labels] * 0.8 + 0.1
    result = ev.evaluate_predictions(y, probs, test.class_names, bl.baseline_metrics(train, test))
    majority_acc = result["baselines"]["majority"]["accuracy"]
    assert result["lift"]["majority"] == round(100 * (1.0 - majority_acc), 1)
    assert json.loads(json.dumps(result)) == result


def test_misclassified_lists_confident_mistakes_first() -> None:
    y = np.array([0, 1, 0, 1, 0, 1])
    probs = np.array([[0.1, 0.9], [0.8, 0.2], [0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.3, 0.7]])
    wrong = ev.misclassified(y, probs, ["ok", "spam"])
    assert [w["index"] for w in wrong] == [0, 1, 4, 3]  # 0.9, 0.8, 0.8 (tie keeps test order), 0.6
    assert wrong[0] == {"index": 0, "true": "ok", "predicted": "spam", "confidence": 0.9}
    assert all(type(w["index"]) is int and type(w["confidence"]) is float for w in wrong)
    assert [w["index"] for w in ev.misclassified(y, probs, ["ok", "spam"], limit=2)] == [0, 1]
    assert ev.misclassified(y, np.eye(2)[y], ["ok", "spam"]) == []
