"""A forecast run in words and pictures: the summary paragraph, the charts, the HTML report; other kinds unchanged."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest

from modeling.config import ExperimentConfig
from modeling.data.series.dataset import series_dataset
from modeling.reporting import charts
from modeling.reporting.forecast_summary import forecast_summary, outlook_sentence
from modeling.reporting.run_report import run_report_html
from modeling.reporting.summary import business_summary
from modeling.reporting.task_words import task_words
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore, default_store
from modeling.training.experiment import run_experiment
from tests.unit.forecast.conftest import seasonal_panel


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("forecast-report"), starters=None)
    table = seasonal_panel(series=3, periods=48, freq="MS", season=12)
    dataset = series_dataset(table, "date", "units", ["shop"], ["promo"], name="shops", source="session:shops")
    config = ExperimentConfig(
        task="forecasting",
        template="automatic_forecast",
        data={"source": "session:shops"},
        settings={"horizon": 6, "candidates": ["seasonal_naive", "auto_theta"]},
    )
    return store.load(run_experiment(config, dataset, store=store).name)


def test_the_outlook_is_one_sentence_an_email_can_hold(run):
    sentence = outlook_sentence(run.evaluation)
    assert re.match(
        r"Over the next 6 months the 3 shops should total [\d,]+ units \(80% range [\d,]+–[\d,]+\)", sentence
    )
    assert "a year earlier" in sentence and "the peak is" in sentence and sentence.endswith(".")


def test_the_summary_says_error_lift_lean_coverage_and_why(run):
    text = forecast_summary(run.evaluation)
    naive = run.evaluation["baselines"]["seasonal_naive"]["wape"]
    assert "off (WAPE)" in text and f"({100 * naive:.1f}% off)" in text
    assert "range held" in text and "Why this forecast:" in text and "serves worst is 'shop" in text
    assert business_summary(run.evaluation, [], run.task) == text  # the generic entry point dispatches here


def test_task_words_answer_series(run):
    words = task_words(run.task, run.evaluation)
    assert words.answers == "series" and words.noun == "dated values" and not words.predicts_number


def test_the_charts_draw_one_series_the_total_errors_coverage_and_models(run):
    predictor = load_predictor(run)
    forecast = predictor.forecast()
    one = charts.forecast_chart(predictor.history, predictor.backtest, forecast, "shop 1", "units")
    names = {trace.name for trace in one.data}
    assert {"what happened", "forecast", "80% range", "90% range"} <= names
    assert any(name and name.startswith("backtest forecast") for name in names)
    total = charts.forecast_chart(
        predictor.history, predictor.backtest, forecast, None, "units", predictor.total(forecast)
    )
    assert "80% range" in {trace.name for trace in total.data}
    assert "all series" in total.layout.title.text
    missing = charts.forecast_chart(predictor.history, None, forecast, "nowhere", "units")
    assert missing.layout.annotations and "No such series" in missing.layout.annotations[0].text
    for figure in (
        charts.series_error_chart(run.evaluation),
        charts.range_coverage_chart(run.evaluation),
        charts.model_comparison_chart(run.evaluation),
    ):
        assert isinstance(figure, go.Figure) and figure.data and figure.layout.title.text


def test_the_report_renders_with_its_summary_and_sections(run):
    html = run_report_html(run, now=0)
    assert "forecast report" in html and "Over the next 6 months" in html
    for heading in ("The forecast", "Every model on the same backtest", "Ranges and how often they hold"):
        assert heading in html
    assert "python -m modeling code" in html and "Seasonal naive" in html


def test_a_classification_run_still_gets_its_own_report():
    starter = default_store().load("starter-digits")
    html = run_report_html(starter, now=0)
    assert "Accuracy on unseen data" in html and "forecast report" not in html


def test_the_model_card_speaks_of_a_forecast_not_of_classes(run):
    from modeling.reporting.model_card import model_card_markdown

    card = model_card_markdown(run)
    assert "forecasts units over time" in card and "WAPE (% off)" in card and "seasonal naive:" in card
    assert "classes" not in card.lower().split("## limitations")[0]
