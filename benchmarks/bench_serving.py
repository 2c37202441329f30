"""Benchmark · serving: the REST server (FastAPI + uvicorn) and Ray Data batch scoring, against in-process scoring.

Everything on 127.0.0.1 with bounded loops. For a review (the MiniLM starter, and an ``ngram_nb`` run trained on
the reviews sample), a digit (the starter) and a table row (``boosted_trees`` on the churn sample):

- p50/p95 latency of a one-row ``POST`` (keep-alive connection) vs ``score_frame`` of the same row in process;
- rows/s of 1,000-row requests vs ``score_frame`` of the same 1,000 rows in process (the ratio is the overhead);
- MLflow's pyfunc scoring server (``mlflow.pyfunc.scoring_server``, uvicorn too) on the same table and review
  runs, the other stack the issue names, for the choice in docs/serving.md;
- 20 concurrent clients for 30 s against the ModelDeck server: requests, errors (goal 0) and p95;
- Ray Data: ``--ray-rows`` churn rows (default 2,000,000) in Parquet scored on a local 2-CPU Ray, time and peak
  memory per worker, vs local pandas scoring of the same rows (in 100,000-row chunks, in a fresh process).

    .venv/bin/python benchmarks/bench_serving.py [--ray-rows 2000000] [--no-mlflow] [--no-ray] [--home DIR]

Writes the Markdown table to ``benchmarks/output/serving.md`` as well as printing it.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
from common import ROOT, header, row

ONE_ROW_CALLS = 200
BATCH_CALLS = 5
CONCURRENT_CLIENTS = 20
CONCURRENT_SECONDS = 30.0
REVIEW = "The blender is loud but it crushes ice in seconds, very happy."
OUT = ROOT / "benchmarks" / "output" / "serving.md"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_runs(home: Path) -> dict[str, str]:
    """The ngram_nb review run and the churn table run in ``home`` (trained there unless already there); the
    starters come with the code."""
    from modeling.config import default_config
    from modeling.data.sources import dataset_for_config
    from modeling.runs.store import RunStore
    from modeling.training.experiment import run_experiment

    store = RunStore(home)
    made = {"review (MiniLM starter)": "starter-reviews", "digit (starter)": "starter-digits"}
    for label, task, source, template in (
        ("review (ngram_nb)", "text_classification", "sample:reviews", "ngram_nb"),
        ("table row (churn, boosted_trees)", "tabular_classification", "sample:churn", "boosted_trees"),
    ):
        kept = [i for i in store.list_runs(task=task, usable_only=True) if not i.starter and i.template == template]
        if kept:
            made[label] = kept[0].run_id
            continue
        data = dataset_for_config(default_config(task, source, template))
        made[label] = run_experiment(default_config(data.task, source, template), data, store=store).name
    return made


def _rows(served, n: int) -> list[dict]:
    """``n`` rows for a run: its schema's example, and for texts and tables real rows of its sample."""
    names = served.names
    if names == ["text"]:
        texts = pd.read_csv(ROOT / "sample_data" / "reviews.csv")["text"].astype(str).tolist()
        return [{"text": texts[i % len(texts)]} for i in range(n)]
    if "image" in names:
        return [served.example_rows()[0] for _ in range(n)]
    table = pd.read_csv(ROOT / "sample_data" / "churn.csv")
    records = table[names].astype(object).where(table[names].notna(), None).to_dict("records")
    return [records[i % len(records)] for i in range(n)]


class Client:
    """One keep-alive HTTP connection posting JSON (opened again when the server closed an idle one)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def post(self, path: str, body: dict) -> tuple[int, bytes]:
        data = json.dumps(body)
        try:
            self.connection.request("POST", path, data, {"Content-Type": "application/json"})
            response = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self.connection.close()  # the server's keep-alive ran out while the in-process side was timed
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.connection.request("POST", path, data, {"Content-Type": "application/json"})
            response = self.connection.getresponse()
        return response.status, response.read()


def _percentiles(fn, calls: int = ONE_ROW_CALLS) -> tuple[float, float]:
    for _ in range(10):
        fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def _rows_per_s(fn, rows: int, calls: int = BATCH_CALLS) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return rows * calls / (time.perf_counter() - start)


def _start(command: list[str], port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server stopped: {process.stderr.read().decode()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    sys.exit("the server did not start within 300 s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def _serving_rows(runs: dict[str, str], served: dict, port: int, lines: list[str]) -> None:
    client = Client(port)
    for label, run_id in runs.items():
        path = f"/runs/{run_id}/predict"
        one = {"rows": _rows(served[label], 1)}
        status, _ = client.post(path, one)
        assert status == 200, status
        frame = pd.DataFrame(one["rows"])
        predictor = served[label].predictor
        h50, h95 = _percentiles(lambda p=path, b=one: client.post(p, b))
        i50, i95 = _percentiles(lambda f=frame, p=predictor: p.score_frame(f))
        goal = "goal: p95 < 20 ms" if "digit" not in label else ""
        lines.append(row(f"one {label}: p50", f"{h50:.1f} ms", f"{i50:.1f} ms in process", h50 / i50))
        lines.append(row(f"one {label}: p95", f"{h95:.1f} ms", f"{i95:.1f} ms in process", h95 / i95, goal))
        many = {"rows": _rows(served[label], 1000)}
        big = pd.DataFrame(many["rows"])
        http_rate = _rows_per_s(lambda p=path, b=many: client.post(p, b), 1000)
        local_rate = _rows_per_s(lambda f=big, p=predictor: p.score_frame(f), 1000)
        lines.append(
            row(
                f"1,000 {label}s per request",
                f"{http_rate:,.0f} rows/s",
                f"{local_rate:,.0f} rows/s in process",
                local_rate / http_rate,
                "goal: ratio ≤ 1.5",
            )
        )
        print("\n".join(lines[-3:]), flush=True)


def _concurrent(runs: dict[str, str], served: dict, port: int, lines: list[str]) -> None:
    """20 clients, each on its own connection, one-row requests round-robin over the runs, for 30 s."""
    bodies = [(f"/runs/{run_id}/predict", {"rows": _rows(served[label], 1)}) for label, run_id in runs.items()]
    counts = {"ok": 0, "errors": 0}
    times: list[float] = []
    lock = threading.Lock()
    stop = time.time() + CONCURRENT_SECONDS

    def worker(offset: int) -> None:
        client = Client(port)
        i = offset
        while time.time() < stop:
            path, body = bodies[i % len(bodies)]
            i += 1
            start = time.perf_counter()
            try:
                status, _ = client.post(path, body)
            except OSError:
                status, client = 0, Client(port)
            with lock:
                counts["ok" if status == 200 else "errors"] += 1
                times.append((time.perf_counter() - start) * 1000)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONCURRENT_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = counts["ok"] + counts["errors"]
    lines.append(
        row(
            f"{CONCURRENT_CLIENTS} clients for {CONCURRENT_SECONDS:.0f} s, one-row requests over the runs",
            f"{total:,} requests, {counts['errors']} errors, p95 {np.percentile(times, 95):.0f} ms",
            f"{total / CONCURRENT_SECONDS:,.1f} requests/s",
            None,
            "goal: 0 errors",
        )
    )
    print(lines[-1], flush=True)


def _mlflow_rows(runs: dict[str, str], served: dict, home: Path, lines: list[str]) -> None:
    """MLflow's own scoring server on the same runs (``dataframe_records``), the alternative stack."""
    from modeling.runs.servable import save_servable

    for label in ("review (ngram_nb)", "table row (churn, boosted_trees)"):
        folder = Path(tempfile.mkdtemp(prefix="bench-pyfunc-")) / "model"
        save_servable(home / "runs" / runs[label], folder)
        port = _free_port()
        code = (
            "import sys, uvicorn\nfrom mlflow.pyfunc import load_model, scoring_server\n"
            "uvicorn.run(scoring_server.init(load_model(sys.argv[1])), host='127.0.0.1', port=int(sys.argv[2]),"
            " log_level='warning')"
        )
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONPATH": str(ROOT)}
        process = _start([sys.executable, "-c", code, str(folder), str(port)], port, env)
        try:
            client = Client(port)
            one = {"dataframe_records": _rows(served[label], 1)}
            many = {"dataframe_records": _rows(served[label], 1000)}
            m50, m95 = _percentiles(lambda b=one, c=client: c.post("/invocations", b))
            rate = _rows_per_s(lambda b=many, c=client: c.post("/invocations", b), 1000)
            lines.append(row(f"MLflow scoring server, one {label}: p50 / p95", f"{m50:.1f} / {m95:.1f} ms", "", None))
            lines.append(row(f"MLflow scoring server, 1,000 {label}s per request", f"{rate:,.0f} rows/s", "", None))
            print("\n".join(lines[-2:]), flush=True)
        finally:
            _stop(process)


LOCAL_SCORING = """
import resource, sys, time
import pandas as pd
import pyarrow.parquet as pq
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
folder = sys.argv[1]
predictor = load_predictor(RunStore(folder.rsplit('/', 2)[0], starters=None).load(folder))
start = time.perf_counter()
rows = 0
for batch in pq.ParquetFile(sys.argv[2]).iter_batches(batch_size=100_000):
    rows += len(predictor.score_frame(batch.to_pandas()).frame)
print(rows, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _ray_rows(run_dir: Path, rows: int, lines: list[str]) -> None:
    """``rows`` churn rows scored with Ray Data on a local 2-CPU Ray vs pandas in one process."""
    from modeling.serving.batch import score_parquet

    folder = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    table = pd.read_csv(ROOT / "sample_data" / "churn.csv")
    big = pd.concat([table] * (rows // len(table) + 1), ignore_index=True).iloc[:rows]
    source = folder / "churn_big.parquet"
    big.to_parquet(source, row_group_size=100_000)
    del big
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", LOCAL_SCORING, str(run_dir), str(source)], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(done.stderr[-2000:])
    local_rows, local_s, local_mb = done.stdout.split()[-3:]
    result = score_parquet(run_dir, str(source), str(folder / "scored"), cpus=2)
    peak = max(result.peak_mb.values(), default=0.0)
    lines.append(
        row(
            f"Ray Data, {rows:,} churn rows, local 2-CPU Ray ({len(result.peak_mb)} workers)",
            f"{result.seconds:,.0f} s ({rows / result.seconds:,.0f} rows/s), peak {peak:,.0f} MB per worker",
            f"{float(local_s):,.0f} s ({int(local_rows) / float(local_s):,.0f} rows/s), peak {float(local_mb):,.0f} MB"
            " (pandas, one process)",
            float(local_s) / result.seconds,
            "reference / Ray: > 1 is faster",
        )
    )
    print(lines[-1], flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ray-rows", type=int, default=2_000_000)
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--home", help="a workspace that already holds the two runs (else they are trained)")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from modeling.runs.loading import load_predictor
    from modeling.runs.store import RunStore
    from modeling.serving.contract import ServedRun

    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="bench-serving-"))
    runs = _make_runs(home)
    store = RunStore(home)
    served = {label: ServedRun(run_id, load_predictor(store.load(run_id))) for label, run_id in runs.items()}
    base64.b64decode(served["digit (starter)"].example_rows()[0]["image"])  # a real picture
    port = _free_port()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MODELDECK_HOME": str(home)}
    env.pop("MODELDECK_API_KEY", None)
    lines = [header()]
    print(lines[0], flush=True)
    process = _start([sys.executable, "-m", "modeling", "serve", *runs.values(), "--port", str(port)], port, env)
    try:
        _serving_rows(runs, served, port, lines)
        _concurrent(runs, served, port, lines)
    finally:
        _stop(process)
    if not args.no_mlflow:
        _mlflow_rows(runs, served, home, lines)
    if not args.no_ray:
        _ray_rows(home / "runs" / runs["table row (churn, boosted_trees)"], args.ray_rows, lines)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d")
    OUT.write_text(f"Serving benchmark, {stamp}, {os.cpu_count()} cores\n\n" + "\n".join(lines) + "\n", "utf-8")
    print(f"\nwritten to {OUT}")


if __name__ == "__main__":
    main()
