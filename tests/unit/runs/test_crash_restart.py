"""Killing the server mid-training: finished runs survive and load, the killed run reads as interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from tests.conftest import REPO_ROOT

# A stand-in for the server process: the app's own JobManager trains one short run to the end, then a
# long one, printing the long run's epochs so the test knows when to pull the plug.
SERVER = textwrap.dedent(
    """
    import sys, time
    from modeling.config import TrainingSettings, default_config
    from modeling.training.jobs import JobManager
    from modeling.runs.store import RunStore
    from tests.conftest import REPO_ROOT, make_image_dataset

    def config(epochs):
        cfg = default_config("image_classification", "test")
        settings = TrainingSettings(**{**cfg.settings.model_dump(), "epochs": epochs, "batch_size": 8, "patience": 0})
        return cfg.model_copy(update={"template": "dense", "settings": settings})

    store, jobs = RunStore(sys.argv[1], starters=None), JobManager(max_concurrent=1)
    short = jobs.start(config(1), make_image_dataset(60), store, owner="someone")
    short.thread.join()
    print("FINISHED", short.snapshot()["state"], short.snapshot()["run_id"], flush=True)
    long = jobs.start(config(500), make_image_dataset(300), store, owner="someone")
    while True:
        snap = long.snapshot()
        print("EPOCH", snap["epoch"], snap["run_id"], flush=True)
        time.sleep(0.2)
    """
)


@pytest.mark.slow
def test_sigkill_mid_training_keeps_finished_runs_and_marks_the_killed_one_interrupted(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(home)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    finished_id = killed_id = None
    deadline = time.monotonic() + 240
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            words = line.split()
            if words[:1] == ["FINISHED"]:
                assert words[1] == "finished", line
                finished_id = words[2]
            elif words[:1] == ["EPOCH"] and int(words[1]) >= 2:
                killed_id = words[2]
                break  # mid-training: two epochs done, hundreds to go
            assert time.monotonic() < deadline, "the training process did not get going"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert finished_id and killed_id and finished_id != killed_id

    restarted = RunStore(home, starters=None)  # a fresh server process reading the same folder
    infos = {i.run_id: i for i in restarted.list_runs()}
    assert set(infos) == {finished_id, killed_id}
    assert infos[finished_id].status == "finished" and infos[finished_id].usable
    assert infos[killed_id].status == "interrupted" and not infos[killed_id].usable

    run = restarted.load(finished_id, owner="someone")
    test = run.load_test()
    probs = load_predictor(run).predict(test.images)
    assert probs.shape == (len(test), 3)
    accuracy = float((probs.argmax(1) == test.labels).mean())
    assert accuracy == pytest.approx(run.evaluation["model"]["accuracy"])

    killed = restarted.load(killed_id, owner="someone")
    assert killed.info.status == "interrupted"
    assert not (killed.path / "model.keras").exists()
    leftovers = [p.name for p in killed.path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []  # every file there was written whole
    restarted.delete(killed_id, owner="someone")  # and it can be cleaned up
