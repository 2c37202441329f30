"""A run as an MLflow pyfunc model a team can serve: ``mlflow models serve -m models:/NAME@production``.

No pickle: the model is MLflow's "models from code". :func:`save_servable` writes an MLflow model folder whose
code is :mod:`modeling.runs.servable_model` (a ``PythonModel`` that calls ``load_predictor`` on the run folder,
shipped as the artifact ``run``), with the ``modeling`` package as its ``code_paths`` and the pinned
``requirements.txt`` as its pip requirements. Loading it runs that code and reads the run folder the way the app
does (``.keras`` in safe mode, scikit-learn parts through skops), so it answers exactly what the Predict page
answers. The signature comes from the run's ``input_schema()`` (a text or a picture is a string, a table
cell any scalar), and its examples make the model's input example.

:func:`modeling.runs.tracking.track_run` logs this folder beside the run folder (artifact ``model``), and the
registry versions point at it. MLflow is imported only inside the functions.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from modeling import settings
from modeling.errors import RunError
from modeling.runs.loading import load_predictor
from modeling.runs.protocol import InputColumn
from modeling.runs.store import RunStore

#: The models-from-code file MLflow runs to get the model.
MODEL_CODE = Path(__file__).with_name("servable_model.py")
#: The artifact key under which the run folder travels inside the MLflow model.
RUN_KEY = "run"
#: What a run folder holds that serving does not need (export ZIPs, half-written files).
NOT_SHIPPED = ("exports", ".*", "__pycache__")


def column_type(column: InputColumn) -> Any:
    """The MLflow type of a column: a text or a picture (base64) is a string; a table cell any scalar.

    Table cells stay open because the run reads them as written, like an uploaded file: a number may come as
    ``12``, ``12.5`` or ``"$1,200"`` (MLflow would refuse ``12`` in a double column), yes/no as ``true`` or
    ``"yes"``, a date as text or a timestamp.
    """
    from mlflow.types.schema import AnyType, DataType

    return DataType.string if column.type in ("text", "image") else AnyType()


def example_frame(columns: list[InputColumn]) -> pd.DataFrame:
    """One row from the schema's examples, each typed as its column's signature says."""
    row: dict[str, Any] = {}
    for column in columns:
        value = column.example
        if value is None and column.required:
            value = "" if column.type != "number" else 0.0
        if value is not None and column.type in ("text", "image"):
            value = str(value)
        row[column.name] = value
    return pd.DataFrame([row], columns=[c.name for c in columns])


def requirements(root: Path = settings.REPO_ROOT) -> list[str]:
    """The pinned runtime requirements (``requirements.txt`` without comments and options)."""
    path = root / "requirements.txt"
    if not path.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def save_servable(run_dir: Path, dest: Path) -> None:
    """Write the MLflow pyfunc model of the run in ``run_dir`` to the new folder ``dest``.

    Raises :class:`RunError` for a run without a finished model. The run's predictor is loaded once, to read
    its columns; nothing is scored (the answer columns depend on the run's kind and rule, and a first answer
    costs a model compilation that tracking every run should not pay).
    """
    # MLflow copies the artefacts with a progress bar per copy: noise in a command's output or a server's log.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow.pyfunc
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    run = RunStore(Path(run_dir).parent, starters=None).load(str(run_dir))
    if not run.info.usable:
        raise RunError(f"Run {run.info.run_id} has no finished model, so there is nothing to serve.")
    columns = list(load_predictor(run).input_schema())
    example = example_frame(columns)
    signature = ModelSignature(inputs=Schema([ColSpec(column_type(c), c.name, required=c.required) for c in columns]))
    with tempfile.TemporaryDirectory(prefix="modeldeck-servable-") as scratch:
        code = Path(scratch) / "code" / "modeling"
        shutil.copytree(settings.REPO_ROOT / "modeling", code, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        folder = Path(scratch) / RUN_KEY
        shutil.copytree(run.path, folder, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
        mlflow.pyfunc.save_model(
            path=str(dest),
            python_model=str(MODEL_CODE),
            artifacts={RUN_KEY: str(folder)},
            code_paths=[str(code)],
            signature=signature,
            input_example=example,
            pip_requirements=requirements(),
            metadata={"modeldeck_run_id": run.info.run_id, "modeldeck_task": run.task},
        )
