"""Compare runs and the Evaluate page's Share block, driven through Streamlit's AppTest."""

from __future__ import annotations

from tests.app.helpers import app, goto, texts
from tests.fake_runs import copy_starter


def test_compare_page_explains_what_it_needs(local_home):
    at = goto(app(), "pages/compare.py")
    assert at.title[0].value == "Compare runs"
    assert "Comparing needs at least two finished runs of the same task" in texts(at)


def test_compare_page_shows_two_runs_side_by_side(local_home):
    copy_starter(local_home, "20990101-000000-ngram_bag-aaaaaa", 0.03, "Reviews, step 0.03")
    copy_starter(local_home, "20990101-000001-ngram_bag-bbbbbb", 0.001, "Reviews, step 0.001")
    at = goto(app(), "pages/compare.py")
    picker = at.multiselect(key="compare_runs_text_classification")
    assert sorted(picker.value) == ["20990101-000000-ngram_bag-aaaaaa", "20990101-000001-ngram_bag-bbbbbb"]
    said = texts(at)
    assert "The most accurate run is" in said
    assert "1 setting differs between these runs" in said
    frames = [df.value for df in at.dataframe]
    figures = next(f for f in frames if "Figure" in f.columns)
    assert {"Accuracy", "95% interval", "Training time", "Model file size"} <= set(figures["Figure"])
    diff = next(f for f in frames if "Setting" in f.columns)
    assert list(diff["Setting"]) == ["settings.learning_rate"]
    assert at.download_button(key="share_compare_html").label == "Download the report (HTML)"

    picker.set_value(["20990101-000000-ngram_bag-aaaaaa"]).run()
    assert not at.exception
    assert "Pick at least two runs." in texts(at)

    # The starter joins as a third run: three columns of figures.
    picker.set_value(["20990101-000000-ngram_bag-aaaaaa", "20990101-000001-ngram_bag-bbbbbb", "starter-reviews"]).run()
    assert not at.exception
    figures = next(df.value for df in at.dataframe if "Figure" in df.value.columns)
    assert len(figures.columns) == 4


def test_evaluate_page_offers_the_report(local_home):
    from modeling.reporting.pdf import pdf_unavailable_reason

    at = goto(app(), "pages/evaluate.py")
    at.selectbox(key="run_picker").set_value("starter-reviews").run()
    assert not at.exception
    html_button = at.download_button(key="share_run_html")
    assert html_button.label == "Download the report (HTML)"
    reason = pdf_unavailable_reason()
    if reason:
        assert reason in texts(at)
        return
    next(b for b in at.button if b.label == "Make a PDF").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.download_button(key="share_run_pdf").label == "Download the report (PDF)"
