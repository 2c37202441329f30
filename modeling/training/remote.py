"""Training on a Ray cluster through the Ray Jobs API, behind the same call as a local training.

:func:`run_remote` has the signature and the contract of :func:`~modeling.training.experiment.run_experiment`:
it blocks until the run is saved in the app's store, reports into a :class:`Progress` and obeys a cancel
event, so the job manager runs it in the same background thread and the Train page cannot tell the two
apart. Underneath:

1. a run folder is created in the app's store at once (status ``running``), so the run is listed, owned
   and, if the app restarts meanwhile, shown as interrupted like a local one;
2. the dataset and the settings go into a private temporary folder that becomes the job's working
   directory (Ray uploads it under a content hash; the local copy is deleted right after submission), the
   ``modeling`` package goes as a ``py_module`` and the pinned ``requirements.txt`` as the job's ``pip``
   environment (``MODELDECK_RAY_PIP=0`` when the cluster's image already has them);
3. the entrypoint is the ordinary command line, ``python -m modeling train config.yaml --dataset
   dataset.npz --events``; its ``@modeldeck`` lines (see :mod:`modeling.training.job_protocol`) are read
   from the job's logs once a second and copied into the Progress (state, epoch, step, device, curves);
4. Stop asks Ray to stop the job (SIGTERM: the command line stops after the current batch and sends back
   the best model so far, if the cluster's grace period allows); a job that fails gives its reason; a
   cluster that stops answering for ``lost_after_s`` leaves the run interrupted;
5. the finished run folder comes back in the logs and is written into the run folder of step 1.

Ray is imported only inside the functions; it comes from ``requirements-team.txt``.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modeling import settings
from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.data.sources import load_source
from modeling.errors import ModelDeckError, RunError
from modeling.format import first_line
from modeling.runs.store import RunStore
from modeling.training import job_protocol
from modeling.training.experiment import check_fits, dataset_facts
from modeling.training.progress import Progress

log = logging.getLogger(__name__)

INSTALL_HINT = "Install the team extras on the server: pip install -r requirements-team.txt"
#: How long the cluster may stay silent before a running job counts as lost with it.
LOST_AFTER_S = 60.0
#: How long a submission is retried while the cluster says it cannot take jobs yet ("try again later").
SUBMIT_RETRY_S = 60.0
#: Files of the app's own run folder that the copy from the cluster must not overwrite.
_KEEP_LOCAL = ("run.json", "config.yaml")
#: run.json fields that describe the app's copy, not the cluster's (who owns it, which process writes it).
_LOCAL_FIELDS = ("run_id", "owner", "pid", "pid_start", "boot_id", "title", "created", "created_ts", "remote")


class ClusterLost(ModelDeckError):
    """The cluster stopped answering while it trained: the run is interrupted, not failed."""


def unavailable_reason(address: str | None = None) -> str | None:
    """Why trainings cannot go to a Ray cluster (a sentence), or ``None`` when they can."""
    if not (address or settings.ray_address()):
        return "No Ray cluster is configured: set MODELDECK_RAY_ADDRESS=http://HEAD:8265 to train there."
    try:
        import ray.job_submission  # noqa: F401
    except ImportError:
        return f"MODELDECK_RAY_ADDRESS is set, but Ray is not installed. {INSTALL_HINT}."
    return None


def _client(address: str) -> Any:
    from ray.job_submission import JobSubmissionClient

    try:
        return JobSubmissionClient(address)
    except Exception as exc:
        raise RunError(f"Cannot reach the Ray cluster at {address}: {first_line(exc)}") from None


def requirements_for_job(root: Path = settings.REPO_ROOT) -> list[str]:
    """The pinned runtime requirements (``requirements.txt`` without comments), for the job's pip environment."""
    path = root / "requirements.txt"
    if not path.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def runtime_env(job_dir: Path) -> dict[str, Any]:
    """What travels with a job: its private folder, the ``modeling`` package, the pins, quiet logs."""
    env: dict[str, Any] = {
        "working_dir": str(job_dir),
        "py_modules": [str(settings.REPO_ROOT / "modeling")],
        "env_vars": {
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONUNBUFFERED": "1",
            "MODELDECK_MODE": "local",
            "MODELDECK_MLFLOW_URI": "",  # the app tracks the run once it is back, with its report
        },
    }
    if settings.ray_pip():
        env["pip"] = {"packages": requirements_for_job(), "pip_check": False}
    return env


ENTRYPOINT = (
    f"python -u -m modeling --home modeldeck-home train config.yaml --dataset {job_protocol.DATASET_FILE} --events"
)


def run_remote(
    config: ExperimentConfig,
    dataset: Dataset | None = None,
    *,
    store: RunStore,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    owner: str | None = None,
    address: str | None = None,
    poll_s: float = 1.0,
    lost_after_s: float = LOST_AFTER_S,
) -> Path:
    """Train ``config`` on the Ray cluster at ``address`` (default ``MODELDECK_RAY_ADDRESS``); return the run folder.

    Same contract as ``run_experiment``: the run is saved in ``store`` for ``owner``; a failure is recorded
    in the run folder and raised as a :class:`ModelDeckError` with the job's reason; a lost cluster raises
    :class:`ClusterLost` after marking the progress ``interrupted``.
    """
    address = (address or settings.ray_address() or "").rstrip("/")
    reason = unavailable_reason(address)
    if reason:
        raise RunError(reason)
    progress = progress or Progress(config.settings.epochs)
    cancel = cancel or threading.Event()
    if dataset is None:
        progress.update(phase="Loading data")
        dataset = load_source(config.data.source, config.data.text_column, config.data.label_column)
    check_fits(config, dataset)
    progress.update(phase="Sending the job to the Ray cluster")
    client = _client(address)
    run_dir = store.create(config, dataset_facts(dataset), dataset.class_names, owner=owner)
    progress.update(run_id=run_dir.name)
    job = _RemoteJob(client, address, store, run_dir, progress, cancel, poll_s, lost_after_s)
    try:
        if cancel.is_set():  # Stop pressed while the data was being prepared
            message = "Stopped before it was sent to the cluster."
            store.update_meta(run_dir, status="stopped", error=message)
            progress.finish("stopped", message)
            return run_dir
        job.submit(config, dataset)
        return job.follow()
    except ClusterLost:
        raise
    except ModelDeckError as exc:
        job.fail(str(exc), None)
        raise
    except BaseException as exc:
        log.exception("Remote training %s failed", run_dir.name)
        job.fail(f"Training on the cluster stopped with an unexpected error: {first_line(exc)}", None)
        if not isinstance(exc, Exception):
            raise
        raise ModelDeckError(f"Training on the cluster stopped with an unexpected error: {first_line(exc)}") from exc


class _RemoteJob:
    """One submitted job followed to its end (the state of :func:`run_remote`)."""

    def __init__(
        self,
        client: Any,
        address: str,
        store: RunStore,
        run_dir: Path,
        progress: Progress,
        cancel: threading.Event,
        poll_s: float,
        lost_after_s: float,
    ) -> None:
        self.client, self.address, self.store, self.run_dir = client, address, store, run_dir
        self.progress, self.cancel = progress, cancel
        self.poll_s, self.lost_after_s = poll_s, lost_after_s
        self.job_id = f"modeldeck-{secrets.token_hex(6)}"
        self.started = time.time()
        self._seen = 0  # characters of the log already read
        self._stop_sent = False
        self._failed_recorded = False

    def submit(self, config: ExperimentConfig, dataset: Dataset) -> None:
        cpus, gpus = settings.ray_resources()
        job_dir = Path(tempfile.mkdtemp(prefix="modeldeck-job-"))  # 0700: private to the server's user
        try:
            (job_dir / "config.yaml").write_text(config.to_yaml(), encoding="utf-8")
            job_protocol.save_job_dataset(dataset, job_dir)
            deadline = time.monotonic() + SUBMIT_RETRY_S
            while True:
                try:
                    self.client.submit_job(
                        entrypoint=ENTRYPOINT,
                        submission_id=self.job_id,
                        runtime_env=runtime_env(job_dir),
                        metadata={"modeldeck_run_id": self.run_dir.name},
                        entrypoint_num_cpus=cpus,
                        entrypoint_num_gpus=gpus or None,
                    )
                    break
                except Exception as exc:  # a head that just started has no job agent for a few seconds
                    if "try again later" not in str(exc) or time.monotonic() > deadline or self.cancel.is_set():
                        raise
                    self.progress.update(phase="Waiting for the Ray cluster to accept jobs")
                    time.sleep(2.0)
        except Exception as exc:
            raise RunError(f"The Ray cluster at {self.address} did not take the job: {first_line(exc)}") from None
        finally:
            shutil.rmtree(job_dir, ignore_errors=True)  # Ray has its own copy now; ours must not linger
        self.store.update_meta(
            self.run_dir, device="Ray cluster", remote={"address": self.address, "job_id": self.job_id}
        )
        self.progress.update(state="queued", phase="Waiting for the Ray cluster to start the job")

    def follow(self) -> Path:
        """Poll status and logs until the job ends; then bring the run back (or record why not)."""
        last_ok = time.monotonic()
        while True:
            try:
                status = str(self.client.get_job_status(self.job_id))
                self._read_logs()
                last_ok = time.monotonic()
            except Exception as exc:
                if time.monotonic() - last_ok > self.lost_after_s:
                    return self._lost(exc)
                log.info("Ray cluster did not answer (%s); retrying", first_line(exc))
                time.sleep(self.poll_s)
                continue
            status = status.rsplit(".", 1)[-1].upper()
            if status in ("SUCCEEDED", "STOPPED", "FAILED"):
                return self._finish(status)
            if status == "PENDING" and self.progress.state == "queued":
                self.progress.update(phase="Waiting for the Ray cluster (a free CPU, or installing the requirements)")
            if self.cancel.is_set() and not self._stop_sent:
                self._stop_sent = True
                self.progress.update(phase="Stopping the job on the cluster")
                try:
                    self.client.stop_job(self.job_id)
                except Exception as exc:
                    log.warning("Could not stop Ray job %s: %s", self.job_id, exc)
            time.sleep(self.poll_s)

    def _read_logs(self) -> list[str]:
        text = self.client.get_job_logs(self.job_id) or ""
        fresh = text[self._seen :]
        cut = fresh.rfind("\n") + 1  # a line still being written is read next time
        self._seen += cut
        lines = fresh[:cut].splitlines()
        for event in job_protocol.parse_events(lines):
            job_protocol.apply_event(self.progress, event)
        return lines

    def _finish(self, status: str) -> Path:
        logs = (self.client.get_job_logs(self.job_id) or "").splitlines()
        for event in job_protocol.parse_events(logs[-50:]):
            job_protocol.apply_event(self.progress, event)
        bundle = job_protocol.read_bundle(logs)
        if status == "FAILED" or (bundle is None and status == "SUCCEEDED"):
            reason, hint = job_protocol.last_error(logs)
            if reason is None:
                reason = self._ray_message() or "The job on the cluster ended without sending the run back."
            self.fail(reason, hint)
            raise ModelDeckError(reason + (f" {hint}" if hint else ""))
        if bundle is None:  # stopped before a model was saved, or killed after the grace period
            message = "Stopped on the cluster before a model was saved, so there is nothing to evaluate."
            self.store.update_meta(self.run_dir, status="stopped", error=message, duration_s=self._duration())
            self.progress.finish("stopped", message)
            return self.run_dir
        self.progress.update(phase="Bringing the run back from the cluster")
        remote_meta = job_protocol.unpack_bundle(bundle, self.run_dir, skip=_KEEP_LOCAL)
        fields = {k: v for k, v in remote_meta.items() if k not in _LOCAL_FIELDS}
        fields.update(remote_run_id=remote_meta.get("run_id"), remote_duration_s=remote_meta.get("duration_s"))
        fields["duration_s"] = self._duration()
        state = str(remote_meta.get("status", "finished"))
        if state not in ("finished", "stopped", "failed"):
            state = "failed"
            fields.update(status="failed", error="The cluster sent back a run that had not finished.")
        self.store.update_meta(self.run_dir, **fields)
        self.progress.finish(state, fields.get("error"), fields.get("hint"))
        return self.run_dir

    def _ray_message(self) -> str | None:
        try:
            info = self.client.get_job_info(self.job_id)
        except Exception:
            return None
        message = (getattr(info, "message", None) or "").strip()
        return f"The job failed on the cluster: {message.splitlines()[0][:500]}" if message else None

    def _lost(self, exc: BaseException) -> Path:
        message = (
            f"Lost contact with the Ray cluster at {self.address} while it trained ({first_line(exc)}); "
            "the run is interrupted. Start it again when the cluster is back."
        )
        self.store.update_meta(self.run_dir, error=message)
        self.store.forget_writer(self.run_dir)  # still 'running' on disk and nobody writes it: interrupted
        self.progress.finish("interrupted", message)
        raise ClusterLost(message)

    def _duration(self) -> float:
        return round(time.time() - self.started, 2)

    def fail(self, reason: str, hint: str | None) -> None:
        if self._failed_recorded:
            return
        self._failed_recorded = True
        try:
            self.store.update_meta(self.run_dir, status="failed", error=reason, hint=hint, duration_s=self._duration())
        except Exception:
            log.exception("Could not record the failure of run %s", self.run_dir.name)
            self.store.forget_writer(self.run_dir)
        finally:
            self.progress.finish("failed", reason, hint)


#: What the job manager calls for a training, local or remote (same arguments, same contract).
Runner = Callable[..., Path]
