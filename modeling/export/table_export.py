"""A table run -> one verified export ZIP: model file(s), the column preparation, predict.py, README, model card.

The ``table`` family's exporter (:data:`modeling.export.families.FAMILIES`).

The ZIP holds what turns a raw CSV row into an answer without ModelDeck:

* ``preparation.json`` and ``encoder.json`` (the run's saved ``TablePreparation`` and ``TableEncoder``) and
  ``prepare_table.py``, their plain pandas replica (``modeling/export/shipped/prepare_table.py``);
* the model: one file in the format's runtime (``model.onnx``, ``model.keras``, ``saved_model/``,
  ``model.tflite``), or for the automatic template one ONNX file per member (``member_0.onnx``, ...);
* ``table_model.json``: which file reads which input (tree codes or the dense matrix), each member's weight,
  classes and scale (a learned logarithm, a standardised target), the conformal range widths and the
  calibration temperature; ``predict.py`` (``shipped/predict_table.py``) blends the members exactly as
  :class:`modeling.templates.tabular.model.TableModel` does, in float64.

One file per member plus the weights, rather than one merged graph: the members come from different
converters (ModelDeck's tree converter, skl2onnx, Keras/tf2onnx) with different opsets, each file stays a
plain model a developer can load and test alone, and the blend is five lines of arithmetic in
``predict.py`` that the check covers like everything else.

**The check.** ``test.npz`` holds the run's typed test frame; :func:`test_rows_csv` writes it back as a raw
CSV (numbers as plain numbers, yes/no as 1/0, dates rebuilt from their parts, categories as text). The
ZIP's own ``predict.py`` reads that CSV in a fresh, isolated process with only its runtime; ModelDeck's
table predictor reads the same file through the app's reader. Class probabilities, or each predicted value
and its range bounds, must agree (:mod:`modeling.export.verify`); otherwise no ZIP is made.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modeling.data.readers.tables import read_table
from modeling.data.tabular.prepare import TablePreparation, value_kind
from modeling.errors import RunError
from modeling.export.archive import ExportFailed, ExportResult, package_versions, zip_and_keep
from modeling.export.artefacts import SHIPPED, write_keras_model
from modeling.export.formats import FORMATS, offer
from modeling.export.keras_export import write_decision_rule
from modeling.export.table_onnx import linear_to_onnx, trees_to_onnx
from modeling.export.table_readme import table_readme
from modeling.export.verify import check_export
from modeling.runs.store import Run
from modeling.runs.table.bundle import BUNDLE_DIR, load_table_model
from modeling.runs.table.predictor import TablePredictor
from modeling.templates.tabular.model import INPUTS, TableModel

#: File name of member ``i`` of a blend, per format (a single model uses the format's own file name).
MEMBER_SUFFIX = {"onnx": ".onnx", "keras": ".keras", "litert": ".tflite", "saved_model": "_saved_model"}


def build_table_export(run: Run, fmt: str, model_card: str = "", out_dir: Path | None = None) -> ExportResult:
    """Export the table run ``run`` as ``fmt``, check it on the test rows, zip it; raise on any failure."""
    item = FORMATS[fmt]
    model, saved = load_table_model(run.path)
    if not isinstance(saved.get("preparation"), dict):
        raise RunError(
            "This table run was saved without its column preparation (how its cells are read), so an export could "
            "not read raw tables the way ModelDeck does. Train it again to export it."
        )
    preparation = TablePreparation.from_dict(saved["preparation"])
    test = run.load_test()
    rows_csv = test_rows_csv(preparation, test.frame)
    expected, values = app_answers(run, rows_csv, test.labels)
    with tempfile.TemporaryDirectory(prefix="modeldeck-export-") as scratch:
        staging = Path(scratch) / f"{run.info.run_id}-{fmt}"
        staging.mkdir(parents=True)
        members, facts = write_members(run, model, saved, fmt, staging, test.frame)
        target = str((run.meta.get("dataset") or {}).get("target_column") or preparation.target_column or "")
        temperature = float(((run.evaluation or {}).get("calibration") or {}).get("temperature") or 1.0)
        table_model = {
            "task": model.task,
            "template": run.config.template,
            "class_names": model.class_names,
            "target": target,
            "members": members,
            "interval": saved.get("interval") or {},
            "temperature": 1.0 if model.predicts_number else temperature,
        }
        facts.update(
            runtime=fmt,
            format=item.title,
            model_file=members[0]["file"],
            model_files=[m["file"] for m in members],
            run_id=run.info.run_id,
            template=run.config.template,
            input={"kind": "table", "columns": preparation.input_columns, "target": target},
        )
        _write_json(staging / "table_model.json", table_model)
        _write_json(staging / "preparation.json", saved["preparation"])
        _write_json(staging / "encoder.json", model.encoder.to_json())
        _write_json(staging / "export.json", facts)
        if not model.predicts_number:
            _write_json(staging / "labels.json", model.class_names)
            write_decision_rule(run, staging)
        shutil.copyfile(SHIPPED / "prepare_table.py", staging / "prepare_table.py")
        shutil.copyfile(SHIPPED / "predict_table.py", staging / "predict.py")
        (staging / "requirements.txt").write_text(
            package_versions([*item.runtime_packages, "numpy", "pandas"]), encoding="utf-8"
        )
        rows_file = Path(scratch) / "test_rows.csv"
        rows_file.write_text(rows_csv, encoding="utf-8")
        check = check_export(item.title, staging, rows_file, expected, values)
        if not check.passed:
            raise ExportFailed(f"The {item.title} export failed its check, so it is not offered: {check.reason}.")
        _write_json(staging / "check.json", check.to_dict())
        (staging / "README.md").write_text(table_readme(run, item, facts, table_model, check), encoding="utf-8")
        if model_card:
            (staging / "MODEL_CARD.md").write_text(model_card, encoding="utf-8")
        return zip_and_keep(run, fmt, staging, check, out_dir)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def write_members(
    run: Run, model: TableModel, saved: dict[str, Any], fmt: str, folder: Path, frame: pd.DataFrame
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Write each member's model file in ``fmt``; return what ``table_model.json`` says of each, and facts."""
    example = frame.iloc[:4]
    dense = model.encoder.dense(example)
    n_codes = len(model.encoder.columns)
    facts: dict[str, Any] = {}
    entries = []
    for i, member in enumerate(model.members):
        name = FORMATS[fmt].model_file if len(model.members) == 1 else f"member_{i}{MEMBER_SUFFIX[fmt]}"
        target = folder / name
        if member.is_network:
            if fmt == "keras":  # the very file ModelDeck trained and loads
                shutil.copyfile(run.path / BUNDLE_DIR / str(saved["members"][i]["file"]), target)
            else:
                facts.update(write_keras_model(member.estimator, fmt, target, dense))
        elif fmt != "onnx":
            raise RunError(offer(run.config.template, fmt).reason or f"{FORMATS[fmt].title} cannot hold this model.")
        else:
            import onnx

            converted = (  # the linear model reads the dense matrix, the trees read the codes
                linear_to_onnx(member.estimator, dense.shape[1])
                if INPUTS[member.kind] == "dense"
                else trees_to_onnx(member.estimator, n_codes)
            )
            onnx.save(converted, str(target))
        classes = None if member.is_network else getattr(member.estimator, "classes_", None)
        entries.append(
            {
                "file": name,
                "kind": member.kind,
                "name": member.name,
                "input": INPUTS[member.kind],
                "weight": float(member.weight),
                "classes": None if classes is None or model.predicts_number else [int(c) for c in classes],
                "log_target": bool(member.log_target),
                "y_mean": float(member.y_mean),
                "y_std": float(member.y_std),
            }
        )
    return entries, facts


def test_rows_csv(preparation: TablePreparation, frame: pd.DataFrame) -> str:
    """The typed test frame written back as a raw CSV with the columns a user's table has.

    Numbers and yes/no (1/0) are written as plain numbers, categories as their text (blank when missing),
    and each date column is rebuilt from its ``days_since`` part (rounded to the second) as year-month-day.
    """
    columns: dict[str, Any] = {}
    for info in preparation.columns:
        if value_kind(info) != "datetime":
            columns[info.name] = frame[info.name].reset_index(drop=True)
            continue
        part = next(f.name for f in preparation.features if f.source == info.name and f.part == "days_since")
        reference = pd.Timestamp(preparation.date_reference.get(info.name, "2000-01-01"))
        days = frame[part].to_numpy(dtype=np.float64)
        seconds = pd.to_timedelta(np.round(np.nan_to_num(days) * 86400.0), unit="s")
        dates = pd.Series(reference + seconds).dt.strftime("%Y-%m-%d %H:%M:%S" if info.format.has_time else "%Y-%m-%d")
        columns[info.name] = dates.where(~np.isnan(days), "")
    return pd.DataFrame(columns).to_csv(index=False)


def app_answers(run: Run, rows_csv: str, labels: np.ndarray) -> tuple[np.ndarray, dict[str, Any] | None]:
    """What ModelDeck's own table predictor answers for the CSV: probabilities (uncalibrated), or the value and
    its range bounds per row with the target's spread, name and currency for the comparison."""
    predictor = TablePredictor.from_run(run)
    table = read_table(rows_csv.encode("utf-8"), "test_rows.csv")
    if not predictor.predicts_number:
        return predictor.predict(table, calibrated=False), None
    values = predictor.predict(table)
    bounds = [bound for _, pair in sorted(predictor.ranges(values).items()) for bound in pair]
    target = dict(((run.evaluation or {}).get("target")) or {})
    spread = float(np.std(np.asarray(labels, dtype=np.float64))) if len(labels) > 1 else 1.0
    facts = {
        "scale": spread,
        "target": str(target.get("name") or predictor.target_name or "the target"),
        "currency": str(target.get("currency") or ""),
    }
    return np.column_stack([values, *bounds]), facts
