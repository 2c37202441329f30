"""What a remote training job and the app say to each other, through the job's own output.

A Ray job is the ordinary command line (``python -m modeling train CONFIG --dataset dataset.npz --events``)
running on the cluster. With ``--events`` it prints, besides its usual output:

- progress lines ``@modeldeck {json}``: state, phase, epoch, step, device and (when an epoch ends) the
  curves, at most about twice a second, so the Train page in the app can draw the same live view it
  draws for a local training;
- at the end, the finished run folder as a ZIP in base64 lines ``@modeldeck-bundle ...`` followed by
  ``@modeldeck-bundle-end SHA256 BYTES [NAME]``, so the run comes back into the app's own store without a
  shared disk or any service beyond the Ray Jobs API. A model search (``python -m modeling search ...
  --events``, see :mod:`modeling.training.search_job`) prints its leaderboard as one ``@modeldeck-board
  {json}`` line and one named bundle per candidate it sends back.

Why the logs rather than the tracking server: the Jobs API is the one channel every Ray cluster has (the
app may run without MLflow), it carries per-batch progress and phases (MLflow only gets metrics), and the
result needs no artefact store reachable from both sides. The app reads the logs once a second.

The dataset travels in the job's private working directory as a plain ``.npz`` (no pickle) with a small
JSON of the facts an ``.npz`` does not keep. Everything read back (events, ZIP members) is checked.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import re
import sys
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.errors import ModelDeckError, RunError
from modeling.runs.store import RunStore
from modeling.training.experiment import run_experiment
from modeling.training.progress import UNITS, Progress

EVENT = "@modeldeck "
BUNDLE = "@modeldeck-bundle "
BUNDLE_END = "@modeldeck-bundle-end "
BOARD = "@modeldeck-board "
#: A run folder bigger than this does not come back through the logs (a model plus its test split is far smaller).
MAX_BUNDLE_MB = 300
#: Base64 characters per bundle line.
CHUNK = 76 * 1024
DATASET_FILE = "dataset.npz"
DATASET_FACTS = "dataset.json"
_STATES = {"queued", "running", "finished", "stopped", "failed"}
#: What a bundle may be called: a run folder's name (the store's run id pattern).
_BUNDLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


# ---- the dataset ------------------------------------------------------------------------------------------------
def save_job_dataset(dataset: Dataset, folder: Path) -> Path:
    """Write the dataset for a job into ``folder``; returns the .npz path (the facts go beside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DATASET_FILE
    dataset.save_npz(str(path))
    facts = {
        "source": dataset.source,
        "text_column": dataset.text_column,
        "label_column": dataset.label_column,
        "deduplicated": bool(dataset.deduplicated),
        "notes": list(dataset.notes),
    }
    (folder / DATASET_FACTS).write_text(json.dumps(facts), encoding="utf-8")
    return path


def load_job_dataset(path: str | Path) -> Dataset:
    """The dataset a job was sent (see :func:`save_job_dataset`)."""
    path = Path(path)
    if not path.is_file():
        raise RunError(f"The job's data file '{path.name}' is missing.")
    dataset = Dataset.load_npz(str(path))
    facts_path = path.with_name(DATASET_FACTS)
    facts = json.loads(facts_path.read_text(encoding="utf-8")) if facts_path.exists() else {}
    dataset.source = str(facts.get("source") or dataset.source)
    dataset.text_column = facts.get("text_column") or dataset.text_column
    dataset.label_column = facts.get("label_column") or dataset.label_column
    dataset.deduplicated = bool(facts.get("deduplicated", False))
    dataset.notes = [str(n) for n in facts.get("notes", [])]
    return dataset


# ---- progress, job side -----------------------------------------------------------------------------------------
class EventWriter:
    """Prints the progress of a training as ``@modeldeck`` lines from a background thread (job side)."""

    def __init__(self, progress: Progress, out: TextIO | None = None, interval_s: float = 0.5) -> None:
        self.progress = progress
        self.out = out or sys.stdout
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._last: tuple[Any, ...] | None = None
        self._last_epoch = -1
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="modeldeck-events", daemon=True)

    def __enter__(self) -> EventWriter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.emit()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.emit()

    def emit(self, **extra: Any) -> None:
        """Print the current progress if it changed (or ``extra`` fields are given)."""
        snap = self.progress.snapshot()
        key = tuple(snap[k] for k in ("state", "phase", "epoch", "step", "steps", "device", "error"))
        with self._lock:
            if key == self._last and not extra:
                return
            self._last = key
            event = {
                k: snap[k] for k in ("state", "phase", "epoch", "epochs", "unit", "step", "steps", "device", "run_id")
            }
            if snap["error"]:
                event.update(error=snap["error"], hint=snap["hint"])
            if snap["epoch"] != self._last_epoch:
                self._last_epoch = snap["epoch"]
                event["history"] = snap["history"]
            event.update(extra)
            write_event(event, self.out)


@contextlib.contextmanager
def on_stop_signal(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """Run ``handler`` on SIGTERM (Ray's Stop) while the block runs, then put the previous handler back.

    Only the main thread may install signal handlers; elsewhere (a test's thread) nothing is installed.
    """
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def write_event(event: dict[str, Any], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    out.write(EVENT + json.dumps(event, separators=(",", ":"), default=str) + "\n")
    out.flush()


def run_job(config: ExperimentConfig, store: RunStore, dataset_path: str | None, out: TextIO | None = None) -> int:
    """The job side: train with progress events, stop on SIGTERM (Ray's Stop), print the run folder back.

    Returns the exit code: 0 when a run folder was sent back (finished, or stopped with its best model),
    2 when training failed (the reason is the last ``failed`` event and the ``error:`` line).
    """
    out = out or sys.stdout
    cancel = threading.Event()
    progress = Progress(config.settings.epochs)
    progress.update(phase="Starting on the cluster")

    def stop(signum: int, frame: Any) -> None:  # Ray's Stop sends SIGTERM: finish the batch, keep the best
        cancel.set()
        progress.update(phase="Stopping after the current batch")

    with on_stop_signal(stop), EventWriter(progress, out) as events:
        try:
            dataset = load_job_dataset(dataset_path) if dataset_path else None
            run_dir = run_experiment(config, dataset, store=store, progress=progress, cancel=cancel)
        except ModelDeckError as exc:
            if progress.state != "failed":
                progress.finish("failed", str(exc))
            events.emit()
            print(f"error: {exc}", file=sys.stderr, flush=True)
            return 2
        events.emit()
    try:
        write_bundle(run_dir, out)
    except RunError as exc:
        write_event({"state": "failed", "error": str(exc)}, out)
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0


# ---- progress, app side -----------------------------------------------------------------------------------------
def parse_events(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The ``@modeldeck`` events among log lines; anything malformed is skipped (logs are not trusted)."""
    for line in lines:
        if not line.startswith(EVENT):
            continue
        try:
            event = json.loads(line[len(EVENT) :])
        except ValueError:
            continue
        if isinstance(event, dict):
            yield event


def apply_event(progress: Progress, event: dict[str, Any]) -> None:
    """Copy one event into the app's Progress: what the Train page draws for a local training."""
    fields: dict[str, Any] = {}
    for key in ("epoch", "epochs", "step", "steps"):
        if isinstance(event.get(key), int) and event[key] >= 0:
            fields[key] = event[key]
    if isinstance(event.get("phase"), str):
        fields["phase"] = event["phase"][:200]
    if event.get("unit") in UNITS:
        fields["unit"] = event["unit"]
    history = event.get("history")
    if isinstance(history, dict):
        fields["history"] = {
            str(k): [float(x) for x in v if isinstance(x, int | float)]
            for k, v in history.items()
            if isinstance(v, list)
        }
    device = event.get("device")
    if isinstance(device, str) and device and progress.started_at is None and event.get("state") == "running":
        progress.start(device[:200])  # the elapsed time counts from when the cluster started training
    elif isinstance(device, str) and device:
        fields["device"] = device[:200]
    if event.get("state") in ("queued", "running") and progress.state in ("queued", "running"):
        fields["state"] = event["state"]
    progress.update(**fields)


def last_error(lines: Iterable[str]) -> tuple[str | None, str | None]:
    """The reason a job gave for failing: its last ``failed`` event, else its last ``error: ...`` line."""
    reason = hint = None
    for line in lines:
        if line.startswith(EVENT):
            for event in parse_events([line]):
                if event.get("state") == "failed" and event.get("error"):
                    reason, hint = str(event["error"])[:1000], event.get("hint") and str(event["hint"])[:500]
        elif line.startswith("error: "):
            reason, hint = line.removeprefix("error: ").strip()[:1000], None
    return reason, hint


# ---- the run folder coming back ---------------------------------------------------------------------------------
def zip_folder(run_dir: Path) -> bytes:
    """A run folder as ZIP bytes (hidden files, such as half-written temporaries, are left out)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(Path(run_dir).rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                zf.write(path, path.relative_to(run_dir).as_posix())
    return buffer.getvalue()


def too_big_message(size: int, max_mb: int = MAX_BUNDLE_MB) -> str:
    return (
        f"The trained run is {size / 2**20:,.0f} MB, over the {max_mb} MB that come back through the job's logs. "
        "Use a smaller model, or fewer test rows."
    )


def write_bundle(run_dir: Path, out: TextIO | None = None, max_mb: int = MAX_BUNDLE_MB, name: str | None = None) -> int:
    """Print ``run_dir`` as a base64 ZIP in ``@modeldeck-bundle`` lines; returns its size in bytes.

    ``name`` (a run folder's name) labels the bundle, for jobs that send several back (a model search).
    """
    data = zip_folder(run_dir)
    if len(data) > max_mb * 1024 * 1024:
        raise RunError(too_big_message(len(data), max_mb))
    write_bundle_bytes(data, out, name)
    return len(data)


def write_bundle_bytes(data: bytes, out: TextIO | None = None, name: str | None = None) -> None:
    """Print ZIP bytes as ``@modeldeck-bundle`` lines and the end line with their SHA-256, size (and name)."""
    out = out or sys.stdout
    if name is not None and not _BUNDLE_NAME.match(name):
        raise RunError(f"A bundle cannot be called {name[:60]!r}.")
    text = base64.b64encode(data).decode("ascii")
    for start in range(0, len(text), CHUNK):
        out.write(BUNDLE + text[start : start + CHUNK] + "\n")
    out.write(f"{BUNDLE_END}{hashlib.sha256(data).hexdigest()} {len(data)}" + (f" {name}" if name else "") + "\n")
    out.flush()


def read_bundles(lines: Iterable[str]) -> dict[str, bytes]:
    """Every complete bundle a job printed, by name (an unnamed one is ``""``); damaged ones are left out."""
    found: dict[str, bytes] = {}
    parts: list[str] = []
    for line in lines:
        if line.startswith(BUNDLE):
            parts.append(line[len(BUNDLE) :].strip())
        elif line.startswith(BUNDLE_END):
            fields = line[len(BUNDLE_END) :].split()
            text, parts = "".join(parts), []
            name = fields[2] if len(fields) == 3 else ""
            if len(fields) not in (2, 3) or (name and not _BUNDLE_NAME.match(name)) or name in found:
                continue
            try:
                data = base64.b64decode(text, validate=True)
            except ValueError:
                continue
            if hashlib.sha256(data).hexdigest() == fields[0] and str(len(data)) == fields[1]:
                found[name] = data
    return found


def read_bundle(lines: Iterable[str]) -> bytes | None:
    """The first ZIP a job printed, checked against its SHA-256; ``None`` when there is none or it is incomplete."""
    parts: list[str] = []
    for line in lines:
        if line.startswith(BUNDLE):
            parts.append(line[len(BUNDLE) :].strip())
        elif line.startswith(BUNDLE_END):
            fields = line[len(BUNDLE_END) :].split()
            try:
                data = base64.b64decode("".join(parts), validate=True)
            except ValueError:
                return None
            if len(fields) in (2, 3) and hashlib.sha256(data).hexdigest() == fields[0] and str(len(data)) == fields[1]:
                return data
            return None
    return None


def write_board(board: dict[str, Any], out: TextIO | None = None) -> None:
    """Print a model search's leaderboard (plain JSON) as one ``@modeldeck-board`` line."""
    out = out or sys.stdout
    out.write(BOARD + json.dumps(board, separators=(",", ":"), default=str) + "\n")
    out.flush()


def read_board(lines: Iterable[str]) -> dict[str, Any] | None:
    """The last leaderboard line a job printed, or ``None`` (malformed lines are skipped)."""
    board = None
    for line in lines:
        if line.startswith(BOARD):
            try:
                value = json.loads(line[len(BOARD) :])
            except ValueError:
                continue
            if isinstance(value, dict):
                board = value
    return board


def unpack_bundle(data: bytes, target: Path, skip: Iterable[str] = ()) -> dict[str, Any]:
    """Write the run folder's files into ``target`` (a run folder of the app's store); return its run.json.

    The ZIP came over the network, so members are checked: plain relative paths inside the folder, no
    links, a size cap. Files named in ``skip`` are not written (the caller merges them itself).
    """
    skipped = set(skip)
    meta: dict[str, Any] = {}
    limit = MAX_BUNDLE_MB * 4 * 1024 * 1024
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise RunError("The run that came back from the cluster is damaged (not a ZIP).") from None
    with zf:
        members = zf.infolist()
        if sum(m.file_size for m in members) > limit:
            raise RunError("The run that came back from the cluster unpacks to too much data; it was not saved.")
        for member in members:
            name = PurePosixPath(member.filename)
            if member.is_dir():
                continue
            if name.is_absolute() or ".." in name.parts or "\\" in member.filename or not name.parts:
                raise RunError(f"The run from the cluster holds an unsafe file name ({member.filename[:80]!r}).")
            if (member.external_attr >> 16) & 0o170000 == 0o120000:
                raise RunError("The run from the cluster holds a link; it was not saved.")
            raw = zf.read(member)
            if str(name) == "run.json":
                meta = json.loads(raw.decode("utf-8"))
            if str(name) in skipped:
                continue
            dest = target.joinpath(*name.parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.incoming")
            tmp.write_bytes(raw)
            tmp.replace(dest)
    if not isinstance(meta, dict) or not meta:
        raise RunError("The run that came back from the cluster has no run.json.")
    return meta


def is_known_state(state: Any) -> bool:
    return state in _STATES
