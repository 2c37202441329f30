"""The summary is read by people who will act on it: it must be accurate, honest and safe to render."""

from __future__ import annotations

import re

import numpy as np
import pytest

from modeling.data.dataset import Dataset
from modeling.evaluation.baselines import baseline_metrics
from modeling.evaluation.metrics import evaluate_predictions
from modeling.format import share as _pct
from modeling.reporting.summary import about_frequency as _about
from modeling.reporting.summary import business_summary

NAMES = ["negative", "positive"]


def _evaluation(
    n: int,
    right: int,
    *,
    majority: float | None = 0.5,
    logistic: float | None = 0.83,
    right_sure: float = 0.93,
    wrong_sure: float = 0.6,
    names: list[str] = NAMES,
) -> dict:
    """A saved evaluation where every mistake calls a class-0 example class 1, with set confidences."""
    y = np.array([0] * (n // 2) + [1] * (n - n // 2))
    pred = y.copy()
    pred[: n - right] = 1
    probs = np.zeros((n, 2))
    sure = np.where(pred == y, right_sure, wrong_sure)
    probs[np.arange(n), pred] = sure
    probs[np.arange(n), 1 - pred] = 1 - sure
    baselines = {}
    if majority is not None:
        baselines["majority"] = {"accuracy": majority, "always_answers": names[1]}
    if logistic is not None:
        baselines["logistic"] = {"accuracy": logistic}
    return evaluate_predictions(y, probs, names, baselines)


def _sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", text))


def test_typical_summary_reads_like_the_example() -> None:
    text = business_summary(_evaluation(400, 348), NAMES, "text_classification")
    assert text.startswith(
        "On 400 texts it had never seen, the model was right 87% of the time (about 9 in 10; 95% interval 83–90%)."
    )
    assert "37 points better than always answering 'positive'" in text
    assert "4 points better than a simple keyword model" in text
    assert "Its most common mistake is calling 'negative' texts 'positive' (52 times)." in text
    assert "When it is right it is on average 93% sure; when it is wrong, 60% sure" in text
    assert "second look" in text
    assert "small" not in text
    assert 4 <= _sentences(text) <= 6


def test_says_honestly_when_a_keyword_model_does_better() -> None:
    text = business_summary(_evaluation(400, 348, logistic=0.95), NAMES, "text_classification")
    assert "8 points worse than a simple keyword model" in text
    assert "A simple keyword model does better (95% vs 87%), so consider using it instead" in text
    assert 4 <= _sentences(text) <= 6


def test_says_when_the_model_learned_nothing() -> None:
    text = business_summary(_evaluation(200, 100, majority=0.55, logistic=0.6), NAMES, "text_classification")
    assert "5 points worse than always answering 'positive'" in text
    assert "not learned anything useful yet" in text
    assert 4 <= _sentences(text) <= 6


def test_small_test_sets_come_with_a_caution() -> None:
    text = business_summary(_evaluation(57, 50), NAMES, "text_classification")
    assert "The test set is small (n=57), so these figures could be off by several points" in text
    assert "±" in text
    assert 4 <= _sentences(text) <= 6


def test_no_mistakes_and_no_baselines() -> None:
    text = business_summary(_evaluation(120, 120, majority=None, logistic=None), NAMES, "text_classification")
    assert "right 100% of the time (every single time; 95% interval 96.8–100%)" in text
    assert "no mistakes" in text
    assert "no simple baseline" in text
    assert "points" not in text
    assert "On average it was 93% sure of its answers." in text
    assert 4 <= _sentences(text) <= 6


def test_images_use_their_own_nouns_and_baseline_name() -> None:
    text = business_summary(_evaluation(300, 270, logistic=0.9, names=["3", "8"]), ["3", "8"], "image_classification")
    assert "On 300 images" in text
    assert "about as accurate as a simple pixel model" in text
    assert "always answering '8'" in text
    assert "calling '3' images '8'" in text


def test_noun_can_be_overridden_and_one_point_is_singular() -> None:
    text = business_summary(_evaluation(400, 348, logistic=0.86), NAMES, "text_classification", noun="reviews")
    assert "On 400 reviews" in text
    assert "1 point better than a simple keyword model" in text


def test_confidence_that_does_not_separate_right_from_wrong_is_called_out() -> None:
    text = business_summary(_evaluation(400, 348, right_sure=0.9, wrong_sure=0.88), NAMES, "text_classification")
    assert "not a reliable warning sign" in text


@pytest.mark.parametrize(
    ("right", "phrase"),
    [
        (388, "97% of the time (about 97 in 100; 95% interval 94.8–98.3%)"),
        (399, "99.8% of the time (more than 99 in 100; 95% interval 98.5–100%)"),
    ],
)
def test_extreme_accuracies_are_worded_sensibly(right: int, phrase: str) -> None:
    text = business_summary(_evaluation(400, right), NAMES, "text_classification")
    assert phrase in text


def test_frequencies_read_naturally() -> None:
    assert [_about(a) for a in (0.03, 0.5, 0.87, 0.94, 0.97, 0.999, 1.0)] == [
        "fewer than 1 in 10",
        "about 5 in 10",
        "about 9 in 10",
        "about 9 in 10",
        "about 97 in 100",
        "more than 99 in 100",
        "every single time",
    ]
    assert [_pct(a) for a in (0.0, 0.001, 0.87, 0.996, 1.0)] == ["0%", "0.1%", "87%", "99.6%", "100%"]


def test_class_names_are_escaped_for_markdown() -> None:
    names = ["*bold*", "[click](javascript:alert(1)) $x$ :red[hi]\nnew"]
    text = business_summary(_evaluation(200, 150, names=names), names, "text_classification")
    assert r"'\*bold\*'" in text
    assert "[click](" not in text and ":red[" not in text and "$x$" not in text
    assert r"\[click\]\(javascript\:alert\(1\)\)" in text
    assert "\n" not in text


def test_summary_from_real_baselines() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 260)
    texts = [("good fun" if v else "bad dull") + f" w{i % 7}" for i, v in enumerate(labels)]
    ds = Dataset(kind="text", name="r", labels=labels, class_names=NAMES, texts=texts)
    train, test = ds.subset(np.arange(200)), ds.subset(np.arange(200, 260))
    probs = np.full((60, 2), 0.3)
    probs[np.arange(60), test.labels] = 0.7
    evaluation = evaluate_predictions(test.labels, probs, NAMES, baseline_metrics(train, test))
    text = business_summary(evaluation, NAMES, "text_classification")
    assert "right 100% of the time" in text
    majority_name = evaluation["baselines"]["majority"]["always_answers"]
    assert f"always answering '{majority_name}'" in text
    assert "about as accurate as a simple keyword model" in text
    assert "(n=60)" in text


def test_majority_answer_is_read_from_confusion_when_not_saved() -> None:
    evaluation = _evaluation(400, 348)
    evaluation["baselines"]["majority"] = {"accuracy": 0.5, "confusion": [[0, 200], [0, 200]]}
    assert "always answering 'positive'" in business_summary(evaluation, NAMES, "text_classification")


def _with_copies(accuracy_without: float | None, count: int = 12, n: int = 600) -> dict:
    """A 600-text evaluation (77.0% right) where ``count`` test texts have a copy in the training data."""
    evaluation = _evaluation(n, 462)
    evaluation["duplicates"] = {
        "checked": True,
        "exact": count // 2,
        "near": count - count // 2,
        "test_n": n,
        "share_of_test": count / n,
        "accuracy_without": accuracy_without,
    }
    return evaluation


@pytest.mark.parametrize(
    ("without", "expected", "absent"),
    [
        # 76.9% and 77.0% both read "77%": saying "77% instead of 77%" would look like a typo.
        (
            0.7687,
            "12 of the test texts (2%) have a copy or near-copy in the training data, but they make no visible "
            "difference: without them it is right 77% of the time too.",
            ["instead of", "flatters"],
        ),
        (
            0.74,
            "12 of the test texts (2%) have a copy or near-copy in the training data, which flatters the score; "
            "without them it is right 74% of the time instead of 77%.",
            ["no visible difference"],
        ),
        (
            0.80,
            "without them it is right 80% of the time instead of 77%, so they do not flatter the score.",
            ["which flatters", "no visible difference"],
        ),
        (None, "have a copy or near-copy in the training data, which flatters the score.", ["instead of"]),
    ],
)
def test_copies_shared_with_training_are_worded_by_what_they_change(without, expected, absent) -> None:
    text = business_summary(_with_copies(without), NAMES, "text_classification")
    assert "right 77% of the time" in text
    assert expected in text
    for phrase in absent:
        assert phrase not in text


def test_one_copy_is_singular_and_no_copies_say_nothing() -> None:
    text = business_summary(_with_copies(0.7696, count=1), NAMES, "text_classification")
    assert "1 of the test texts (0.2%) has a copy or near-copy" in text
    assert "no visible difference" in text
    silent = _with_copies(0.77, count=0)
    silent["duplicates"]["exact"] = silent["duplicates"]["near"] = 0
    assert "copy" not in business_summary(silent, NAMES, "text_classification")
