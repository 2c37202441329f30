"""The wire between a remote training job and the app: progress events, the run folder coming back, the data."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile

import numpy as np
import pytest

from modeling.config import default_config
from modeling.errors import RunError
from modeling.runs.store import RunStore
from modeling.training import job_protocol as jp
from modeling.training.progress import Progress
from tests.conftest import make_text_dataset


def _lines(buffer: io.StringIO) -> list[str]:
    return buffer.getvalue().splitlines()


def test_progress_events_rebuild_the_live_view_in_the_app():
    job_side = Progress(epochs=3)
    out = io.StringIO()
    writer = jp.EventWriter(job_side, out, interval_s=60)
    job_side.start("GPU 0 (NVIDIA H100)")
    job_side.update(phase="Training epoch 1", steps=10, step=4)
    writer.emit()
    job_side.add_epoch({"loss": 0.7, "accuracy": 0.6})
    writer.emit()
    writer.emit()  # nothing changed: no line

    app_side = Progress(epochs=3)
    events = list(jp.parse_events(["noise", *_lines(out), "@modeldeck {not json"]))
    assert len(events) == 2
    for event in events:
        jp.apply_event(app_side, event)
    snap = app_side.snapshot()
    assert snap["state"] == "running" and snap["device"] == "GPU 0 (NVIDIA H100)"
    assert snap["epoch"] == 1 and snap["history"] == {"loss": [0.7], "accuracy": [0.6]}
    assert snap["elapsed_s"] >= 0 and app_side.started_at is not None


def test_a_job_event_cannot_end_the_app_side_run_or_inject_garbage():
    progress = Progress(epochs=2)
    jp.apply_event(progress, {"state": "finished", "epoch": "x", "history": {"loss": ["a", 1.0]}, "phase": 5})
    snap = progress.snapshot()
    assert snap["state"] == "queued"  # only the app decides when a run is over (after the folder is back)
    assert snap["epoch"] == 0 and snap["history"] == {"loss": [1.0]}


def test_the_reason_of_a_failed_job_is_its_last_error():
    logs = [
        "some tensorflow noise",
        jp.EVENT + json.dumps({"state": "failed", "error": "The data file 'x.csv' does not exist.", "hint": "Fix it"}),
        "error: The data file 'x.csv' does not exist.",
    ]
    assert jp.last_error(logs)[0] == "The data file 'x.csv' does not exist."
    assert jp.last_error(["Traceback", "boom"]) == (None, None)


def _run_folder(tmp_path):
    run = tmp_path / "remote-run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"run_id": "remote-run", "status": "finished", "accuracy": 0.9}))
    (run / "config.yaml").write_text("remote: config\n")
    (run / "model.keras").write_bytes(np.random.default_rng(0).bytes(300_000))
    (run / "history.json").write_text("{}")
    return run


def test_the_run_folder_comes_back_whole_through_the_logs(tmp_path):
    out = io.StringIO()
    size = jp.write_bundle(_run_folder(tmp_path), out)
    lines = _lines(out)
    assert size > 300_000 and len(lines) > 3 and all(len(line) < jp.CHUNK + 40 for line in lines)
    data = jp.read_bundle(["log noise", *lines])
    target = tmp_path / "local"
    target.mkdir()
    (target / "config.yaml").write_text("local: config\n")
    meta = jp.unpack_bundle(data, target, skip=("run.json", "config.yaml"))
    assert meta["accuracy"] == 0.9
    assert (target / "model.keras").read_bytes() == (tmp_path / "remote-run" / "model.keras").read_bytes()
    assert (target / "config.yaml").read_text() == "local: config\n" and not (target / "run.json").exists()


def test_a_damaged_or_truncated_bundle_is_not_used(tmp_path):
    out = io.StringIO()
    jp.write_bundle(_run_folder(tmp_path), out)
    lines = _lines(out)
    assert jp.read_bundle(lines[:-1]) is None  # no end line: the job was killed while printing
    tampered = [lines[0][:-4] + "AAAA", *lines[1:]]
    assert jp.read_bundle(tampered) is None


def _zip(members: dict[str, bytes], link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = 0o120777 << 16
            zf.writestr(info, "/etc/passwd")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("members", "link", "expected"),
    [
        ({"run.json": b"{}", "../escape.txt": b"x"}, None, "unsafe file name"),
        ({"run.json": b"{}", "/abs.txt": b"x"}, None, "unsafe file name"),
        ({"run.json": b"{}"}, "model.keras", "link"),
        ({"model.keras": b"x"}, None, "no run.json"),
    ],
)
def test_an_unsafe_bundle_is_refused(tmp_path, members, link, expected):
    with pytest.raises(RunError, match=expected):
        jp.unpack_bundle(_zip(members, link), tmp_path)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_a_bundle_line_set_checks_its_own_hash():
    data = _zip({"run.json": b'{"run_id": "x"}'})
    text = base64.b64encode(data).decode()
    lines = [jp.BUNDLE + text, f"{jp.BUNDLE_END}{hashlib.sha256(data).hexdigest()} {len(data)}"]
    assert jp.read_bundle(lines) == data


def test_the_dataset_travels_with_the_facts_an_npz_does_not_keep(tmp_path):
    ds = make_text_dataset(40)
    ds.source = "reviews.csv"
    ds.deduplicated = True
    ds.notes = ["2 empty texts dropped"]
    path = jp.save_job_dataset(ds, tmp_path)
    back = jp.load_job_dataset(path)
    assert back.fingerprint() == ds.fingerprint()
    assert (back.source, back.text_column, back.label_column) == ("reviews.csv", "text", "label")
    assert back.deduplicated and back.notes == ["2 empty texts dropped"]


def test_a_job_that_cannot_train_says_why_and_exits_2(tmp_path, capsys):
    config = default_config("text_classification", source="missing.csv")
    out = io.StringIO()
    code = jp.run_job(config, RunStore(tmp_path), None, out)
    assert code == 2
    reason, _ = jp.last_error(_lines(out))
    assert reason and "missing.csv" in reason
    assert "error: " in capsys.readouterr().err
    assert jp.read_bundle(_lines(out)) is None


def test_a_job_trains_and_prints_its_run_back(tmp_path):
    ds = make_text_dataset(80)
    path = jp.save_job_dataset(ds, tmp_path / "job")
    config = default_config("text_classification", source="synthetic", template="ngram_bag")
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"epochs": 2})})
    out = io.StringIO()
    assert jp.run_job(config, RunStore(tmp_path / "home"), str(path), out) == 0
    lines = _lines(out)
    states = [e.get("state") for e in jp.parse_events(lines)]
    assert "running" in states and states[-1] == "finished"
    target = tmp_path / "back"
    target.mkdir()
    meta = jp.unpack_bundle(jp.read_bundle(lines), target)
    assert meta["status"] == "finished" and (target / "model.keras").exists() and (target / "test.npz").exists()
