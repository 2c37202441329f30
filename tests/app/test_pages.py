"""Every page renders on a fresh session, guides when something is missing, and walks both sample paths."""

from __future__ import annotations

import pytest

from tests.app.helpers import app, goto, texts, use_sample, walk

PAGES = [
    "pages/home.py",
    "pages/data.py",
    "pages/model.py",
    "pages/train.py",
    "pages/evaluate.py",
    "pages/predict.py",
    "pages/runs.py",
]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_a_fresh_session(page):
    at = goto(app(), page)
    assert at.title, f"{page} has no title"


@pytest.mark.parametrize("page", ["pages/model.py", "pages/train.py"])
def test_pages_without_data_say_what_to_do(page):
    at = goto(app(), page)
    assert "Pick a built-in sample or upload your own file first" in texts(at)


def test_start_page_leads_with_business_tables_then_texts_and_images():
    at = app()
    intro = texts(at)
    assert "deep-learning" not in intro and "tables, texts or images" in intro
    buttons = [b.key for b in at.button if (b.key or "").startswith("home_")]
    assert buttons == ["home_churn", "home_house_prices", "home_chicago_rides", "home_reviews", "home_digits"]


@pytest.mark.parametrize(
    ("sample", "kind", "shown"), [("churn", "table", "The table in use"), ("digits", "image", "Active data:")]
)
def test_a_start_page_sample_opens_the_data_page_the_way_its_button_there_does(sample, kind, shown):
    at = app()
    at.button(key=f"home_{sample}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "1 · Data"  # the Data page opened with the sample active
    ds = at.session_state["dataset"]
    assert ds.kind == kind and ds.source == f"sample:{sample}"
    assert any(shown in text for text in [texts(at), *(h.value for h in at.subheader)])


def test_mnist_choice_says_why_it_is_unavailable_offline():
    from modeling.data.samples import sample_status

    available, reason = sample_status("mnist")
    at = goto(app(), "pages/data.py")
    button = at.button(key="sample_mnist")
    assert button.disabled == (not available)
    if not available:
        assert reason and reason in texts(at)


def test_digits_path_end_to_end():
    at = walk("digits", epochs=2)
    goto(at, "pages/predict.py")
    at.radio(key="predict_task").set_value("image_classification").run()
    assert not at.exception
    # The newest own run is preselected over the starter.
    assert at.session_state["run_id"] == at.selectbox(key="predict_run_image_classification").value


def test_sentiment_path_end_to_end():
    at = walk("reviews", epochs=3)
    goto(at, "pages/predict.py")
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
    at = goto(app(), "pages/data.py")
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
    at = goto(app(), "pages/data.py")
    at.file_uploader(key="data_upload").upload(name, content, "text/csv").run()
    assert not at.exception
    if at.selectbox:  # a table was read: the problem shows when the columns are used
        next(b for b in at.button if b.label == "Use these columns").click().run()
    errors = " ".join(e.value for e in at.error)
    assert expected.lower() in errors.lower(), errors
    assert "Traceback" not in texts(at)


def test_settings_file_with_bad_values_names_field_and_range():
    at = goto(app(), "pages/data.py")
    at.button(key="sample_digits").click().run()
    goto(at, "pages/model.py")
    bad = b"task: image_classification\ntemplate: small_cnn\nsettings:\n  dropout: 3\n  optimizer: lbfgs\n"
    at.file_uploader(key="yaml_upload").upload("bad.yaml", bad, "text/yaml").run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "settings.dropout = 3" in errors and "from 0.0 to 0.9" in errors
    assert "settings.optimizer" in errors


def test_settings_file_round_trip_applies_values():
    from modeling.config import default_config

    at = goto(app(), "pages/data.py")
    at.button(key="sample_digits").click().run()
    goto(at, "pages/model.py")
    cfg = default_config("image_classification", "sample:digits")
    cfg.settings.epochs = 7
    cfg.template = "dense"
    at.file_uploader(key="yaml_upload").upload("good.yaml", cfg.to_yaml().encode(), "text/yaml").run()
    assert not at.exception
    assert at.session_state["config"].settings.epochs == 7
    assert at.session_state["config"].template == "dense"


def test_a_settings_file_without_a_template_gets_the_data_s_template_and_keeps_its_settings():
    at = goto(use_sample(app(), "digits"), "pages/model.py")
    content = b"task: image_classification\nsettings:\n  epochs: 3\n"
    at.file_uploader(key="yaml_upload").upload("no_template.yaml", content, "text/yaml").run()
    assert not at.exception, [e.value for e in at.exception]
    cfg = at.session_state["config"]
    assert cfg.template == "small_cnn" and cfg.settings.epochs == 3  # the task's template, the file's epochs
    assert cfg.settings.dropout == 0.5  # and the template's own recommended value where the file says nothing
