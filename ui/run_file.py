"""A run's ``run.json`` read for the run lists, which every family's headline line is built from.

The lists show many runs at once, so a headline reads this one small file instead of loading the run; a file
that is missing or damaged gives an empty dict (the headline then says "—") rather than an error.
"""

from __future__ import annotations

import json
from typing import Any

from modeling.runs.store import RunInfo


def run_json(info: RunInfo) -> dict[str, Any]:
    """``run.json`` of the run ``info`` names, or ``{}`` when it cannot be read as a JSON object."""
    try:
        data = json.loads((info.path / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
