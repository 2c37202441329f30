"""Find the best model on a Ray cluster, against a stand-in for the Ray Jobs client (no cluster).

The job's side is real: the search runs here once per module through the command line's job function
(``run_search_job``), and the stand-in hands its output back as a cluster's logs would. The same flow against
a real Ray head on 127.0.0.1 is in test_remote_ray.py (marked slow).
"""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from modeling.data.dataset import Dataset
from modeling.errors import ModelDeckError, RunError
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from modeling.training import job_protocol as jp
from modeling.training import remote, remote_search
from modeling.training.jobs import JobManager
from modeling.training.search_job import (
    board_from_json,
    run_search_job,
    search_config,
    send_board,
)
from modeling.training.table.search import TableLeaderboard
from modeling.training.text_board import LEFT_BEHIND, TextLeaderboard
from tests.conftest import make_text_dataset
from tests.unit.training.ray_fakes import FakeJobs, event
from tests.unit.training.table_data import frame_dataset

OWNER, OTHER = "ab" * 8, "cd" * 8
ADDRESS = "http://127.0.0.1:1"
TEMPLATES = ["ngram_nb", "ngram_bag"]


def _job_lines(tmp: Path, dataset: Dataset, budget: float, templates: list[str] | None = None) -> list[str]:
    """What a search job prints on the cluster, made by running the job's own function here."""
    out = io.StringIO()
    data = jp.save_job_dataset(dataset, tmp / "job")
    config = search_config(dataset, seed=7)
    assert run_search_job(config, RunStore(tmp / "cluster", starters=None), str(data), budget, templates, out) == 0
    return out.getvalue().splitlines()


@pytest.fixture(scope="module")
def text_job(tmp_path_factory) -> tuple[Dataset, list[str]]:
    ds = make_text_dataset(200, seed=3)
    return ds, _job_lines(tmp_path_factory.mktemp("text-job"), ds, 120, TEMPLATES)


@pytest.fixture(scope="module")
def table_job(tmp_path_factory) -> tuple[Dataset, list[str]]:
    ds = frame_dataset(300, regression=False)
    return ds, _job_lines(tmp_path_factory.mktemp("table-job"), ds, 8)


def _steps(lines: list[str]) -> list[tuple[str, list[str]]]:
    """The job's output as the cluster reveals it: pending, events a few at a time, then the end."""
    events = [line for line in lines if line.startswith(jp.EVENT)]
    rest = [line for line in lines if not line.startswith(jp.EVENT)]
    return [("PENDING", []), ("RUNNING", events[:2]), ("RUNNING", events[2:]), ("SUCCEEDED", rest)]


@pytest.fixture
def cluster(monkeypatch):
    """Point the app at a stand-in cluster: ``cluster(fake)`` makes every connection answer with ``fake``."""
    monkeypatch.setenv("MODELDECK_RAY_ADDRESS", ADDRESS)

    def use(fake: FakeJobs) -> FakeJobs:
        monkeypatch.setattr(remote, "connect", lambda address: fake)
        return fake

    return use


def _search(ds: Dataset, store: RunStore, **kw):
    kw.setdefault("templates", TEMPLATES if ds.kind == "text" else None)
    return remote_search.run_remote_search(ds, 120, 7, store=store, owner=OWNER, poll_s=0.01, **kw)


def test_a_text_search_on_the_cluster_brings_back_its_leaderboard_and_candidates(cluster, tmp_path, text_job):
    ds, lines = text_job
    fake = cluster(FakeJobs(_steps(lines)))
    store = RunStore(tmp_path / "home", starters=None)
    seen: list[dict] = []
    board = _search(ds, store, progress_cb=seen.append)

    assert fake.files == ["config.yaml", "dataset.json", "dataset.npz"]
    assert not Path(fake.submitted["runtime_env"]["working_dir"]).exists()  # the private copy is gone
    command = fake.submitted["entrypoint"]
    assert "-m modeling --home modeldeck-home search config.yaml --budget 120" in command and "--events" in command
    assert "--templates ngram_nb,ngram_bag" in command
    # Live: phases while waiting, then the leaderboard rows as the candidates finished on the cluster.
    assert any("Waiting for the Ray cluster" in s["phase"] for s in seen)
    live = [s for s in seen if any(r["status"] == "trained" for r in s["leaderboard"])]
    assert live and live[0]["on_cluster"] and live[0]["budget_s"] == 120
    assert {r["template"] for r in live[-1]["leaderboard"] if r["status"] == "trained"} == set(TEMPLATES)

    assert isinstance(board, TextLeaderboard) and {r.template for r in board.rows if r.usable} == set(TEMPLATES)
    assert board.best.accuracy > 0.9 and board.baseline_accuracy is not None
    assert board.split == {"train": 136, "validation": 24, "test": 40}
    for row in board.rows:
        if row.usable:  # each candidate's run folder is on this server, under the search folder
            assert row.run_path.parent.parent == board.search_dir and (row.run_path / "model.keras").exists()
            meta = json.loads((row.run_path / "run.json").read_text())
            assert meta["remote"]["job_id"] == fake.submitted["submission_id"]
    record = remote_search.read_record(board.search_dir)
    assert record["status"] == "finished" and record["owner"] == OWNER and record["job_id"].startswith("modeldeck-")
    assert store.list_runs() == []  # candidates stay out of the user's runs until one is kept


def test_use_this_model_keeps_a_candidate_from_the_cluster_as_a_normal_tracked_run(
    cluster, monkeypatch, tmp_path, text_job
):
    ds, lines = text_job
    cluster(FakeJobs(_steps(lines)))
    monkeypatch.setenv("MODELDECK_MEMORY_LIMIT_MB", "1")  # a search in this process would be refused
    store = RunStore(tmp_path / "home", starters=None)
    manager = JobManager()
    kept: list[Path | None] = []
    search = manager.start_search(
        ds, 120, seed=7, store=store, owner=OWNER, after_save=kept.append, poll_s=0.01, templates=TEMPLATES
    )
    assert search.remote
    search.thread.join(timeout=60)
    assert search.state == "finished", search.error
    assert manager.waiting() == 0 and manager.get_search(search.search_id, owner=OTHER) is None

    second = next(r.template for r in search.board.ranked if r.usable and r is not search.board.best)
    run_id = manager.keep(search, store, owner=OWNER, choice=second)
    search.tracking.join(timeout=30)
    assert kept == [store.runs_dir / run_id]  # handed to MLflow tracking (with its report) like a training
    assert manager.keep(search, store, owner=OWNER, choice=second) == run_id and len(kept) == 1  # once
    run = store.load(run_id, owner=OWNER)
    assert run.info.usable and run.config.template == second and run.meta["automl"]["rank"] == 2
    assert store.list_runs(owner=OTHER) == []
    probs = load_predictor(run).predict(np.array(["love it great perfect", "awful broken refund"]))
    assert probs[0].argmax() == 1 and probs[1].argmax() == 0


def test_a_table_search_on_the_cluster_comes_back_and_its_blend_is_kept(cluster, tmp_path, table_job):
    ds, lines = table_job
    fake = cluster(FakeJobs(_steps(lines)))
    store = RunStore(tmp_path / "home", starters=None)
    seen: list[dict] = []
    board = _search(ds, store, progress_cb=seen.append)
    assert "--templates" not in fake.submitted["entrypoint"]
    assert isinstance(board, TableLeaderboard) and board.metric == "log_loss"
    assert {"trees", "linear", "blend"} <= {r["kind"] for r in board.rows}
    assert board.run_path.is_dir() and board.test_figures["accuracy"] > 0.5
    assert any(r["model"].startswith("trees") for s in seen for r in s["leaderboard"])  # live candidate rows
    manager = JobManager()
    search = manager.start_search(ds, 8, store=store, owner=OWNER, remote=True, poll_s=0.01)
    fake.calls, fake.logs = 0, ""
    search.thread.join(timeout=60)
    run_id = manager.keep(search, store, owner=OWNER)
    run = store.load(run_id, owner=OWNER)
    assert run.config.template == "automatic" and run.info.usable and search.adopted == {"blend": run_id}


def test_stop_ends_the_search_on_the_cluster_and_what_finished_comes_back(cluster, tmp_path, text_job):
    ds, lines = text_job
    cancel = threading.Event()
    events = [line for line in lines if line.startswith(jp.EVENT)]
    rest = [line for line in lines if not line.startswith(jp.EVENT)]

    class StopWhileRunning(FakeJobs):
        def get_job_status(self, job_id):
            if self.calls == 1:
                cancel.set()  # Stop pressed on the Model page while the cluster searches
            if not self.stopped:
                return super().get_job_status(job_id)
            self.logs += "".join(line + "\n" for line in rest)  # SIGTERM: the job sends back what finished
            return "STOPPED"

    fake = cluster(StopWhileRunning([("RUNNING", events)]))
    board = _search(ds, RunStore(tmp_path, starters=None), cancel=cancel)
    assert fake.stopped and isinstance(board, TextLeaderboard) and board.best is not None
    assert remote_search.read_record(board.search_dir)["status"] == "stopped"


def test_a_search_stopped_before_anything_came_back_says_so(cluster, tmp_path):
    started: dict = {}

    class StopAtOnce(FakeJobs):
        def get_job_status(self, job_id):
            while "search" not in started:
                time.sleep(0.01)
            started["search"].stop()  # Stop pressed on the Model page
            return "STOPPED" if self.stopped else super().get_job_status(job_id)

    fake = cluster(StopAtOnce([("RUNNING", [event(state="running", phase="Training ngram_nb (1 of 2)")])]))
    manager = JobManager()
    ds = make_text_dataset(60)
    search = started["search"] = manager.start_search(
        ds, 60, store=RunStore(tmp_path), owner=OWNER, remote=True, poll_s=0.01
    )
    search.thread.join(timeout=30)
    assert fake.stopped
    assert search.state == "stopped" and search.board is None and "before any model came back" in search.error


def test_a_failed_search_job_gives_its_reason(cluster, tmp_path):
    cluster(FakeJobs([("RUNNING", []), ("FAILED", ["error: The pretrained encoder is not available here."])]))
    store = RunStore(tmp_path, starters=None)
    with pytest.raises(ModelDeckError, match="pretrained encoder is not available"):
        _search(make_text_dataset(60), store)
    (folder,) = (store.root / "automl").iterdir()
    record = remote_search.read_record(folder)
    assert record["status"] == "failed" and "encoder" in record["error"]

    cluster(FakeJobs([("FAILED", ["Killed"])], message="Job supervisor actor died\ntrace"))
    with pytest.raises(ModelDeckError, match="The job failed on the cluster: Job supervisor actor died"):
        _search(make_text_dataset(60), store)


def test_a_search_lost_with_its_cluster_can_be_followed_again_after_a_restart(cluster, tmp_path, text_job):
    ds, lines = text_job
    cluster(FakeJobs([("RUNNING", []), ConnectionError("Connection refused")]))
    store = RunStore(tmp_path / "home", starters=None)
    with pytest.raises(remote.ClusterLost):
        _search(ds, store, lost_after_s=0.05)
    (folder,) = (store.root / "automl").iterdir()
    assert remote_search.read_record(folder)["status"] == "running"
    assert remote_search.reattachable_searches(store) == []  # this process still owns it until it restarts
    record = remote_search.read_record(folder)
    record["follower"]["pid"] = 2**22 + 1  # the process that followed it is gone (a restart)
    (folder / remote_search.SEARCH_FILE).write_text(json.dumps(record))
    assert remote_search.reattachable_searches(store) == [folder]

    # The app restarts; the cluster answers again and the job has finished meanwhile.
    cluster(FakeJobs([("SUCCEEDED", lines)]))
    manager = JobManager()
    assert manager.reattach(store) == 1 and manager.reattach(store) == 0
    assert manager.latest_search(OTHER, ds.name) is None  # someone else's reads as missing
    search = manager.latest_search(OWNER, ds.name)
    search.thread.join(timeout=30)
    assert search.state == "finished" and search.remote and search.board.best is not None
    assert search.board.search_dir == folder and remote_search.reattachable_searches(store) == []
    run_id = manager.keep(search, store, owner=OWNER)
    assert store.load(run_id, owner=OWNER).info.usable


def test_the_encoder_travels_only_with_searches_that_may_use_it(cluster, tmp_path, text_job):
    from modeling.templates.minilm.encoder import encoder_status

    _ds, lines = text_job
    store = RunStore(tmp_path, starters=None)
    chinese = Dataset(
        kind="text",
        name="zh",
        labels=np.arange(60) % 2,
        class_names=["neg", "pos"],
        texts=np.array(["这个东西很好用" if i % 2 else "质量太差了不好" for i in range(60)]),
    )
    fake = cluster(FakeJobs([("SUCCEEDED", lines)]))
    _search(chinese, store, templates=None)
    assert len(fake.submitted["runtime_env"]["py_modules"]) == 1  # the English encoder is left out for CJK
    if not encoder_status()[0] or remote.encoder_module() is None:
        pytest.skip("the pretrained encoder is not installed here")
    fake = cluster(FakeJobs([("SUCCEEDED", lines)]))
    _search(make_text_dataset(1200), store, templates=None)
    assert fake.submitted["runtime_env"]["py_modules"][1] == str(remote.encoder_module())


# ---- the leaderboard's wire format ---------------------------------------------------------------------------
def test_a_board_from_the_logs_is_checked_field_by_field(tmp_path):
    folder = tmp_path / "automl" / "s1" / "runs" / "r1"
    folder.mkdir(parents=True)
    data = {
        "kind": "text",
        "rows": [
            {"template": "ngram_nb", "status": "trained", "accuracy": 0.9, "run_folder": "r1", "parameters": 12.0},
            {"template": "ngram_bag", "status": "trained", "accuracy": float("nan"), "run_folder": "../../etc"},
            {"template": "rm -rf /", "status": "trained"},
            {"template": "conv1d", "status": "exploded", "note": "x" * 5000, "train_seconds": "fast"},
            "not a row",
        ],
        "split": {"train": "many"},
        "notes": ["<script>", 3],
    }
    board = board_from_json(data, {"r1": folder})
    assert [r.template for r in board.rows] == ["ngram_nb", "ngram_bag", "conv1d"]
    first, second, third = board.rows
    assert first.usable and first.run_path == folder and first.parameters == 12
    assert second.accuracy is None and second.run_path is None and not second.usable
    assert third.status == "failed" and len(third.note) == 500 and third.train_seconds is None
    assert board.split == {"train": 0, "validation": 0, "test": 0} and board.search_dir == tmp_path / "automl" / "s1"
    with pytest.raises(RunError, match="not one ModelDeck wrote"):
        board_from_json({"kind": "pickle"}, {})
    table = board_from_json(
        {"kind": "table", "metric": "rmse", "rows": [{"name": "blend", "kind": "blend", "validation_score": "x"}]}, {}
    )
    assert table.run_path is None and table.rows[0]["validation_score"] == float("inf")


def test_candidates_over_the_size_limit_stay_on_the_cluster_with_a_note(tmp_path, text_job):
    _ds, lines = text_job
    store = RunStore(tmp_path / "unpacked", starters=None)
    folders = {}
    for name, data in jp.read_bundles(lines).items():
        target = store.runs_dir / name
        target.mkdir(parents=True)
        jp.unpack_bundle(data, target)
        folders[name] = target
    board = board_from_json(jp.read_board(lines), folders)
    out = io.StringIO()
    send_board(board, out, max_mb=0)
    sent = out.getvalue().splitlines()
    assert jp.read_bundles(sent) == {}
    back = board_from_json(jp.read_board(sent), {})
    assert back.best is None and all(LEFT_BEHIND in r.note for r in back.rows if r.status == "trained")


def test_the_search_job_prints_a_row_as_each_candidate_finishes(text_job):
    _ds, lines = text_job
    events = list(jp.parse_events(lines))
    trained = [sum(r["status"] == "trained" for r in e["leaderboard"]) for e in events]
    assert trained == sorted(trained) and trained[0] == 0 and trained[-1] == 2
    assert len(jp.read_bundles(lines)) == 2 and all(name for name in jp.read_bundles(lines))


def test_the_job_side_of_a_search_restores_the_stop_signal_handler(tmp_path):
    import signal

    before = signal.getsignal(signal.SIGTERM)
    _job_lines(tmp_path, make_text_dataset(80), 30, ["ngram_nb"])
    assert signal.getsignal(signal.SIGTERM) is before


def test_waiting_time_on_the_cluster_does_not_eat_the_budget(cluster, tmp_path, text_job):
    _ds, lines = text_job
    cluster(FakeJobs([("PENDING", [])] * 5 + _steps(lines)[1:]))
    seen: list[dict] = []
    began = time.monotonic()
    _search(make_text_dataset(200, seed=3), RunStore(tmp_path), progress_cb=seen.append)
    waiting = [s for s in seen if "Waiting" in s["phase"]]
    assert waiting and all(s["elapsed_s"] == 0 and s["fraction"] == 0 for s in waiting)
    assert time.monotonic() - began < 30


def test_the_command_line_search_works_on_a_table_and_keeps_the_blend(tmp_path, capsys):
    from modeling.__main__ import main
    from modeling.config import default_config
    from tests.unit.training.table_data import raw_houses

    raw_houses(300).to_csv(tmp_path / "houses.csv", index=False)
    config = default_config("tabular_regression", str(tmp_path / "houses.csv"), target_column="price")
    (tmp_path / "houses.yaml").write_text(config.to_yaml())
    code = main(["--home", str(tmp_path / "ws"), "search", str(tmp_path / "houses.yaml"), "--budget", "8"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.strip().splitlines()
    assert "ranked on the validation rows by RMSE" in lines[0] and "blend" in out and "The blend on" in out
    kept = Path(lines[-1])
    run = RunStore(tmp_path / "ws", starters=None).load(kept.name)
    assert run.config.template == "automatic" and run.info.usable and "kept blend as run" in err


def test_asking_only_for_templates_that_cannot_train_is_refused_before_anything_is_sent(cluster, tmp_path):
    fake = cluster(FakeJobs([("SUCCEEDED", [])]))
    with pytest.raises(RunError, match="conv1d: needs about 1,000 texts"):
        _search(make_text_dataset(60), RunStore(tmp_path), templates=["conv1d"])
    assert fake.submitted == {}
