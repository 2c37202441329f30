"""The decision rule saved with the run in ModelDeck, applied to class probabilities without ModelDeck.

``decision.json`` (beside this file in an export) holds the rule set on ModelDeck's Evaluate page: a
``threshold`` on ``positive_class`` for two classes, or a ``cost_matrix`` (``cost[true][answer]``) for more,
and ``min_confidence``, below which an answer goes to a person. :func:`decide` gives the same answers as
ModelDeck (``modeling.evaluation.decisions``): same comparisons, in float64, same tolerance, same wording.
Without the file, answers are the most probable class and nobody is flagged.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

RULE_FILE = "decision.json"


def load_rule(folder: Path) -> dict:
    """The saved rule in ``folder`` (``{}`` when none was saved)."""
    path = Path(folder) / RULE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def decide(probs: np.ndarray, class_names: list, rule: dict) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The class index per row under ``rule``, whether a person should look, and why ('' when not)."""
    p = np.asarray(probs, dtype=np.float64)
    if len(p) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), []
    threshold, cost = rule.get("threshold"), rule.get("cost_matrix")
    if threshold is not None and p.shape[1] == 2:
        names = [str(c) for c in class_names]
        positive = names.index(rule["positive_class"]) if rule.get("positive_class") in names else 1
        chosen = np.where(p[:, positive] >= threshold - 1e-12, positive, 1 - positive)
    elif cost is not None and len(cost) == p.shape[1]:
        chosen = (p @ np.asarray(cost, dtype=np.float64)).argmin(axis=1)
    else:
        chosen = p.argmax(axis=1)
    level, top = rule.get("min_confidence"), p.max(axis=1)
    flagged = top < level - 1e-12 if level is not None else np.zeros(len(p), dtype=bool)
    reasons = [
        f"only {t:.0%} sure, below the {level:.0%} set for automatic answers" if f else ""
        for t, f in zip(top, flagged, strict=True)
    ]
    return chosen.astype(np.int64), flagged, reasons
