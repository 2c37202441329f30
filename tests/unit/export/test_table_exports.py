"""Every table template x format x task: exported, checked in a fresh process on the test rows, zipped.

One small run per table template and task (a few hundred rows of a raw table with "$"-free numbers written
with thousands separators, blanks, categories and yes/no), then every format it is offered in. The check
runs the ZIP's own ``predict.py`` on the test rows written as a CSV, in an isolated Python process with only
the format's runtime, against ModelDeck's table predictor on the same file: every class probability within
1e-5 and every answer identical, or every value and range bound within 1e-6 of the target's spread.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from modeling.config import default_config
from modeling.data.tabular import dataset_from_table
from modeling.errors import RunError
from modeling.export.bundle import ExportFailed, build_export, cached_export
from modeling.export.formats import SUPPORTED, input_kind, offer, offers
from modeling.runs.store import RunStore
from modeling.training.experiment import run_experiment
from tests.unit.training.table_data import raw_houses

pytestmark = pytest.mark.slow

TEMPLATES = ["boosted_trees", "linear", "neural_network", "automatic"]
TASKS = ["tabular_classification", "tabular_regression"]
CASES = [(t, task, f) for t in TEMPLATES for task in TASKS for f in SUPPORTED[input_kind(t)]]


def _dataset(task: str):
    raw = raw_houses(320, seed=1)
    if task == "tabular_regression":
        return dataset_from_table(raw, "price", name="houses", task=task)
    raw["band"] = np.select([raw["price"] < 110_000, raw["price"] < 190_000], ["low", "middle"], "high")
    return dataset_from_table(raw.drop(columns=["price"]), "band", name="houses", task=task)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("table-export-runs"), starters=None)
    made = {}
    for task in TASKS:
        data = _dataset(task)
        for template in TEMPLATES:
            config = default_config(task, "session:houses", template)
            settings = config.settings.model_copy(update={"max_rounds": 40, "epochs": 4, "time_budget_s": 12})
            config = config.model_copy(update={"settings": settings})
            made[template, task] = store.load(run_experiment(config, data, store=store).name)
    return made


@pytest.mark.parametrize(("template", "task", "fmt"), CASES)
def test_table_export_matches_the_app(runs, template, task, fmt, tmp_path):
    run = runs[template, task]
    result = build_export(run, fmt, "# card", out_dir=tmp_path)
    check = result.check
    assert check.passed, check.reason
    assert check.rows == len(run.load_test()) and check.identical == check.rows
    if task == "tabular_regression":
        assert check.measure == "values" and check.max_difference <= 1e-6 * check.scale
        assert "predicted values of price agree" in check.sentence()
    else:
        assert check.measure == "probabilities" and check.max_difference <= 1e-5
    with zipfile.ZipFile(result.zip_path) as archive:
        names = {n.split("/", 1)[1] for n in archive.namelist()}
        model = json.loads(archive.read(f"{result.zip_path.stem}/table_model.json"))
        readme = archive.read(f"{result.zip_path.stem}/README.md").decode("utf-8")
    shipped = {"predict.py", "prepare_table.py", "preparation.json", "encoder.json", "table_model.json"}
    assert shipped | {"README.md", "MODEL_CARD.md", "check.json", "requirements.txt", "export.json"} <= names
    assert ("labels.json" in names) == (task == "tabular_classification")
    assert {m["file"] for m in model["members"]} <= names | {n.split("/")[0] for n in names}
    bundle = json.loads((run.path / "table_model" / "bundle.json").read_text())
    assert len(model["members"]) == len(bundle["members"]) and (len(bundle["members"]) == 1 or template == "automatic")
    if task == "tabular_regression":
        assert set(model["interval"]["half_widths"]) == {"0.8", "0.9"}
    assert "python predict.py your_table.csv -o scored.csv" in readme
    assert not any("__pycache__" in n for n in names)


def test_the_blend_ships_one_file_per_member_with_its_weight(runs, tmp_path):
    run = runs["automatic", "tabular_regression"]
    result = build_export(run, "onnx", "", out_dir=tmp_path)
    with zipfile.ZipFile(result.zip_path) as archive:
        model = json.loads(archive.read(f"{result.zip_path.stem}/table_model.json"))
    bundle = json.loads((run.path / "table_model" / "bundle.json").read_text())
    assert [m["weight"] for m in model["members"]] == [m["weight"] for m in bundle["members"]]
    assert [m["log_target"] for m in model["members"]] == [m["log_target"] for m in bundle["members"]]
    assert all(m["file"].startswith("member_") for m in model["members"]) or len(model["members"]) == 1


def test_a_kept_table_export_is_reused_until_the_model_changes(runs):
    import os

    run = runs["linear", "tabular_classification"]
    first = build_export(run, "onnx", "")
    assert cached_export(run, "onnx").zip_path == first.zip_path
    bundle = run.path / "table_model" / "bundle.json"
    stat = bundle.stat()
    os.utime(bundle, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    assert cached_export(run, "onnx") is None


def test_a_failed_table_check_blocks_the_zip(runs, tmp_path, monkeypatch):
    from modeling.export import table_export
    from modeling.export.verify import compare_values

    def off_by_a_lot(title, export_dir, input_path, expected, values):
        return compare_values(title, expected, np.asarray(expected) + 1000.0, **values)

    monkeypatch.setattr(table_export, "check_export", off_by_a_lot)
    with pytest.raises(ExportFailed, match="predicted values differ by up to 1,000"):
        build_export(runs["boosted_trees", "tabular_regression"], "onnx", "", out_dir=tmp_path)
    assert list(tmp_path.glob("*.zip")) == []


def test_formats_a_table_model_cannot_have_say_why():
    for template in ("boosted_trees", "linear", "automatic"):
        reasons = {item.format.key: item.reason for item in offers(template) if not item.supported}
        assert set(reasons) == {"keras", "saved_model", "litert"}
        assert all("ONNX" in reason and reason[0].isupper() for reason in reasons.values())
    assert all(offer("neural_network", key).supported for key in ("keras", "saved_model", "onnx", "litert"))


def test_a_table_run_without_its_preparation_is_refused(runs, tmp_path):
    import shutil

    source = runs["linear", "tabular_regression"]
    copy = tmp_path / "runs" / source.info.run_id
    shutil.copytree(source.path, copy, ignore=shutil.ignore_patterns("exports"))
    bundle_path = copy / "table_model" / "bundle.json"
    bundle = json.loads(bundle_path.read_text())
    bundle["preparation"] = None
    bundle_path.write_text(json.dumps(bundle))
    run = RunStore(tmp_path, starters=None).load(source.info.run_id)
    with pytest.raises(RunError, match="without its column preparation"):
        build_export(run, "onnx", "", out_dir=tmp_path)
