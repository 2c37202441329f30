"""What the table and forecast families do the same way with their model folder (``table_model/``,
``forecast_model/``): write it atomically, turn its facts into plain JSON, and read its ``bundle.json`` back.

One copy of these steps keeps both families equally safe: a killed process never leaves half a model, and a
missing, damaged or foreign ``bundle.json`` is refused with a sentence rather than a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modeling.errors import RunError


def plain(value: Any) -> Any:
    """``value`` as plain JSON values (NumPy arrays and numbers as lists and numbers, anything else as text)."""
    return json.loads(json.dumps(value, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v)))


@contextmanager
def atomic_folder(run_dir: Path, name: str) -> Iterator[Path]:
    """A fresh folder beside ``run_dir / name`` to write into; it replaces that folder only if the block succeeds."""
    final = run_dir / name
    partial = run_dir / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        yield partial
        if final.exists():
            shutil.rmtree(final)
        os.replace(partial, final)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def read_bundle_json(path: Path, what: str, version: int, detail: Callable[[Exception], str]) -> dict[str, Any]:
    """The ``bundle.json`` at ``path`` of a ``what`` model ("table", "forecast") written as ``version``.

    A :class:`RunError` with a sentence when it is missing, damaged (``detail`` says how) or of another version.
    """
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"This run has no saved {what} model.") from None
    except (OSError, ValueError) as exc:
        raise RunError(f"The saved {what} model is damaged ({detail(exc)}).") from None
    if not isinstance(bundle, dict) or bundle.get("version") != version:
        raise RunError(f"The saved {what} model was written by another version of ModelDeck and cannot be read.")
    return bundle
