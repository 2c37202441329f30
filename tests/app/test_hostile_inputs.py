"""Issue 5 in the page: every hostile or broken input gets its own sentence; runs stay private per session.

Messages are escaped before they reach ``st.error`` / ``st.info`` (file names and labels come from
uploads), so the helpers here undo Markdown escapes before comparing with the expected sentence.
"""

from __future__ import annotations

import io
import os
import shutil
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from modeling.data.readers import LIMITS
from modeling.runs.store import STARTERS_DIR, RunStore
from tests.app.helpers import APP, app, errors, goto, page_text, plain, upload, use_columns


# ---- helpers ------------------------------------------------------------------------------------------
def _rows(n: int, label=lambda i: "pos" if i % 2 else "neg", sep: str = ",") -> str:
    return "\n".join(f"review number {i} was fine{sep}{label(i)}" for i in range(n))


def _png(size=(12, 12), colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    raw = bytearray(_png((1, 1)))
    header = bytearray(raw[12:29])
    header[4:12] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    raw[12:29] = header
    raw[29:33] = (zlib.crc32(bytes(header)) & 0xFFFFFFFF).to_bytes(4, "big")
    return bytes(raw)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


GOOD = ("text,label\n" + _rows(30)).encode()
GOOD_IMAGES = {
    f"{c}/{i}.png": _png(colour=(40 * i, 0, 0) if c == "cats" else (0, 0, 40 * i))
    for c in ("cats", "dogs")
    for i in range(3)
}


# ---- tables ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "columns", "kind", "expected"),
    [
        ("empty.csv", b"", None, "error", "'empty.csv' is empty (0 bytes)"),
        ("header.csv", b"text,label\n", None, "error", "'header.csv' has a header but no rows of data"),
        ("one_row.csv", b"text,label\nhello there,pos\n", ("text", "label"), "error", "Only 1 usable row left"),
        ("garbage.csv", bytes(range(256)) * 40, None, "error", "contains binary data, not text"),
        ("photo.csv", _png(), None, "error", "'photo.csv' is a single picture"),
        (
            "wide.csv",
            (",".join(f"c{i}" for i in range(2500)) + "\n" + ",".join("1" for _ in range(2500))).encode(),
            None,
            "error",
            "'wide.csv' has 2,500 columns; the limit is 2,000",
        ),
        (
            "latin1.csv",
            ("text,label\n" + _rows(30).replace("review", "crème brûlée")).encode("latin-1"),
            ("text", "label"),
            "info",
            "is not UTF-8 text, so it was read as Windows-1252",
        ),
        ("semicolons.csv", ("text;label\n" + _rows(30, sep=";")).encode(), None, "info", "separated by semicolons"),
        ("tabs.csv", ("text\tlabel\n" + _rows(30, sep="\t")).encode(), None, "info", "separated by tabs"),
        (
            "dupes.csv",
            ("text,text,label\n" + "\n".join(f"a {i},b {i},{'pos' if i % 2 else 'neg'}" for i in range(30))).encode(),
            None,
            "info",
            "Some column names appear more than once ('text')",
        ),
        (
            "big_cell.csv",
            ('text,label\n"' + "word " * 400_000 + '",pos\n' + _rows(30)).encode(),
            ("text", "label"),
            "info",
            "1 text longer than 20,000 characters was cut to that length",
        ),
        (
            "money.csv",
            ("text,amount,label\n" + "\n".join(f'text {i},"{1000 + i:,}",{"ab"[i % 2]}' for i in range(30))).encode(),
            ("text", "label"),
            "info",
            "thousands separators (like 1,234) in 'amount' were read as numbers",
        ),
        (
            "gaps.csv",
            ("text,label\n" + _rows(30) + "\nno label here,N/A\nblank label,\nN/A,pos\n").encode(),
            ("text", "label"),
            "info",
            "2 rows without a label (empty, or a placeholder such as N/A or null) were dropped",
        ),
        (
            "one_class.csv",
            ("text,label\n" + _rows(30, label=lambda i: "yes")).encode(),
            ("text", "label"),
            "error",
            "has only one label value ('yes')",
        ),
        (
            "ids.csv",
            ("text,label\n" + _rows(30, label=lambda i: f"id{i}")).encode(),
            ("text", "label"),
            "error",
            "has a different value in every row (30 distinct values), so it looks like an ID",
        ),
        (
            "swapped.csv",
            ("label,text\n" + "\n".join(f"{'ab'[i % 2]},{'a long review text ' * 8}{i}" for i in range(30))).encode(),
            ("label", "text"),
            "error",
            "Did you swap the text and label columns?",
        ),
    ],
)
def test_each_hostile_table_gets_its_own_sentence(name, content, columns, kind, expected):
    at = upload(name, content)
    if columns:
        use_columns(at, *columns)
    shown = errors(at) if kind == "error" else plain(" ".join(i.value for i in at.info))
    assert expected in shown, (shown, page_text(at))
    assert "Traceback" not in page_text(at)
    if kind == "info":
        assert not at.error, errors(at)


@pytest.mark.parametrize(("prefix", "newline"), [(b"\xef\xbb\xbf", "\r\n"), (b"", "\r\n"), (b"\xef\xbb\xbf", "\n")])
def test_bom_and_windows_line_ends_load_cleanly(prefix, newline):
    content = prefix + ("text,label" + newline + _rows(30).replace("\n", newline) + newline).encode()
    at = upload("windows.csv", content)
    assert [s.value for s in at.selectbox[:2]] == ["text", "label"]  # no BOM glued to the first name
    use_columns(at)
    assert at.session_state["dataset"].class_names == ["neg", "pos"]  # no stray '\r' in the labels
    assert any(m.label == "Examples" and m.value == "30" for m in at.metric)
    assert not at.error


# ---- image archives -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "members", "kind", "expected"),
    [
        ("bomb.zip", {**GOOD_IMAGES, "dogs/huge.png": bytes(50 * 1024 * 1024)}, "error", "which is how zip bombs look"),
        ("pixels.zip", {**GOOD_IMAGES, "dogs/bomb.png": _png_claiming(30_000, 30_000)}, "error", "is far too large"),
        ("escape.zip", {**GOOD_IMAGES, "../../evil.png": _png()}, "error", "contains the unsafe path '../../evil.png'"),
        ("absolute.zip", {**GOOD_IMAGES, "/etc/evil.png": _png()}, "error", "unsafe path '/etc/evil.png'"),
        ("flat.zip", {f"{i}.png": _png() for i in range(4)}, "error", "are not in class folders"),
        ("one_folder.zip", {f"cats/{i}.png": _png() for i in range(4)}, "error", "in the single folder 'cats'"),
        (
            "mixed.zip",
            {**GOOD_IMAGES, "cats/notes.txt": b"hi", "__MACOSX/._x.png": b"junk", "dogs/broken.png": _png()[:40]},
            "info",
            "1 image could not be read (damaged or truncated) and was skipped.",
        ),
        ("fake.zip", {"cats/a.png": b"text, not a picture", "dogs/b.jpg": b"nope"}, "error", "None of the 2 images"),
    ],
)
def test_each_hostile_archive_gets_its_own_sentence(name, members, kind, expected):
    at = upload(name, _zip(members), "application/zip")
    shown = errors(at) if kind == "error" else plain(" ".join(i.value for i in at.info))
    assert expected in shown, (shown, page_text(at))
    if kind == "info":
        assert at.session_state["dataset"].class_names == ["cats", "dogs"]
        assert "1 file that is not an image was skipped." in shown


def test_not_a_zip_with_a_zip_name():
    at = upload("broken.zip", b"definitely not an archive", "application/zip")
    assert "'broken.zip' is not a file type ModelDeck can read" in errors(at) or "not a valid ZIP" in errors(at)


# ---- limits are stated before anyone hits them, and configurable -----------------------------------------
def test_limits_are_stated_on_the_data_page_and_enforced(monkeypatch):
    monkeypatch.setattr(LIMITS, "max_upload_mb", 1)
    monkeypatch.setattr(LIMITS, "max_rows", 25)
    at = goto(app(), "pages/data.py")
    caption = plain(" ".join(c.value for c in at.caption))
    assert "Limits on this server: 1 MB per file; tables up to 25 rows and 2,000 columns" in caption
    assert "20,000 characters per text" in caption and "30,000 images" in caption
    at.file_uploader(key="data_upload").upload("big.csv", b"text,label\n" + b"x" * 1_200_000, "text/csv").run()
    assert "the limit is 1 MB" in errors(at)
    at.file_uploader(key="data_upload").upload("long.csv", ("text,label\n" + _rows(30)).encode(), "text/csv").run()
    assert "more than 25 rows, the limit" in errors(at)


def test_limits_come_from_environment_variables():
    from modeling.data.readers import UploadLimits

    limits = UploadLimits.from_env({"MODELDECK_MAX_UPLOAD_MB": "5", "MODELDECK_MAX_TEXT_CHARS": "1_000"})
    assert (limits.max_upload_mb, limits.max_text_chars) == (5, 1000)


# ---- user text is escaped and intact --------------------------------------------------------------------
HOSTILE_NAME = "<script>alert(1)</script> [click](javascript:x) **AT&amp;T** 😀 مرحبا 你好"


def test_hostile_names_and_labels_are_escaped_and_intact():
    from ui.state import md_escape

    labels = ["<b>good</b> 😀", "سيء مرحبا", "坏 [x](http://e.vil)"]
    rows = "\n".join(f'"text {i} {HOSTILE_NAME}","{labels[i % 3]}"' for i in range(30))
    at = upload(f"{HOSTILE_NAME}.csv", ("text,label\n" + rows).encode())
    use_columns(at, "text", "label")
    ds = at.session_state["dataset"]
    assert sorted(ds.class_names) == sorted(labels)  # intact, not stripped or mangled
    assert f"text 0 {HOSTILE_NAME}" in set(ds.texts.tolist())
    subheader = next(h.value for h in at.subheader if h.value.startswith("Active data"))
    assert subheader == f"Active data: {md_escape(HOSTILE_NAME + '.csv')}"
    for element in [*at.markdown, *at.info, *at.error, *at.warning, *at.success, *at.subheader]:
        raw = str(element.value)
        assert "<script>" not in raw and "](javascript" not in raw and "](http://e.vil)" not in raw, raw


# ---- settings files -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"!!python/object/apply:os.system ['touch /tmp/modeldeck-yaml-ran']\n", "is not valid YAML"),
        (b"task: image_classification\nsettings:\n  epochs: lots\n  learning_rate: -1\n", "settings.epochs = 'lots'"),
        (b"a: &a [1, 2]\nb: *a\n", "uses YAML aliases"),
    ],
)
def test_hostile_settings_files_are_refused_in_the_page(content, expected):
    marker = Path("/tmp/modeldeck-yaml-ran")
    marker.unlink(missing_ok=True)
    at = goto(app(), "pages/data.py")
    at.button(key="sample_digits").click().run()
    goto(at, "pages/model.py")
    at.file_uploader(key="yaml_upload").upload("bad.yaml", content, "text/yaml").run()
    assert not at.exception
    assert expected in errors(at), errors(at)
    assert not marker.exists()


# ---- a failing run is shown as failed with a hint; the app keeps serving ---------------------------------
def test_a_run_that_runs_out_of_memory_is_shown_failed_with_a_hint(monkeypatch):
    from modeling.training.fit import _ProgressAndControl
    from modeling.training.jobs import JOBS

    def out_of_memory(self, batch, logs=None):
        raise MemoryError

    monkeypatch.setattr(_ProgressAndControl, "on_train_batch_end", out_of_memory)
    at = goto(app(), "pages/data.py")
    at.button(key="sample_digits").click().run()
    goto(at, "pages/train.py")
    next(b for b in at.button if b.label == "Start training").click().run()
    job = JOBS.get(at.session_state["job_id"])
    job.thread.join(timeout=180)
    at.run()
    assert not at.exception
    assert at.progress[0].text == "❌ Failed"
    assert "The machine ran out of memory while training." in errors(at)
    assert "Hint: Use a smaller batch size" in plain(" ".join(i.value for i in at.info))
    goto(at, "pages/runs.py")  # the newest own run is preselected there
    assert at.selectbox[0].value == job.snapshot()["run_id"]
    assert "This run failed: The machine ran out of memory while training." in errors(at)
    monkeypatch.undo()
    goto(at, "pages/train.py")  # the same session can start again: the button is back
    assert any(b.label == "Start training" and not b.disabled for b in at.button)


# ---- the queue is visible ---------------------------------------------------------------------------------
def test_a_second_training_waits_in_a_visible_queue(tmp_path):
    from modeling.config import TrainingSettings, default_config
    from modeling.training.jobs import JOBS
    from tests.conftest import make_image_dataset

    cfg = default_config("image_classification", "test")
    slow = cfg.model_copy(
        update={
            "template": "dense",
            "settings": TrainingSettings(**{**cfg.settings.model_dump(), "epochs": 500, "patience": 0}),
        }
    )
    blockers = [
        JOBS.start(slow, make_image_dataset(60), RunStore(tmp_path, starters=None), owner="another visitor")
        for _ in range(JOBS.max_concurrent)
    ]
    queued = None
    try:
        deadline = time.time() + 60
        while any(b.progress.state != "running" for b in blockers) and time.time() < deadline:
            time.sleep(0.2)
        at = goto(app(), "pages/data.py")
        at.button(key="sample_digits").click().run()
        goto(at, "pages/train.py")
        slots = JOBS.max_concurrent
        assert f"This server trains {slots} model" in page_text(at)
        assert f"{slots} training now, 0 waiting. Yours will wait in the queue" in page_text(at)
        next(b for b in at.button if b.label == "Start training").click().run()
        queued = JOBS.get(at.session_state["job_id"])
        assert at.progress[0].text == "⏳ Waiting for a free training slot (position 1 in the queue)"
        assert "another visitor" not in page_text(at)
    finally:
        for job in [*blockers, *([queued] if queued else [])]:
            job.stop()
        for job in [*blockers, *([queued] if queued else [])]:
            job.thread.join(timeout=60)
    assert queued.snapshot()["state"] == "stopped"


# ---- many users: each session sees only its own runs --------------------------------------------------------
KEY_A, KEY_B = "a" * 32, "b" * 32


@pytest.fixture
def two_workspaces(tmp_path, monkeypatch):
    """A store with one usable run owned by workspace A and one by B (copies of the reviews starter)."""
    from ui import run_state
    from ui.state import owner_for_key

    monkeypatch.setenv("MODELDECK_HOME", str(tmp_path))
    monkeypatch.delenv("MODELDECK_MODE", raising=False)  # the default: hosted
    run_state.run_store.clear()
    store = RunStore(tmp_path)
    ids = {}
    for key, run_id in ((KEY_A, "20990101-000000-ngram_bag-aaaaaa"), (KEY_B, "20990101-000000-ngram_bag-bbbbbb")):
        target = store.runs_dir / run_id
        shutil.copytree(STARTERS_DIR / "starter-reviews", target)
        store.update_meta(target, run_id=run_id, starter=False, owner=owner_for_key(key), title=f"run of {key[0]}")
        ids[key] = run_id
    yield ids
    run_state.run_store.clear()


def _session(key: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["workspace_key"] = key
    at.run()
    assert not at.exception
    return at


def test_each_session_sees_only_its_own_runs(two_workspaces):
    mine, theirs = two_workspaces[KEY_A], two_workspaces[KEY_B]
    at = _session(KEY_A)
    goto(at, "pages/runs.py")
    listed = set(at.dataframe[0].value["run"])
    assert mine in listed and theirs not in listed
    assert {r for r in listed if r.startswith("starter-")} == {"starter-digits", "starter-reviews"}

    at.session_state["run_id"] = theirs  # as if the id had been guessed
    goto(at, "pages/evaluate.py")
    picker = at.selectbox[0]  # options are the runs' labels; values their ids
    assert "run of a" in " ".join(picker.options) and "run of b" not in " ".join(picker.options)
    assert picker.value == mine  # the guessed id was not taken: the newest own run is shown instead
    assert not any(theirs in str(e.value) for e in [*at.markdown, *at.caption])

    at.session_state["predict_task"] = "text_classification"
    goto(at, "pages/predict.py")
    picker = at.selectbox(key="predict_run_text_classification")
    assert "run of a" in " ".join(picker.options) and "run of b" not in " ".join(picker.options)


def test_a_session_cannot_delete_another_sessions_run_but_can_delete_its_own(two_workspaces):
    mine, theirs = two_workspaces[KEY_A], two_workspaces[KEY_B]
    at = _session(KEY_A)
    goto(at, "pages/runs.py")
    assert "run of b" not in " ".join(at.selectbox[0].options)
    at.selectbox[0].set_value(mine).run()
    next(b for b in at.button if b.label == "Delete this run").click().run()
    assert not at.exception
    store = RunStore(os.environ["MODELDECK_HOME"])
    assert {i.run_id for i in store.list_runs() if not i.starter} == {theirs}


def test_workspace_key_reopens_a_workspace_in_a_new_session(two_workspaces):
    at = _session(KEY_B)
    goto(at, "pages/runs.py")
    # The saved run's code and its serve command are shown too; the key is a block of its own.
    key_shown = [c.value for c in at.code if c.language != "python" and "modeling serve" not in c.value]
    assert key_shown == [KEY_B]
    fresh = goto(app(), "pages/runs.py")  # a new tab: a new, empty workspace
    assert two_workspaces[KEY_B] not in set(fresh.dataframe[0].value["run"])
    fresh.text_input(key="workspace_key_input").input("not-a-key").run()
    fresh.button(key="open_workspace").click().run()
    assert "That is not a workspace key" in errors(fresh)
    fresh.text_input(key="workspace_key_input").input(KEY_B.upper()).run()
    fresh.button(key="open_workspace").click().run()
    assert not fresh.exception
    assert two_workspaces[KEY_B] in set(fresh.dataframe[0].value["run"])


def test_local_mode_shows_every_run(two_workspaces, monkeypatch):
    monkeypatch.setenv("MODELDECK_MODE", "local")
    at = goto(app(), "pages/runs.py")
    listed = set(at.dataframe[0].value["run"])
    assert set(two_workspaces.values()) <= listed
    assert "Single-user mode" in page_text(at)


def test_a_model_file_with_code_in_a_run_folder_is_refused_in_the_page(two_workspaces):
    """Someone swapped a run's model.keras for one with a Lambda layer: the Predict page says no, and why."""
    import keras

    store = RunStore(os.environ["MODELDECK_HOME"])
    run_dir = store.runs_dir / two_workspaces[KEY_A]
    inputs = keras.Input((1,), dtype="string")
    hidden = keras.layers.Lambda(lambda x: keras.ops.zeros((keras.ops.shape(x)[0], 2)))(inputs)
    keras.Model(inputs, hidden).save(run_dir / "model.keras")
    at = _session(KEY_A)
    at.session_state["predict_task"] = "text_classification"
    at.session_state["run_id"] = two_workspaces[KEY_A]
    goto(at, "pages/predict.py")
    assert at.selectbox(key="predict_run_text_classification").value == two_workspaces[KEY_A]
    assert "contains a Lambda layer (Python code inside the model), so it was not loaded" in errors(at)
    assert str(run_dir) not in page_text(at)


# ---- watching a training must not slow it down -------------------------------------------------------------
def test_page_reruns_leave_keras_state_and_garbage_collection_alone():
    """Streamlit's after-run clean-up (keras clear_session, a full gc) starved training threads: both are off."""
    import tomllib

    from keras.src.backend.common import global_state
    from streamlit.runtime.scriptrunner import script_runner

    app()  # importing ui.state (through app.py) installs the replacement
    global_state.set_global_attribute("modeldeck_probe", 42)
    script_runner._clean_problem_modules()
    assert global_state.get_global_attribute("modeldeck_probe") == 42  # Keras state survived a rerun's clean-up
    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
