"""Scoring a Parquet file or folder with Ray Data: the run's predictor loaded once per worker, parts written out.

``python -m modeling predict RUN big.parquet --ray`` ends here (on this machine, or inside a Ray job on a
cluster: :mod:`modeling.serving.ray_job`). The plan is Ray Data's own: ``read_parquet`` -> ``map_batches`` with
:class:`Scorer`, a class whose ``__init__`` loads the run's predictor once per worker (model files are read
once, not per batch) -> ``write_parquet`` parts. Every input column but pictures is kept and the answer columns
of ``score_frame`` are added: the same answers as ``predict`` without ``--ray``, batch by batch. The parts come
mostly in the input's order, but Ray Data does not promise it when several blocks are scored at once (seen in
tests under load): a row is matched back by its own columns (an ID column), not by its position.

Progress: each worker adds its rows to a small counter actor, which the driver reads every second or so
(Ray Data's own progress bars are off: they are for a terminal, not a log). The counter also keeps each
worker's peak memory, which the benchmark reports.

Where Ray runs: with ``RAY_ADDRESS`` set (inside a Ray job, or a shell pointed at a cluster) this process joins
that cluster; otherwise it starts a private Ray for the command on 127.0.0.1 only, with a one-time token, and
stops it at the end. Ray is imported only inside the functions; it comes from ``requirements-team.txt``.
"""

from __future__ import annotations

import os
import re
import resource
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from modeling import settings
from modeling.errors import DataError, ModelDeckError, RunError
from modeling.format import first_line

INSTALL_HINT = "Install the team extras: pip install -r requirements-team.txt"
#: Rows per batch a worker scores at once (a multiple of the Keras predictors' 512-row chunks).
BATCH_ROWS = 4096
#: Seconds between two progress lines.
PROGRESS_EVERY_S = 2.0
#: The most CPUs Ray books for one scoring worker. Ray's CPUs are only a booking (a worker computes on a whole
#: core either way), and a worker per core booked at 1.0 would hold every CPU of the cluster while Ray Data's
#: file listing, reading and writing tasks (1 CPU each) wait for one: nothing would ever move. See
#: :func:`worker_booking`.
WORKER_CPUS = 0.5


@dataclass
class RayScoring:
    """What a Ray scoring did: rows, seconds, workers and each worker's peak memory, and the notes."""

    rows: int
    seconds: float
    output: str
    peak_mb: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def unavailable_reason() -> str | None:
    """Why Ray Data cannot score here (a sentence), or ``None`` when it can."""
    try:
        import ray.data  # noqa: F401
    except ImportError:
        return f"Scoring with --ray needs Ray Data, which is not installed. {INSTALL_HINT}."
    return None


def peak_memory_mb() -> float:
    """This process's peak resident memory, in MB (Linux counts ``ru_maxrss`` in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Scorer:
    """One Ray Data worker: the run's predictor, loaded once in ``__init__``, scores every batch it is given."""

    def __init__(self, run_dir: str, changes: dict[str, Any], counter: Any) -> None:
        from modeling.runs.loading import load_predictor
        from modeling.runs.store import RunStore

        folder = Path(run_dir)
        predictor = load_predictor(RunStore(folder.parent, starters=None).load(str(folder)))
        if changes:  # --threshold / --min-confidence / --positive-class on top of the saved rule
            predictor = predictor.using(predictor.decision.model_copy(update=changes))
        self.predictor = predictor
        self.pictures = [c.name for c in predictor.input_schema() if c.type == "image"]
        self.counter = counter
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        scored = self.predictor.score_frame(batch)
        if len(scored.frame) == len(batch):  # answers per row: the row's own columns, then its answers
            out = batch.drop(columns=self.pictures, errors="ignore").reset_index(drop=True)
            for column in scored.answer_columns:
                out[column] = scored.frame[column].to_numpy()
        else:  # answers per series or date: the predictor's own frame
            out = scored.frame.drop(columns=self.pictures, errors="ignore").reset_index(drop=True)
        self.counter.add.remote(self.worker, len(batch), peak_memory_mb(), list(scored.notes)[:5])
        return out


#: The largest block Ray Data reads the input into (see :func:`score_parquet`): small enough that a file of a
#: few MB is shared by every worker, large enough that a block is many batches.
BLOCK_BYTES = 4 * 1024 * 1024


def _counter() -> Any:
    """A tiny actor that adds up rows, keeps each worker's peak memory and the first note of each kind.

    Notes of one kind differ between batches only in their counts ("10 blank cells", "9 blank cells"); the
    first is kept and the number of batches that had one is said, rather than one line per batch.
    """
    import ray

    @ray.remote(num_cpus=0)
    class Counter:
        def __init__(self) -> None:
            self.rows, self.peak, self.notes = 0, {}, {}

        def add(self, worker: str, rows: int, peak_mb: float, notes: list[str]) -> None:
            self.rows += rows
            self.peak[worker] = max(self.peak.get(worker, 0.0), peak_mb)
            for note in notes:
                kind = re.sub(r"[0-9][0-9,.]*", "#", note)
                if kind in self.notes:
                    self.notes[kind][1] += 1
                    self.notes[kind][2] = self.notes[kind][2] and note == self.notes[kind][0]
                elif len(self.notes) < 20:
                    self.notes[kind] = [note, 1, True]

        def state(self) -> tuple[int, dict[str, float], list[str]]:
            said = [
                note if same else f"{note.rstrip('.')} (in the first batch; {batches} batches had such a note)."
                for note, batches, same in self.notes.values()
            ]
            return self.rows, dict(self.peak), said

    return Counter.remote()


def _private_env() -> dict[str, str | None]:
    """Before Ray is imported: a private local Ray binds loopback only and uses a token of its own.

    Token auth is Ray's default for a new cluster; the token here lives in this process's environment and dies
    with the cluster, instead of one written to ``~/.ray``. Returns the previous values, to put back.
    """
    keys = ("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN")
    before = {k: os.environ.get(k) for k in keys}
    if os.environ.get("RAY_ADDRESS") or "ray" in sys.modules:  # joining a cluster, or Ray set up already
        return before
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # read when Ray is imported: loopback only
    if not os.environ.get("RAY_AUTH_MODE") and not os.environ.get("RAY_AUTH_TOKEN"):
        os.environ["RAY_AUTH_MODE"] = "token"
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    return before


def _start_ray(cpus: int | None, before: dict[str, str | None]) -> Callable[[], None]:
    """Join the cluster ``RAY_ADDRESS`` names, or start a private local Ray; returns how to leave it."""
    import ray

    if ray.is_initialized():  # a caller (a notebook, a test) set Ray up: use it as it is
        return lambda: None
    if os.environ.get("RAY_ADDRESS"):  # inside a Ray job, or a shell pointed at a cluster: join it
        ray.init(log_to_driver=False)
        return ray.shutdown
    ray.init(
        num_cpus=cpus,
        include_dashboard=False,
        log_to_driver=False,
        _node_ip_address="127.0.0.1",
        runtime_env={
            "py_modules": [str(settings.REPO_ROOT / "modeling")],
            "excludes": ["__pycache__", "*.pyc"],
            "env_vars": {"TF_CPP_MIN_LOG_LEVEL": "3", "MODELDECK_MLFLOW_URI": ""},
        },
    )

    def leave() -> None:
        ray.shutdown()
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    return leave


def _user_error(exc: BaseException) -> ModelDeckError:
    """The sentence inside a worker's failure (a ``DataError`` naming a column), else Ray's first line."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        if isinstance(seen, ModelDeckError):
            return type(seen)(str(seen))
        seen = getattr(seen, "cause", None) or seen.__cause__
    text = str(exc)
    for line in text.splitlines():  # Ray's text of a failed task ends with the original error's line
        if "DataError: " in line or "RunError: " in line or "ConfigError: " in line:
            return DataError(line.split("Error: ", 1)[1].strip())
    return RunError(f"Scoring on Ray stopped: {first_line(exc, 300)}")


def score_parquet(
    run_dir: str | Path,
    source: str,
    dest: str,
    *,
    changes: dict[str, Any] | None = None,
    cpus: int | None = None,
    batch_rows: int = BATCH_ROWS,
    on_progress: Callable[[int, int, float], None] | None = None,
) -> RayScoring:
    """Score the Parquet file or folder ``source`` with the run in ``run_dir``; write the parts to ``dest``.

    ``changes`` override the saved decision rule; ``cpus`` caps a local Ray (default: every core);
    ``on_progress(rows_done, rows_total, seconds)`` is called every :data:`PROGRESS_EVERY_S` seconds.
    """
    before = _private_env()
    reason = unavailable_reason()
    if reason:
        raise RunError(reason)
    import ray
    import ray.data

    leave = _start_ray(cpus, before)
    started = time.perf_counter()
    try:
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # mostly the input's order; Ray does not promise it
        context.enable_progress_bars = False
        total = count_rows(source)
        free = float(ray.available_resources().get("CPU", 1.0))
        workers = max(1, min(int(free), total // batch_rows + 1))
        # Ray reads a Parquet file of up to 128 MB as one block, and one block goes to one worker, so a single
        # file would keep every worker but one idle: smaller blocks (Ray cuts them as it reads) share it out.
        context.target_max_block_size = BLOCK_BYTES
        try:
            data = ray.data.read_parquet(source)
        except Exception as exc:
            raise DataError(f"Ray could not read '{source}' as Parquet: {first_line(exc)}") from None
        counter = _counter()
        scored = data.map_batches(
            Scorer,
            fn_constructor_kwargs={"run_dir": str(run_dir), "changes": dict(changes or {}), "counter": counter},
            batch_format="pandas",
            batch_size=batch_rows,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=worker_booking(free, workers),
        )
        failure: list[BaseException] = []
        writer = threading.Thread(target=_write, args=(scored, dest, failure), name="modeldeck-ray-write", daemon=True)
        writer.start()
        while writer.is_alive():
            writer.join(PROGRESS_EVERY_S)
            if on_progress and writer.is_alive():
                on_progress(ray.get(counter.state.remote())[0], total, time.perf_counter() - started)
        if failure:
            raise _user_error(failure[0]) from None
        rows, peak, notes = ray.get(counter.state.remote())
        seconds = time.perf_counter() - started
        if on_progress:
            on_progress(rows, total, seconds)
        return RayScoring(rows, round(seconds, 2), dest, peak, notes)
    finally:
        leave()


def worker_booking(free_cpus: float, workers: int) -> float:
    """CPUs booked per worker so that one whole CPU stays free for Ray Data's own tasks (0 on a 1-CPU machine).

    >>> worker_booking(2, 2), worker_booking(16, 16), worker_booking(1, 1)
    (0.5, 0.5, 0.0)
    """
    return max(0.0, min(WORKER_CPUS, (free_cpus - 1.0) / max(1, workers)))


def count_rows(source: str) -> int:
    """Rows of a Parquet file or folder, from its metadata (nothing is read but the footers)."""
    import pyarrow.dataset

    try:
        return int(pyarrow.dataset.dataset(source, format="parquet").count_rows())
    except Exception as exc:
        raise DataError(f"'{source}' could not be read as Parquet: {first_line(exc)}") from None


def _write(scored: Any, dest: str, failure: list[BaseException]) -> None:
    try:
        scored.write_parquet(dest)
    except BaseException as exc:  # handed to the driver's thread, which raises it with a sentence
        failure.append(exc)
