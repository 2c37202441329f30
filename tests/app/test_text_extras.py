"""Model, Evaluate and Predict pages for text: the pretrained encoder, "Find the best model", explanations."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.helpers import app, goto, texts, walk

minilm = pytest.importorskip("modeling.templates.minilm")
ENCODER_READY, ENCODER_REASON = minilm.encoder_status()


def _with_sample(sample: str) -> AppTest:
    at = goto(app(), "pages/data.py")
    at.button(key=f"sample_{sample}").click().run()
    assert not at.exception
    return goto(at, "pages/model.py")


def test_pretrained_template_is_offered_with_its_mode_length_and_time_estimate():
    """The encoder ships with `make install`, so on a set-up machine the template must be usable."""
    assert ENCODER_READY, f"make install should have installed the encoder: {ENCODER_REASON}"
    at = _with_sample("reviews")
    template = at.radio[0]
    assert any(o.startswith("minilm — ") for o in template.options)
    template.set_value("minilm").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["config"].template == "minilm"
    mode = at.radio(key="setting_encoder_mode")
    assert mode.value == "frozen"
    said = texts(at)
    assert "word pieces of each text" in said and "window(s) of" in said  # says what length is read
    assert "Estimated time on" in said
    mode.set_value("fine_tune").run()
    assert not at.exception
    assert at.session_state["config"].settings.encoder_mode == "fine_tune"


def test_automatic_is_preselected_and_names_the_template_it_picked_and_why():
    at = _with_sample("reviews")
    picker = at.radio[0]
    assert picker.value == "automatic" and picker.options[0].startswith("Automatic — ")
    expected = "minilm_ngrams" if ENCODER_READY else "ngram_nb"
    assert at.session_state["config"].template == expected  # the concrete template, as the YAML will say
    said = texts(at)
    assert f"Automatic picked `{expected}`" in said and "fitted in one step" in said
    picker.set_value("ngram_bag").run()  # a template picked by hand stays picked
    assert not at.exception
    assert at.session_state["config"].template == "ngram_bag" and at.radio[0].value == "ngram_bag"
    at.run()
    assert at.radio[0].value == "ngram_bag"
    at.radio[0].set_value("automatic").run()
    assert at.session_state["config"].template == expected


def test_unavailable_encoder_is_greyed_out_with_the_reason(monkeypatch, tmp_path):
    """Without the package (a folder lacking the weights) the template disappears and the reason is shown."""
    monkeypatch.setattr(minilm.encoder, "local_model_dir", lambda: tmp_path)
    monkeypatch.setattr(minilm.encoder, "_hub_reachable", lambda: False)
    from ui import template_picker

    template_picker.template_status.clear()
    try:
        at = _with_sample("reviews")
        assert not any(o.startswith("minilm") for o in at.radio[0].options)
        assert "unavailable here" in texts(at) and "not available" in texts(at)
        assert at.session_state["config"].template == "ngram_nb"  # Automatic falls back, and says why
        assert "Automatic picked `ngram_nb`" in texts(at) and "cannot be used here" in texts(at)
    finally:
        template_picker.template_status.clear()


def test_find_the_best_model_ranks_templates_and_keeps_the_chosen_one():
    from modeling.training.jobs import JOBS

    at = _with_sample("reviews_zh")
    at.slider(key="automl_budget").set_value(60).run()
    at.button(key="automl_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    search = JOBS.get_search(at.session_state["automl_search_id"])
    deadline = time.time() + 240
    while not search.done and time.time() < deadline:
        time.sleep(1)
    assert search.done and search.snapshot()["state"] == "finished", search.snapshot()
    at.run()
    assert not at.exception
    assert "Keyword baseline accuracy" in texts(at)
    table = next(d.value for d in at.dataframe if "template" in d.value.columns)  # the data profile has tables too
    assert {"template", "accuracy", "F1 (macro)"} <= set(table.columns)
    assert len(table) >= 1
    choice = next(r for r in at.radio if r.label.startswith("Model to keep"))
    best = choice.value
    next(b for b in at.button if b.label == "Use this model").click().run()
    assert not at.exception
    run_id = at.session_state["run_id"]
    assert best in run_id  # the chosen template became a normal, selected run
    goto(at, "pages/evaluate.py")
    assert any(m.label == "Accuracy" for m in at.metric)


def test_predict_explains_a_review_with_word_highlights():
    at = goto(app(), "pages/predict.py")
    at.radio(key="predict_task").set_value("text_classification").run()
    at.selectbox(key="predict_run_text_classification").set_value("starter-reviews").run()  # an English model
    at.text_area(key="predict_text").input("Terrible. It broke after two days and support never answered.").run()
    next(b for b in at.button if b.label == "Predict").click().run()
    assert not at.exception, [e.value for e in at.exception]
    highlighted = [m.value for m in at.markdown if "-background[" in m.value]
    assert highlighted, "no word was highlighted"
    assert "broke" in highlighted[0] and "support" in highlighted[0]  # the whole text is shown


def test_evaluate_shows_telling_words_and_explains_a_mistake():
    at = walk("reviews", epochs=2)  # a fresh run: it saves the keyword baseline's telling words
    assert "most telling words" in texts(at).lower()
    assert "No telling words were saved" not in texts(at)
    mistakes = next(s for s in at.selectbox if s.label == "Misclassified text")
    mistakes.set_value(mistakes.options[0]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("-background[" in m.value for m in at.markdown)
