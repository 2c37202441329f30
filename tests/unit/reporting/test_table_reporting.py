"""Regression in words and pictures: the summary in the user's units, the charts, the report, Compare runs."""

from __future__ import annotations

import numpy as np
import pytest

from modeling.config import default_config
from modeling.data.tabular import dataset_from_table
from modeling.evaluation.regression import baseline_entry
from modeling.evaluation.schema import build_regression_evaluation
from modeling.reporting import charts
from modeling.reporting import comparison as cmp
from modeling.reporting.regression_summary import regression_summary
from modeling.reporting.run_report import run_report_html
from modeling.reporting.summary import business_summary
from modeling.runs.store import RunStore
from modeling.training.experiment import run_experiment
from tests.unit.training.table_data import raw_houses


def _cells(html: str, section: str, column: str) -> list[str]:
    """The cells of one column of the first table after ``section`` in a report (unescaped text)."""
    import html as html_lib
    import re

    part = html.split(section, 1)[1]
    table = part[part.index("<table") : part.index("</table>")]
    header = [html_lib.unescape(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", table)]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1])
    at = header.index(column)
    return [html_lib.unescape(re.findall(r"<td[^>]*>(.*?)</td>", row)[at]) for row in rows]


def _evaluation(n: int = 400):
    rng = np.random.default_rng(0)
    y_val, y = rng.normal(200_000, 50_000, 300), rng.normal(200_000, 50_000, n)
    p_val, p = y_val + rng.normal(0, 12_000, 300), y + rng.normal(0, 12_000, n)
    base = {"mean": baseline_entry("mean", "always the mean", y, np.full(n, 200_000.0))}
    ev = build_regression_evaluation(
        y, p, y_validation=y_val, predicted_validation=p_val, baselines=base, target={"name": "price", "currency": "$"}
    )
    return ev


def test_summary_speaks_in_the_users_units():
    ev = _evaluation()
    text = regression_summary(ev, "price", "$")
    assert "its estimates of price are off by about \\$" in text  # $ escaped: Streamlit reads $...$ as maths
    assert "in 10 actual values of price fall inside its 90% range" in text
    assert "smaller errors than always guessing the average price" in text
    # The page's general entry point hands regression to the same sentences.
    assert business_summary(ev, [], "tabular_regression") == text
    assert "\\*" in regression_summary(ev, "*price*", "")  # user text is escaped for Markdown


def test_regression_charts_are_figures_with_titles():
    ev = _evaluation()
    for fig in (
        charts.predicted_vs_actual(ev, "price", "$"),
        charts.residuals_by_prediction(ev, "price"),
        charts.residual_distribution(ev),
    ):
        assert fig.layout.title.text and len(fig.data) >= 1
    empty = charts.importance_chart(None)
    assert empty.layout.annotations  # explains itself instead of an empty plot
    imp = {"metric": "rmse", "columns": [{"column": "<b>size</b>", "importance": 3.0, "low": 1.0, "high": 5.0}]}
    assert "&lt;b&gt;" in charts.importance_chart(imp).data[0].y[0]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("reports"))
    ds = dataset_from_table(raw_houses(300), "price", name="houses")
    runs = []
    for template in ("boosted_trees", "linear"):
        run_dir = run_experiment(default_config(ds.task, "session:houses", template), ds, store=store)
        runs.append(store.load(run_dir.name))
    return runs


def test_regression_report_and_comparison(two_runs):
    html = run_report_html(two_runs[0], now=0)
    for part in ("Headline figures", "Prediction ranges", "The largest misses", "Which columns matter", "RMSE"):
        assert part in html
    figures = [cmp.run_figures(run) for run in two_runs]
    assert all(f.predicts_number and f.rmse > 0 for f in figures)
    sentences = cmp.comparison_sentences(figures, cmp.same_test_set(two_runs))
    assert sentences[0].startswith("The most accurate run is") and "RMSE" in sentences[0]


def test_the_comparison_report_shows_regression_errors_not_accuracy(two_runs):
    from modeling.reporting.compare_report import compare_report_html, compare_table

    figures = [cmp.run_figures(run) for run in two_runs]
    _, rows = compare_table(figures)
    assert [r[0] for r in rows][:4] == ["Typical miss (RMSE)", "95% interval (RMSE)", "Average miss (MAE)", "R²"]
    html = compare_report_html(two_runs, now=0)
    figures_table = html.split("Figures side by side")[-1].split("</table>")[0]  # the section, not the contents
    assert "Typical miss (RMSE)" in figures_table and "Accuracy" not in figures_table


def test_the_regression_report_writes_numbers_as_everywhere_and_names_the_target(two_runs):
    import dataclasses

    ev = dict(two_runs[0].evaluation)
    # Runs saved before the fix wrote the average as Python does: the report writes it again in plain digits.
    old = {**ev["baselines"]["mean"], "description": "Always answers 2.074e+05"}
    ev["baselines"] = {**ev["baselines"], "mean": old}
    html = run_report_html(dataclasses.replace(two_runs[0], evaluation=ev), now=0)
    baseline = html.split("Compared with doing something simple", 1)[1].split("</table>")[0]
    assert "e+0" not in baseline
    average = f"{float(ev['target']['mean']):,.0f}"
    assert f"Always answers {average}, the average of the training rows" in baseline
    data = html.split('id="data"', 1)[1].split("</table>")[0]
    assert "Classes" not in data and "Predicts</td><td>price (a number)" in data


@pytest.fixture(scope="module")
def yes_no_run(tmp_path_factory):
    """A classification table with a yes/no column (garden) and a yes/no target: what a churn table looks like."""
    table = raw_houses(300)
    table["expensive"] = np.where(table["price"] > table["price"].median(), "yes", "no")
    ds = dataset_from_table(table.drop(columns="price"), "expensive", name="houses")
    store = RunStore(tmp_path_factory.mktemp("classes"))
    return store.load(run_experiment(default_config(ds.task, "session:houses", "linear"), ds, store=store).name)


def test_a_table_report_speaks_of_rows_and_quotes_values_as_the_table_wrote_them(yes_no_run):
    html = run_report_html(yes_no_run, now=0)
    assert "rows unlike those" in html and "texts unlike those" not in html
    gardens = _cells(html, "Examples of mistakes", "garden")
    assert gardens and set(gardens) <= {"yes", "no"}  # as written, not 1.0 / 0.0
