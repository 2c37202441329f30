"""A run -> one verified export ZIP: model file, labels, preprocessing, predict.py, README and model card.

:func:`build_export` writes everything into a scratch folder, checks it (the text tokenizer against the
model's own layer on every test text, then the whole export in a fresh process against the Keras model,
see :mod:`modeling.export.verify`) and only then zips it. A failed check raises :class:`ExportFailed`
with the reason, and no ZIP exists. The finished ZIP is kept in the run's ``exports/`` folder (starters:
under ``$MODELDECK_HOME/exports/``) with its check, so asking again is instant while the model is unchanged.
Table runs take their own path (:func:`modeling.export.table_export.build_table_export`) after the same
format and availability checks.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from modeling.errors import RunError
from modeling.export.archive import (
    ExportFailed,
    ExportResult,
    cached_export,
    export_folder,
    package_versions,
    zip_and_keep,
)
from modeling.export.artefacts import SHIPPED, digit_preparation_files, write_artefacts
from modeling.export.formats import FORMATS, input_kind, is_table_template, offer
from modeling.export.models import quantized_model_file
from modeling.export.readme import export_readme
from modeling.export.table_export import build_table_export
from modeling.export.verify import check_export
from modeling.runs.store import Run

#: Re-exported: callers import the result types and the cache from here.
__all__ = ["ExportFailed", "ExportResult", "build_export", "cached_export", "export_folder"]


def _requirements(fmt: str, kind: str, facts: dict[str, Any], digits: bool) -> str:
    names = list(FORMATS[fmt].runtime_packages)
    if kind == "pixels":
        names += ["pillow"] + (["scipy"] if digits else [])
    if facts.get("needs_tensorflow_text") or facts.get("needs_keras_hub"):
        names += ["tensorflow-text", "keras-hub"]
    return package_versions(names)


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
    table = is_table_template(template)
    offered = offer(template, fmt, quantized=not table and quantized_model_file(run.model_path))
    if not offered.supported:
        raise RunError(offered.reason)
    if not run.info.usable:
        raise RunError("This run has no finished model to export.")
    if table:
        return build_table_export(run, fmt, model_card, out_dir)
    kind = input_kind(template) or ""
    test = run.load_test()
    inputs = test.texts if test.kind == "text" else test.images
    model = load_bundle_model(run.model_path)
    expected = predict_probabilities(model, np.asarray(inputs, dtype=str if test.kind == "text" else np.float32))
    item = FORMATS[fmt]
    digits = kind == "pixels" and tuple(test.image_shape or ()) == (28, 28, 1)
    with tempfile.TemporaryDirectory(prefix="modeldeck-export-") as scratch:
        staging = Path(scratch) / f"{run.info.run_id}-{fmt}"
        facts = write_artefacts(model, template, fmt, staging, np.asarray(inputs[:4]), run.model_path)
        facts.update(
            run_id=run.info.run_id,
            template=template,
            temperature=float(((run.evaluation or {}).get("calibration") or {}).get("temperature") or 1.0),
            input=_input_facts(run, test, kind, facts, digits),
            quantized=quantized_model_file(run.model_path),
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
        return zip_and_keep(run, fmt, staging, check, out_dir)


def _input_facts(run: Run, test: Any, kind: str, facts: dict[str, Any], digits: bool) -> dict[str, Any]:
    if test.kind == "text":
        column = run.config.data.text_column or run.meta.get("dataset", {}).get("text_column") or "text"
        return {"kind": "text", "text_column": column, "tokenizer": bool(facts.get("tokenizer"))}
    return {"kind": "image", "shape": list(test.image_shape), "digits": digits, "dtype": "uint8 pixels 0..255"}
