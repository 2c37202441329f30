"""Runs on disk: one folder per run, every file written atomically.

A run folder holds ``run.json`` (what and when, status, classes, dataset facts),
``config.yaml`` (the exact settings), ``history.json`` (training curves),
``evaluation.json`` (metrics of the model and the baselines on the test split),
``test.npz`` (the held-out test split, so evaluation can be redone after a
restart) and ``model.keras`` (the whole model, preprocessing included).

Starter runs ship with the repository in ``starters/`` and are read-only.
A plain folder listing is all the index we need at this size; a database would
only add a second source of truth that can disagree with the files.

Runs belong to an *owner* (an opaque string; in the hosted app, one browser
session's workspace). Every reading method takes ``owner``: ``None`` means "no
filter" (single-user local mode and the command line), anything else sees only
its own runs plus the starters, and someone else's run id gets exactly the
answer a missing one gets.

A run being written is marked ``running`` with the writer's process identity
(pid, the pid's start time and the machine's boot id). When that process is
gone, or the pid now belongs to another process (containers restart with the
same small pids), the run is listed as ``interrupted`` instead of running forever.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modeling import settings
from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.errors import RunError
from modeling.evaluation.schema import Evaluation
from modeling.settings import STARTERS_DIR

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
#: The file that holds a finished run's model, per family: a Keras model, a table bundle, a forecast bundle.
MODEL_FILES = ("model.keras", "table_model/bundle.json", "forecast_model/bundle.json")
#: Statuses after which nobody writes to the run folder any more.
FINAL_STATUSES = ("finished", "stopped", "failed")
#: Run folders this process is writing now (a 'running' run of ours that is not here has lost its thread).
_LIVE: set[str] = set()
_LIVE_LOCK = threading.Lock()


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside ``path`` and rename it over: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    atomic_write(path, json.dumps(obj, indent=1, default=_json_default))


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise RunError(f"The run file {path.name} is damaged ({exc}).") from None


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError, ValueError):
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def process_start(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot, from /proc), so a reused pid is not mistaken for the old one."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def boot_id() -> str | None:
    """This machine's boot id: a pid recorded before a reboot names another process."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


_BOOT_ID = boot_id()
_START_OF: dict[int, int | None] = {}


def _own_start() -> int | None:
    """This process's start time, looked up once per pid (a forked child gets its own)."""
    pid = os.getpid()
    if pid not in _START_OF:
        _START_OF[pid] = process_start(pid)
    return _START_OF[pid]


def _writer_alive(path: Path, meta: dict[str, Any]) -> bool:
    """Is the process that marked this run 'running' still the one writing it?"""
    try:
        pid = int(meta.get("pid", -1))
    except (TypeError, ValueError):
        return False
    boot = meta.get("boot_id")
    if boot and _BOOT_ID and boot != _BOOT_ID:
        return False  # the machine restarted since
    started = meta.get("pid_start")
    own_start = _own_start()
    if pid == os.getpid() and (started is None or own_start is None or started == own_start):
        with _LIVE_LOCK:
            return str(path.resolve()) in _LIVE
    if not _pid_alive(pid):
        return False
    if started is not None:
        now = process_start(pid)
        if now is not None and now != started:
            return False  # the pid was reused by another process
    return True


@dataclass
class RunInfo:
    """What a run list shows: enough to choose, without loading the model."""

    run_id: str
    path: Path
    title: str
    task: str
    template: str
    created: str
    status: str
    accuracy: float | None
    starter: bool = False
    dataset: dict[str, Any] = field(default_factory=dict)
    duration_s: float | None = None
    device: str = ""
    error: str | None = None
    hint: str | None = None
    owner: str | None = None

    @property
    def label(self) -> str:
        acc = f", test accuracy {self.accuracy:.1%}" if self.accuracy is not None else ""
        tag = "⭐ Starter — " if self.starter else ""
        return f"{tag}{self.title} ({self.created}{acc})"

    @property
    def usable(self) -> bool:
        has_model = any((self.path / name).exists() for name in MODEL_FILES)
        return self.status in ("finished", "stopped") and has_model


@dataclass
class Run:
    """A saved run, loaded for evaluation or prediction (the model itself loads lazily)."""

    info: RunInfo
    config: ExperimentConfig
    meta: dict[str, Any]
    history: dict[str, list[float]]
    evaluation: Evaluation | None

    @property
    def path(self) -> Path:
        return self.info.path

    @property
    def model_path(self) -> Path:
        return self.info.path / "model.keras"

    @property
    def class_names(self) -> list[str]:
        return list(self.meta.get("class_names", []))

    @property
    def task(self) -> str:
        return self.config.task

    def load_test(self):
        """The held-out test split saved with the run, as a Dataset."""

        path = self.info.path / "test.npz"
        if not path.exists():
            raise RunError("This run has no saved test split, so it cannot be evaluated again.")
        return Dataset.load_npz(str(path))


class RunStore:
    """Folder of runs under ``root/runs`` plus the read-only starters shipped with the code."""

    def __init__(self, root: str | Path, starters: str | Path | None = STARTERS_DIR) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.starters_dir = Path(starters) if starters else None

    # ---- writing --------------------------------------------------------------------------
    def create(
        self,
        config: ExperimentConfig,
        dataset_facts: dict[str, Any],
        class_names: list[str],
        owner: str | None = None,
    ) -> Path:
        """Make a new run folder marked 'running' (by this process, for ``owner``) and return it."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        run_id = f"{stamp}-{config.template}-{secrets.token_hex(3)}"
        path = self.runs_dir / run_id
        path.mkdir(parents=True, exist_ok=False)
        atomic_write(path / "config.yaml", config.to_yaml())
        write_json(
            path / "run.json",
            {
                "run_id": run_id,
                "title": f"{config.template} on {dataset_facts.get('name', 'data')}",
                "task": config.task,
                "template": config.template,
                "created": time.strftime("%Y-%m-%d %H:%M"),
                "created_ts": time.time(),
                "status": "running",
                "owner": owner,
                "pid": os.getpid(),
                "pid_start": _own_start(),
                "boot_id": _BOOT_ID,
                "class_names": class_names,
                "dataset": dataset_facts,
            },
        )
        with _LIVE_LOCK:
            _LIVE.add(str(path.resolve()))
        return path

    def update_meta(self, path: Path, **fields: Any) -> None:
        meta = _read_json(path / "run.json") or {}
        meta.update(fields)
        write_json(path / "run.json", meta)
        if meta.get("status") in FINAL_STATUSES:
            with _LIVE_LOCK:
                _LIVE.discard(str(path.resolve()))

    def claim_writer(self, path: Path) -> None:
        """This process writes ``path`` from now on (it follows a remote job again after a restart).

        The run then reads as running, not interrupted, for as long as this process lives.
        """
        self.update_meta(path, pid=os.getpid(), pid_start=_own_start(), boot_id=_BOOT_ID)
        with _LIVE_LOCK:
            _LIVE.add(str(path.resolve()))

    @staticmethod
    def forget_writer(path: Path) -> None:
        """This process no longer writes ``path``: if it still says 'running', it reads as interrupted."""
        with _LIVE_LOCK:
            _LIVE.discard(str(path.resolve()))

    def save_model(self, path: Path, model: Any) -> None:
        """Save a Keras model as ``model.keras`` atomically: a killed process leaves no half-written model."""
        partial = path / ".model.partial.keras"  # Keras insists on the .keras suffix
        try:
            model.save(partial)
            os.replace(partial, path / "model.keras")
        finally:
            partial.unlink(missing_ok=True)

    # ---- reading --------------------------------------------------------------------------
    def _folders(self) -> list[tuple[Path, bool]]:
        found: list[tuple[Path, bool]] = []
        if self.starters_dir and self.starters_dir.is_dir():
            found += [(p, True) for p in sorted(self.starters_dir.iterdir()) if (p / "run.json").exists()]
        if self.runs_dir.is_dir():
            found += [(p, False) for p in sorted(self.runs_dir.iterdir(), reverse=True) if (p / "run.json").exists()]
        return found

    def _info(self, path: Path, starter: bool) -> RunInfo:
        meta = _read_json(path / "run.json") or {}
        if not isinstance(meta, dict):
            raise RunError(f"The run file {path.name}/run.json is damaged.")
        status = meta.get("status", "unknown")
        if status in ("running", "queued") and not starter and not _writer_alive(path, meta):
            status = "interrupted"
        accuracy = meta.get("accuracy")
        return RunInfo(
            run_id=meta.get("run_id", path.name),
            path=path,
            title=meta.get("title", path.name),
            task=meta.get("task", ""),
            template=meta.get("template", ""),
            created=meta.get("created", ""),
            status=status,
            accuracy=float(accuracy) if accuracy is not None else None,
            starter=starter or bool(meta.get("starter")),
            dataset=meta.get("dataset", {}),
            duration_s=meta.get("duration_s"),
            device=meta.get("device", ""),
            error=meta.get("error"),
            hint=meta.get("hint"),
            owner=meta.get("owner"),
        )

    @staticmethod
    def _visible(info: RunInfo, owner: str | None) -> bool:
        """``owner=None`` sees everything (local mode, command line); an owner sees its runs and the starters."""
        return owner is None or info.starter or info.owner == owner

    def list_runs(self, task: str | None = None, usable_only: bool = False, owner: str | None = None) -> list[RunInfo]:
        """Starters first, then the runs ``owner`` may see, newest first."""
        infos = []
        for path, starter in self._folders():
            try:
                info = self._info(path, starter)
            except RunError:
                continue
            if not self._visible(info, owner):
                continue
            if task and info.task != task:
                continue
            if usable_only and not info.usable:
                continue
            infos.append(info)
        return infos

    def _is_starter(self, path: Path) -> bool:
        return self.starters_dir is not None and path.resolve().parent == self.starters_dir.resolve()

    def find(self, run_id: str, owner: str | None = None) -> Path:
        """The folder of ``run_id``; never escapes the store.

        Without an owner (command line, local mode) a path to a run folder is accepted too. With
        one, only run ids are, and a run of another owner is reported exactly like a missing one,
        so guessing ids or paths reveals nothing.
        """
        run_id = str(run_id)
        missing = RunError(f"No run called '{run_id}' was found. Pick one from the list of runs.")
        if owner is None:
            candidate = Path(run_id)
            if candidate.is_dir() and (candidate / "run.json").exists():
                return candidate
        if not _RUN_ID.match(run_id):
            raise missing if owner is not None else RunError(f"'{run_id}' is not a run id.")
        for base in (self.runs_dir, self.starters_dir):
            if base and (base / run_id / "run.json").is_file() and not (base / run_id).is_symlink():
                path = base / run_id
                if owner is not None:
                    try:
                        info = self._info(path, self._is_starter(path))
                    except RunError:
                        raise missing from None
                    if not self._visible(info, owner):
                        raise missing
                return path
        raise missing

    def load(self, run_id: str, owner: str | None = None) -> Run:
        path = self.find(run_id, owner)
        starter = self._is_starter(path)
        info = self._info(path, starter)
        meta = _read_json(path / "run.json") or {}
        try:
            config = ExperimentConfig.from_yaml((path / "config.yaml").read_text(encoding="utf-8"))
        except (OSError, UnicodeError):  # the message names the file, never the server's folders
            raise RunError(f"The settings of run '{info.run_id}' are missing (config.yaml cannot be read).") from None
        except Exception as exc:
            raise RunError(f"The settings of run '{info.run_id}' cannot be read: {exc}") from None
        return Run(
            info=info,
            config=config,
            meta=meta,
            history=_read_json(path / "history.json") or {},
            evaluation=_read_json(path / "evaluation.json"),
        )

    def delete(self, run_id: str, owner: str | None = None) -> None:
        """Remove a run folder; starters and (with ``owner``) other owners' runs cannot be deleted."""
        import shutil

        path = self.find(run_id, owner)
        if self.starters_dir and path.resolve().is_relative_to(self.starters_dir.resolve()):
            raise RunError("Starter models are part of the app and cannot be deleted.")
        meta = _read_json(path / "run.json") or {}
        if meta.get("status") in ("running", "queued") and _writer_alive(path, meta):
            raise RunError("This run is still training. Stop it on the Train page first, then delete it.")
        shutil.rmtree(path)


def default_store() -> RunStore:
    """The store the app and the command line share: ``$MODELDECK_HOME`` or ``./workspace``."""
    root = settings.home()
    return RunStore(root)
