"""Runs on disk and background jobs: atomic files, interrupted runs, stop, queue."""

import json
import time

import pytest

from modeling.config import TrainingSettings, default_config
from modeling.errors import RunError
from modeling.jobs import JobManager
from modeling.store import RunStore, atomic_write
from tests.conftest import make_image_dataset


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    atomic_write(tmp_path / "a.json", "{}")
    atomic_write(tmp_path / "a.json", '{"x": 1}')
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 1}


def test_run_of_a_dead_process_is_listed_as_interrupted(tmp_path):
    store = RunStore(tmp_path, starters=None)
    cfg = default_config("image_classification", "sample:digits")
    path = store.create(cfg, {"name": "digits"}, ["0", "1"])
    store.update_meta(path, pid=999_999_999)  # no such process: the server died mid-training
    (info,) = store.list_runs()
    assert info.status == "interrupted"
    assert not info.usable


def test_run_ids_cannot_escape_the_store(tmp_path):
    store = RunStore(tmp_path, starters=None)
    for bad in ("../../etc", "/etc/passwd", "..", "a/b"):
        with pytest.raises(RunError):
            store.find(bad)


def _small_config(epochs: int):
    cfg = default_config("image_classification", "test")
    settings = TrainingSettings(**{**cfg.settings.model_dump(), "epochs": epochs, "batch_size": 8, "patience": 0})
    return cfg.model_copy(update={"template": "dense", "settings": settings})


def _wait(job, timeout=120):
    deadline = time.time() + timeout
    while not job.done and time.time() < deadline:
        time.sleep(0.2)
    assert job.done, job.snapshot()


def test_job_trains_in_background_and_can_be_stopped(tmp_path):
    store = RunStore(tmp_path, starters=None)
    jobs = JobManager(max_concurrent=1)
    job = jobs.start(_small_config(200), make_image_dataset(90), store)
    deadline = time.time() + 60
    while job.snapshot()["epoch"] < 1 and time.time() < deadline:
        time.sleep(0.1)
    stop_pressed = time.time()
    job.stop()
    _wait(job)
    assert time.time() - stop_pressed < 10
    snap = job.snapshot()
    assert snap["state"] == "stopped"
    assert snap["epoch"] < 200
    run = store.load(snap["run_id"])
    assert run.info.status == "stopped"
    assert run.model_path.exists()  # the best model so far is kept


def test_second_job_waits_in_the_queue(tmp_path):
    store = RunStore(tmp_path, starters=None)
    jobs = JobManager(max_concurrent=1)
    first = jobs.start(_small_config(200), make_image_dataset(60), store)
    second = jobs.start(_small_config(1), make_image_dataset(60), store)
    time.sleep(0.5)
    assert second.snapshot()["state"] == "queued"
    assert jobs.queue_position(second) == 1
    first.stop()
    _wait(first)
    _wait(second)
    assert second.snapshot()["state"] == "finished"
    assert len(store.list_runs()) == 2


def test_job_with_wrong_task_fails_with_a_message(tmp_path):
    store = RunStore(tmp_path, starters=None)
    jobs = JobManager()
    cfg = default_config("text_classification", "test")
    job = jobs.start(cfg, make_image_dataset(30), store)
    _wait(job)
    snap = job.snapshot()
    assert snap["state"] == "failed"
    assert "does not match the data" in snap["error"]
