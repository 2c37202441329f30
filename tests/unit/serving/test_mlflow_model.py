"""Every tracked run is an MLflow pyfunc model ("models from code", no pickle) that answers like the app.

Logged to a SQLite store in a temporary folder: ``mlflow.pyfunc.load_model(uri).predict(rows)`` must equal the
run's own ``score_frame``, for a table run (with its saved decision rule) and for the digit starter; the
registry's version points at the pyfunc model, so ``models:/NAME@production`` loads it.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

pytest.importorskip("mlflow", reason="MLflow is a team extra: pip install -r requirements-team.txt")

from modeling.runs import tracking
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from tests.conftest import REPO_ROOT
from tests.unit.serving.helpers import TABLE_ROWS, drawn_one, png_base64, table_run

pytestmark = pytest.mark.slow


@pytest.fixture
def mlflow_db(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)  # MLflow's default ./mlruns artefact root lands in the temporary folder
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MODELDECK_MLFLOW_URI", uri)
    return uri


def _same_answers(got: pd.DataFrame, predictor, rows: pd.DataFrame) -> None:
    local = predictor.score_frame(rows)
    want = local.frame[local.answer_columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)


def test_a_tracked_table_run_is_a_pyfunc_model_with_a_signature_and_the_apps_answers(mlflow_db, tmp_path):
    import mlflow

    run = table_run(tmp_path / "home")
    mlflow_id = tracking.track_run(run.path)
    uri = f"runs:/{mlflow_id}/{tracking.SERVABLE_ARTIFACT}"
    model = mlflow.pyfunc.load_model(uri)
    signature = model.metadata.signature
    assert signature.inputs.input_names() == ["size", "city", "garden", "noise"]
    local = mlflow.artifacts.download_artifacts(uri, dst_path=str(tmp_path / "model"), tracking_uri=mlflow_db)
    saved = mlflow.models.Model.load(local).load_input_example(local)
    assert list(saved.columns) == ["size", "city", "garden", "noise"]
    rows = pd.DataFrame(TABLE_ROWS)
    _same_answers(model.predict(rows), load_predictor(run), rows)
    assert (model.predict(rows)["needs_review"] == (model.predict(rows)["confidence"] < 0.9)).all()  # the saved rule
    pickles = [p for p in (tmp_path / "mlruns").rglob("*") if p.suffix in (".pkl", ".pickle")]
    assert not pickles, pickles

    name, version = tracking.register_model(run.path, "pricey houses", "# card", production=True)
    client = mlflow.MlflowClient(tracking_uri=mlflow_db, registry_uri=mlflow_db)
    assert client.get_model_version(name, version).source.endswith(f"/{tracking.SERVABLE_ARTIFACT}")
    mlflow.set_registry_uri(mlflow_db)
    production = mlflow.pyfunc.load_model("models:/pricey houses@production")
    _same_answers(production.predict(rows), load_predictor(run), rows)


def test_the_digit_starter_as_a_pyfunc_model_reads_base64_pictures(mlflow_db, tmp_path):
    import mlflow

    store = RunStore(tmp_path / "home", starters=None)
    shutil.copytree(REPO_ROOT / "starters" / "starter-digits", store.runs_dir / "starter-digits")
    run = store.load("starter-digits")
    mlflow_id = tracking.track_run(run.path)
    model = mlflow.pyfunc.load_model(f"runs:/{mlflow_id}/{tracking.SERVABLE_ARTIFACT}")
    rows = pd.DataFrame({"image": [png_base64(drawn_one())]})
    got = model.predict(rows)
    assert got["predicted_label"].tolist() == ["1"]
    _same_answers(got, load_predictor(run), rows)
    assert json.loads((run.path / "run.json").read_text())["mlflow_run_id"] == mlflow_id
