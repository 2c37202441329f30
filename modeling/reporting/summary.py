"""A plain-English paragraph about a run that a founder can paste into an email.

Metrics pages lose non-experts at "macro F1". This module turns a saved
evaluation (``modeling.evaluation.metrics.evaluate_predictions``) into four to six
sentences: how often the model is right, whether that beats doing something
simple, its typical mistake, whether its confidence means anything, and a
caution when the test set is too small to trust. It is honest when the model
loses to a baseline, because shipping a model that a keyword rule beats is the
costliest mistake a newcomer can make.

The only user-supplied text that reaches the paragraph is class names; they are
escaped so a label like ``*_[click](javascript:...)`` renders literally in Markdown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from modeling import format as fmt
from modeling.errors import InvalidPredictions
from modeling.evaluation.decisions import coverage_sentence
from modeling.evaluation.intervals import WIDE_HALF_WIDTH, half_width
from modeling.evaluation.probabilities import DIVERGED_HINT
from modeling.evaluation.schema import Evaluation
from modeling.reporting.forecast_summary import forecast_summary
from modeling.reporting.regression_summary import regression_summary
from modeling.reporting.task_words import task_words

#: Below this many test examples the summary warns that the figures are rough.
SMALL_TEST_SET = 100


def business_summary(
    evaluation: Evaluation,
    class_names: Sequence[str],
    task: str,
    noun: str | None = None,
    decision: Mapping[str, Any] | None = None,
) -> str:
    """Four to six Markdown sentences on a run's test results, for people who never trained a model.

    ``evaluation`` is the dict from ``evaluate_predictions``; ``task`` picks the noun ("texts", "images",
    "rows"), the name of the simple baseline and, for a task that predicts a number, the paragraph in the
    target's units (:func:`~modeling.reporting.regression_summary.regression_summary`); ``noun`` overrides the
    noun (e.g. "reviews").
    When the evaluation holds them, the accuracy carries its 95% interval, copies shared by the training
    and test splits are reported with the accuracy without them, and a mis-calibrated model is called
    out. ``decision`` (a saved ``decision.json`` as a dict) adds what the saved rule means: the share the
    model answers on its own, and the money at the chosen threshold.
    """
    words = task_words(task, evaluation)
    if words.answers == "series":  # a forecast: the outlook, the backtest against the seasonal naive, the ranges
        return forecast_summary(evaluation)
    if words.predicts_number:  # a number, in the user's units
        target = dict(evaluation.get("target") or {})  # type: ignore[call-overload]
        return regression_summary(
            evaluation, target.get("name") or "the target", target.get("currency") or "", noun=words.noun
        )
    model = evaluation["model"]
    n = int(model["n"])
    accuracy = float(model["accuracy"])
    if not math.isfinite(accuracy):
        raise InvalidPredictions(
            "This run's accuracy is not a number, so there is nothing to summarise: the model's answers were "
            f"invalid (NaN), which usually means training diverged. {DIVERGED_HINT}"
        )
    noun = fmt.md_name(noun) if noun else words.noun
    things = noun if n != 1 else noun.removesuffix("s")
    interval = (evaluation.get("intervals") or {}).get("accuracy")

    sentences = [
        f"On {n:,} {things} it had never seen, the model was right {fmt.share(accuracy)} of the time "
        f"({about_frequency(accuracy)}{_interval_words(interval)})."
    ]
    sentences += _baseline_sentences(evaluation, class_names, words.simple_model, accuracy)
    sentences.append(_mistake_sentence(model, n, noun))
    confidence = confidence_sentence(model.get("confidence") or {})
    if confidence:
        sentences.append(confidence)
    sentences += _calibration_sentences(evaluation.get("calibration"), noun)
    sentences += _duplicate_sentences(evaluation.get("duplicates"), noun, accuracy)
    sentences += _decision_sentences(decision, class_names)
    width = half_width(interval)
    if n < SMALL_TEST_SET or (width is not None and width > WIDE_HALF_WIDTH):
        sentences.append(_small_sample_sentence(n, accuracy, interval))
    return " ".join(sentences)


# ---- sentences -------------------------------------------------------------------------------------------------
def _baseline_sentences(evaluation: Evaluation, class_names: Sequence[str], simple: str, accuracy: float) -> list[str]:
    """'X points better than always answering ... and Y points better than a keyword model', plus a warning."""
    baselines = evaluation.get("baselines") or {}
    lifts = evaluation.get("lift") or {}
    parts: list[str] = []
    majority_lift = logistic_lift = None
    majority_answer = ""

    majority = baselines.get("majority")
    if majority:
        majority_lift = _lift(accuracy, majority, lifts.get("majority"))
        majority_answer = _majority_answer(majority, class_names)
        target = f"always answering '{majority_answer}'" if majority_answer else "always giving the most common label"
        parts.append(_compare(majority_lift, target))
    logistic = baselines.get("logistic")
    if logistic:
        logistic_lift = _lift(accuracy, logistic, lifts.get("logistic"))
        parts.append(_compare(logistic_lift, simple))
    if not parts:
        return ["There is no simple baseline to compare it with, so judge this figure against what the task needs."]

    sentences = [f"That is {' and '.join(parts)}."]
    if majority_lift is not None and majority_lift < 0.5:
        target = f"always answering '{majority_answer}'" if majority_answer else "always giving the most common label"
        sentences.append(
            f"In other words it has not learned anything useful yet: {target} does as well, so it needs more "
            "or cleaner data, or a different template."
        )
    elif logistic_lift is not None and logistic_lift <= -0.5:
        sentences.append(
            f"{simple[0].upper()}{simple[1:]} does better ({fmt.share(float(logistic['accuracy']))} vs "
            f"{fmt.share(accuracy)}), "
            "so consider using it instead, or train this one longer or on more data."
        )
    return sentences


def _mistake_sentence(model: Mapping[str, Any], n: int, noun: str) -> str:
    mistake = model.get("most_common_mistake")
    if not mistake:
        return (
            f"It made no mistakes on these {noun}; perfect scores are rare, so check that the test examples "
            "do not also appear in the training data."
        )
    count = int(mistake["count"])
    times = "once" if count == 1 else f"{count:,} times"
    confusion = model.get("confusion") or []
    if confusion:
        wrong = sum(v for i, row in enumerate(confusion) for j, v in enumerate(row) if i != j)
    else:
        wrong = n - round(float(model["accuracy"]) * n)
    of_all = f", of {wrong:,} mistakes in all" if wrong > count else ""
    return (
        f"Its most common mistake is calling '{fmt.md_name(mistake['true'])}' {noun} "
        f"'{fmt.md_name(mistake['predicted'])}'"
        f" ({times}{of_all})."
    )


def confidence_sentence(confidence: Mapping[str, Any]) -> str:
    """Compare certainty on right vs wrong answers: only a clear gap makes low confidence a useful flag."""
    right, wrong = confidence.get("mean_correct"), confidence.get("mean_wrong")
    if right is None and wrong is None:
        return ""
    if wrong is None:
        return f"On average it was {fmt.share(float(right))} sure of its answers."
    if right is None:
        return f"It got every answer wrong while being on average {fmt.share(float(wrong))} sure."
    right, wrong = float(right), float(wrong)
    if right - wrong >= 0.1:
        return (
            f"When it is right it is on average {fmt.share(right)} sure; when it is wrong, {fmt.share(wrong)} sure — "
            "so low-confidence answers are worth a second look."
        )
    return (
        f"When it is right it is on average {fmt.share(right)} sure, and when it is wrong almost as sure "
        f"({fmt.share(wrong)}) — so its confidence is not a reliable warning sign."
    )


def _small_sample_sentence(n: int, accuracy: float, interval: Mapping[str, Any] | None = None) -> str:
    """Turn 'small' into numbers people can weigh: the margin, and the range the true accuracy may lie in.

    With a saved (Wilson) interval the range is that interval; without one a normal approximation gives
    the margin only.
    """
    width = half_width(interval)
    if width is None:
        width = 1.96 * math.sqrt(accuracy * (1.0 - accuracy) / max(n, 1))
    margin = 100.0 * width
    rough = f" (roughly ±{margin:.0f})" if margin >= 1.0 else ""
    sentence = f"The test set is small (n={n}), so these figures could be off by several points{rough}"
    if interval and interval.get("low") is not None and interval.get("high") is not None:
        low, high = _percent_range(float(interval["low"]), float(interval["high"])).rstrip("%").split("–")
        sentence += (
            f": the true accuracy could be anywhere from {low}% to {high}%, so test on more data before relying on it"
        )
    return sentence + "."


def _interval_words(interval: Mapping[str, Any] | None) -> str:
    """'; 95% interval 83–90%' for the headline sentence ('' without an interval)."""
    if not interval or interval.get("low") is None or interval.get("high") is None:
        return ""
    return f"; 95% interval {_percent_range(float(interval['low']), float(interval['high']))}"


def _percent_range(low: float, high: float) -> str:
    """'83–90%', or '98.6–99.9%' when narrow; rounded outwards, so the range shown is never narrower."""
    return fmt.percent_range(low, high, digits=1 if high - low < 0.04 else 0)


def _calibration_sentences(calibration: Mapping[str, Any] | None, noun: str) -> list[str]:
    """Say so when the raw confidence was off, and whether it was fixed; silent when it was fine."""
    if not calibration:
        return []
    kind = calibration.get("verdict")
    if kind not in ("over-confident", "under-confident") and not calibration.get("applied"):
        return []
    before = 100.0 * float(calibration.get("ece_before") or 0.0)
    after = 100.0 * float(calibration.get("ece_after") or 0.0)
    if kind in ("over-confident", "under-confident"):
        start = f"As trained it was {kind} (its stated confidence was off by {before:.1f} points on average)"
    else:
        start = (
            f"Its stated confidence was off by {before:.1f} points on average, within what chance allows on this "
            "many cases"
        )
    if calibration.get("applied"):
        return [
            f"{start}; after calibration on the validation split it is off by {after:.1f} points on the test {noun}."
        ]
    return [f"{start} and could not be calibrated, so read its confidence with care."]


def _duplicate_sentences(duplicates: Mapping[str, Any] | None, noun: str, accuracy: float) -> list[str]:
    """Copies shared by the training and test splits inflate the score: say how many, and by how much."""
    if not duplicates or not duplicates.get("checked"):
        return []
    count = int(duplicates.get("exact") or 0) + int(duplicates.get("near") or 0)
    if count == 0:
        return []
    share = float(duplicates.get("share_of_test") or 0.0)
    without = duplicates.get("accuracy_without")
    copies = "has a copy" if count == 1 else "have a copy"
    found = f"{count:,} of the test {noun} ({fmt.share(share)}) {copies} or near-copy in the training data"
    if without is None:
        return [f"{found}, which flatters the score."]
    # Compared as the sentence shows them: "77% instead of 77%" would read as a mistake.
    shown_without, shown_with = fmt.share(float(without)), fmt.share(accuracy)
    if shown_without == shown_with:
        return [f"{found}, but they make no visible difference: without them it is right {shown_with} of the time too."]
    if float(without) > accuracy:
        return [
            f"{found}; without them it is right {shown_without} of the time instead of {shown_with}, so they do "
            "not flatter the score."
        ]
    return [
        f"{found}, which flatters the score; without them it is right {shown_without} of the time instead of "
        f"{shown_with}."
    ]


def _decision_sentences(decision: Mapping[str, Any] | None, class_names: Sequence[str]) -> list[str]:
    """What the saved rule means: how many cases it answers alone, and what the threshold is worth."""
    if not decision or not decision.get("saved"):
        return []
    out = []
    coverage = decision.get("coverage")
    if decision.get("min_confidence") and coverage and coverage.get("n"):
        out.append(coverage_sentence(dict(coverage)))  # numbers only: nothing user-written to escape
    value = decision.get("expected_value_per_1000")
    default = decision.get("expected_value_default_per_1000")
    if decision.get("threshold") is not None and value is not None and default is not None and len(class_names) == 2:
        currency = fmt.md_name(decision.get("currency") or "")
        positive = decision.get("positive_class") or class_names[1]
        diff = float(value) - float(default)
        change = (
            f", {_md_money(fmt.money(diff, ''), currency)} more than at the default 50%"
            if diff >= 0.5
            else " — the same as at the default 50%"
        )
        out.append(
            f"With the saved threshold (answer '{fmt.md_name(positive)}' from {float(decision['threshold']):.0%}) "
            f"it is worth about {_md_money(fmt.money(float(value), ''), currency)} per 1,000 cases{change}."
        )
    elif decision.get("cost_matrix") is not None and value is not None and default is not None:
        saved = float(value) - float(default)
        if saved >= 0.005:
            out.append(
                f"Answering by the saved cost matrix instead of the most probable class lowers the cost per "
                f"1,000 cases from {-float(default):,.0f} to {-float(value):,.0f}."
            )
    return out


def _md_money(amount: str, currency: str) -> str:
    """Money with an escaped currency: a symbol goes before the number, a word after it."""
    if not currency:
        return amount
    sign = "-" if amount.startswith("-") else ""
    number = amount.lstrip("-")
    raw = currency.replace("\\", "")
    if len(raw) <= 1 or not raw.isalpha():
        return f"{sign}{currency}{number}"
    return f"{sign}{number} {currency}"


# ---- wording helpers -------------------------------------------------------------------------------------------
def _lift(accuracy: float, baseline: Mapping[str, Any], saved: Any) -> float:
    if baseline.get("accuracy") is not None:
        return 100.0 * (accuracy - float(baseline["accuracy"]))
    return float(saved or 0.0)


def _majority_answer(majority: Mapping[str, Any], class_names: Sequence[str]) -> str:
    """The class the majority baseline always gives: saved by name, else read off its confusion matrix."""
    name = majority.get("always_answers")
    if name is None and majority.get("confusion"):
        columns = [sum(col) for col in zip(*majority["confusion"], strict=True)]
        index = max(range(len(columns)), key=columns.__getitem__)
        name = class_names[index] if index < len(class_names) else None
    return fmt.md_name(name) if name is not None else ""


def _compare(points: float, target: str) -> str:
    if abs(points) < 0.5:
        return f"about as accurate as {target}"
    whole = max(1, math.floor(abs(points) + 0.5))
    unit = "point" if whole == 1 else "points"
    return f"{whole} {unit} {'better' if points > 0 else 'worse'} than {target}"


def about_frequency(accuracy: float) -> str:
    """'about 9 in 10': a frequency reads faster than a percentage for most people."""
    if accuracy >= 1.0:
        return "every single time"
    tenths = math.floor(accuracy * 10 + 0.5)
    if tenths == 0:
        return "fewer than 1 in 10"
    if tenths < 10:
        return f"about {tenths} in 10"
    hundredths = math.floor(accuracy * 100 + 0.5)
    return f"about {hundredths} in 100" if hundredths < 100 else "more than 99 in 100"
