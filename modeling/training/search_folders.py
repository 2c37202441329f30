"""Where a model search keeps its candidates' run folders, and how a kept one becomes an ordinary run.

Every search (local or on a Ray cluster, texts or tables) trains into a scratch store under
``$MODELDECK_HOME/automl/<search id>/``; keeping a candidate moves its run folder into the person's runs.
Old search folders are cleared when a new search starts, except recent ones (another visitor's search may
still be running or waiting to be kept).
"""

from __future__ import annotations

import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from modeling.errors import RunError
from modeling.runs.store import RunStore

AUTOML_DIR = "automl"
KEEP_SEARCHES = 3
#: Search folders touched more recently than this are kept even beyond KEEP_SEARCHES (other visitors' searches).
SEARCH_GRACE_S = 6 * 3600


def last_touched(path: Path) -> float:
    """Newest modification time of a search folder and the run folders in it."""
    try:
        times = [path.stat().st_mtime] + [p.stat().st_mtime for p in (path / "runs").glob("*")]
    except OSError:
        return 0.0
    return max(times)


def new_search_dir(store: RunStore) -> Path:
    """A fresh folder for one search's candidates under ``$MODELDECK_HOME/automl/`` (old ones are cleared)."""
    base = store.root / AUTOML_DIR
    base.mkdir(parents=True, exist_ok=True)
    old = sorted((p for p in base.iterdir() if p.is_dir()), key=last_touched)
    for stale in old[: max(0, len(old) - (KEEP_SEARCHES - 1))]:
        # Another visitor's search may still be running or waiting to be adopted: only old ones go.
        if time.time() - last_touched(stale) > SEARCH_GRACE_S:
            shutil.rmtree(stale, ignore_errors=True)
    path = base / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    path.mkdir()
    return path


def move_into(store: RunStore, run_path: Path | None, owner: str | None, facts: dict[str, Any]) -> Path:
    """Move a candidate's run folder into ``store`` as a run of ``owner`` (``facts`` go to ``run.json``'s ``automl``).

    Keeping it again finds it already there and only updates its facts; returns its new folder.
    """
    if run_path is None or not run_path.is_dir():
        raise RunError("This search has no trained model to keep.")
    target = store.runs_dir / run_path.name
    store.runs_dir.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.move(str(run_path), str(target))
    store.update_meta(target, automl=facts, owner=owner)
    return target
