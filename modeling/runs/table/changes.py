"""What would change a table model's answer for one row: :mod:`modeling.evaluation.counterfactual` applied.

The person marks the columns they could act on (a contract, a price plan; not an age) and says what the answer
should become; :func:`what_would_change` finds the smallest changes of those columns that get there, or says
none was found and shows the closest. The goal, in the person's words:

* classes, nothing said: **flip the answer** (to the other class of two, across the saved threshold when the
  run has one; of more classes, to the next most likely);
* classes, a probability ``target``: the chance of the class to find (``class_name``, else the decision rule's
  positive class, else the second class) brought down to at most, or up to at least, ``target`` (whichever
  way is a change for this row);
* a number, a ``target`` value: the estimate brought up to at least, or down to at most, that value.

Candidate values come from the training profile saved with the run (the common categories, a grid of numbers
between training's 5% and 95% quantiles), or from the saved test rows for a run saved before profiles. Dates
cannot be changed here. Yes/no columns are searched as yes/no and written so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.tabular.prepare import OTHER
from modeling.errors import DataError
from modeling.evaluation import counterfactual
from modeling.evaluation.counterfactual import CounterfactualResult, Goal
from modeling.evaluation.decisions import positive_index
from modeling.evaluation.reasons import number_text
from modeling.runs.table.reasons import few_threads

#: The table predictor (:class:`modeling.runs.table.predictor.TablePredictor`, which calls this module: not
#: imported here, so the two do not import each other).
TablePredictor = Any


@dataclass
class WhatWouldChange:
    """The search's result, its sentence and one row per route found (or the closest)."""

    result: CounterfactualResult
    sentence: str  # plain text (escape it before Markdown)
    routes: list[dict[str, Any]]
    goal: str  # what was asked, in words
    changeable: list[str]
    now: str = ""  # the row's answer before any change, in words


def changeable_columns(predictor: TablePredictor) -> list[str]:
    """The input columns a search may change: every column but dates."""
    if predictor.preparation is None:
        return list(predictor.model.encoder.names)
    return [f.source for f in predictor.preparation.features if not f.part]


def _check_columns(predictor: TablePredictor, changeable: Sequence[str]) -> list[str]:
    wanted = [str(c).strip() for c in changeable if str(c).strip()]
    if not wanted:
        raise DataError(
            "No column is marked as changeable, so there is nothing to try. Mark the columns you could act on "
            "(a contract, a price plan), not the ones you cannot (an age)."
        )
    allowed = changeable_columns(predictor)
    known = set(predictor.input_columns)
    unknown = [c for c in wanted if c not in known]
    if unknown:
        shown = ", ".join(f"'{fmt.clip(c, 30)}'" for c in unknown[:5])
        listed = ", ".join(f"'{fmt.clip(c, 30)}'" for c in allowed[:20])
        raise DataError(f"{shown} {fmt.is_are(len(unknown))} not a column the model reads. It reads: {listed}.")
    dates = [c for c in wanted if c not in allowed]
    if len(dates) == len(wanted):
        raise DataError(
            f"{', '.join(repr(c) for c in dates[:5])} {fmt.is_are(len(dates))} a date, which cannot be changed here; "
            "mark a column you could act on."
        )
    return [c for c in wanted if c in allowed]


def _candidates(predictor: TablePredictor, columns: list[str]) -> dict[str, list]:
    """Values to try per column: from the training profile, or the saved test rows of an older run."""
    if predictor.profile:
        found = counterfactual.candidates_from_profile(predictor.profile, columns)
    else:
        frame = predictor.saved_test_frame()
        if frame is None:
            raise DataError(
                "This run keeps neither a profile of its training data nor its test rows, so there are no values to "
                "try; train the model again."
            )
        found = counterfactual.candidates_from_frame(frame, [c for c in columns if c in frame.columns])
    booleans = set(predictor.boolean_features())
    out = {}
    for name, values in found.items():
        if name in booleans:
            out[name] = [0.0, 1.0]
        else:
            out[name] = [v for v in values if v != OTHER]
    return out


def goal_for(
    predictor: TablePredictor, start: np.ndarray, target: float | None = None, class_name: str | None = None
) -> Goal:
    """The goal in the module docstring's terms, for a row whose answer is ``start`` (probabilities or a value)."""
    names = tuple(predictor.class_names)
    if predictor.predicts_number:
        if target is None:
            raise DataError("Say which value the estimate should reach (a target), for example 250000.")
        value = float(start.reshape(-1)[0])
        return Goal(at_least=float(target)) if value < target else Goal(at_most=float(target))
    probs = start.reshape(-1)
    if class_name is not None and class_name not in names:
        raise DataError(f"'{fmt.clip(class_name, 30)}' is not one of the model's classes ({', '.join(names)}).")
    if target is not None and not 0.0 < float(target) < 1.0:
        raise DataError(f"A target chance must lie between 0 and 1 (for example 0.3 for 30%); got {target}.")
    if class_name is not None:
        k = names.index(class_name)
        return Goal(class_index=k, threshold=None if target is None else float(target), names=names)
    positive = positive_index(list(names), predictor.decision.positive_class)
    if target is not None:
        if len(names) != 2:
            raise DataError("With more than two classes, say which class's chance the target is about.")
        other = 1 - positive
        if probs[positive] > target:
            return Goal(class_index=other, threshold=1.0 - float(target), names=names)
        return Goal(class_index=positive, threshold=float(target), names=names)
    picked = int(predictor.answers(start.reshape(1, -1))[0][0])
    if len(names) == 2:
        threshold = predictor.decision.threshold
        if threshold is not None:  # across the saved threshold on the positive class
            if picked == positive:
                return Goal(class_index=1 - positive, threshold=1.0 - float(threshold) + 1e-9, names=names)
            return Goal(class_index=positive, threshold=float(threshold), names=names)
        return Goal(class_index=1 - picked, names=names)
    ranked = [int(i) for i in np.argsort(-probs) if int(i) != picked]
    return Goal(class_index=ranked[0], names=names)


def what_would_change(
    predictor: TablePredictor,
    row: dict[str, Any],
    changeable: Sequence[str],
    target: float | None = None,
    class_name: str | None = None,
    max_changes: int = 3,
) -> WhatWouldChange:
    """The cheapest changes of ``changeable`` input columns of ``row`` (raw values) that reach the goal."""
    columns = _check_columns(predictor, changeable)
    raw = pd.DataFrame([{c: row.get(c) for c in predictor.input_columns}])
    frame = predictor.features(raw)[0]
    candidates = _candidates(predictor, columns)

    def predict(features: pd.DataFrame) -> np.ndarray:
        with few_threads(len(features)):
            return predictor.predict(features, prepared=True)

    start = predict(frame)
    goal = goal_for(predictor, start, target, class_name)
    result = counterfactual.counterfactuals(predict, frame, columns, candidates, goal, max_changes=max_changes)
    booleans = set(predictor.boolean_features())
    result.options = [_as_written(o, booleans) for o in result.options]
    if result.closest is not None:
        result.closest = _as_written(result.closest, booleans)
    sentence = counterfactual.describe_result(result, predictor.currency, markdown=False)
    routes = [_route(o, goal, predictor.currency) for o in result.options]
    if not routes and result.closest is not None:
        routes = [_route(result.closest, goal, predictor.currency)]
    return WhatWouldChange(result, sentence, routes, goal.describe(predictor.currency), columns, _now(predictor, start))


def _now(predictor: TablePredictor, start: np.ndarray) -> str:
    """'The model answers 'Yes' (74% sure)' or 'The estimate is 215,000', before any change."""
    if predictor.predicts_number:
        value = float(start.reshape(-1)[0])
        amount = fmt.money(value, predictor.currency) if predictor.currency else number_text(round(value, 2))
        return f"The estimate is {amount}."
    picked = int(predictor.answers(start.reshape(1, -1))[0][0])
    chance = float(start.reshape(-1)[picked])
    return f"The model answers '{fmt.one_line(predictor.class_names[picked], 40)}' ({fmt.share(chance)} sure)."


def _yes_no(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return "yes" if float(value) >= 0.5 else "no"


def _as_written(option: counterfactual.Option, booleans: set[str]) -> counterfactual.Option:
    """Yes/no columns' values as "yes"/"no", not 1.0/0.0."""
    changes = tuple(
        dataclasses.replace(c, old=_yes_no(c.old), new=_yes_no(c.new)) if c.column in booleans else c
        for c in option.changes
    )
    return dataclasses.replace(option, changes=changes)


def _shown(value: Any) -> str:
    if value is None:
        return "blank"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return number_text(float(value))
    return fmt.one_line(value, 40)


def _route(option: counterfactual.Option, goal: Goal, currency: str) -> dict[str, Any]:
    """One route as a table row: what changes, the answer it gets, whether it reaches the goal."""
    moves = "; ".join(f"{c.column}: {_shown(c.old)} → {_shown(c.new)}" for c in option.changes)
    return {
        "changes": moves,
        "columns changed": len(option.changes),
        "new answer": counterfactual.describe_answer(option.scores, goal, currency),
        "reaches the goal": bool(option.reached),
    }
