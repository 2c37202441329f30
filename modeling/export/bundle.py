"""A run -> one verified export ZIP: model file, labels, preprocessing, predict.py, README and model card.

:func:`build_export` writes everything into a scratch folder, checks it (the text tokenizer against the
model's own layer on every test text, then the whole export in a fresh process against the Keras model,
see :mod:`modeling.export.verify`) and only then zips it. A failed check raises :class:`ExportFailed`
with the reason, and no ZIP exists. The finished ZIP is kept in the run's ``exports/`` folder (starters:
under ``$MODELDECK_HOME/exports/``) with its check, so asking again is instant while the model is unchanged.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from modeling import settings
from modeling.errors import RunError
from modeling.export.artefacts import SHIPPED, digit_preparation_files, write_artefacts
from modeling.export.formats import FORMATS, input_kind, offer
from modeling.export.readme import export_readme
from modeling.export.verify import ParityCheck, check_export
from modeling.runs.store import Run, atomic_write


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


def _stamp(run: Run) -> str:
    """Changes whenever the model file does, so a kept export is never served for another model."""
    stat = run.model_path.stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def cached_export(run: Run, fmt: str) -> ExportResult | None:
    """The kept, verified export of ``run`` in ``fmt`` when it is still for the current model."""
    folder = export_folder(run)
    record_path = folder / f"{fmt}.json"
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    zip_path = folder / str(record.get("zip", ""))
    if record.get("stamp") != _stamp(run) or not zip_path.is_file() or zip_path.parent != folder:
        return None
    return ExportResult(fmt, zip_path, ParityCheck(**record["check"]), list(record.get("files", [])))


def _versions(names: tuple[str, ...]) -> list[str]:
    lines = []
    for name in names:
        try:
            lines.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            lines.append(name)
    return lines


def _requirements(fmt: str, kind: str, facts: dict[str, Any], digits: bool) -> str:
    names = list(FORMATS[fmt].runtime_packages)
    if kind == "pixels":
        names += ["pillow"] + (["scipy"] if digits else [])
    if facts.get("needs_tensorflow_text") or facts.get("needs_keras_hub"):
        names += ["tensorflow-text", "keras-hub"]
    return "\n".join(_versions(tuple(dict.fromkeys(names)))) + "\n"


def _check_tokenizer(model: Any, staging: Path, texts: np.ndarray) -> None:
    """The shipped tokenizer must give exactly what the model's own layer gives, on every test text."""
    from modeling.export.models import find_vectorizer, in_graph_tokens
    from modeling.export.shipped.tokenizer import Tokenizer

    twin = Tokenizer.load(staging / "vocabulary.json")(list(texts))
    graph = in_graph_tokens(find_vectorizer(model), texts).astype(twin.dtype)
    differing = int((twin != graph).any(axis=1).sum()) if len(texts) else 0
    if differing or twin.shape != graph.shape:
        raise ExportFailed(
            f"The exported tokenizer reads {differing} of {len(texts)} test texts differently from the model's own "
            "text layer, so the export was not offered."
        )


def build_export(run: Run, fmt: str, model_card: str = "", out_dir: Path | None = None) -> ExportResult:
    """Export ``run`` as ``fmt`` (a key of :data:`FORMATS`), verify it, zip it; raise on any failure.

    ``model_card`` is the Markdown model card (``modeling.reporting.model_card``), written as
    ``MODEL_CARD.md``. The ZIP goes to ``out_dir`` (default: :func:`export_folder`).
    """
    from modeling.runs.predictor import load_bundle_model
    from modeling.templates.inference import predict_probabilities

    if fmt not in FORMATS:
        raise RunError(f"There is no export format '{fmt}'. Choose one of: {', '.join(FORMATS)}.")
    template = run.config.template
    offered = offer(template, fmt)
    if not offered.supported:
        raise RunError(offered.reason)
    if not run.info.usable:
        raise RunError("This run has no finished model to export.")
    kind = input_kind(template) or ""
    test = run.load_test()
    inputs = test.texts if test.kind == "text" else test.images
    model = load_bundle_model(run.model_path)
    expected = predict_probabilities(model, np.asarray(inputs, dtype=str if test.kind == "text" else np.float32))
    item = FORMATS[fmt]
    digits = kind == "pixels" and tuple(test.image_shape or ()) == (28, 28, 1)
    with tempfile.TemporaryDirectory(prefix="modeldeck-export-") as scratch:
        staging = Path(scratch) / f"{run.info.run_id}-{fmt}"
        facts = write_artefacts(model, template, fmt, staging, np.asarray(inputs[:4]))
        facts.update(
            run_id=run.info.run_id,
            template=template,
            temperature=float(((run.evaluation or {}).get("calibration") or {}).get("temperature") or 1.0),
            input=_input_facts(run, test, kind, facts, digits),
        )
        if facts.get("tokenizer"):
            _check_tokenizer(model, staging, np.asarray(inputs, dtype=str))
        if digits:
            (staging / "prepare_image").mkdir()
            for name, source in digit_preparation_files().items():
                (staging / "prepare_image" / name).write_text(source, encoding="utf-8")
        shutil.copyfile(SHIPPED / "predict.py", staging / "predict.py")
        (staging / "labels.json").write_text(
            json.dumps(run.class_names, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        (staging / "export.json").write_text(json.dumps(facts, indent=1), encoding="utf-8")
        (staging / "requirements.txt").write_text(_requirements(fmt, kind, facts, digits), encoding="utf-8")
        check = check_export(item.title, staging, inputs, test.kind, expected)
        if not check.passed:
            raise ExportFailed(f"The {item.title} export failed its check, so it is not offered: {check.reason}.")
        (staging / "check.json").write_text(json.dumps(check.to_dict(), indent=1), encoding="utf-8")
        (staging / "README.md").write_text(export_readme(run, item, facts, check), encoding="utf-8")
        if model_card:
            (staging / "MODEL_CARD.md").write_text(model_card, encoding="utf-8")
        return _zip_and_keep(run, fmt, staging, check, out_dir)


def _input_facts(run: Run, test: Any, kind: str, facts: dict[str, Any], digits: bool) -> dict[str, Any]:
    if test.kind == "text":
        column = run.config.data.text_column or run.meta.get("dataset", {}).get("text_column") or "text"
        return {"kind": "text", "text_column": column, "tokenizer": bool(facts.get("tokenizer"))}
    return {"kind": "image", "shape": list(test.image_shape), "digits": digits, "dtype": "uint8 pixels 0..255"}


def _zip_and_keep(run: Run, fmt: str, staging: Path, check: ParityCheck, out_dir: Path | None) -> ExportResult:
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
        record = {"zip": name, "stamp": _stamp(run), "check": check.to_dict(), "files": files}
        atomic_write(folder / f"{fmt}.json", json.dumps(record, indent=1))
    return result
