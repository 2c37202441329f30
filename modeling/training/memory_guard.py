"""Refuse a new in-process training when the server is near its memory limit, instead of being killed.

Streamlit Community Cloud gives an app 0.7 to 2.7 GB and restarts it when it goes over: every visitor
loses their session and every training in flight. ModelDeck checks before starting a training or a model
search in this process: when the server's resident memory plus what a training typically adds would
cross ``MODELDECK_MEMORY_LIMIT_MB`` (2,700 MB by default on Community Cloud, no limit elsewhere), the
training is refused with a sentence that says why and what to do, and points at the Ray cluster when one
is configured. Trainings sent to a cluster are not counted: they use the cluster's memory.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

from modeling import settings
from modeling.errors import ModelDeckError
from modeling.format import count

#: Memory kept free for one more training. Measured with benchmarks/bench_cloud_memory.py (hosted mode, default
#: settings, 2-core machine): a digit training added 178 MB at its peak with TensorFlow loaded; loading
#: TensorFlow took ~690 MB and the text layers ~400 MB more. 600 MB covers a training plus what a first image or
#: text training may still have to load; the whole walk of both samples peaked at 1,358 MB.
TRAINING_RESERVE_MB = 600


class MemoryLimitReached(ModelDeckError):
    """The server is too close to its memory limit to start another training in-process."""


def resident_mb(pid: int | None = None) -> float | None:
    """Resident memory (VmRSS) of this process (or ``pid``) in MB, from /proc; elsewhere the peak so far."""
    status = Path(f"/proc/{pid or os.getpid()}/status")
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    if pid is not None:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux, bytes on macOS
    return peak / (1024 * 1024) if peak > 10**9 else peak / 1024


def check_memory(
    running: int = 0,
    *,
    limit_mb: int | None = None,
    used_mb: float | None = None,
    reserve_mb: int = TRAINING_RESERVE_MB,
    cluster: bool | None = None,
) -> None:
    """Raise :class:`MemoryLimitReached` when a new in-process training would likely push the server over.

    ``running`` trainings already in this process still grow (each is counted at half the reserve: they
    are past their start). ``limit_mb`` and ``used_mb`` default to the setting and this process's memory;
    ``cluster`` (default: whether ``MODELDECK_RAY_ADDRESS`` is set) adds the suggestion to train there.
    """
    limit = settings.memory_limit_mb() if limit_mb is None else limit_mb
    if not limit:
        return
    used = resident_mb() if used_mb is None else used_mb
    if used is None:
        return
    expected = used + reserve_mb + running * reserve_mb / 2
    if expected <= limit:
        return
    cluster = settings.ray_address() is not None if cluster is None else cluster
    advice = (
        "Send it to the Ray cluster instead (choose 'the Ray cluster' above), or try again when other trainings "
        "have finished."
        if cluster
        else "Try again when other trainings have finished, or pick a smaller template or less data. An "
        "administrator can add a Ray cluster (MODELDECK_RAY_ADDRESS) to train elsewhere."
    )
    raise MemoryLimitReached(
        f"This server is using {count(round(used))} MB of its {count(limit)} MB, and a training needs about "
        f"{count(reserve_mb)} MB more, so it was not started: going over would restart the app for everyone. " + advice
    )
