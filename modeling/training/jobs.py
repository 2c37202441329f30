"""Background work that outlives a Streamlit rerun, a page switch or a browser refresh: trainings and searches.

One :class:`JobManager` lives per server process (``JOBS``). Each training (:class:`Job`) and each model
search (:class:`Search`) runs in its own thread and talks to pages only through a thread-safe snapshot; one
semaphore caps how many train at once (``MODELDECK_MAX_TRAININGS``), and the rest wait in a visible queue.
Every lookup takes the visitor's ``owner``: someone else's job or search reads as missing.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modeling import settings
from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.errors import ModelDeckError
from modeling.runs.store import RunStore
from modeling.runs.tracking import track_quietly
from modeling.training.experiment import run_experiment
from modeling.training.memory_guard import check_memory
from modeling.training.progress import Progress
from modeling.training.remote import ClusterLost, run_remote
from modeling.training.search import find_best_text_model
from modeling.training.table_search import find_best_table_model

log = logging.getLogger(__name__)


@dataclass
class Job:
    """A training run in the background. ``stop()`` asks it to finish after the current batch."""

    job_id: str
    config: ExperimentConfig
    dataset_name: str
    owner: str | None
    progress: Progress
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    run_dir: Path | None = None
    submitted_at: float = field(default_factory=time.time)
    #: Trains on the Ray cluster (``modeling.training.remote``) instead of in this process.
    remote: bool = False

    def stop(self) -> None:
        self.cancel.set()
        if self.progress.state == "queued":
            self.progress.update(phase="Stopped before it started")

    def snapshot(self) -> dict[str, Any]:
        snap = self.progress.snapshot()
        snap.update(job_id=self.job_id, template=self.config.template, task=self.config.task, dataset=self.dataset_name)
        return snap

    @property
    def done(self) -> bool:
        return self.progress.state in ("finished", "stopped", "failed", "interrupted")


@dataclass
class Search:
    """A model search running in its own thread; pages poll :meth:`snapshot` and may :meth:`stop` it."""

    search_id: str
    dataset_name: str
    budget_s: float
    owner: str | None
    cancel: threading.Event = field(default_factory=threading.Event)
    state: str = "queued"  # queued | running | finished | stopped | failed
    info: dict[str, Any] = field(default_factory=dict)
    board: Any = None  # a search.Leaderboard (texts) or table_search.TableLeaderboard (tables) once finished
    error: str | None = None
    adopted: dict[str, str] = field(default_factory=dict)  # template -> run id once saved as a run
    thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stop(self) -> None:
        self.cancel.set()

    @property
    def done(self) -> bool:
        return self.state in ("finished", "stopped", "failed")

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"state": self.state, "error": self.error, **self.info}

    def _update(self, **fields: Any) -> None:
        with self._lock:
            for key, value in fields.items():
                setattr(self, key, value)


class JobManager:
    """Starts, lists and stops training jobs; safe to share between all browser sessions."""

    def __init__(self, max_concurrent: int | None = None) -> None:
        self.max_concurrent = max(1, max_concurrent or settings.max_trainings())
        self._slots = threading.Semaphore(self.max_concurrent)
        self._jobs: dict[str, Job] = {}
        self._searches: dict[str, Search] = {}
        self._lock = threading.Lock()

    def start(
        self,
        config: ExperimentConfig,
        dataset: Dataset | None,
        store: RunStore,
        owner: str | None = None,
        *,
        remote: bool | None = None,
        after_save: Callable[[Path | None], None] | None = None,
    ) -> Job:
        """Start a training; ``remote`` (default: whether ``MODELDECK_RAY_ADDRESS`` is set) sends it to Ray.

        An in-process training is refused with :class:`~modeling.training.memory_guard.MemoryLimitReached`
        when the server is near its memory limit. ``after_save`` gets the run folder once the run is saved
        (finished, stopped or failed); by default the run is tracked in MLflow when that is configured.
        """
        remote = settings.ray_address() is not None if remote is None else remote
        if not remote:
            check_memory(running=len([j for j in self.active() if not j.remote]))
        job = Job(
            job_id=secrets.token_hex(6),
            config=config,
            dataset_name=dataset.name if dataset is not None else config.data.source,
            owner=owner,
            progress=Progress(config.settings.epochs),
            remote=remote,
        )
        job.thread = threading.Thread(
            target=self._work,
            args=(job, dataset, store, after_save or track_quietly),
            name=f"train-{job.job_id}",
            daemon=True,
        )
        with self._lock:
            self._jobs[job.job_id] = job
        job.thread.start()
        return job

    def _work(
        self, job: Job, dataset: Dataset | None, store: RunStore, after_save: Callable[[Path | None], None]
    ) -> None:
        # A remote training waits in the cluster's queue, not for one of this server's slots.
        with contextlib.nullcontext() if job.remote else self._slots:
            if job.cancel.is_set():
                job.progress.finish("stopped", "Stopped before training started.")
                return
            if not job.remote:
                job.progress.update(state="running", phase="Preparing the data")  # out of the queue from here
            runner = run_remote if job.remote else run_experiment
            try:
                job.run_dir = runner(
                    job.config, dataset, store=store, progress=job.progress, cancel=job.cancel, owner=job.owner
                )
            except ClusterLost:
                return  # the progress says interrupted, the run folder too
            except ModelDeckError as exc:
                if job.progress.state != "failed":
                    job.progress.finish("failed", str(exc))
            except BaseException as exc:  # the worker thread must end with a state the page can show
                log.exception("Job %s crashed", job.job_id)
                if job.progress.state != "failed":
                    job.progress.finish("failed", f"Training stopped with an unexpected error: {exc}")
        run_id = job.progress.run_id
        saved = job.run_dir or (store.runs_dir / run_id if run_id else None)
        try:
            after_save(saved if saved is not None and saved.exists() else None)
        except Exception:  # tracking is a copy for the team: it never changes the run's outcome
            log.exception("After-save hook failed for job %s", job.job_id)

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one training slot, for work that trains outside a Job or a Search."""
        with self._slots:
            yield

    # ---- model searches ----------------------------------------------------------------------------------------
    def start_search(
        self,
        dataset: Dataset,
        budget_s: float,
        seed: int = 42,
        store: RunStore | None = None,
        owner: str | None = None,
        **options: Any,
    ) -> Search:
        """Start "Find the best model" in the background; it waits for a free training slot like a training.

        Searches run in this process, so they are refused near the memory limit like a local training.
        """
        check_memory(running=len([j for j in self.active() if not j.remote]))
        search = Search(secrets.token_hex(6), dataset.name, budget_s, owner)
        search.info = {"phase": "Waiting for a free training slot", "fraction": 0.0, "elapsed_s": 0.0}
        search.thread = threading.Thread(
            target=self._search_work,
            args=(search, dataset, seed, store, options),
            name=f"search-{search.search_id}",
            daemon=True,
        )
        with self._lock:
            self._searches[search.search_id] = search
        search.thread.start()
        return search

    def _search_work(self, search: Search, dataset: Dataset, seed: int, store: RunStore | None, options: dict) -> None:
        with self._slots:
            if search.cancel.is_set():
                search._update(state="stopped", error="Stopped before it started.")
                return
            search._update(state="running")

            def on_progress(info: dict[str, Any]) -> None:
                with search._lock:
                    search.info = dict(info)

            try:
                find_best = find_best_table_model if dataset.kind == "table" else find_best_text_model
                board = find_best(dataset, search.budget_s, seed, on_progress, search.cancel, store=store, **options)
            except ModelDeckError as exc:
                search._update(state="failed", error=str(exc))
                return
            except Exception as exc:
                log.exception("Model search %s crashed", search.search_id)
                search._update(state="failed", error=f"The search stopped with an unexpected error: {exc}")
                return
            search._update(board=board, state="stopped" if search.cancel.is_set() else "finished")

    def get_search(self, search_id: str | None, owner: str | None = None) -> Search | None:
        """The search ``search_id``; with an owner, only if it is theirs (someone else's reads as missing)."""
        return self._owned(self._searches, search_id, owner)

    def get(self, job_id: str | None, owner: str | None = None) -> Job | None:
        """The job ``job_id``; with an owner, only if it is theirs (someone else's reads as missing)."""
        return self._owned(self._jobs, job_id, owner)

    def _owned(self, items: dict[str, Any], key: str | None, owner: str | None) -> Any:
        if not key:
            return None
        with self._lock:
            item = items.get(key)
        if item is not None and owner is not None and item.owner != owner:
            return None
        return item

    def jobs(self, owner: str | None = None) -> list[Job]:
        """All jobs, newest first; only ``owner``'s when an owner is given."""
        with self._lock:
            jobs = list(self._jobs.values())
        if owner is not None:
            jobs = [j for j in jobs if j.owner == owner]
        return sorted(jobs, key=lambda j: j.submitted_at, reverse=True)

    def active(self, owner: str | None = None) -> list[Job]:
        return [j for j in self.jobs(owner) if not j.done]

    def waiting(self) -> int:
        """How many jobs (anyone's) wait for a slot; the Train page shows it without saying whose."""
        return sum(1 for j in self.jobs() if j.progress.state == "queued" and not j.cancel.is_set() and not j.remote)

    def queue_position(self, job: Job) -> int:
        """1 for the next job to start; 0 when the job is not waiting."""
        if job.progress.state != "queued" or job.remote:
            return 0
        waiting = sorted(
            (
                j
                for j in self.jobs()
                if j.progress.state == "queued" and not j.remote and (j is job or not j.cancel.is_set())
            ),
            key=lambda j: j.submitted_at,
        )
        return next((i + 1 for i, j in enumerate(waiting) if j is job), 0)


JOBS = JobManager()
