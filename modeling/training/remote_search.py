""" "Find the best model" on a Ray cluster: the app's side of a search job.

:func:`run_remote_search` has the contract of a local search as the job manager runs it: it reports
progress dicts (phase, elapsed and budget, the leaderboard so far) to a callback, obeys a cancel event, and
returns the same :class:`~modeling.training.leaderboard.Leaderboard` a local search returns (rebuilt from the
job's output by the class registered for its ``kind``), whose candidates' run folders are on this server, so
"Use this model" (``board.keep``) works unchanged. The job is the command line,
``python -m modeling search config.yaml --budget S --dataset dataset.npz --events``, sent and followed by
:class:`~modeling.training.remote.RayJob` like a training; its wire format is in
:mod:`modeling.training.search_job`.

The candidates come back into a search folder under ``$MODELDECK_HOME/automl/`` (as a local search's do),
with ``search.json``: the job id, the cluster, the owner and the state, written before the job is sent, so
an app that restarts meanwhile finds the job again (:func:`resume_remote_search`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modeling import settings
from modeling.data.dataset import Dataset
from modeling.errors import ModelDeckError, RunError
from modeling.format import first_line
from modeling.runs.store import RunStore, boot_id, process_start, write_json
from modeling.training import job_protocol, remote
from modeling.training.leaderboard import Leaderboard, ProgressCallback
from modeling.training.plain_json import clean_live_rows
from modeling.training.remote import LOST_AFTER_S, ClusterLost, RayJob, needs_encoder
from modeling.training.search import searcher_for
from modeling.training.search_folders import AUTOML_DIR, new_search_dir
from modeling.training.search_job import board_from_json, search_config

log = logging.getLogger(__name__)

SEARCH_FILE = "search.json"


def entrypoint(budget_s: float, templates: list[str] | None = None) -> str:
    """The job's command line (the templates are registry names, checked before they get here)."""
    command = (
        f"python -u -m modeling --home modeldeck-home search config.yaml --budget {float(budget_s):g} "
        f"--dataset {job_protocol.DATASET_FILE} --events"
    )
    return command + (f" --templates {','.join(templates)}" if templates else "")


def run_remote_search(
    dataset: Dataset,
    budget_s: float,
    seed: int = 42,
    progress_cb: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    *,
    store: RunStore,
    owner: str | None = None,
    address: str | None = None,
    poll_s: float = 1.0,
    lost_after_s: float = LOST_AFTER_S,
    test_share: float = 0.2,
    validation_share: float = 0.15,
    templates: list[str] | None = None,
) -> Leaderboard | None:
    """Search on the Ray cluster at ``address`` (default ``MODELDECK_RAY_ADDRESS``); the leaderboard, or ``None``.

    ``None`` when the search was stopped before anything came back. A failed job raises a
    :class:`ModelDeckError` with its reason; a lost cluster raises :class:`ClusterLost`.
    """
    address = (address or settings.ray_address() or "").rstrip("/")
    reason = remote.unavailable_reason(address)
    if reason:
        raise RunError(reason)
    search = searcher_for(dataset.task)  # a task that cannot be searched is refused before anything is sent
    cancel = cancel or threading.Event()
    config = search_config(dataset, seed, test_share, validation_share)
    trains = search.templates(dataset, templates)  # raises when none of the templates asked for can train
    if templates is not None:
        templates = trains
    client = remote.connect(address)
    search_dir = new_search_dir(store)
    job = RayJob(client, address, cancel=cancel, poll_s=poll_s, lost_after_s=lost_after_s)
    record = {
        "job_id": job.job_id,
        "address": address,
        "owner": owner,
        "budget_s": float(budget_s),
        "dataset": dataset.name,
        "task": dataset.task,
        "created_ts": time.time(),
        "status": "running",
        "follower": _this_process(),  # who follows the job: another process leaves it alone while this one lives
    }
    write_json(search_dir / SEARCH_FILE, record)  # before sending: a restarted app can find the job again
    follower = _SearchFollower(job, search_dir, record, progress_cb)
    if cancel.is_set():
        follower.record(status="stopped")
        return None
    encoder = needs_encoder(trains)

    def write_files(folder: Path) -> None:
        (folder / "config.yaml").write_text(config.to_yaml(), encoding="utf-8")
        job_protocol.save_job_dataset(dataset, folder)

    return follower.guard(
        lambda: job.submit(
            entrypoint(budget_s, templates),
            write_files,
            metadata={"modeldeck_search": search_dir.name},
            encoder=encoder,
        )
    )


def resume_remote_search(
    search_dir: Path,
    progress_cb: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    *,
    poll_s: float = 1.0,
    lost_after_s: float = LOST_AFTER_S,
) -> Leaderboard | None:
    """Follow again a search this app sent to the cluster before it restarted (see :func:`run_remote_search`)."""
    record = read_record(search_dir)
    if record is None:
        raise RunError("This search was not sent to a Ray cluster, so there is no job to follow.")
    reason = remote.unavailable_reason(record["address"])
    if reason:
        raise RunError(reason)
    record["follower"] = _this_process()
    write_json(search_dir / SEARCH_FILE, record)  # claimed: another process starting now leaves it alone
    job = RayJob(
        remote.connect(record["address"]),
        record["address"],
        job_id=record["job_id"],
        cancel=cancel,
        poll_s=poll_s,
        lost_after_s=lost_after_s,
    )
    return _SearchFollower(job, search_dir, record, progress_cb).guard(None)


def read_record(search_dir: Path) -> dict[str, Any] | None:
    """The ``search.json`` of a search sent to a cluster (checked), or ``None``."""
    try:
        record = json.loads((search_dir / SEARCH_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not record.get("job_id") or not record.get("address"):
        return None
    record["address"], record["job_id"] = str(record["address"]), str(record["job_id"])
    return record


def reattachable_searches(store: RunStore) -> list[Path]:
    """Search folders whose job a previous app process left running on the cluster, oldest first.

    A search whose follower (the process that sent or last followed it) is still alive is left to it.
    """
    base = store.root / AUTOML_DIR
    if not base.is_dir():
        return []
    found = []
    for folder in base.iterdir():
        record = read_record(folder) if folder.is_dir() else None
        if record and record.get("status") == "running" and not _still_followed(record.get("follower")):
            found.append((float(record.get("created_ts") or 0), folder))
    return [folder for _, folder in sorted(found)]


def _this_process() -> dict[str, Any]:
    return {"pid": os.getpid(), "start": process_start(os.getpid()), "boot": boot_id()}


def _still_followed(follower: Any) -> bool:
    """Whether the process recorded as the follower is alive (same pid, same start time, same boot)."""
    if not isinstance(follower, dict) or not isinstance(follower.get("pid"), int):
        return False
    pid = follower["pid"]
    if pid == os.getpid() and follower.get("start") == process_start(pid):
        return True  # this very process (also where /proc cannot tell)
    if follower.get("boot") != boot_id() or pid <= 0:
        return False
    start = process_start(pid)
    return start is not None and start == follower.get("start")


class _SearchFollower:
    """Progress from the job's events; at the end the leaderboard and the candidates' folders, or why not."""

    def __init__(
        self, job: RayJob, search_dir: Path, record: dict[str, Any], progress_cb: ProgressCallback | None
    ) -> None:
        self.job, self.search_dir, self.info = job, search_dir, record
        self.progress_cb = progress_cb
        self.budget_s = float(record.get("budget_s") or 0.0)
        self.phase = "Sending the search to the Ray cluster"
        self.leaderboard: list[dict[str, Any]] = []
        self.started: float | None = None  # when the cluster started searching (the budget counts from there)
        job.on_phase = self._waiting

    def guard(self, submit: Callable[[], None] | None) -> Leaderboard | None:
        """Submit (unless resuming), follow, bring the leaderboard back; every way out is recorded."""
        self._report()
        try:
            if submit is not None:
                submit()
                self._waiting("Waiting for the Ray cluster to start the search")
            status, logs = self.job.follow(self._apply)
            return self._finish(status, logs)
        except ClusterLost as exc:
            self.record(status="interrupted" if exc.unknown else "running", error=str(exc))
            raise
        except ModelDeckError as exc:
            self.record(status="failed", error=str(exc))
            raise
        except Exception as exc:
            log.exception("Remote search %s failed", self.search_dir.name)
            message = f"The search on the cluster stopped with an unexpected error: {first_line(exc)}"
            self.record(status="failed", error=message)
            raise ModelDeckError(message) from exc

    def record(self, **fields: Any) -> None:
        self.info.update(fields)
        try:
            write_json(self.search_dir / SEARCH_FILE, self.info)
        except OSError as exc:
            log.warning("Could not record the state of search %s: %s", self.search_dir.name, exc)

    def _waiting(self, phase: str) -> None:
        if self.started is None or phase.startswith("Stopping"):
            self.phase = phase
            self._report()

    def _apply(self, lines: list[str]) -> None:
        for event in job_protocol.parse_events(lines):
            if event.get("state") == "running" and self.started is None:
                self.started = time.monotonic()
            if isinstance(event.get("phase"), str) and not self.job.stop_sent:
                self.phase = event["phase"][:200]
            if "leaderboard" in event:
                self.leaderboard = clean_live_rows(event["leaderboard"])
        self._report()

    def _report(self) -> None:
        if self.progress_cb is None:
            return
        elapsed = time.monotonic() - self.started if self.started is not None else 0.0
        info = {
            "phase": self.phase,
            "elapsed_s": elapsed,
            "budget_s": self.budget_s,
            "fraction": min(1.0, elapsed / self.budget_s) if self.budget_s else 0.0,
            "leaderboard": list(self.leaderboard),
            "on_cluster": True,
        }
        try:
            self.progress_cb(info)
        except Exception:  # a drawing problem must not stop following the job
            log.exception("progress callback failed")

    def _finish(self, status: str, logs: list[str]) -> Leaderboard | None:
        data = job_protocol.read_board(logs)
        if status == "FAILED" or (data is None and status == "SUCCEEDED"):
            reason, hint = self.job.failure_reason(logs)
            raise ModelDeckError(reason + (f" {hint}" if hint else ""))
        if data is None:  # stopped before the search printed anything, or killed after the grace period
            self.record(status="stopped", error="Stopped on the cluster before any model came back.")
            return None
        self.phase = "Bringing the candidates back from the cluster"
        self._report()
        folders = self._unpack(job_protocol.read_bundles(logs))
        board = board_from_json(data, folders)
        self.record(status="stopped" if status == "STOPPED" else "finished")
        return board

    def _unpack(self, bundles: dict[str, bytes]) -> dict[str, Path]:
        """Each candidate's run folder into this search's folder (as a local search would have left it)."""
        scratch = RunStore(self.search_dir, starters=None)
        folders: dict[str, Path] = {}
        for name, data in bundles.items():
            if not name:
                continue
            target = scratch.runs_dir / name
            target.mkdir(parents=True, exist_ok=True)
            try:
                job_protocol.unpack_bundle(data, target)
            except RunError as exc:
                log.warning("Candidate %s from the cluster was not kept: %s", name, exc)
                shutil.rmtree(target, ignore_errors=True)
                continue
            scratch.update_meta(target, remote={"address": self.job.address, "job_id": self.job.job_id})
            folders[name] = target
        return folders
