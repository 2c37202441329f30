"""Every ``MODELDECK_*`` environment setting, read in this one module.

Servers are configured through the environment (or top-level keys of ``.streamlit/secrets.toml``, which
Streamlit exports as environment variables). Each function reads its variable when called, so a test or a
long-running server sees a change without re-importing anything, and a typo in a setting is logged and
replaced by the default rather than stopping the app.

| variable | meaning | default |
|---|---|---|
| ``MODELDECK_HOME`` | folder for runs, caches and model searches | ``./workspace`` |
| ``MODELDECK_MODE`` | ``local``: one user, every run visible; anything else: private sessions | hosted |
| ``MODELDECK_MAX_TRAININGS`` | trainings (and model searches) running at once | 1 |
| ``MODELDECK_MAX_*`` | upload limits (see ``modeling.data.readers.limits``) | see there |
| ``MODELDECK_EMBEDDING_DISK_CACHE`` | ``0`` keeps encoder embeddings in memory only | on |
| ``MODELDECK_CHROMIUM`` | the Chromium used for PDF reports | found on the PATH |
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "MODELDECK_"
REPO_ROOT = Path(__file__).resolve().parents[1]
STARTERS_DIR = REPO_ROOT / "starters"
#: Trainings that may run at once on one server unless ``MODELDECK_MAX_TRAININGS`` says otherwise.
DEFAULT_MAX_TRAININGS = 1


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def home(environ: Mapping[str, str] | None = None) -> Path:
    """Where runs, caches and searches live: ``$MODELDECK_HOME`` or ``./workspace`` in the repository."""
    return Path(_env(environ).get(f"{PREFIX}HOME") or REPO_ROOT / "workspace")


def hosted_mode(environ: Mapping[str, str] | None = None) -> bool:
    """True unless the server was started with ``MODELDECK_MODE=local`` (as ``make run`` does).

    Hosted is the default because forgetting a setting must not show one visitor another's data:
    a public deployment (Streamlit Community Cloud, a team VM) is private per browser session
    without any configuration, and only a deliberate ``local`` opens everything to everyone.
    """
    return _env(environ).get(f"{PREFIX}MODE", "hosted").strip().lower() != "local"


def max_trainings(environ: Mapping[str, str] | None = None) -> int:
    """``MODELDECK_MAX_TRAININGS`` as a positive integer; a missing or unusable value gives the default."""
    raw = _env(environ).get(f"{PREFIX}MAX_TRAININGS")
    if raw is None or not raw.strip():
        return DEFAULT_MAX_TRAININGS
    value = _positive_int(raw)
    if value is None:
        log.warning("MODELDECK_MAX_TRAININGS=%r is not a positive whole number; using %d", raw, DEFAULT_MAX_TRAININGS)
        return DEFAULT_MAX_TRAININGS
    return value


def embedding_disk_cache(environ: Mapping[str, str] | None = None) -> bool:
    """Whether encoder embeddings are also cached on disk (``MODELDECK_EMBEDDING_DISK_CACHE=0`` turns it off)."""
    return _env(environ).get(f"{PREFIX}EMBEDDING_DISK_CACHE", "1") != "0"


def chromium(environ: Mapping[str, str] | None = None) -> str | None:
    """The Chromium the administrator named in ``MODELDECK_CHROMIUM``, if any."""
    return _env(environ).get(f"{PREFIX}CHROMIUM") or None


def positive_overrides(names: Iterable[str], environ: Mapping[str, str] | None = None) -> dict[str, int]:
    """``{name: value}`` for each ``MODELDECK_<NAME>`` that holds a positive whole number (``1_000`` allowed)."""
    env = _env(environ)
    values: dict[str, int] = {}
    for name in names:
        raw = env.get(f"{PREFIX}{name.upper()}")
        value = None if raw is None else _positive_int(raw.replace("_", ""))
        if value is not None:
            values[name] = value
    return values


def _positive_int(raw: str) -> int | None:
    try:
        value = int(raw.strip())
    except ValueError:
        return None
    return value if value > 0 else None
