"""The team's pieces on the pages: tracked runs and the registry on Saved runs; the memory guard and Ray on Train."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from modeling.runs.store import RunStore
from tests.app.helpers import APP, app, goto, page_text, remote_bundle_lines
from tests.fake_runs import make_run

RUN = "20990101-000000-ngram_bag-aaaaaa"
BOB = "b2" * 16


@pytest.fixture
def mlflow_db(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MODELDECK_MLFLOW_URI", uri)
    return uri


def test_without_mlflow_the_team_blocks_say_how_to_turn_them_on(local_home, monkeypatch):
    monkeypatch.delenv("MODELDECK_MLFLOW_URI", raising=False)
    make_run(local_home, RUN, usable=True)
    at = goto(app(), "pages/runs.py")
    assert "Tracking is off: set MODELDECK_MLFLOW_URI" in page_text(at)
    assert next(b for b in at.button if b.label == "Register this model").disabled


def test_saved_runs_lists_tracked_runs_and_registers_a_model_with_its_card(local_home, mlflow_db):
    from mlflow import MlflowClient

    from modeling.runs import tracking

    path = make_run(local_home, RUN, usable=True, title="Reviews for the team")
    tracking.track_run(path)
    at = goto(app(), "pages/runs.py")
    table = next(df.value for df in at.dataframe if "by" in df.value.columns)
    assert list(table["run"]) == [RUN] and list(table["here"]) == ["yes"]
    at.text_input(key="register_name").input("review-sentiment").run()
    at.checkbox(key="register_production").check().run()
    at.button(key="register_model").click().run()
    assert not at.exception
    assert "Registered as **review-sentiment** version 1 and marked production." in page_text(at)
    client = MlflowClient(tracking_uri=mlflow_db, registry_uri=mlflow_db)
    version = client.get_model_version("review-sentiment", "1")
    assert "Reviews for the team" in version.description or "ngram_bag" in version.description
    assert version.aliases == ["production"]


def test_a_teammates_tracked_run_opens_here(local_home, mlflow_db, tmp_path):
    from modeling.runs import tracking

    elsewhere = make_run(tmp_path / "laptop", RUN, usable=True)  # trained on someone's laptop, tracked
    tracking.track_run(elsewhere)
    at = goto(app(), "pages/runs.py")
    assert "no: open it below" in list(next(df.value for df in at.dataframe if "by" in df.value.columns)["here"])
    at.button(key="tracked_open").click().run()
    assert not at.exception
    assert RunStore(local_home).load(RUN).info.usable


def test_a_hosted_visitor_sees_only_their_own_tracked_runs(mlflow_db, tmp_path, monkeypatch):
    from modeling.runs import tracking

    monkeypatch.delenv("MODELDECK_MODE", raising=False)  # hosted: private sessions
    bobs = make_run(tmp_path / "server", RUN, usable=True)
    RunStore(tmp_path / "server").update_meta(bobs, owner=BOB)
    tracking.track_run(bobs)
    at = goto(app(), "pages/runs.py")
    assert "No runs of this workspace on the tracking server yet" in page_text(at)
    assert RUN not in page_text(at)


def _ready_to_train(at: AppTest) -> AppTest:
    at.switch_page("pages/data.py")
    at.run()
    at.button(key="sample_reviews").click().run()
    at.switch_page("pages/train.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_memory_guard_refuses_a_training_with_a_sentence(local_home, monkeypatch):
    from modeling.training.jobs import JOBS

    monkeypatch.setenv("MODELDECK_MEMORY_LIMIT_MB", "1")
    monkeypatch.delenv("MODELDECK_RAY_ADDRESS", raising=False)
    at = _ready_to_train(AppTest.from_file(APP, default_timeout=120))
    before = len(JOBS.jobs())
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error).replace("\\", "")
    assert "MB of its 1 MB" in errors and "was not started" in errors and "MODELDECK_RAY_ADDRESS" in errors
    assert len(JOBS.jobs()) == before


def test_with_a_ray_cluster_the_train_page_offers_it_and_the_guard_points_there(local_home, monkeypatch):
    pytest.importorskip("ray.job_submission")
    monkeypatch.setenv("MODELDECK_RAY_ADDRESS", "http://127.0.0.1:9")
    monkeypatch.setenv("MODELDECK_MEMORY_LIMIT_MB", "1")
    at = _ready_to_train(AppTest.from_file(APP, default_timeout=120))
    place = at.radio(key="training_place")
    assert place.value == "the Ray cluster" and not place.disabled
    assert "Ray cluster at http://127.0.0.1:9" in page_text(at)
    place.set_value("this server").run()
    next(b for b in at.button if b.label == "Start training").click().run()
    assert "Send it to the Ray cluster instead" in " ".join(e.value for e in at.error).replace("\\", "")


def test_ray_configured_but_missing_is_greyed_out_with_the_reason(local_home, monkeypatch):
    import sys

    monkeypatch.setenv("MODELDECK_RAY_ADDRESS", "http://127.0.0.1:9")
    monkeypatch.setitem(sys.modules, "ray.job_submission", None)
    at = _ready_to_train(AppTest.from_file(APP, default_timeout=120))
    place = at.radio(key="training_place")
    assert place.disabled and place.value == "this server"
    assert "requirements-team.txt" in page_text(at)


def test_the_run_json_of_a_tracked_run_names_its_mlflow_run(local_home, mlflow_db):
    from modeling.runs import tracking

    path = make_run(local_home, RUN, usable=True)
    mlflow_id = tracking.track_run(path)
    assert json.loads((path / "run.json").read_text())["mlflow_run_id"] == mlflow_id


# ---- Find the best model on the Ray cluster; a restart while a job runs there ----------------------------------
def _search_job_lines(tmp_path: Path) -> list[str]:
    """What a search job on the cluster prints for the reviews sample (the job's own function, run here)."""
    import io

    from modeling.data.sources import load_source
    from modeling.training import job_protocol as jp
    from modeling.training.search_job import run_search_job, search_config

    ds = load_source("sample:reviews")
    out = io.StringIO()
    data = jp.save_job_dataset(ds, tmp_path / "job")
    assert run_search_job(search_config(ds), RunStore(tmp_path / "cluster"), str(data), 60, ["ngram_nb"], out) == 0
    return out.getvalue().splitlines()


def test_find_the_best_model_runs_on_the_ray_cluster_and_keeps_the_winner(local_home, monkeypatch, tmp_path):
    pytest.importorskip("ray.job_submission")
    from modeling.training import job_protocol as jp
    from modeling.training import remote
    from modeling.training.jobs import JOBS
    from tests.unit.training.ray_fakes import FakeJobs

    lines = _search_job_lines(tmp_path)
    events = [line for line in lines if line.startswith(jp.EVENT)]
    rest = [line for line in lines if not line.startswith(jp.EVENT)]
    fake = FakeJobs([("PENDING", []), ("RUNNING", events), ("RUNNING", []), ("RUNNING", []), ("SUCCEEDED", rest)])
    monkeypatch.setattr(remote, "connect", lambda address: fake)
    monkeypatch.setenv("MODELDECK_RAY_ADDRESS", "http://127.0.0.1:9")
    monkeypatch.setenv("MODELDECK_MEMORY_LIMIT_MB", "1")  # in this process the search would be refused
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    at.button(key="sample_reviews").click().run()
    at.switch_page("pages/model.py")
    at.run()
    place = at.radio(key="search_place")
    assert place.value == "the Ray cluster" and place.label == "Where to search"
    at.button(key="automl_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    search = JOBS.get_search(at.session_state["automl_search_id"])
    assert search.remote
    deadline = time.time() + 60
    while not search.snapshot().get("leaderboard") and time.time() < deadline:
        time.sleep(0.2)
    at.run()
    assert "Searching on the Ray cluster" in page_text(at) and "Finished so far" in page_text(at)
    search.thread.join(timeout=60)
    assert search.state == "finished", search.error
    at.run()
    assert not at.exception
    assert "Keyword baseline accuracy" in page_text(at) and fake.submitted["entrypoint"].count(" search ") == 1
    next(b for b in at.button if b.label == "Use this model").click().run()
    assert not at.exception
    run_id = at.session_state["run_id"]
    assert "ngram_nb" in run_id and RunStore(local_home).load(run_id).info.usable


def test_after_a_restart_the_train_page_follows_the_job_on_the_cluster_again(local_home, monkeypatch, tmp_path):
    pytest.importorskip("ray.job_submission")
    from modeling.config import default_config
    from modeling.training import remote
    from modeling.training.jobs import JOBS
    from tests.unit.training.ray_fakes import FakeJobs, event

    store = RunStore(local_home)
    config = default_config("text_classification", source="sample:reviews", template="ngram_bag")
    run_dir = store.create(config, {"name": "Product reviews"}, ["negative", "positive"])
    store.update_meta(run_dir, remote={"address": "http://127.0.0.1:9", "job_id": "modeldeck-0123456789ab"})
    store.forget_writer(run_dir)  # the server that sent it was restarted
    fake = FakeJobs(
        [("RUNNING", [event(state="running", phase="Training epoch 2", epoch=2, epochs=40, device="GPU 0 (L4)")])] * 3
        + [("SUCCEEDED", remote_bundle_lines(tmp_path))]
    )
    monkeypatch.setattr(remote, "connect", lambda address: fake)
    monkeypatch.setenv("MODELDECK_RAY_ADDRESS", "http://127.0.0.1:9")
    at = goto(app(), "pages/train.py")
    assert "Run: ngram_bag on Product reviews" in " ".join(s.value for s in at.subheader)
    job = JOBS.get(at.session_state["job_id"])
    assert job.remote and job.progress.run_id == run_dir.name
    job.thread.join(timeout=60)
    at.run()
    assert not at.exception
    assert f"Saved as run `{run_dir.name}`" in page_text(at) and fake.submitted == {}  # followed, not sent again
