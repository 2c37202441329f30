"""A plain-English paragraph about a run that a founder can paste into an email.

Metrics pages lose non-experts at "macro F1". This module turns a saved
evaluation (``modeling.evaluation.evaluate_predictions``) into four to six
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
import re
from collections.abc import Mapping, Sequence
from typing import Any

NOUNS = {"text_classification": "texts", "image_classification": "images"}
SIMPLE_MODEL = {"text_classification": "a simple keyword model", "image_classification": "a simple pixel model"}
#: Below this many test examples the summary warns that the figures are rough.
SMALL_TEST_SET = 100
#: Longest class name quoted in full; longer ones are cut so one odd label cannot swamp the paragraph.
MAX_NAME_CHARS = 60

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def business_summary(
    evaluation: Mapping[str, Any], class_names: Sequence[str], task: str, noun: str | None = None
) -> str:
    """Four to six Markdown sentences on a run's test results, for people who never trained a model.

    ``evaluation`` is the dict from ``evaluate_predictions``; ``task`` picks the noun ("texts" or
    "images") and the name of the simple baseline, and ``noun`` overrides the noun (e.g. "reviews").
    """
    model = evaluation["model"]
    n = int(model["n"])
    accuracy = float(model["accuracy"])
    noun = _md(noun) if noun else NOUNS.get(task, "examples")
    things = noun if n != 1 else noun.removesuffix("s")

    sentences = [
        f"On {n:,} {things} it had never seen, the model was right {_pct(accuracy)} of the time ({_about(accuracy)})."
    ]
    sentences += _baseline_sentences(evaluation, class_names, task, accuracy)
    sentences.append(_mistake_sentence(model, n, noun))
    confidence = _confidence_sentence(model.get("confidence") or {})
    if confidence:
        sentences.append(confidence)
    if n < SMALL_TEST_SET:
        sentences.append(_small_sample_sentence(n, accuracy))
    return " ".join(sentences)


# ---- sentences -------------------------------------------------------------------------------------------------
def _baseline_sentences(
    evaluation: Mapping[str, Any], class_names: Sequence[str], task: str, accuracy: float
) -> list[str]:
    """'X points better than always answering ... and Y points better than a keyword model', plus a warning."""
    baselines = evaluation.get("baselines") or {}
    lifts = evaluation.get("lift") or {}
    simple = SIMPLE_MODEL.get(task, "a simple linear model")
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
            f"{simple[0].upper()}{simple[1:]} does better ({_pct(float(logistic['accuracy']))} vs {_pct(accuracy)}), "
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
        f"Its most common mistake is calling '{_md(mistake['true'])}' {noun} '{_md(mistake['predicted'])}'"
        f" ({times}{of_all})."
    )


def _confidence_sentence(confidence: Mapping[str, Any]) -> str:
    """Compare certainty on right vs wrong answers: only a clear gap makes low confidence a useful flag."""
    right, wrong = confidence.get("mean_correct"), confidence.get("mean_wrong")
    if right is None and wrong is None:
        return ""
    if wrong is None:
        return f"On average it was {_pct(float(right))} sure of its answers."
    if right is None:
        return f"It got every answer wrong while being on average {_pct(float(wrong))} sure."
    right, wrong = float(right), float(wrong)
    if right - wrong >= 0.1:
        return (
            f"When it is right it is on average {_pct(right)} sure; when it is wrong, {_pct(wrong)} sure — "
            "so low-confidence answers are worth a second look."
        )
    return (
        f"When it is right it is on average {_pct(right)} sure, and when it is wrong almost as sure "
        f"({_pct(wrong)}) — so its confidence is not a reliable warning sign."
    )


def _small_sample_sentence(n: int, accuracy: float) -> str:
    """A rough 95% margin (normal approximation) turns 'small' into a number people can weigh."""
    margin = 100.0 * 1.96 * math.sqrt(accuracy * (1.0 - accuracy) / max(n, 1))
    rough = f" (roughly ±{margin:.0f})" if margin >= 1.0 else ""
    return f"The test set is small (n={n}), so these figures could be off by several points{rough}."


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
    return _md(name) if name is not None else ""


def _compare(points: float, target: str) -> str:
    if abs(points) < 0.5:
        return f"about as accurate as {target}"
    whole = max(1, math.floor(abs(points) + 0.5))
    unit = "point" if whole == 1 else "points"
    return f"{whole} {unit} {'better' if points > 0 else 'worse'} than {target}"


def _pct(share: float) -> str:
    """A whole percent, unless rounding would hide the difference from 0% or 100%."""
    text = f"{100.0 * share:.0f}"
    if (text == "100" and share < 1.0) or (text == "0" and share > 0.0):
        text = f"{100.0 * share:.1f}"
    return f"{text}%"


def _about(accuracy: float) -> str:
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


def _md(text: Any) -> str:
    """Escape Markdown (and Streamlit's :colour[...] / $math$) so a class name shows exactly as written."""
    clean = _CONTROL.sub(" ", str(text)).strip()
    if len(clean) > MAX_NAME_CHARS:
        clean = clean[: MAX_NAME_CHARS - 1].rstrip() + "…"
    return _MARKDOWN_SPECIAL.sub(r"\\\1", clean)
