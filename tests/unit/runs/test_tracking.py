"""Runs tracked in MLflow against a SQLite store in a temporary folder; the registry; hosted-mode privacy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("mlflow", reason="MLflow is a team extra: pip install -r requirements-team.txt")

from modeling.errors import RunError
from modeling.runs import tracking
from modeling.runs.store import RunStore
from tests.fake_runs import make_run

ALICE, BOB = "a1" * 16, "b2" * 16


@pytest.fixture
def mlflow_db(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)  # a default ./mlruns artefact root lands in the temporary folder
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MODELDECK_MLFLOW_URI", uri)
    return uri


def _owned_run(root: Path, run_id: str, owner: str | None, **kw) -> Path:
    path = make_run(root, run_id, usable=True, **kw)
    RunStore(root).update_meta(path, owner=owner, created_ts=1_795_000_000.0)
    return path


def test_without_a_uri_tracking_is_off_and_says_how_to_turn_it_on(monkeypatch, tmp_path):
    monkeypatch.delenv("MODELDECK_MLFLOW_URI", raising=False)
    assert "MODELDECK_MLFLOW_URI" in tracking.unavailable_reason()
    assert tracking.track_quietly(_owned_run(tmp_path, "r1", None)) is None
    assert "mlflow_run_id" not in json.loads((tmp_path / "runs" / "r1" / "run.json").read_text())


def test_a_run_is_logged_with_params_curves_final_figures_and_its_folder(mlflow_db, tmp_path):
    from mlflow import MlflowClient

    path = _owned_run(tmp_path, "r1", ALICE, settings={"learning_rate": 0.003})
    mlflow_id = tracking.track_run(path, report_html="<html>report</html>")
    client = MlflowClient(tracking_uri=mlflow_db)
    run = client.get_run(mlflow_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["settings.learning_rate"] == "0.003" and run.data.params["template"] == "ngram_bag"
    evaluation = json.loads((path / "evaluation.json").read_text())
    assert run.data.metrics["test_accuracy"] == pytest.approx(evaluation["model"]["accuracy"])
    low, high = run.data.metrics["test_accuracy_low"], run.data.metrics["test_accuracy_high"]
    assert low < run.data.metrics["test_accuracy"] < high
    assert "baseline_majority_accuracy" in run.data.metrics
    curve = client.get_metric_history(mlflow_id, "val_loss")
    assert [m.value for m in sorted(curve, key=lambda m: m.step)] == [0.72, 0.6, 0.55, 0.58]
    assert run.data.tags[tracking.TAG_RUN_ID] == "r1" and run.data.tags[tracking.TAG_OWNER] == ALICE
    files = {f.path for f in client.list_artifacts(mlflow_id, tracking.RUN_ARTIFACT)}
    assert {f"{tracking.RUN_ARTIFACT}/{name}" for name in ("run.json", "model.keras", "evaluation.json")} <= files
    assert [f.path for f in client.list_artifacts(mlflow_id, "report")] == ["report/report.html"]
    # The run folder remembers its MLflow run, so it is logged once.
    assert json.loads((path / "run.json").read_text())["mlflow_run_id"] == mlflow_id
    assert tracking.track_run(path) == mlflow_id
    assert len(tracking.tracked_runs(None)) == 1


def test_a_failed_run_is_tracked_failed_with_its_reason(mlflow_db, tmp_path):
    from mlflow import MlflowClient

    path = _owned_run(tmp_path, "bad", None)
    RunStore(tmp_path).update_meta(path, status="failed", error="The loss became NaN.")
    run = MlflowClient(tracking_uri=mlflow_db).get_run(tracking.track_run(path))
    assert run.info.status == "FAILED" and run.data.tags["modeldeck.error"] == "The loss became NaN."


def test_hosted_visitors_see_and_open_only_their_own_tracked_runs(mlflow_db, tmp_path):
    alice_run = _owned_run(tmp_path / "server", "alice-run", ALICE)
    bob_run = _owned_run(tmp_path / "server", "bob-run", BOB)
    alice_id, bob_id = tracking.track_run(alice_run), tracking.track_run(bob_run)

    assert [r.run_id for r in tracking.tracked_runs(ALICE)] == ["alice-run"]
    assert [r.run_id for r in tracking.tracked_runs(BOB)] == ["bob-run"]
    assert {r.run_id for r in tracking.tracked_runs(None)} == {"alice-run", "bob-run"}  # local mode: everything
    assert tracking.tracked_runs("x' OR tags.x != '") == []  # never reaches the server's filter

    elsewhere = RunStore(tmp_path / "laptop")  # another ModelDeck pointed at the same tracking server
    with pytest.raises(RunError, match="No tracked run"):
        tracking.import_run(bob_id, elsewhere, owner=ALICE)  # Bob's run reads as missing to Alice
    path = tracking.import_run(alice_id, elsewhere, owner=ALICE)
    run = elsewhere.load("alice-run", owner=ALICE)
    assert path.name == "alice-run" and run.info.usable and run.evaluation
    assert run.meta["owner"] == ALICE and run.meta["imported_from"] == f"mlflow:{alice_id}"
    assert tracking.import_run(alice_id, elsewhere, owner=ALICE) == path  # already here: kept as it is


def test_register_this_model_creates_a_registry_version_with_the_card(mlflow_db, tmp_path):
    from mlflow import MlflowClient

    path = _owned_run(tmp_path, "r1", None)
    name, version = tracking.register_model(path, "review sentiment", "# Model card\nGood on short reviews.")
    assert (name, version) == ("review sentiment", "1")
    client = MlflowClient(tracking_uri=mlflow_db, registry_uri=mlflow_db)
    entry = client.get_model_version(name, "1")
    assert (
        entry.description.startswith("# Model card")
        and entry.run_id == json.loads((path / "run.json").read_text())["mlflow_run_id"]
    )
    assert entry.source.endswith(f"/{tracking.SERVABLE_ARTIFACT}")  # the run as a pyfunc model (mlflow models serve)
    assert client.get_registered_model(name).description.startswith("# Model card")
    _, second = tracking.register_model(path, "review sentiment", "card v2", production=True)
    assert second == "2" and str(client.get_model_version_by_alias(name, "production").version) == "2"
    with pytest.raises(RunError, match="cannot name a registered model"):
        tracking.register_model(path, "bad/name'", "card")


def test_tracking_trouble_never_fails_the_run(monkeypatch, tmp_path):
    monkeypatch.setenv("MODELDECK_MLFLOW_URI", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    path = _owned_run(tmp_path, "r1", None)
    assert tracking.track_quietly(path) is None
    assert json.loads((path / "run.json").read_text())["status"] == "finished"


def _small_config(tmp_path: Path) -> Path:
    from modeling.config import default_config

    config = default_config("text_classification", source="sample:reviews", template="ngram_bag")
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"epochs": 2})})
    path = tmp_path / "small.yaml"
    path.write_text(config.to_yaml())
    return path


def test_a_run_from_the_command_line_is_tracked_with_its_report(mlflow_db, tmp_path, capsys):
    from mlflow import MlflowClient

    from modeling.__main__ import main

    assert main(["--home", str(tmp_path / "home"), "train", str(_small_config(tmp_path))]) == 0
    assert "tracked in MLflow" in capsys.readouterr().err
    (run,) = tracking.tracked_runs(None)
    client = MlflowClient(tracking_uri=mlflow_db)
    assert run.status == "finished" and run.accuracy is not None
    assert [f.path for f in client.list_artifacts(run.mlflow_run_id, "report")] == ["report/report.html"]
    assert len(client.get_metric_history(run.mlflow_run_id, "loss")) == 2


def test_a_training_started_by_the_job_manager_is_tracked(mlflow_db, tmp_path):
    from modeling.config import ExperimentConfig
    from modeling.training.jobs import JobManager

    config = ExperimentConfig.from_file(_small_config(tmp_path))
    job = JobManager().start(config, None, RunStore(tmp_path / "home"), owner=ALICE, remote=False)
    job.thread.join(timeout=240)
    assert job.snapshot()["state"] == "finished"
    (run,) = tracking.tracked_runs(ALICE)
    assert run.run_id == job.snapshot()["run_id"] and run.owner == ALICE


def test_a_run_kept_from_a_search_is_tracked_once_with_its_report(mlflow_db, tmp_path):
    from mlflow import MlflowClient

    from modeling.reporting.tracked import after_save
    from modeling.training.jobs import JobManager
    from tests.conftest import make_text_dataset

    store = RunStore(tmp_path / "home", starters=None)
    manager = JobManager()
    search = manager.start_search(
        make_text_dataset(120), 60, store=store, owner=ALICE, remote=False, after_save=after_save(store),
        templates=["ngram_nb"],
    )  # fmt: skip
    search.thread.join(timeout=120)
    assert search.state == "finished", search.error
    assert tracking.tracked_runs(None) == []  # the candidates of a search are not runs of anyone yet
    run_id = manager.keep(search, store, owner=ALICE)
    search.tracking.join(timeout=120)
    assert manager.keep(search, store, owner=ALICE) == run_id  # "Use this model" twice: one run
    (tracked,) = tracking.tracked_runs(ALICE)
    assert tracked.run_id == run_id and tracked.status == "finished" and tracked.accuracy is not None
    client = MlflowClient(tracking_uri=mlflow_db)
    assert [f.path for f in client.list_artifacts(tracked.mlflow_run_id, "report")] == ["report/report.html"]
    assert client.get_run(tracked.mlflow_run_id).data.tags["modeldeck.search"] == "rank 1 of 1 templates"
    assert tracking.track_run(store.runs_dir / run_id) == tracked.mlflow_run_id


def test_tracking_the_same_folder_twice_at_once_logs_one_run(mlflow_db, tmp_path):
    import threading

    path = _owned_run(tmp_path, "r1", ALICE)
    ids: list[str] = []
    threads = [threading.Thread(target=lambda: ids.append(tracking.track_run(path))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(set(ids)) == 1 and len(tracking.tracked_runs(None)) == 1


def test_a_search_from_the_command_line_tracks_the_run_it_keeps(mlflow_db, tmp_path, capsys):
    from modeling.__main__ import main

    code = main(
        ["--home", str(tmp_path / "home"), "search", str(_small_config(tmp_path)), "--budget", "60",
         "--templates", "ngram_nb"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert "tracked in MLflow" in err
    (run,) = tracking.tracked_runs(None)
    assert run.template == "ngram_nb" and run.status == "finished"
