"""What would change the answer: the smallest changes of the columns a person can act on that reach a goal.

A founder asks "what would keep this customer?" and can change the contract or the price plan, not the
customer's age. :func:`counterfactuals` searches, for one row, changes of the columns marked changeable
that flip the answer to a chosen class, bring a class's probability past a threshold, or bring a number
above or below a value (a :class:`Goal`).

The search asks only ``predict(frame) -> scores`` (any template or blend) and is bounded by a budget of
rows sent to the model:

1. Every single change (each changeable column set to each of its candidate values: the categories seen
   in training, a grid of numbers between training's 5% and 95% quantiles) in one batched call.
2. A small beam over combinations: the ``beam`` changes closest to the goal are extended by one more
   column, up to ``max_changes`` (3) columns, in one batched call per level, until ``top`` answers are
   found or the budget is spent.
3. Answers are ordered by cost: the number of columns changed, then the normalised distance (a number's
   change as a share of its training range; a category change counts 1). Only the cheapest value of each
   set of columns is kept, so the answers offer different routes.

When nothing reaches the goal, the closest row found is returned and the sentence says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.errors import DataError
from modeling.evaluation.probabilities import check_finite
from modeling.evaluation.reasons import number_text

Predict = Callable[[pd.DataFrame], np.ndarray]
#: Rows sent to the model at most, all levels together (a few thousand rows take well under a second).
BUDGET = 3000
#: Candidate values per number column (quantiles between training's 5% and 95%).
GRID_POINTS = 12
#: Candidate values per category column (the most common in training).
MAX_CANDIDATE_CATEGORIES = 30


@dataclass(frozen=True)
class Goal:
    """What the answer should become.

    A class (``class_index``): the most likely answer, or with ``threshold`` its probability at least that.
    A number: ``at_least`` and/or ``at_most``. ``names`` are the class names, for sentences.
    """

    class_index: int | None = None
    threshold: float | None = None
    at_least: float | None = None
    at_most: float | None = None
    names: tuple[str, ...] = ()

    def check(self, scores: np.ndarray) -> None:
        if self.class_index is None and self.at_least is None and self.at_most is None:
            raise DataError("Say what the answer should become: a class, a probability or a value to reach.")
        if self.class_index is not None and (scores.ndim != 2 or not 0 <= self.class_index < scores.shape[1]):
            raise DataError("The class to reach must be one of the model's classes.")
        if self.class_index is None and scores.ndim != 1:
            raise DataError("This model answers with classes; choose the class to reach, not a value.")

    def shortfall(self, scores: np.ndarray) -> np.ndarray:
        """How far each row's answer is from the goal (at most 0 when reached, except a tie for the top class)."""
        if self.class_index is not None:
            p = scores[:, self.class_index]
            if self.threshold is not None:
                return self.threshold - p
            others = np.delete(scores, self.class_index, axis=1)
            return (others.max(axis=1) if others.shape[1] else np.zeros(len(p))) - p
        gaps = [np.full(len(scores), -np.inf)]
        if self.at_least is not None:
            gaps.append(self.at_least - scores)
        if self.at_most is not None:
            gaps.append(scores - self.at_most)
        return np.max(gaps, axis=0)

    def reached(self, scores: np.ndarray) -> np.ndarray:
        gap = self.shortfall(scores)
        strict = self.class_index is not None and self.threshold is None
        return gap < 0 if strict else gap <= 0

    def describe(self, currency: str = "") -> str:
        """'the answer 'No'', 'a chance of 'Yes' of at least 70%', 'a value of at least $300,000'."""
        if self.class_index is not None:
            name = self.names[self.class_index] if self.class_index < len(self.names) else f"class {self.class_index}"
            if self.threshold is None:
                return f"the answer '{name}'"
            return f"a chance of '{name}' of at least {fmt.share(self.threshold)}"
        bounds = []
        if self.at_least is not None:
            bounds.append(f"at least {_amount(self.at_least, currency)}")
        if self.at_most is not None:
            bounds.append(f"at most {_amount(self.at_most, currency)}")
        return "a value of " + " and ".join(bounds)


@dataclass(frozen=True)
class Change:
    column: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Option:
    """One way to change the row, the answer it gets, and what it costs."""

    changes: tuple[Change, ...]
    scores: tuple[float, ...]  # the new answer: probabilities per class, or the value
    reached: bool
    shortfall: float
    distance: float

    @property
    def cost(self) -> tuple[int, float]:
        return len(self.changes), self.distance


@dataclass
class CounterfactualResult:
    goal: Goal
    start: tuple[float, ...]
    options: list[Option] = field(default_factory=list)
    closest: Option | None = None
    evaluated: int = 0
    already: bool = False
    budget_spent: bool = False
    skipped: list[str] = field(default_factory=list)
    max_changes: int = 3

    @property
    def found(self) -> bool:
        return self.already or bool(self.options)


# ---- candidate values ------------------------------------------------------------------------------------------
def _nice(values: np.ndarray, integer: bool) -> list[float]:
    """Grid values rounded as a person would type them (whole numbers, or three significant digits)."""
    if integer:
        return sorted({float(round(v)) for v in values})
    return sorted({float(f"{v:.3g}") for v in values})


def candidates_from_frame(frame: pd.DataFrame, columns: Sequence[str], points: int = GRID_POINTS) -> dict[str, list]:
    """Candidate values per column from the training rows: a quantile grid for numbers, common categories."""
    out: dict[str, list] = {}
    for name in columns:
        series = frame[name]
        if pd.api.types.is_numeric_dtype(series):
            x = series.to_numpy(dtype=np.float64, na_value=np.nan)
            x = x[np.isfinite(x)]
            if len(x):
                grid = np.quantile(x, np.linspace(0.05, 0.95, points))
                out[str(name)] = _nice(grid, bool(np.all(x == np.round(x))))
        else:
            out[str(name)] = [
                str(v) for v in series.dropna().astype(str).value_counts().index[:MAX_CANDIDATE_CATEGORIES]
            ]
    return out


def candidates_from_profile(profile: Mapping[str, Any], columns: Sequence[str], points: int = GRID_POINTS) -> dict:
    """The same candidates from a saved training profile (:func:`modeling.evaluation.drift.profile_table`)."""
    out: dict[str, list] = {}
    specs = profile.get("columns") or {}
    for name in columns:
        spec = specs.get(name)
        if not spec:
            continue
        if spec["type"] == "number":
            if spec["points"]:
                levels = np.asarray(spec["cdf"], dtype=np.float64)
                grid = np.interp(np.linspace(0.05, 0.95, points), levels, np.asarray(spec["points"], dtype=np.float64))
                out[name] = _nice(grid, bool(spec.get("integer")))
        else:
            out[name] = list(spec["shares"])[:MAX_CANDIDATE_CATEGORIES]
    return out


# ---- the search ------------------------------------------------------------------------------------------------
State = tuple[tuple[str, Any], ...]  # (column, new value) pairs in column order


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float, np.integer, np.floating)) and isinstance(b, (int, float, np.integer, np.floating)):
        return bool(np.isclose(float(a), float(b)))
    return a == b


def counterfactuals(
    predict: Predict,
    row: pd.DataFrame,
    changeable: Sequence[str],
    candidates: Mapping[str, Sequence[Any]],
    goal: Goal,
    budget: int = BUDGET,
    beam: int = 8,
    max_changes: int = 3,
    top: int = 3,
) -> CounterfactualResult:
    """The cheapest changes of ``changeable`` columns of the one-row feature frame ``row`` that reach ``goal``."""
    if len(row) != 1:
        raise DataError(f"Changes are searched for one row at a time; got {len(row):,} rows.")
    row = row.reset_index(drop=True)
    if not changeable:
        raise DataError(
            "No column is marked as changeable, so there is nothing to try. Mark the columns you could act on "
            "(a contract, a price plan), not the ones you cannot (an age)."
        )
    unknown = [c for c in changeable if c not in row.columns]
    if unknown:
        raise DataError(
            f"{', '.join(repr(c) for c in unknown[:5])} {fmt.is_are(len(unknown))} not a column of the row."
        )
    current = {c: row[c].iloc[0] for c in changeable}
    options = {c: [v for v in candidates.get(c, []) if not _same(v, current[c])] for c in changeable}
    skipped = [c for c in changeable if not options[c]]
    if len(skipped) == len(changeable):
        raise DataError(
            f"None of the changeable columns ({', '.join(skipped[:5])}) has other values to try (dates and columns "
            "without training values cannot be changed here)."
        )
    scale = {c: _scale(options[c] + [current[c]]) for c in changeable}
    start = np.asarray(predict(row), dtype=np.float64)
    goal.check(start)
    result = CounterfactualResult(
        goal, tuple(start.reshape(-1).tolist()), skipped=skipped, evaluated=1, max_changes=max_changes
    )
    if bool(goal.reached(start)[0]):
        result.already = True
        return result
    columns = [c for c in changeable if options[c]]
    found: dict[frozenset[str], Option] = {}
    frontier: list[State] = [()]
    for _level in range(max_changes):
        expansions: list[State] = []
        seen: set[frozenset] = set()
        for state in frontier:
            used = {c for c, _ in state}
            for c in columns:
                if c in used:
                    continue
                for v in options[c]:
                    new = tuple(sorted((*state, (c, v)), key=lambda cv: columns.index(cv[0])))
                    key = frozenset(new)
                    if key not in seen and not any(k <= frozenset(c for c, _ in new) for k in found):
                        seen.add(key)
                        expansions.append(new)
        room = budget - result.evaluated
        if room < len(expansions):
            expansions, result.budget_spent = expansions[: max(room, 0)], True
        if not expansions:
            break
        scores = np.asarray(predict(_variants(row, expansions)), dtype=np.float64)
        check_finite(scores.reshape(len(expansions), -1), "This model")
        result.evaluated += len(expansions)
        gaps, hits = goal.shortfall(scores), goal.reached(scores)
        made = [_option(s, scores[i], bool(hits[i]), float(gaps[i]), current, scale) for i, s in enumerate(expansions)]
        for option in made:
            if option.reached:
                key = frozenset(ch.column for ch in option.changes)
                if key not in found or option.cost < found[key].cost:
                    found[key] = option
            elif result.closest is None or (option.shortfall, option.cost) < (
                result.closest.shortfall,
                result.closest.cost,
            ):
                result.closest = option
        if len(found) >= top or result.budget_spent:
            break
        frontier = _beam([(s, o) for s, o in zip(expansions, made, strict=True) if not o.reached], beam)
    result.options = sorted(found.values(), key=lambda o: o.cost)[:top]
    return result


def _beam(states: list[tuple[State, Option]], width: int) -> list[State]:
    """The ``width`` states closest to the goal, at most two per set of columns (so the routes differ)."""
    kept: list[State] = []
    per_set: dict[frozenset, int] = {}
    for state, _option in sorted(states, key=lambda so: (so[1].shortfall, so[1].cost)):
        key = frozenset(c for c, _ in state)
        if per_set.get(key, 0) < 2:
            kept.append(state)
            per_set[key] = per_set.get(key, 0) + 1
        if len(kept) >= width:
            break
    return kept


def _scale(values: list[Any]) -> float | None:
    """A number column's range among its candidates (None for categories: each change costs 1)."""
    numbers = [float(v) for v in values if isinstance(v, (int, float, np.integer, np.floating)) and np.isfinite(v)]
    if len(numbers) != len(values) or not numbers:
        return None
    spread = max(numbers) - min(numbers)
    return spread if spread > 0 else 1.0


def _variants(row: pd.DataFrame, states: list[State]) -> pd.DataFrame:
    frame = pd.concat([row] * len(states), ignore_index=True)
    for column in {c for state in states for c, _ in state}:
        values = frame[column].to_numpy(dtype=object).copy()
        for i, state in enumerate(states):
            for c, v in state:
                if c == column:
                    values[i] = v
        frame[column] = (
            pd.array(values, dtype=row[column].dtype)
            if not pd.api.types.is_numeric_dtype(row[column])
            else values.astype(np.float64)
        )
    return frame


def _option(state: State, scores: np.ndarray, reached: bool, gap: float, current: dict, scale: dict) -> Option:
    distance = 0.0
    for c, v in state:
        old = current[c]
        if scale[c] is None:
            distance += 1.0
        else:
            old_value = float(old) if old is not None and not pd.isna(old) else np.nan
            distance += abs(float(v) - old_value) / scale[c] if np.isfinite(old_value) else 1.0
    changes = tuple(Change(c, _plain(current[c]), _plain(v)) for c, v in state)
    return Option(changes, tuple(np.asarray(scores).reshape(-1).tolist()), reached, gap, round(distance, 9))


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


# ---- words ---------------------------------------------------------------------------------------------------
def _amount(value: float, currency: str) -> str:
    return fmt.money(value, currency) if currency else number_text(value)


def _value(value: Any) -> str:
    if value is None:
        return "blank"
    if isinstance(value, (int, float)):
        return number_text(float(value))
    return fmt.one_line(value, 40)


def describe_answer(scores: Sequence[float], goal: Goal, currency: str = "") -> str:
    """'the chance of 'Yes' becomes 18%' or 'the estimate becomes $312,000'."""
    if goal.class_index is None:
        return f"the estimate becomes {_amount(float(scores[0]), currency)}"
    k = goal.class_index
    name = goal.names[k] if k < len(goal.names) else f"class {k}"
    return f"the chance of '{name}' becomes {fmt.share(float(scores[k]))}"


def describe_option(option: Option, goal: Goal, currency: str = "", markdown: bool = True) -> str:
    """'Changing 'contract' from 'Month-to-month' to 'Two year': the chance of 'No' becomes 81%.'"""
    name = fmt.md_name if markdown else (lambda text: fmt.one_line(text, 60))
    moves = [f"'{name(c.column)}' from {name(_value(c.old))} to {name(_value(c.new))}" for c in option.changes]
    joined = moves[0] if len(moves) == 1 else ", ".join(moves[:-1]) + " and " + moves[-1]
    return f"Changing {joined}: {name(describe_answer(option.scores, goal, currency))}."


def describe_result(result: CounterfactualResult, currency: str = "", markdown: bool = True) -> str:
    """One sentence for the page or the command line: the cheapest route, or why there is none and the closest."""
    name = fmt.md_name if markdown else (lambda text: fmt.one_line(text, 80))
    target = name(result.goal.describe(currency))
    if result.already:
        return f"This row already gets {target}; nothing needs to change."
    if result.options:
        first = describe_option(result.options[0], result.goal, currency, markdown)
        more = len(result.options) - 1
        return first + (f" {fmt.plural(more, 'other route')} also work{'s' if more == 1 else ''}." if more else "")
    words = {1: "one", 2: "two", 3: "three"}.get(result.max_changes, str(result.max_changes))
    text = f"No change of up to {words} changeable column{'s' if result.max_changes != 1 else ''} reaches {target}"
    text += " within the search budget." if result.budget_spent else "."
    if result.closest is not None:
        closest = describe_option(result.closest, result.goal, currency, markdown)
        text += " The closest: " + closest[0].lower() + closest[1:]
    if result.skipped:
        text += f" Not tried (no other values): {', '.join(name(c) for c in result.skipped[:5])}."
    return text
