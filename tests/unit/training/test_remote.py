"""Training on a Ray cluster, against a stand-in for the Ray Jobs client (fast, no cluster).

The same flows against a real Ray head on 127.0.0.1 are in test_remote_ray.py (marked slow).
"""

from __future__ import annotations

import io
import json
import threading

import pytest

from modeling.config import default_config
from modeling.errors import ModelDeckError
from modeling.runs.store import RunStore
from modeling.training import job_protocol as jp
from modeling.training import remote
from modeling.training.progress import Progress
from tests.conftest import make_text_dataset


class FakeJobs:
    """Answers like ray.job_submission.JobSubmissionClient, from a script of (status, log lines) steps."""

    def __init__(self, steps: list[tuple[str, list[str]]], message: str = "") -> None:
        self.steps = steps
        self.message = message
        self.logs = ""
        self.calls = 0
        self.stopped = False
        self.submitted: dict = {}

    def submit_job(self, **kwargs):
        self.submitted = kwargs
        # The job's private folder must hold the data and settings when Ray uploads it.
        folder = kwargs["runtime_env"]["working_dir"]
        self.files = sorted(p.name for p in __import__("pathlib").Path(folder).iterdir())
        return kwargs["submission_id"]

    def get_job_status(self, job_id):
        step = self.steps[min(self.calls, len(self.steps) - 1)]
        self.calls += 1
        if isinstance(step, Exception):
            raise step
        status, lines = step
        self.logs += "".join(line + "\n" for line in lines)
        return status

    def get_job_logs(self, job_id):
        return self.logs

    def stop_job(self, job_id):
        self.stopped = True
        return True

    def get_job_info(self, job_id):
        return type("Info", (), {"message": self.message})()


def _event(**fields) -> str:
    return jp.EVENT + json.dumps(fields)


def _bundle(tmp_path, status: str = "finished") -> list[str]:
    folder = tmp_path / "remote-home" / "r1"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(
        json.dumps({"run_id": "r1", "status": status, "accuracy": 0.875, "device": "GPU 0 (NVIDIA H100)", "owner": "x"})
    )
    (folder / "model.keras").write_bytes(b"model")
    (folder / "evaluation.json").write_text("{}")
    out = io.StringIO()
    jp.write_bundle(folder, out)
    return out.getvalue().splitlines()


@pytest.fixture
def run(monkeypatch, tmp_path):
    """run_remote against a FakeJobs; returns (call, store)."""
    store = RunStore(tmp_path / "home", starters=None)

    def call(fake: FakeJobs, cancel: threading.Event | None = None, **kw):
        monkeypatch.setattr(remote, "_client", lambda address: fake)
        progress = Progress(3)
        config = default_config("text_classification", source="mine.csv")
        try:
            result = remote.run_remote(
                config,
                make_text_dataset(40),
                store=store,
                progress=progress,
                cancel=cancel,
                owner="ab" * 8,
                address="http://127.0.0.1:1",
                poll_s=0.01,
                **kw,
            )
        except ModelDeckError as exc:
            result = exc
        return result, progress

    return call, store


def test_a_finished_job_lands_in_the_store_as_a_run_of_its_owner(run, tmp_path):
    call, store = run
    fake = FakeJobs(
        [
            ("PENDING", []),
            ("RUNNING", [_event(state="running", phase="Training epoch 1", epoch=1, epochs=3, device="GPU 0 (H100)")]),
            ("SUCCEEDED", _bundle(tmp_path)),
        ]
    )
    path, progress = call(fake)
    assert fake.files == ["config.yaml", "dataset.json", "dataset.npz"]
    assert not __import__("pathlib").Path(fake.submitted["runtime_env"]["working_dir"]).exists()  # deleted
    assert fake.submitted["entrypoint"].startswith("python -u -m modeling")
    assert progress.snapshot()["state"] == "finished"
    info = store.list_runs(owner="ab" * 8)[0]
    assert info.path == path and info.status == "finished" and info.accuracy == 0.875 and info.usable
    assert info.device == "GPU 0 (NVIDIA H100)" and info.owner == "ab" * 8
    meta = json.loads((path / "run.json").read_text())
    assert meta["remote"]["job_id"] == fake.submitted["submission_id"] and meta["remote_run_id"] == "r1"
    assert store.list_runs(owner="cd" * 8) == []  # someone else's session does not see it


def test_a_failed_job_is_recorded_failed_with_its_reason(run):
    call, store = run
    fake = FakeJobs([("RUNNING", []), ("FAILED", ["error: The data file 'x.csv' does not exist."])])
    exc, progress = call(fake)
    assert isinstance(exc, ModelDeckError) and "x.csv" in str(exc)
    snap = progress.snapshot()
    assert snap["state"] == "failed" and "x.csv" in snap["error"]
    info = store.list_runs()[0]
    assert info.status == "failed" and "x.csv" in info.error


def test_without_a_reason_in_the_logs_the_cluster_message_is_used(run):
    call, _store = run
    _exc, progress = call(FakeJobs([("FAILED", ["Killed"])], message="Job supervisor actor died\ntrace"))
    assert progress.snapshot()["error"] == "The job failed on the cluster: Job supervisor actor died"


def test_stop_asks_the_cluster_to_stop_the_job(run, tmp_path):
    call, store = run
    cancel = threading.Event()

    class StopWhileRunning(FakeJobs):
        def get_job_status(self, job_id):
            cancel.set()  # Stop pressed on the Train page while the job runs
            return super().get_job_status(job_id) if not self.stopped else "STOPPED"

    fake = StopWhileRunning([("RUNNING", [])] * 100)
    _path, progress = call(fake, cancel=cancel)
    assert fake.stopped
    snap = progress.snapshot()
    assert snap["state"] == "stopped" and "before a model was saved" in snap["error"]
    assert store.list_runs()[0].status == "stopped" and not store.list_runs()[0].usable


def test_a_job_lost_with_its_cluster_shows_as_interrupted(run):
    call, store = run
    fake = FakeJobs([("RUNNING", []), ConnectionError("Connection refused")])
    exc, progress = call(fake, lost_after_s=0.05)
    assert isinstance(exc, remote.ClusterLost)
    assert progress.snapshot()["state"] == "interrupted"
    info = store.list_runs()[0]
    assert info.status == "interrupted" and "Lost contact" in (info.error or "")


def test_the_job_carries_the_pinned_requirements_unless_the_cluster_has_them(monkeypatch, tmp_path):
    pins = remote.requirements_for_job()
    assert "tensorflow==2.21.0" in pins and all("==" in p for p in pins)
    assert remote.runtime_env(tmp_path)["pip"]["packages"] == pins
    monkeypatch.setenv("MODELDECK_RAY_PIP", "0")
    env = remote.runtime_env(tmp_path)
    assert "pip" not in env and env["env_vars"]["MODELDECK_MLFLOW_URI"] == ""
    assert env["py_modules"][0].endswith("modeling")


def test_without_ray_or_an_address_the_reason_is_a_sentence(monkeypatch):
    monkeypatch.delenv("MODELDECK_RAY_ADDRESS", raising=False)
    assert "MODELDECK_RAY_ADDRESS" in remote.unavailable_reason()
    monkeypatch.setitem(__import__("sys").modules, "ray.job_submission", None)
    assert "requirements-team.txt" in remote.unavailable_reason("http://127.0.0.1:8265")


def test_stop_before_the_job_is_sent_records_a_stopped_run(run):
    call, store = run
    cancel = threading.Event()
    cancel.set()
    fake = FakeJobs([("RUNNING", [])])
    _path, progress = call(fake, cancel=cancel)
    assert fake.submitted == {} and progress.snapshot()["state"] == "stopped"
    assert store.list_runs()[0].status == "stopped"
