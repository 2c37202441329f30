"""What every export shares, whatever the model: the result, where finished ZIPs are kept, and zipping.

A finished ZIP is kept in the run's ``exports/`` folder (starters: under ``$MODELDECK_HOME/exports/``) with
its check and a stamp of the model file, so asking again is instant while the model is unchanged and a
retrained model is never served an old export. Used by :mod:`modeling.export.keras_export` (texts, images) and
:mod:`modeling.export.table_export` (tables).
"""

from __future__ import annotations

import importlib.metadata
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from modeling import settings
from modeling.errors import RunError
from modeling.export.verify import ParityCheck
from modeling.runs.store import Run, atomic_write

#: Where a table run keeps its model (``modeling.runs.table.bundle``): its ``bundle.json`` stamps the export.
TABLE_BUNDLE_FILE = Path("table_model") / "bundle.json"


class ExportFailed(RunError):
    """The export did not pass its check; the message says which check and by how much."""


@dataclass(frozen=True)
class ExportResult:
    """A verified export: the ZIP on disk, its check and what it holds."""

    format: str
    zip_path: Path
    check: ParityCheck
    files: list[str]

    @property
    def size_bytes(self) -> int:
        return self.zip_path.stat().st_size

    @property
    def file_name(self) -> str:
        return self.zip_path.name


def export_folder(run: Run) -> Path:
    """Where a run's finished exports are kept: inside an own run, under the workspace for a starter."""
    if run.info.starter:
        return settings.home() / "exports" / run.info.run_id
    return run.path / "exports"


def model_stamp(run: Run) -> str:
    """Changes whenever the model file does (``model.keras``, or a table run's ``table_model/bundle.json``)."""
    path = run.model_path if run.model_path.exists() else run.path / TABLE_BUNDLE_FILE
    stat = path.stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def cached_export(run: Run, fmt: str) -> ExportResult | None:
    """The kept, verified export of ``run`` in ``fmt`` when it is still for the current model."""
    folder = export_folder(run)
    record_path = folder / f"{fmt}.json"
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        stamp = model_stamp(run)
    except (OSError, ValueError):
        return None
    zip_path = folder / str(record.get("zip", ""))
    if record.get("stamp") != stamp or not zip_path.is_file() or zip_path.parent != folder:
        return None
    try:
        check = ParityCheck(**record["check"])
    except (KeyError, TypeError):
        return None
    return ExportResult(fmt, zip_path, check, list(record.get("files", [])))


def package_versions(names: tuple[str, ...] | list[str]) -> str:
    """``requirements.txt`` lines pinning each pip name to the version installed here (unpinned if absent)."""
    lines = []
    for name in dict.fromkeys(names):
        try:
            lines.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            lines.append(name)
    return "\n".join(lines) + "\n"


def zip_and_keep(run: Run, fmt: str, staging: Path, check: ParityCheck, out_dir: Path | None) -> ExportResult:
    """Zip ``staging`` (one top folder named after it) into ``out_dir`` or the run's export folder, atomically."""
    folder = out_dir or export_folder(run)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{run.info.run_id}-{fmt}.zip"
    files = sorted(
        str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    partial = folder / f".{name}.partial"
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative in files:
            archive.write(staging / relative, f"{staging.name}/{relative}")
    partial.replace(folder / name)
    result = ExportResult(fmt, folder / name, check, files)
    if out_dir is None:
        record = {"zip": name, "stamp": model_stamp(run), "check": check.to_dict(), "files": files}
        atomic_write(folder / f"{fmt}.json", json.dumps(record, indent=1))
    return result
