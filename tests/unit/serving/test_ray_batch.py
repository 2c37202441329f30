"""``predict RUN big.parquet --ray``: Ray Data scores Parquet parts whose answers equal local scoring exactly.

Two ways (slow: Ray starts, and its workers load the model): a private local Ray on 127.0.0.1 started by the
command itself (the command runs in a fresh process, as a person runs it); and a Ray cluster (a head started
here on 127.0.0.1 with 2 CPUs, stopped at the end) reached through ``MODELDECK_RAY_ADDRESS``, where the
scoring goes as a Ray job. Jobs skip the per-job pip step (``MODELDECK_RAY_PIP=0``): this machine's Ray runs
from the project's own virtual environment.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("ray.data", reason="Ray is a team extra: pip install -r requirements-team.txt")

from modeling.__main__ import main
from modeling.runs.loading import load_predictor
from tests.conftest import REPO_ROOT
from tests.unit.serving.helpers import free_port, table_run
from tests.unit.training.table_data import raw_houses

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def houses(tmp_path_factory):
    """The table run, and 3,000 raw rows as a Parquet file (blanks and written numbers included)."""
    folder = tmp_path_factory.mktemp("ray-batch")
    rows = raw_houses(3000, seed=4).drop(columns=["price"])
    rows.loc[::97, "city"] = None
    source = folder / "rows.parquet"
    rows.to_parquet(source, row_group_size=1000)  # three row groups: three blocks for Ray Data
    return table_run(folder / "home"), source


def _in_input_order(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Rows sorted by the input columns: Ray Data does not promise the parts in the input's order, so rows are
    matched by what they hold (every input column is kept in the output for that)."""
    return frame.sort_values(columns, na_position="last", kind="stable").reset_index(drop=True)


def _expected(run, source: Path) -> pd.DataFrame:
    inputs = pd.read_parquet(source)
    local = load_predictor(run).score_frame(inputs)
    return _in_input_order(local.frame[[*inputs.columns, *local.answer_columns]], list(inputs.columns))


def _same(out: Path, run, source: Path) -> None:
    parts = sorted(out.glob("*.parquet"))
    assert parts, f"no Parquet parts in {out}"
    expected = _expected(run, source)
    inputs = list(pd.read_parquet(source).columns)
    got = _in_input_order(pd.read_parquet(out), inputs)
    assert len(got) == len(expected) == 3000
    assert list(got.columns) == list(expected.columns)  # every input column, then the answers
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_a_local_ray_scores_parquet_parts_equal_to_local_scoring(houses, tmp_path):
    run, source = houses
    out = tmp_path / "scored"
    env = {k: v for k, v in os.environ.items() if k not in ("MODELDECK_RAY_ADDRESS", "RAY_ADDRESS")}
    done = subprocess.run(
        [sys.executable, "-m", "modeling", "predict", str(run.path), str(source), "--ray", "-o", str(out)],
        cwd=REPO_ROOT,
        env={**env, "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == str(out)
    assert "scored 3,000 rows with" in done.stderr and "peak memory per worker" in done.stderr
    _same(out, run, source)
    again = subprocess.run(
        [sys.executable, "-m", "modeling", "predict", str(run.path), str(source), "--ray", "-o", str(out)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 2 and "already exists and is not empty" in again.stderr


@pytest.fixture(scope="module")
def ray_head():
    """A Ray head on 127.0.0.1 only (every port chosen here), 2 CPUs, with the dashboard's Jobs API; stopped after."""
    temp = tempfile.mkdtemp(prefix="mdserve")  # short: Ray's socket paths must fit in 107 characters
    gcs, dashboard, agent, agent_grpc, env_agent, metrics, client = (free_port() for _ in range(7))
    env = {
        **os.environ,
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_USAGE_STATS_ENABLED": "0",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    command = [
        str(Path(sys.executable).parent / "ray"), "start", "--head", "--node-ip-address=127.0.0.1",
        "--dashboard-host=127.0.0.1", f"--port={gcs}", f"--dashboard-port={dashboard}",
        f"--dashboard-agent-listen-port={agent}", f"--dashboard-agent-grpc-port={agent_grpc}",
        f"--runtime-env-agent-port={env_agent}", f"--metrics-export-port={metrics}",
        f"--ray-client-server-port={client}", "--num-cpus=2", f"--temp-dir={temp}", "--disable-usage-stats",
        "--include-dashboard=true",
    ]  # fmt: skip
    try:
        started = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
        if started.returncode != 0:
            pytest.fail(f"ray start failed: {started.stderr[-2000:]}")
        yield f"http://127.0.0.1:{dashboard}"
    finally:
        _stop_head((temp, f"127.0.0.1:{gcs}"))
        shutil.rmtree(temp, ignore_errors=True)


def _stop_head(marks: tuple[str, ...]) -> None:
    """SIGTERM, then SIGKILL, to the head's processes (those naming its temp dir or GCS port, and their children)."""

    def pids() -> set[int]:
        found: dict[int, tuple[int, str]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    found[int(entry.name)] = (int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]), cmd)
        chosen = {pid for pid, (_, cmd) in found.items() if any(m in cmd for m in marks) and pid != os.getpid()}
        grew = True
        while grew:
            children = {pid for pid, (parent, _) in found.items() if parent in chosen} - chosen
            chosen |= children
            grew = bool(children)
        return chosen

    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 0)):
        for pid in pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.time() + wait
        while wait and time.time() < deadline and pids():
            time.sleep(0.5)


def test_with_a_cluster_configured_the_scoring_goes_there_as_a_ray_job(houses, ray_head, tmp_path, monkeypatch, capsys):
    run, source = houses
    monkeypatch.setenv("MODELDECK_RAY_ADDRESS", ray_head)
    monkeypatch.setenv("MODELDECK_RAY_PIP", "0")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    out = tmp_path / "scored-on-cluster"
    assert main(["predict", str(run.path), str(source), "-o", str(out)]) == 0  # Parquet + a cluster: Ray, no flag
    said = capsys.readouterr()
    assert said.out.strip().splitlines()[-1] == str(out)
    assert "as job modeldeck-" in said.err and "scored 3,000 rows with" in said.err, said.err[-3000:]
    _same(out, run, source)
