"""Runs on disk and background jobs: atomic files, interrupted runs, stop, queue."""

import json
import os
import time

import pytest

from modeling.config import TrainingSettings, default_config
from modeling.errors import RunError
from modeling.runs.store import RunStore, atomic_write
from modeling.training.jobs import JobManager
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


# ---- issue 5: owners, restarts, the queue ------------------------------------------------------------
def _finished(store: RunStore, owner: str | None, name: str = "digits") -> str:
    path = store.create(default_config("image_classification", "sample:digits"), {"name": name}, ["0", "1"], owner)
    store.update_meta(path, status="finished", accuracy=0.9)
    (path / "model.keras").write_bytes(b"placeholder")
    return path.name


def test_runs_are_private_to_their_owner_and_others_look_missing(tmp_path):
    store = RunStore(tmp_path)  # with the starters shipped in the repository
    alice, bob = "a" * 32, "b" * 32
    mine, theirs = _finished(store, alice), _finished(store, bob)
    starters = {i.run_id for i in store.list_runs() if i.starter}
    assert starters, "the repository ships starter runs"

    assert {i.run_id for i in store.list_runs(owner=alice)} == starters | {mine}
    assert {i.run_id for i in store.list_runs(owner=bob)} == starters | {theirs}
    assert {i.run_id for i in store.list_runs()} == starters | {mine, theirs}  # local mode: everything
    assert store.load(mine, owner=alice).info.owner == alice
    assert store.load(next(iter(starters)), owner=alice).info.starter

    def refusal(run_id: str, action) -> str:
        with pytest.raises(RunError) as info:
            action(run_id)
        return str(info.value).replace(run_id, "<id>")

    missing = refusal("20990101-000000-dense-abcdef", lambda r: store.load(r, owner=alice))
    assert missing == "No run called '<id>' was found. Pick one from the list of runs."
    assert refusal(theirs, lambda r: store.load(r, owner=alice)) == missing
    assert refusal(theirs, lambda r: store.find(r, owner=alice)) == missing
    assert refusal(theirs, lambda r: store.delete(r, owner=alice)) == missing
    assert (tmp_path / "runs" / theirs).is_dir()  # still there
    for guess in (str(tmp_path / "runs" / theirs), f"../runs/{theirs}", f"runs/{theirs}", "/etc"):
        assert refusal(guess, lambda r: store.load(r, owner=alice)) == missing
    with pytest.raises(RunError, match="Starter models are part of the app"):
        store.delete(next(iter(starters)), owner=alice)
    store.delete(mine, owner=alice)
    assert not (tmp_path / "runs" / mine).exists()


def test_a_running_run_is_running_only_while_its_writer_lives(tmp_path):
    store = RunStore(tmp_path, starters=None)
    cfg = default_config("image_classification", "sample:digits")
    path = store.create(cfg, {"name": "digits"}, ["0", "1"])
    assert store.list_runs()[0].status == "running"  # this process is writing it
    with pytest.raises(RunError, match="still training"):
        store.delete(path.name)

    store.update_meta(path, pid_start=-5)  # same pid, another process: a container restarted with pid 1 again
    assert store.list_runs()[0].status == "interrupted"

    store.update_meta(path, pid=1, pid_start=-5)  # a live pid that now belongs to some other program
    assert store.list_runs()[0].status == "interrupted"

    store.update_meta(path, pid=os.getpid(), pid_start=None, boot_id="another-boot")  # the machine rebooted
    assert store.list_runs()[0].status == "interrupted"

    store.update_meta(path, boot_id=None)
    assert store.list_runs()[0].status == "running"
    store.forget_writer(path)  # our training thread is gone without a word
    assert store.list_runs()[0].status == "interrupted"
    store.delete(path.name)  # an interrupted run can be deleted


def test_run_files_are_never_half_written(tmp_path, monkeypatch):
    store = RunStore(tmp_path, starters=None)
    path = store.create(default_config("image_classification", "sample:digits"), {"name": "d"}, ["0", "1"])
    before = (path / "run.json").read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.update_meta(path, status="finished")
    assert (path / "run.json").read_bytes() == before  # the old file is intact
    assert sorted(p.name for p in path.iterdir()) == ["config.yaml", "run.json"]  # no temporary left behind


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 1), ("", 1), ("3", 3), (" 2 ", 2), ("0", 1), ("-4", 1), ("two", 1)]
)
def test_max_trainings_setting_is_read_safely(value, expected):
    from modeling.settings import max_trainings as max_trainings_from_env

    env = {} if value is None else {"MODELDECK_MAX_TRAININGS": value}
    assert max_trainings_from_env(env) == expected


def test_at_most_n_trainings_run_at_once_and_the_rest_queue_in_order(tmp_path):
    store = RunStore(tmp_path, starters=None)
    jobs = JobManager(max_concurrent=2)
    started = [jobs.start(_small_config(200), make_image_dataset(60), store, owner=f"u{i}") for i in range(4)]
    deadline = time.time() + 60
    while sum(j.snapshot()["state"] == "running" for j in started) < 2 and time.time() < deadline:
        time.sleep(0.2)
    states = [j.snapshot()["state"] for j in started]
    assert states.count("running") == 2 and states.count("queued") == 2, states
    waiting = [j for j in started if j.snapshot()["state"] == "queued"]
    assert [jobs.queue_position(j) for j in waiting] == [1, 2]
    assert jobs.waiting() == 2
    assert jobs.get(started[0].job_id, owner="u0") is started[0]
    assert jobs.get(started[0].job_id, owner="u1") is None  # someone else's job id reads as unknown
    assert jobs.jobs(owner="u3") == [started[3]]
    for job in started:
        job.stop()
    for job in started:
        _wait(job)
    assert {j.snapshot()["state"] for j in started} == {"stopped"}
