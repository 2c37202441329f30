"""Background work that outlives a Streamlit rerun, a page switch or a browser refresh: trainings and searches.

One :class:`JobManager` lives per server process (``JOBS``). Each training (:class:`Job`) and each model
search (:class:`Search`) runs in its own thread and talks to pages only through a thread-safe snapshot; one
semaphore caps how many train at once (``MODELDECK_MAX_TRAININGS``), and the rest wait in a visible queue.
Every lookup takes the visitor's ``owner``: someone else's job or search reads as missing.

With ``MODELDECK_RAY_ADDRESS`` set, trainings and searches may run on a Ray cluster instead
(:mod:`modeling.training.remote`, :mod:`modeling.training.remote_search`): same objects, same snapshots,
no slot of this server taken. :meth:`JobManager.reattach` follows again the ones a previous server process
left running there.
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
from modeling.errors import ModelDeckError, RunError
from modeling.runs.store import RunStore, default_store
from modeling.runs.tracking import track_quietly
from modeling.training import remote, remote_search
from modeling.training.experiment import run_experiment
from modeling.training.memory_guard import check_memory
from modeling.training.progress import Progress
from modeling.training.remote import ClusterLost, resume_remote, run_remote
from modeling.training.search import find_best
from modeling.training.search_job import search_config

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
    #: The :class:`~modeling.training.leaderboard.Leaderboard` once finished (whatever the family).
    board: Any = None
    error: str | None = None
    adopted: dict[str, str] = field(default_factory=dict)  # choice -> run id once saved as a run
    thread: threading.Thread | None = None
    #: Searches on the Ray cluster (``modeling.training.remote_search``) instead of in this process.
    remote: bool = False
    #: What a kept run is handed to (MLflow tracking with the report, by default without): see ``keep``.
    after_save: Callable[[Path | None], None] | None = None
    #: The thread tracking the last kept run (tests wait for it).
    tracking: threading.Thread | None = None
    submitted_at: float = field(default_factory=time.time)
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
        self._reattached: set[str] = set()  # store roots already scanned for remote work left by a restart

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
                if job.progress.state not in ("failed", "stopped"):
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
        *,
        remote: bool | None = None,
        after_save: Callable[[Path | None], None] | None = None,
        **options: Any,
    ) -> Search:
        """Start "Find the best model" in the background; it waits for a free training slot like a training.

        ``remote`` (default: whether ``MODELDECK_RAY_ADDRESS`` is set) sends it to the Ray cluster, which
        queues it itself. In this process it is refused near the memory limit like a local training.
        ``after_save`` gets each run kept from it with :meth:`keep` (default: MLflow tracking when configured).
        """
        remote = settings.ray_address() is not None if remote is None else remote
        if not remote:
            check_memory(running=len([j for j in self.active() if not j.remote]))
        search = Search(secrets.token_hex(6), dataset.name, budget_s, owner, remote=remote, after_save=after_save)
        waiting = "Sending the search to the Ray cluster" if remote else "Waiting for a free training slot"
        search.info = {"phase": waiting, "fraction": 0.0, "elapsed_s": 0.0}
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
        # A search on the cluster waits in the cluster's queue, not for one of this server's slots.
        with contextlib.nullcontext() if search.remote else self._slots:
            if search.cancel.is_set():
                search._update(state="stopped", error="Stopped before it started.")
                return
            search._update(state="running")

            def on_progress(info: dict[str, Any]) -> None:
                with search._lock:
                    search.info = dict(info)

            try:
                store = store or default_store()
                if search.remote:
                    board = remote_search.run_remote_search(
                        dataset,
                        search.budget_s,
                        seed,
                        on_progress,
                        search.cancel,
                        store=store,
                        owner=search.owner,
                        **options,
                    )
                else:
                    shares = {k: options[k] for k in ("test_share", "validation_share") if k in options}
                    config = search_config(dataset, seed, **shares)
                    templates = options.get("templates")
                    board = find_best(dataset, search.budget_s, config, store, on_progress, search.cancel, templates)
            except ModelDeckError as exc:
                search._update(state="failed", error=str(exc))
                return
            except Exception as exc:
                log.exception("Model search %s crashed", search.search_id)
                search._update(state="failed", error=f"The search stopped with an unexpected error: {exc}")
                return
            self._search_done(search, board)

    @staticmethod
    def _search_done(search: Search, board: Any) -> None:
        if board is None:  # stopped on the cluster before anything came back
            search._update(state="stopped", error="The search was stopped before any model came back.")
            return
        search._update(board=board, state="stopped" if search.cancel.is_set() else "finished")

    def keep(self, search: Search, store: RunStore, owner: str | None = None, choice: str | None = None) -> str:
        """ "Use this model": keep one of a search's ``board.choices()`` (default: the best) as a normal run of
        ``owner``, and hand it to the search's ``after_save`` (MLflow tracking) in the background, as a finished
        training is. Returns the run id; keeping it again returns the same run.
        """
        board = search.board
        if board is None:
            raise RunError("This search has no trained model to keep.")
        choices = board.choices()
        key = choice or (choices[0] if choices else "")
        if not key:
            raise RunError("This search has no trained model to keep.")
        if search.adopted.get(key):
            return search.adopted[key]
        run_id = board.keep(key, store, owner=owner)
        search.adopted[key] = run_id
        hook = search.after_save or track_quietly
        search.tracking = threading.Thread(
            target=self._after_keep, args=(hook, store.runs_dir / run_id), name=f"keep-{run_id}", daemon=True
        )
        search.tracking.start()
        return run_id

    @staticmethod
    def _after_keep(hook: Callable[[Path | None], None], run_dir: Path) -> None:
        try:
            hook(run_dir)
        except Exception:  # tracking is a copy for the team: it never undoes keeping the run
            log.exception("After-save hook failed for kept run %s", run_dir.name)

    # ---- remote work left by a restart ---------------------------------------------------------------------
    def reattach(self, store: RunStore, after_save: Callable[[Path | None], None] | None = None) -> int:
        """Follow again the trainings and searches a previous server process sent to a Ray cluster.

        Scans ``store`` once per process (later calls return 0 at once): each run or search still marked
        running with a Ray job id gets a :class:`Job` or :class:`Search` here, for its owner, that polls the
        job; one that ended while the app was down gives its result at once. Returns how many were found.
        """
        key = str(store.root.resolve())
        with self._lock:
            if key in self._reattached:
                return 0
            self._reattached.add(key)
        try:
            import ray.job_submission  # noqa: F401  # without Ray nothing can be followed: they stay interrupted
        except ImportError:
            return 0
        found = 0
        for run_dir in remote.reattachable_runs(store):
            try:
                self._reattach_run(store, run_dir, after_save or track_quietly)
                found += 1
            except Exception as exc:  # one damaged folder must not hide the others
                log.warning("Could not follow remote run %s again: %s", run_dir.name, exc)
        for search_dir in remote_search.reattachable_searches(store):
            record = remote_search.read_record(search_dir) or {}
            search = Search(
                secrets.token_hex(6),
                str(record.get("dataset") or "data"),
                float(record.get("budget_s") or 0.0),
                record.get("owner"),
                state="running",
                remote=True,
                submitted_at=float(record.get("created_ts") or time.time()),
            )
            search.info = {"phase": "Finding the search on the Ray cluster again (the app restarted)", "fraction": 0.0}
            search.thread = threading.Thread(
                target=self._resume_search, args=(search, search_dir), name=f"search-{search.search_id}", daemon=True
            )
            with self._lock:
                self._searches[search.search_id] = search
            search.thread.start()
            found += 1
        return found

    def _reattach_run(self, store: RunStore, run_dir: Path, after_save: Callable[[Path | None], None]) -> None:
        run = store.load(str(run_dir))
        job = Job(
            job_id=secrets.token_hex(6),
            config=run.config,
            dataset_name=str(run.info.dataset.get("name") or run.config.data.source),
            owner=run.info.owner,
            progress=Progress(run.config.settings.epochs),
            remote=True,
            submitted_at=float(run.meta.get("created_ts") or time.time()),
        )
        job.progress.update(run_id=run_dir.name)

        def work() -> None:
            try:
                job.run_dir = resume_remote(store, run_dir, progress=job.progress, cancel=job.cancel)
            except ClusterLost:
                return  # the progress says interrupted, the run folder too
            except ModelDeckError as exc:
                if job.progress.state != "failed":
                    job.progress.finish("failed", str(exc))
            except Exception as exc:
                log.exception("Following remote run %s again crashed", run_dir.name)
                job.progress.finish("failed", f"Following the job on the cluster failed: {exc}")
            try:
                after_save(run_dir if (run_dir / "run.json").exists() else None)
            except Exception:
                log.exception("After-save hook failed for run %s", run_dir.name)

        job.thread = threading.Thread(target=work, name=f"train-{job.job_id}", daemon=True)
        with self._lock:
            self._jobs[job.job_id] = job
        job.thread.start()

    def _resume_search(self, search: Search, search_dir: Path) -> None:
        def on_progress(info: dict[str, Any]) -> None:
            with search._lock:
                search.info = dict(info)

        try:
            board = remote_search.resume_remote_search(search_dir, on_progress, search.cancel)
        except ModelDeckError as exc:
            search._update(state="failed", error=str(exc))
            return
        except Exception as exc:
            log.exception("Following search %s again crashed", search_dir.name)
            search._update(state="failed", error=f"Following the search on the cluster failed: {exc}")
            return
        self._search_done(search, board)

    def get_search(self, search_id: str | None, owner: str | None = None) -> Search | None:
        """The search ``search_id``; with an owner, only if it is theirs (someone else's reads as missing)."""
        return self._owned(self._searches, search_id, owner)

    def latest_search(self, owner: str | None = None, dataset_name: str | None = None) -> Search | None:
        """The newest search of ``owner`` (on ``dataset_name``), e.g. one followed again after a restart."""
        with self._lock:
            searches = list(self._searches.values())
        mine = [
            s
            for s in searches
            if (owner is None or s.owner == owner) and (dataset_name is None or s.dataset_name == dataset_name)
        ]
        return max(mine, key=lambda s: s.submitted_at, default=None)

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
