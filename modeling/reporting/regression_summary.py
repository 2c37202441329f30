"""A plain-English paragraph about a number-predicting run, in the user's units.

"On 400 houses it had never seen, its estimates of price are off by about $12,400 on average (95% interval
$11,100–$13,900). That is 62% smaller errors than always guessing the average price, and 18% smaller
than a simple linear model. 9 in 10 actual prices fall inside its 90% range (measured: 88% of the test
rows)." The only user-written text is the target's name and its currency; both are escaped for Markdown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from modeling import format as fmt
from modeling.evaluation.importance import describe_importance
from modeling.format import amount

__all__ = ["amount", "regression_summary"]  # ``amount`` lives in modeling.format; importable from here too

#: Below this many test rows the summary says the figures are rough.
SMALL_TEST_SET = 100


def regression_summary(
    evaluation: Mapping[str, Any], target: str = "the target", currency: str = "", noun: str = "rows"
) -> str:
    """Four to seven Markdown sentences on a regression run's test results, for people who never trained a model."""
    model = evaluation["model"]
    n = int(model["n"])
    name = fmt.md_name(target) if target else "the target"
    cur = fmt.md_name(currency) if currency else ""
    intervals = evaluation.get("intervals") or {}
    mae = intervals.get("mae") or {}
    span = ""
    if mae.get("low") is not None and mae.get("high") is not None:
        span = f" (95% interval {amount(mae['low'], cur)}–{amount(mae['high'], cur)})"
    sentences = [
        f"On {n:,} {noun} it had never seen, its estimates of {name} are off by about "
        f"{amount(model['mae'], cur)} on average{span}."
    ]
    r2 = model.get("r2")
    if r2 is not None:
        if r2 >= 0:
            sentences.append(
                f"It explains {fmt.share(max(0.0, float(r2)))} of the variation in {name} (R² {float(r2):.2f})."
            )
        else:
            sentences.append(
                f"Its R² is {float(r2):.2f}: it does worse than always guessing the average, so do not use it as it is."
            )
    sentences += _baseline_sentences(evaluation, name)
    sentences += _range_sentences(evaluation, name, cur)
    bias = float(model.get("mean_error") or 0.0)
    if abs(bias) > 0.25 * float(model["mae"]) and model["mae"] > 0:
        direction = "high" if bias > 0 else "low"
        sentences.append(f"Its estimates run {direction} by about {amount(abs(bias), cur)} on average.")
    importance = evaluation.get("importance")
    if importance and importance.get("columns"):
        sentences.append(describe_importance(importance, target or "the target", currency=currency))
    copies = int((evaluation.get("duplicates") or {}).get("exact") or 0)
    if copies:
        sentences.append(
            f"{fmt.plural(copies, 'test row')} ({fmt.share(copies / max(n, 1))}) repeat a training row exactly, "
            "which flatters these figures."
        )
    if n < SMALL_TEST_SET:
        sentences.append(
            f"The test set is small (n={n}), so these figures are rough; test on more rows before relying on them."
        )
    return " ".join(sentences)


def _baseline_sentences(evaluation: Mapping[str, Any], name: str) -> list[str]:
    reductions = evaluation.get("error_reduction") or {}
    parts = []
    for key, what in (("mean", f"always guessing the average {name}"), ("linear", "a simple linear model")):
        value = reductions.get(key)
        if value is None:
            continue
        value = float(value)
        if abs(value) < 0.01:
            parts.append(f"about the same errors as {what}")
        elif value > 0:
            parts.append(f"{fmt.share(value)} smaller errors than {what}")
        else:
            parts.append(f"{fmt.share(-value)} larger errors than {what}")
    if not parts:
        return []
    out = [f"That is {' and '.join(parts)} (typical error, RMSE)."]
    linear = reductions.get("linear")
    if linear is not None and float(linear) < -0.01:
        out.append("A simple linear model does better here, so consider using it instead.")
    return out


def _range_sentences(evaluation: Mapping[str, Any], name: str, currency: str) -> list[str]:
    levels = ((evaluation.get("prediction_intervals") or {}).get("levels")) or {}
    item = levels.get("0.9") or {}
    coverage = item.get("coverage")
    if coverage is None:
        return []
    tenths = math.floor(float(coverage) * 10 + 0.5)
    width = item.get("mean_width")
    wide = f", about {amount(width, currency)} wide on average" if width is not None else ""
    return [
        f"{tenths} in 10 actual values of {name} fall inside its 90% range{wide} (measured on the test rows: "
        f"{fmt.share(float(coverage))}; the range was set on separate validation rows)."
    ]
