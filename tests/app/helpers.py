"""What the page tests share: starting the app, moving between pages, reading what a page says, uploading,
waiting for a training, walking a sample from Data to Evaluate.

Test modules import these from here, never from one another. Messages on the pages are Markdown-escaped
(file names and labels come from uploads): :func:`plain` undoes that before comparing with a sentence.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


# ---- the app and its pages --------------------------------------------------------------------------------------
def app() -> AppTest:
    """A fresh session of the app, on the Start page."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def goto(at: AppTest, page: str) -> AppTest:
    """Open ``page`` (``"pages/model.py"``) in this session; it must draw without an exception."""
    at.switch_page(page)
    at.run()
    no_exception(at)
    return at


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def use_sample(at: AppTest, sample: str) -> AppTest:
    """The Data page's "Use this sample" for ``sample``."""
    goto(at, "pages/data.py")
    at.button(key=f"sample_{sample}").click().run()
    no_exception(at)
    return at


# ---- what a page says ---------------------------------------------------------------------------------------------
def texts(at: AppTest) -> str:
    """Every Markdown, info, success, error, warning and caption on the page, as written (escaped)."""
    parts = [m.value for m in at.markdown] + [i.value for i in at.info] + [s.value for s in at.success]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


def plain(text: str) -> str:
    """Undo ui.state.md_escape: '\\.' -> '.', so sentences compare as the user reads them."""
    return re.sub(r"\\(.)", r"\1", text)


def page_text(at: AppTest) -> str:
    return plain(texts(at))


def errors(at: AppTest) -> str:
    return plain(" ".join(e.value for e in at.error))


def metric(at: AppTest, label: str):
    """The one metric labelled ``label``."""
    (found,) = [m for m in at.metric if m.label == label]
    return found


def dataframes_with(at: AppTest, column: str) -> list[pd.DataFrame]:
    """The data frames on the page that have a column called ``column``."""
    return [d.value for d in at.dataframe if column in [str(c) for c in d.value.columns]]


# ---- uploads ------------------------------------------------------------------------------------------------------
def upload(name: str, content: bytes, mime: str = "text/csv") -> AppTest:
    """A fresh session with ``content`` uploaded on the Data page as ``name``."""
    at = goto(app(), "pages/data.py")
    at.file_uploader(key="data_upload").upload(name, content, mime).run()
    no_exception(at)
    return at


def use_columns(at: AppTest, text: str | None = None, label: str | None = None) -> AppTest:
    """Pick the text and label columns of an upload read as texts, and use them."""
    text_box, label_box = at.selectbox[0], at.selectbox[1]
    if text:
        text_box.set_value(text)
    if label:
        label_box.set_value(label)
    next(b for b in at.button if b.label == "Use these columns").click().run()
    no_exception(at)
    return at


def upload_table(at: AppTest, name: str, df: pd.DataFrame) -> AppTest:
    """Upload ``df`` as a CSV called ``name`` on the Data page of this session."""
    at.file_uploader(key="data_upload").upload(name, df.to_csv(index=False).encode(), "text/csv").run()
    no_exception(at)
    return at


# ---- training -------------------------------------------------------------------------------------------------------
def wait_for_training(at: AppTest, timeout: float = 300) -> None:
    """Wait until this session's job finished (it must have finished, not failed), then draw the page again."""
    from modeling.training.jobs import JOBS

    job = JOBS.get(at.session_state["job_id"])
    deadline = time.time() + timeout
    while not job.done and time.time() < deadline:
        time.sleep(0.5)
    assert job.done and job.snapshot()["state"] == "finished", job.snapshot()
    at.run()
    no_exception(at)


def train(at: AppTest) -> AppTest:
    """Start a training with the current settings on the Train page and wait until it is saved."""
    goto(at, "pages/train.py")
    assert "Ready to train" in page_text(at)
    next(b for b in at.button if b.label == "Start training").click().run()
    wait_for_training(at)
    assert "Saved as run" in page_text(at)
    return at


def walk(sample: str, epochs: int) -> AppTest:
    """A sample from Data through Model (``epochs``, where the template has epochs) and Train to Evaluate."""
    at = use_sample(app(), sample)
    assert any(m.label == "Examples" for m in at.metric)

    goto(at, "pages/model.py")
    assert any(m.label == "Parameters" for m in at.metric)
    if any(n.key == "setting_epochs" for n in at.number_input):
        at.number_input(key="setting_epochs").set_value(epochs).run()
        assert at.session_state["config"].settings.epochs == epochs
    else:  # the template Automatic picked is fitted exactly: nothing to tune in epochs, and the page says why
        assert "fitted in one step" in texts(at) and "do not apply" in texts(at)

    train(at)
    goto(at, "pages/evaluate.py")
    labels = [m.label for m in at.metric]
    assert "Accuracy" in labels and "F1 (macro)" in labels
    assert "better than" in texts(at) or "worse" in texts(at) or "does better" in texts(at)
    return at


def remote_bundle_lines(tmp_path: Path, status: str = "finished") -> list[str]:
    """What a Ray job prints to send a (tiny, fake) finished run folder back: the lines of ``write_bundle``."""
    import json

    from modeling.training import job_protocol as jp

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


# ---- a finished (or running) model search, without training anything ------------------------------------------------
class FakeBoard:
    """A :class:`~modeling.training.leaderboard.Leaderboard` of two candidates (the protocol, nothing trained)."""

    budget_s, elapsed_s = 60.0, 12.0

    def __init__(self, choices: tuple[str, ...] = ("minilm_ngrams", "ngram_nb"), notes: tuple[str, ...] = ()):
        self._choices = list(choices)
        self.notes = list(notes)
        self.kept: list[str] = []

    def table(self) -> list[dict]:
        return [{"template": name, "accuracy": 0.9 - i / 10} for i, name in enumerate(self._choices)]

    def text(self) -> str:
        return "\n".join(row["template"] for row in self.table())

    def choices(self) -> list[str]:
        return list(self._choices)

    def describe_choice(self, choice: str) -> str:
        return f"{choice}: kept as an ordinary run"

    def keep(self, choice: str, store, owner=None) -> str:
        self.kept.append(choice)
        return f"run-{choice}"

    def run_folders(self) -> list[Path]:
        return []

    def to_json(self, sent=None) -> dict:
        return {"kind": "fake"}


class FakeSearch:
    """What ``JOBS.start_search`` returns, as the search view reads it: its state, board and kept runs."""

    def __init__(self, board: FakeBoard | None, done: bool = True, adopted: dict[str, str] | None = None):
        self.search_id, self.board, self.done, self.remote = "fake1", board, done, False
        self.budget_s = 60.0
        self.adopted = dict(adopted or {})
        self.stopped = False

    def snapshot(self) -> dict:
        if not self.done:
            rows = self.board.table()[:1] if self.board else []
            return {
                "state": "running",
                "phase": "Training ngram_nb",
                "fraction": 0.5,
                "elapsed_s": 30.0,
                "leaderboard": rows,
            }
        return {"state": "finished", "error": None}

    def stop(self) -> None:
        self.stopped = True
