"""What a model's figures do not show, in plain sentences for the report's Limitations section.

A founder reads the headline accuracy and stops; these sentences say what could make it wrong in use:
a test set too small to pin the figure down, copies shared by training and test, unbalanced classes, a
class it rarely finds, cases unlike the training data (another language, other pictures), a simple
baseline that does better, a run stopped by hand, and that one split is one draw of luck.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from modeling import format as fmt
from modeling.data.language import reads_characters
from modeling.evaluation.intervals import WIDE_HALF_WIDTH
from modeling.evaluation.schema import Evaluation
from modeling.reporting import comparison as cmp
from modeling.reporting.task_words import task_words
from modeling.runs.store import Run

#: Largest / smallest class above this is called unbalanced in the limitations.
IMBALANCE_RATIO = 1.5


def limitations(run: Run, ev: Evaluation, test: Any = None) -> list[str]:
    """Plain sentences on what the figures do not show; always at least the single-split caveat."""
    items: list[str] = []
    model = ev["model"]
    n = int(model["n"])
    low, high, _ = cmp.accuracy_interval(ev)
    if low is not None:
        width = 100.0 * (high - low)
        if width / 200.0 > WIDE_HALF_WIDTH:
            items.append(
                f"Small test set: {n:,} examples give a 95% interval {width:.0f} points wide for the accuracy "
                f"({fmt.percent(low, 0)} to {fmt.percent(high, 0)}). Differences of a few points between models "
                "are not meaningful at this size; more labelled data would narrow it."
            )
        else:
            items.append(
                f"The test set holds {n:,} examples; the accuracy is known to within about ±{width / 2:.0f} points."
            )
    items += _duplicate_items(ev)
    items += _balance_items(run, model)
    items += _unseen_items(run, test)
    baselines = ev.get("baselines") or {}
    logistic = baselines.get("logistic")
    if logistic and logistic.get("accuracy") is not None and float(logistic["accuracy"]) > float(model["accuracy"]):
        title = str(logistic.get("title") or "a logistic regression").lower()
        items.append(
            f"A simple baseline beats it: the {title} scores {fmt.percent(logistic['accuracy'])} against this model's "
            f"{fmt.percent(model['accuracy'])}. Use the simple one, or improve this model, before relying on it."
        )
    if run.info.status == "stopped":
        items.append("Training was stopped by hand; the model is the best one found until then, not a finished one.")
    items.append(
        "All figures come from one split of the data (seed "
        f"{run.config.settings.seed}); another split would give slightly different numbers."
    )
    return items


def _duplicate_items(ev: Evaluation) -> list[str]:
    dup = ev.get("duplicates")
    if not dup:
        return [
            "Copies shared by the training and test splits were not checked for this run; if there are any, "
            "the score is flattered."
        ]
    exact, near = int(dup.get("exact") or 0), int(dup.get("near") or 0)
    if exact + near == 0:
        return ["No test example is a copy or near-copy of a training example, so the score is not inflated by leaks."]
    share = dup.get("share_of_test")
    text = (
        f"{exact:,} test examples are exact copies and {near:,} near-copies of training examples"
        + (f" ({fmt.percent(share, 0)} of the test set)" if share is not None else "")
        + "; the model may simply remember them."
    )
    without = dup.get("accuracy_without")
    if without is not None:
        text += f" Without them the accuracy is {fmt.percent(without)}."
    return [text]


def _balance_items(run: Run, model: Mapping[str, Any]) -> list[str]:
    counts = (run.meta.get("dataset") or {}).get("class_counts") or {}
    present = {str(k): int(v) for k, v in counts.items() if int(v) > 0}
    items = []
    if len(present) >= 2:
        big = max(present, key=present.__getitem__)
        small = min(present, key=present.__getitem__)
        ratio = present[big] / present[small]
        if ratio > IMBALANCE_RATIO:
            items.append(
                f"The classes are unbalanced ('{big}': {present[big]:,} examples, '{small}': {present[small]:,}); "
                "overall accuracy favours the big class, so check the recall of the small one."
            )
    per_class = model.get("per_class") or {}
    recalls = {k: float(v.get("recall") or 0.0) for k, v in per_class.items() if int(v.get("support") or 0) > 0}
    if len(recalls) >= 2:
        worst = min(recalls, key=recalls.__getitem__)
        if recalls[worst] < float(model["accuracy"]) - 0.1:
            items.append(
                f"It finds only {fmt.percent(recalls[worst], 0)} of the '{worst}' examples, well below its overall "
                "accuracy."
            )
    return items


def _unseen_items(run: Run, test: Any) -> list[str]:
    dataset = run.meta.get("dataset") or {}
    names = run.class_names
    words = task_words(run.task)
    shown = ", ".join(f"'{n}'" for n in names[:8]) + (", …" if len(names) > 8 else "")
    source = dataset.get("source") or run.config.data.source
    where = "the built-in sample" if str(source).startswith("sample:") else "the uploaded file"
    items = [
        f"It only knows the {len(names)} labels it was trained on ({shown}); anything else will be forced into one "
        f"of them. It learned from {int(dataset.get('rows') or 0):,} {words.noun} of {where} "
        f"'{dataset.get('name', '')}'; {words.unlike} may score worse than the figures above."
    ]
    extra = _KIND_ITEMS.get(words.kind)
    return items + (extra(dataset, test) if extra else [])


def _language_items(dataset: Mapping[str, Any], test: Any) -> list[str]:
    """The language of the texts: a model trained on one scores others unreliably."""
    if test is None or test.texts is None:
        return []
    language = describe_language(test.texts)
    return [f"The texts are {language}; texts in other languages will be scored unreliably."] if language else []


def _picture_items(dataset: Mapping[str, Any], test: Any) -> list[str]:
    """The picture size and colour it sees: photos framed or lit differently may be misread."""
    shape = dataset.get("image_shape")
    if not shape:
        return []
    return [
        f"It sees every picture as {shape[0]}×{shape[1]} pixels in {'grey' if int(shape[-1]) == 1 else 'colour'}; "
        "photos framed, lit or drawn differently from the training images may be misread."
    ]


#: Further limitations of one kind of data, beyond the labels and the data it learned from.
_KIND_ITEMS = {"text": _language_items, "image": _picture_items}

#: Common English function words: their share of all words tells English text from other languages.
_ENGLISH_WORDS = (
    "the a an and or but is are was were it this that to of in on for "
    "with not no very my i you they we have has had be do does did at as so"
)
_ENGLISH = frozenset(_ENGLISH_WORDS.split())


def describe_language(texts: Sequence[Any]) -> str:
    """'in English', 'in Chinese or Japanese script', 'not recognisably English': a rough, cheap guess."""

    sample = [str(t) for t in list(texts)[:500]]
    if not sample:
        return ""
    if reads_characters(sample):
        return "in Chinese or Japanese script"
    words = [w for t in sample for w in re.findall(r"[^\W\d_]+", t.lower())]
    if not words:
        return ""
    share = sum(w in _ENGLISH for w in words) / len(words)
    return "in English" if share >= 0.12 else "not recognisably English"
