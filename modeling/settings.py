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
| ``MODELDECK_MLFLOW_URI`` | MLflow tracking (and registry) URI: every run is also logged there | off |
| ``MODELDECK_MLFLOW_EXPERIMENT`` | the MLflow experiment ModelDeck's runs go to | ``ModelDeck`` |
| ``MODELDECK_RAY_ADDRESS`` | a Ray cluster (``http://host:8265``): trainings and searches can run there | off |
| ``MODELDECK_RAY_CPUS`` / ``_GPUS`` | CPUs / GPUs one remote training reserves on the cluster | 1 / 0 |
| ``MODELDECK_RAY_PIP`` | ``0``: the cluster already has ModelDeck's requirements (no pip step per job) | on |
| ``MODELDECK_MEMORY_LIMIT_MB`` | refuse in-process trainings when the server is near this | 2700 on Community Cloud |
| ``MODELDECK_TREE_THREADS`` | CPU threads one table-tree training uses | half the cores, at most 8 |
| ``MODELDECK_API_KEY`` | the bearer token ``python -m modeling serve`` asks every request for | none (open) |
| ``MODELDECK_SERVE_MAX_MB`` | largest request body the REST server reads, in MB | 10 |
| ``MODELDECK_SERVE_MAX_ROWS`` | most rows one request to the REST server may hold | 10,000 |
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


def tree_threads(environ: Mapping[str, str] | None = None) -> int:
    """Threads for scikit-learn's tree training (``MODELDECK_TREE_THREADS``); default half the cores, 1 to 8.

    OpenMP threads spin while they wait: on a busy machine (other trainings, other users) more threads than
    free cores make a tree fit ten times slower, not faster, so the default leaves room for the rest.
    """
    raw = _env(environ).get(f"{PREFIX}TREE_THREADS")
    default = max(1, min(8, (os.cpu_count() or 2) // 2))
    if raw is None or not raw.strip():
        return default
    value = _positive_int(raw)
    if value is None:
        log.warning("MODELDECK_TREE_THREADS=%r is not a positive whole number; using %d", raw, default)
        return default
    return value


def mlflow_uri(environ: Mapping[str, str] | None = None) -> str | None:
    """``MODELDECK_MLFLOW_URI``: where runs are also tracked (``sqlite:///mlflow.db``, ``http://host:5000``)."""
    return (_env(environ).get(f"{PREFIX}MLFLOW_URI") or "").strip() or None


def mlflow_experiment(environ: Mapping[str, str] | None = None) -> str:
    """The MLflow experiment that holds ModelDeck's runs (``MODELDECK_MLFLOW_EXPERIMENT``, default ``ModelDeck``)."""
    return (_env(environ).get(f"{PREFIX}MLFLOW_EXPERIMENT") or "").strip() or "ModelDeck"


def ray_address(environ: Mapping[str, str] | None = None) -> str | None:
    """``MODELDECK_RAY_ADDRESS``: the Ray Jobs API of a cluster (``http://host:8265``) for trainings and searches.

    Unset: everything trains in-process, as on a laptop.
    """
    return (_env(environ).get(f"{PREFIX}RAY_ADDRESS") or "").strip().rstrip("/") or None


def ray_resources(environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """(CPUs, GPUs) one remote training reserves: ``MODELDECK_RAY_CPUS`` (default 1), ``MODELDECK_RAY_GPUS`` (0).

    Reserving a CPU makes the cluster queue trainings beyond its cores instead of running them all at once;
    a GPU makes Ray place the job on a node that has one.
    """
    env = _env(environ)
    cpus = _positive_int(env.get(f"{PREFIX}RAY_CPUS", "") or "1") or 1
    raw_gpus = (env.get(f"{PREFIX}RAY_GPUS") or "0").strip()
    gpus = 0 if raw_gpus == "0" else (_positive_int(raw_gpus) or 0)
    return cpus, gpus


def ray_pip(environ: Mapping[str, str] | None = None) -> bool:
    """Whether each remote job installs the pinned requirements (``MODELDECK_RAY_PIP=0``: the image has them)."""
    return _env(environ).get(f"{PREFIX}RAY_PIP", "1").strip() != "0"


#: Streamlit Community Cloud's memory ceiling per app (its documented resource limits: up to 2.7 GB).
STREAMLIT_CLOUD_MEMORY_MB = 2700


def on_streamlit_cloud(environ: Mapping[str, str] | None = None) -> bool:
    """True on Streamlit Community Cloud, which clones apps under ``/mount/src`` and names the host ``streamlit``."""
    return str(REPO_ROOT).startswith("/mount/src/") or _env(environ).get("HOSTNAME") == "streamlit"


def memory_limit_mb(environ: Mapping[str, str] | None = None) -> int | None:
    """``MODELDECK_MEMORY_LIMIT_MB``; on Streamlit Community Cloud 2700 when unset; elsewhere no limit."""
    raw = _env(environ).get(f"{PREFIX}MEMORY_LIMIT_MB")
    if raw is not None and raw.strip():
        value = _positive_int(raw.replace("_", ""))
        if value is not None:
            return value
        log.warning("MODELDECK_MEMORY_LIMIT_MB=%r is not a positive whole number; ignoring it", raw)
    return STREAMLIT_CLOUD_MEMORY_MB if on_streamlit_cloud(environ) else None


#: The REST server's limits unless ``MODELDECK_SERVE_MAX_MB`` / ``MODELDECK_SERVE_MAX_ROWS`` say otherwise.
DEFAULT_SERVE_MAX_MB = 10
DEFAULT_SERVE_MAX_ROWS = 10_000


def api_key(environ: Mapping[str, str] | None = None) -> str | None:
    """``MODELDECK_API_KEY``: the bearer token the REST server requires; unset or blank: no key is asked."""
    return (_env(environ).get(f"{PREFIX}API_KEY") or "").strip() or None


def serve_max_mb(environ: Mapping[str, str] | None = None) -> int:
    """``MODELDECK_SERVE_MAX_MB``: the largest request body the REST server reads (a body over it is refused)."""
    return _positive_setting("SERVE_MAX_MB", DEFAULT_SERVE_MAX_MB, environ)


def serve_max_rows(environ: Mapping[str, str] | None = None) -> int:
    """``MODELDECK_SERVE_MAX_ROWS``: the most rows one request may hold (send more as several requests)."""
    return _positive_setting("SERVE_MAX_ROWS", DEFAULT_SERVE_MAX_ROWS, environ)


def _positive_setting(name: str, default: int, environ: Mapping[str, str] | None) -> int:
    raw = _env(environ).get(f"{PREFIX}{name}")
    if raw is None or not raw.strip():
        return default
    value = _positive_int(raw.replace("_", ""))
    if value is None:
        log.warning("%s%s=%r is not a positive whole number; using %d", PREFIX, name, raw, default)
        return default
    return value


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
