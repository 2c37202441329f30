"""A forecast run in plain words: the paragraph you could paste into an email, from its ``evaluation.json``.

"Over the next 12 weeks the 20 stations should total 3,720 rides (80% range 3,560–3,880), 3% below the same
weeks a year earlier; the peak is the week of 21 November." Then how far off the backtest was against the
seasonal naive, whether it leans high or low, how often the ranges held, why this model, and the series served
worst. Every name that came from the data is escaped for Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modeling import format as fmt
from modeling.evaluation.forecast.outlook import rounded
from modeling.format import md_escape

#: Changes smaller than this read as "about the same" (rounding noise in a sentence about a year).
SAME = 0.005


def _plural(word: str) -> str:
    word = word.replace("_", " ").strip()
    if word.endswith("s"):
        return word
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def who(evaluation: Mapping[str, Any]) -> str:
    """How the sentence names the series: "the 20 stations", "the 240 series", or "" for a single series."""
    target = evaluation.get("target") or {}
    count = int(target.get("series_count") or (evaluation.get("outlook") or {}).get("series") or 0)
    columns = list(target.get("series_columns") or [])
    if not columns or count <= 1:
        return ""
    noun = _plural(str(columns[0])) if len(columns) == 1 else "series"
    return f"the {fmt.count(count)} {md_escape(noun)}"


def _range(low: Any, high: Any) -> str:
    return f"{rounded(float(low))}–{rounded(float(high))}" if low is not None and high is not None else ""


def outlook_sentence(evaluation: Mapping[str, Any]) -> str:
    """The forecast's one-sentence headline (Markdown; empty when the run saved no outlook)."""
    facts = evaluation.get("outlook") or {}
    if not facts or facts.get("total") is None:
        return ""
    target = md_escape(str((evaluation.get("target") or {}).get("name") or "the total"))
    unit = str((evaluation.get("frequency") or {}).get("unit") or "period")
    subject = who(evaluation)
    span = facts.get("horizon_words") or "horizon"
    ranged = _range(facts.get("low_80"), facts.get("high_80"))
    text = f"Over the next {span} {subject + ' ' if subject else ''}should total {rounded(float(facts['total']))} "
    text += f"{target}" + (f" (80% range {ranged})" if ranged else "")
    change = facts.get("change")
    if change is not None:
        if abs(change) < SAME:
            text += f", about the same as the same {unit}s a year earlier"
        else:
            text += f", {fmt.share(abs(change))} {'above' if change > 0 else 'below'} the same {unit}s a year earlier"
    if facts.get("peak_words") and int(evaluation.get("horizon") or 0) > 1:
        text += f"; the peak is {facts['peak_words']}"
    return text + "."


def accuracy_sentence(evaluation: Mapping[str, Any]) -> str:
    """How far off the backtest was, against the seasonal naive, and which way it leans."""
    model = evaluation.get("model") or {}
    naive = (evaluation.get("baselines") or {}).get("seasonal_naive") or {}
    if model.get("wape") is None:
        return ""
    text = f"On {evaluation.get('scored_on') or 'the backtest'}, the forecast was "
    text += f"{fmt.percent(model['wape'])} off (WAPE)"
    lift = model.get("wape_lift")
    if lift is not None and naive.get("wape") is not None:
        better = "less" if lift >= 0 else "more"
        text += (
            f": {fmt.share(abs(lift))} {better} error than the seasonal naive, which repeats last season "
            f"({fmt.percent(naive['wape'])} off)"
        )
    bias = model.get("bias")
    if bias is not None:
        if abs(bias) < SAME * 2:
            text += ", and it leans neither high nor low"
        else:
            text += f", and it leans {'high' if bias > 0 else 'low'} by {fmt.share(abs(bias))} on average"
    return text + "."


def coverage_sentence(evaluation: Mapping[str, Any]) -> str:
    """How often the 80% and 90% ranges held on dates they were not calibrated on."""
    coverage = evaluation.get("coverage") or {}
    held = [(k, (coverage.get(k) or {}).get("coverage")) for k in ("80", "90")]
    held = [(k, v) for k, v in held if v is not None]
    if not held:
        return "The ranges could not be checked: that needs a backtest window they were not calibrated on."
    parts = [f"the {k}% range {fmt.share(float(v))}" for k, v in held]
    parts[0] = parts[0].replace(" range ", " range held ") + " of the time"
    n = int((coverage.get(held[0][0]) or {}).get("n") or 0)
    return f"On {fmt.plural(n, 'backtest date')} the ranges never saw, {' and '.join(parts)}" + (
        "." if all(abs(float(v) - int(k) / 100) <= 0.05 for k, v in held) else " (read them with care)."
    )


def forecast_summary(evaluation: Mapping[str, Any]) -> str:
    """The plain-language summary the Evaluate page and the report show (Markdown, data names escaped)."""
    sentences = [outlook_sentence(evaluation), accuracy_sentence(evaluation), coverage_sentence(evaluation)]
    choice = (evaluation.get("choice") or {}).get("sentence")
    if choice:
        sentences.append(f"Why this forecast: {choice}")  # written by ModelDeck from its own model labels
    worst = evaluation.get("worst_series") or {}
    if worst.get("wape") is not None and int(evaluation.get("series_total") or 0) > 1:
        sentences.append(
            f"The series it serves worst is '{md_escape(str(worst['unique_id']))}' "
            f"({fmt.percent(worst['wape'])} off{_versus(worst)})."
        )
    return " ".join(s for s in sentences if s)


def _versus(row: Mapping[str, Any]) -> str:
    base = row.get("baseline_wape")
    return f"; the seasonal naive was {fmt.percent(base)} off there" if base is not None else ""
