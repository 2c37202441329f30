"""Every page renders on a fresh session, guides when something is missing, and walks both sample paths."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = [
    "pages/home.py",
    "pages/data.py",
    "pages/model.py",
    "pages/train.py",
    "pages/evaluate.py",
    "pages/predict.py",
    "pages/runs.py",
]


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def _goto(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [i.value for i in at.info] + [s.value for s in at.success]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_a_fresh_session(page):
    at = _goto(_app(), page)
    assert at.title, f"{page} has no title"


@pytest.mark.parametrize("page", ["pages/model.py", "pages/train.py"])
def test_pages_without_data_say_what_to_do(page):
    at = _goto(_app(), page)
    assert "Pick a built-in sample or upload your own file first" in _texts(at)


def test_mnist_choice_says_why_it_is_unavailable_offline():
    from modeling.data.samples import sample_status

    available, reason = sample_status("mnist")
    at = _goto(_app(), "pages/data.py")
    button = at.button(key="sample_mnist")
    assert button.disabled == (not available)
    if not available:
        assert reason and reason in _texts(at)


def _wait_for_training(at: AppTest, timeout: float = 240) -> None:
    from modeling.training.jobs import JOBS

    job = JOBS.get(at.session_state["job_id"])
    deadline = time.time() + timeout
    while not job.done and time.time() < deadline:
        time.sleep(0.5)
    assert job.done, job.snapshot()
    assert job.snapshot()["state"] == "finished", job.snapshot()


def _walk(sample: str, epochs: int) -> AppTest:
    at = _goto(_app(), "pages/data.py")
    at.button(key=f"sample_{sample}").click().run()
    assert not at.exception
    assert any(m.label == "Examples" for m in at.metric)

    _goto(at, "pages/model.py")
    assert any(m.label == "Parameters" for m in at.metric)
    if any(n.key == "setting_epochs" for n in at.number_input):
        at.number_input(key="setting_epochs").set_value(epochs).run()
        assert at.session_state["config"].settings.epochs == epochs
    else:  # the template Automatic picked is fitted exactly: nothing to tune in epochs, and the page says why
        assert "fitted in one step" in _texts(at) and "do not apply" in _texts(at)

    _goto(at, "pages/train.py")
    next(b for b in at.button if b.label == "Start training").click().run()
    _wait_for_training(at)
    at.run()
    assert not at.exception
    assert "Saved as run" in _texts(at)

    _goto(at, "pages/evaluate.py")
    labels = [m.label for m in at.metric]
    assert "Accuracy" in labels and "F1 (macro)" in labels
    assert "better than" in _texts(at) or "worse" in _texts(at) or "does better" in _texts(at)
    return at


def test_digits_path_end_to_end():
    at = _walk("digits", epochs=2)
    _goto(at, "pages/predict.py")
    at.radio(key="predict_task").set_value("image_classification").run()
    assert not at.exception
    # The newest own run is preselected over the starter.
    assert at.session_state["run_id"] == at.selectbox(key="predict_run_image_classification").value


def test_sentiment_path_end_to_end():
    at = _walk("reviews", epochs=3)
    _goto(at, "pages/predict.py")
    at.radio(key="predict_task").set_value("text_classification").run()
    at.text_area(key="predict_text").input("Absolutely love it, works perfectly.").run()
    next(b for b in at.button if b.label == "Predict").click().run()
    assert not at.exception
    (metric,) = [m for m in at.metric if m.label == "Prediction"]
    assert metric.value in ("positive", "negative")


def test_upload_table_proposes_columns_and_loads():
    rows = ["review,stars,sentiment"] + [
        f"text number {i} is {'good' if i % 2 else 'bad'},{i % 5},{'positive' if i % 2 else 'negative'}"
        for i in range(40)
    ]
    at = _goto(_app(), "pages/data.py")
    at.file_uploader(key="data_upload").upload("mine.csv", "\n".join(rows).encode(), "text/csv").run()
    assert not at.exception
    text_box, label_box = at.selectbox
    assert (text_box.value, label_box.value) == ("review", "sentiment")
    next(b for b in at.button if b.label == "Use these columns").click().run()
    assert at.session_state["dataset"].class_names == ["negative", "positive"]
    assert any(m.label == "Examples" and m.value == "40" for m in at.metric)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "empty"),
        ("garbage.csv", bytes(range(256)) * 20, "binary data"),
        ("one_class.csv", b"text,label\n" + b"".join(b"row %d,yes\n" % i for i in range(30)), "only one"),
    ],
)
def test_bad_uploads_get_a_sentence_not_a_traceback(name, content, expected):
    at = _goto(_app(), "pages/data.py")
    at.file_uploader(key="data_upload").upload(name, content, "text/csv").run()
    assert not at.exception
    if at.selectbox:  # a table was read: the problem shows when the columns are used
        next(b for b in at.button if b.label == "Use these columns").click().run()
    errors = " ".join(e.value for e in at.error)
    assert expected.lower() in errors.lower(), errors
    assert "Traceback" not in _texts(at)


def test_settings_file_with_bad_values_names_field_and_range():
    at = _goto(_app(), "pages/data.py")
    at.button(key="sample_digits").click().run()
    _goto(at, "pages/model.py")
    bad = b"task: image_classification\ntemplate: small_cnn\nsettings:\n  dropout: 3\n  optimizer: lbfgs\n"
    at.file_uploader(key="yaml_upload").upload("bad.yaml", bad, "text/yaml").run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "settings.dropout = 3" in errors and "from 0.0 to 0.9" in errors
    assert "settings.optimizer" in errors


def test_settings_file_round_trip_applies_values():
    from modeling.config import default_config

    at = _goto(_app(), "pages/data.py")
    at.button(key="sample_digits").click().run()
    _goto(at, "pages/model.py")
    cfg = default_config("image_classification", "sample:digits")
    cfg.settings.epochs = 7
    cfg.template = "dense"
    at.file_uploader(key="yaml_upload").upload("good.yaml", cfg.to_yaml().encode(), "text/yaml").run()
    assert not at.exception
    assert at.session_state["config"].settings.epochs == 7
    assert at.session_state["config"].template == "dense"
