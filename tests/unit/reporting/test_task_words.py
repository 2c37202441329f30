"""The reporting layer's one question about a task: what its examples are called and what it answers."""

from __future__ import annotations

import pytest

from modeling.reporting.task_words import SIMPLE_MODEL, UNLIKE, noun_for, task_words
from modeling.templates import registry


@pytest.mark.parametrize("task", list(registry.TASKS))
def test_every_registered_task_has_its_words(task):
    words = task_words(task)
    spec = registry.task(task)
    assert words.noun == spec.noun == noun_for(task)
    assert words.predicts_number == spec.predicts_number and words.answers == spec.answers
    assert spec.kind in SIMPLE_MODEL and spec.kind in UNLIKE  # a new kind adds its phrases here
    assert words.unlike.startswith(spec.noun if spec.kind != "image" else "pictures")


def test_tables_speak_of_rows_and_a_linear_model():
    words = task_words(registry.TABLE_CLASSIFICATION)
    assert words.noun == "rows" and words.simple_model == "a simple linear model"
    assert words.unlike.startswith("rows unlike those") and not words.predicts_number
    assert task_words(registry.TABLE_REGRESSION).predicts_number


def test_an_unknown_task_speaks_of_examples_and_its_saved_evaluation_decides_the_answer():
    words = task_words("something_else")
    assert words.noun == "examples" and not words.predicts_number
    assert task_words("something_else", {"kind": "regression"}).predicts_number
