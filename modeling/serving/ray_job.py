"""Batch scoring on the team's Ray cluster (``MODELDECK_RAY_ADDRESS``), sent as a Ray job.

The cluster is reached the way trainings reach it, through the Ray Jobs API (:class:`modeling.training.remote.
RayJob`): the run folder travels in the job's private working directory, the ``modeling`` package as a
``py_module``, and the entrypoint is the ordinary command line, ``python -m modeling predict run INPUT --ray -o
OUTPUT``. Inside the job, Ray sets ``RAY_ADDRESS``, so that command joins the cluster and scores with Ray Data
(:mod:`modeling.serving.batch`) on all of its workers. Its progress lines come back through the job's logs.

``INPUT`` and ``OUTPUT`` are read and written by the cluster's workers: paths they can all reach (object storage
such as ``s3://bucket/scores/``, or a shared file system), not a file on this laptop.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modeling.errors import RunError
from modeling.runs.store import Run
from modeling.training import remote

#: The lines of the job's log that are the inner command's own (progress, notes, errors, the output's path).
OWN_LINES = ("scored ", "note: ", "warning: ", "error: ")
#: What a run folder holds that the cluster does not need to score.
NOT_SENT = ("exports", ".*")


def entrypoint(source: str, dest: str, changes: dict[str, Any]) -> str:
    """The command the job runs: ``predict`` on the shipped run folder, with Ray Data, and the rule overrides."""
    flags = {"threshold": "--threshold", "min_confidence": "--min-confidence", "positive_class": "--positive-class"}
    extra = "".join(f" {flags[k]} {shlex.quote(str(v))}" for k, v in changes.items() if k in flags)
    return f"python -u -m modeling predict run {shlex.quote(source)} --ray -o {shlex.quote(dest)}{extra}"


def score_on_cluster(
    run: Run,
    source: str,
    dest: str,
    address: str,
    *,
    changes: dict[str, Any] | None = None,
    on_line: Callable[[str], None] = print,
    poll_s: float = 1.0,
) -> None:
    """Score ``source`` into ``dest`` with the cluster at ``address``; the job's own lines go to ``on_line``."""
    reason = remote.unavailable_reason(address)
    if reason:
        raise RunError(reason)
    job = remote.RayJob(
        remote.connect(address),
        address,
        poll_s=poll_s,
        on_phase=lambda phase: on_line(f"{phase}..."),
        entrypoint_cpus=0,  # the driver only coordinates: every CPU of the cluster is left to Ray Data's workers
    )

    def write_files(folder: Path) -> None:
        shutil.copytree(run.path, folder / "run", ignore=shutil.ignore_patterns(*NOT_SENT))

    job.submit(
        entrypoint(source, dest, dict(changes or {})),
        write_files,
        metadata={"modeldeck_run_id": run.info.run_id, "modeldeck_job": "batch scoring"},
        encoder=remote.needs_encoder([run.config.template]),
    )
    on_line(f"sent to the Ray cluster at {address} as job {job.job_id}")

    def relay(lines: list[str]) -> None:
        for line in lines:
            if line.startswith(OWN_LINES):
                on_line(line)

    try:
        status, logs = job.follow(relay)
    except KeyboardInterrupt:  # Ctrl+C here stops the work there too
        on_line(f"stopping job {job.job_id} on the cluster")
        job.client.stop_job(job.job_id)
        raise
    if status != "SUCCEEDED":
        errors = [line.removeprefix("error: ") for line in logs if line.startswith("error: ")]
        message = errors[-1] if errors else job.failure_reason(logs)[0]
        raise RunError(f"Scoring on the Ray cluster {'was stopped' if status == 'STOPPED' else 'failed'}: {message}")
