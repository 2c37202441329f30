"""A run's saved decision rule (``decision.json``): read, write atomically, forget.

The rule itself and the maths of applying it are :mod:`modeling.evaluation.decisions`. :func:`load_decision`
never fails on a missing file (it returns the defaults: plain most-probable-class answers, nobody flagged),
so runs made before rules existed keep working. Starter runs ship with the code and are read-only.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from modeling.errors import ConfigError
from modeling.evaluation.decisions import Decision
from modeling.runs.store import write_json
from modeling.settings import STARTERS_DIR

DECISION_FILE = "decision.json"


def load_decision(run_path: str | Path) -> Decision:
    """The run's saved rule, or the defaults when none was saved; a damaged file is a ConfigError."""
    path = Path(run_path) / DECISION_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Decision()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The saved decision rule ({path.name}) is damaged: {exc}.") from None
    try:
        return Decision.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "decision"
        raise ConfigError(f"The saved decision rule is invalid: {field} {first['msg']}.") from None


def save_decision(run_path: str | Path, decision: Decision, **changes: Any) -> Decision:
    """Write ``decision`` (with ``changes`` applied and the time stamped) atomically; return what was saved.

    Starter runs ship with the code and are read-only: saving to one is a ConfigError.
    """
    path = Path(run_path)
    if path.resolve().is_relative_to(STARTERS_DIR.resolve()):
        raise ConfigError("Starter models are read-only: train your own run to save a decision rule with it.")
    data = {**decision.model_dump(), **changes, "saved": time.strftime("%Y-%m-%dT%H:%M:%S")}
    try:
        updated = Decision.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{field} = {first.get('input')!r} is not allowed: {first['msg']}.") from None
    write_json(path / DECISION_FILE, updated.model_dump())
    return updated


def clear_decision(run_path: str | Path) -> None:
    """Forget the run's saved rule (back to most-probable-class answers, nobody flagged)."""
    path = Path(run_path)
    if path.resolve().is_relative_to(STARTERS_DIR.resolve()):
        raise ConfigError("Starter models are read-only.")
    (path / DECISION_FILE).unlink(missing_ok=True)
