"""Plain values out of JSON that came over the network (a Ray job's logs): nothing is trusted as it is.

A leaderboard rebuilt from a job's output (``Leaderboard.from_json``) keeps only finite numbers, short texts
and flat dictionaries of those, so a damaged or hostile log line can neither crash the page nor smuggle
markup or huge values into it.
"""

from __future__ import annotations

import math
from typing import Any

#: Leaderboard rows kept from a job's events or board (a search has a dozen or two).
MAX_ROWS = 60


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def number(value: Any) -> float | None:
    """A finite number, or ``None`` (booleans, texts, NaN and infinity are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def text(value: Any, limit: int) -> str:
    """A short text (numbers written as text), or ``""``."""
    return str(value)[:limit] if isinstance(value, str | int | float) and value is not None else ""


def scalars(value: Any, depth: int = 0) -> dict[str, Any]:
    """A dict of plain values (short texts, finite numbers, None), nested ``depth`` levels at most."""
    if not isinstance(value, dict):
        return {}
    clean: dict[str, Any] = {}
    for key, item in list(value.items())[:40]:
        key = str(key)[:60]
        if item is None or isinstance(item, bool):
            clean[key] = item
        elif isinstance(item, int | float):
            clean[key] = number(item)
        elif isinstance(item, str):
            clean[key] = item[:200]
        elif isinstance(item, dict) and depth > 0:
            clean[key] = scalars(item, depth - 1)
    return clean


def clean_live_rows(rows: Any) -> list[dict[str, Any]]:
    """The leaderboard-so-far rows of a progress event: flat dicts of short texts and numbers only."""
    return [scalars(row) for row in as_list(rows)[:MAX_ROWS] if isinstance(row, dict)]
