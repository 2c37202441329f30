"""How a report speaks about a task: what its examples are called, and whether it answers a class or a number.

Summaries, reports, limitations, model cards and comparisons differ between tasks in only a few ways: the
noun ("500 texts", "400 rows"), whether the model answers with classes (accuracy, a confusion matrix) or a
number (errors in the target's units, ranges), the name of the simple model it is compared with, and what
"data unlike the training data" means. This module is the reporting layer's one place that asks: the noun
and the answer come from the template registry's :class:`~modeling.templates.registry.TaskSpec`, the two
phrases from small per-kind tables below. A new kind of data adds a line to each table, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modeling.templates import registry

#: The simple model each kind of data is compared with, as a sentence names it.
SIMPLE_MODEL = {
    "text": "a simple keyword model",
    "image": "a simple pixel model",
    "table": "a simple linear model",
    "series": "a seasonal naive forecast",
}
#: What "cases unlike the training data" means for each kind (completes "...; {unlike} may score worse").
UNLIKE = {
    "text": "texts unlike those (another topic, source, period or style)",
    "image": "pictures unlike those (another camera, background, size or style)",
    "table": "rows unlike those (other customers, markets or periods, or values outside the ranges it saw)",
    "series": "dated values unlike those (other products or places, new seasons, a changed market)",
}
_DEFAULT_UNLIKE = "examples unlike those"


@dataclass(frozen=True)
class TaskWords:
    """The words and the kind of answer a report uses for one task."""

    task: str
    kind: str
    #: What the examples are called, plural ("texts", "images", "rows").
    noun: str
    #: True when the model answers with a number (regression) rather than a class.
    predicts_number: bool
    #: The simple baseline, as a sentence names it ("a simple keyword model").
    simple_model: str
    #: "texts unlike those (another topic, ...)": the start of the caution about unfamiliar data.
    unlike: str

    #: What the model answers with: ``classes``, ``number`` or ``series`` (the registry's ``TaskSpec.answers``;
    #: for an unknown task, what its saved evaluation shows).
    answers: str = "classes"


def task_words(task: str, evaluation: Mapping[str, Any] | None = None) -> TaskWords:
    """The :class:`TaskWords` of ``task``; an unknown task (a run from elsewhere) speaks of "examples".

    ``evaluation`` (a saved ``evaluation.json``) settles the kind of answer for such a run: one saved as a
    ``"regression"`` evaluation answers with a number whatever its task is called.
    """
    spec = registry.TASKS.get(task)
    saved_number = bool(evaluation) and evaluation.get("kind") == "regression"  # type: ignore[union-attr]
    saved = "number" if saved_number else "classes"
    if spec is None:
        return TaskWords(task, "", "examples", saved_number, "a simple model", _DEFAULT_UNLIKE, saved)
    return TaskWords(
        task=task,
        kind=spec.kind,
        noun=spec.noun,
        predicts_number=spec.predicts_number or saved_number,
        simple_model=SIMPLE_MODEL.get(spec.kind, "a simple model"),
        unlike=UNLIKE.get(spec.kind, _DEFAULT_UNLIKE),
        answers="number" if saved_number else spec.answers,
    )


def noun_for(task: str) -> str:
    """What one example of ``task`` is called in a sentence: "texts", "images", "rows" ("examples" otherwise)."""
    return task_words(task).noun
