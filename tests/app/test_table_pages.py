"""Business tables in the app, page by page: both samples end to end, and the hostile bits of issue 12.

Churn (classification) and house prices (regression) walk Data (target, roles, warnings) -> Model ->
Train (a short training) -> Evaluate -> Predict (what-if and a whole table). Then a leaking column is
flagged and its fix works, a batch file missing a column gets the sentence naming it, the target and the
task can be changed, an Excel sheet can be picked, "predict the log" reaches the settings, and Compare runs
lines up regression runs of different templates. Messages are Markdown-escaped: compared after unescaping.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from modeling.config import default_config
from modeling.data.samples import load_sample, sample_table
from modeling.runs.store import RunStore
from modeling.training.experiment import run_experiment
from tests.app.helpers import (
    app,
    dataframes_with,
    errors,
    goto,
    metric,
    no_exception,
    page_text,
    plain,
    train,
    upload_table,
)


# ---- helpers ------------------------------------------------------------------------------------------------------
def _score(at: AppTest, name: str, df: pd.DataFrame) -> AppTest:
    at.file_uploader(key="table_score_upload").upload(name, df.to_csv(index=False).encode(), "text/csv").run()
    no_exception(at)
    return at


# ---- the two samples, end to end ------------------------------------------------------------------------------
def test_churn_sample_walks_every_page(local_home: Path):
    at = goto(app(), "pages/data.py")
    at.button(key="sample_churn").click().run()
    no_exception(at)
    ds = at.session_state["dataset"]
    assert ds.kind == "table" and ds.task == "tabular_classification" and ds.class_names == ["No", "Yes"]
    assert at.selectbox(key="table_target_sample:churn").value == "churn"
    assert "yes/no values" in page_text(at)  # the reason the task was proposed
    assert metric(at, "Rows").value == "2,500"
    # The column table: one row per column but the target, with its type and an editable role.
    (editor,) = at.data_editor
    columns = editor.value
    assert {"column", "type", "role", "missing", "distinct", "example"} <= set(columns.columns)
    assert "churn" not in columns["column"].tolist() and len(columns) == 20
    assert columns.set_index("column").loc["total_charges", "missing"] == "0.2%"
    # The customer number is an ID, left out from the start; switching a role rebuilds the table without it.
    assert columns.set_index("column").loc["customer", "role"] == "ignore"
    assert "customer" not in at.session_state["dataset"].preparation.input_columns
    row = columns["column"].tolist().index("female")
    at.session_state[editor.key] = {"edited_rows": {row: {"role": "ignore"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    no_exception(at)
    assert "female" not in at.session_state["dataset"].preparation.input_columns
    assert "'female' is now left out" in page_text(at)

    goto(at, "pages/model.py")
    assert at.radio[0].value == "boosted_trees"  # the registry's default for tables
    assert at.button(key="table_search_start")  # Find the best model is there for tables
    at.number_input(key="setting_max_rounds").set_value(20).run()
    no_exception(at)
    cfg = at.session_state["config"]
    assert cfg.template == "boosted_trees" and cfg.settings.max_rounds == 20
    assert cfg.data.target_column == "churn" and cfg.data.columns.get("female") == "ignore"
    assert "Inputs after encoding" in [m.label for m in at.metric]

    train(at)
    assert "Round" in [m.label for m in at.metric]  # trees count boosting rounds, not epochs

    goto(at, "pages/evaluate.py")
    assert {"Accuracy", "F1 (macro)"} <= {m.label for m in at.metric}
    text = page_text(at)
    assert "Which columns matter" in [s.value for s in at.subheader]
    assert "scrambling it raises the error" in text
    mistakes = dataframes_with(at, "model said")
    assert mistakes and "tenure" in mistakes[0].columns  # each mistake with the row's values
    assert at.selectbox(key=f"partial_dependence_{at.session_state['run_id']}").options

    goto(at, "pages/predict.py")
    assert at.radio(key="predict_task").value == "tabular_classification"
    run_id = at.session_state["run_id"]
    before = metric(at, "Prediction")
    before_text = (before.value, str(before.delta))
    at.selectbox(key=f"whatif_{run_id}_contract").set_value("Two year").run()
    no_exception(at)
    after = metric(at, "Prediction")
    assert (after.value, str(after.delta)) != before_text  # one value changed, the answer moved

    raw, _ = sample_table("churn")
    batch = raw.drop(columns=["churn"]).head(40).assign(notes="called twice")
    batch.loc[0, "contract"] = "Three year"  # a category training never saw
    batch.loc[1, "tenure"] = None
    _score(at, "customers.csv", batch)
    text = page_text(at)
    assert "Scored 40 rows" in text
    assert "'notes'" in text and "ignored" in text
    assert "never saw in training" in text
    scored = at.session_state["table_scored"][1]
    assert {"predicted_label", "confidence", "probability_Yes"} <= set(scored.columns)
    assert any(b.label.startswith("Download the scored table") for b in at.get("download_button"))


def test_house_prices_sample_walks_every_page(local_home: Path):
    at = goto(app(), "pages/data.py")
    at.button(key="sample_house_prices").click().run()
    no_exception(at)
    ds = at.session_state["dataset"]
    assert ds.task == "tabular_regression" and ds.target_column == "price"
    assert metric(at, "Task").value == "A number"
    assert "The dates in 'sold' are read as year, month" in page_text(at)

    goto(at, "pages/model.py")
    at.radio[0].set_value("neural_network").run()  # the network's own settings, and its size
    no_exception(at)
    assert at.number_input(key="setting_hidden_units").value == 128
    assert int(metric(at, "Weights (parameters)").value.replace(",", "")) > 1000
    at.radio[0].set_value("linear").run()
    no_exception(at)
    assert at.session_state["config"].template == "linear"
    assert at.number_input(key="setting_regularization")
    assert at.selectbox(key="setting_log_target")  # a regression-only setting, drawn for regression
    train(at)

    goto(at, "pages/evaluate.py")
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["Average miss (MAE)", "Typical miss (RMSE)", "R² (variation explained)", "Average miss in %"]
    text = page_text(at)
    assert text.count("n = 400 test rows, 95% interval") >= 4
    assert "smaller errors than always guessing the average" in text
    assert "its 90% range held the actual price for" in text
    misses = dataframes_with(at, "actual price")
    assert misses and "living_area_sqft" in misses[0].columns
    baselines = dataframes_with(at, "this model's typical miss is")[0]
    assert baselines["model"].tolist()[0] == "This model" and len(baselines) == 3
    assert "Which columns matter" in [s.value for s in at.subheader]

    goto(at, "pages/predict.py")
    run_id = at.session_state["run_id"]
    before = metric(at, "Estimated price").value
    at.number_input(key=f"whatif_{run_id}_living_area_sqft").set_value(4000.0).run()
    no_exception(at)
    after = metric(at, "Estimated price").value
    assert float(after.replace(",", "")) > float(before.replace(",", ""))  # a bigger house costs more
    assert "90% range:" in page_text(at)

    raw, _ = sample_table("house_prices")
    _score(at, "houses.csv", raw.drop(columns=["price"]).head(25))
    scored = at.session_state["table_scored"][1]
    assert {"predicted_price", "low_80", "high_80", "low_90", "high_90"} <= set(scored.columns)
    assert (scored["low_90"] <= scored["low_80"]).all() and (scored["high_80"] <= scored["high_90"]).all()

    goto(at, "pages/runs.py")
    (runs_table,) = dataframes_with(at, "headline")
    assert runs_table["headline"].str.startswith("RMSE").any()


# ---- hostile and special tables ------------------------------------------------------------------------------
def _leaky_table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Customers whose 'account_closed' column is the answer itself (known only after they left)."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 72, n)
    plan = rng.choice(["basic", "plus", "pro"], n)
    monthly = rng.normal(60, 15, n).round(2)
    left = rng.random(n) < 1 / (1 + np.exp(0.05 * tenure - 1.0))
    closed = np.where(rng.random(n) < 0.98, left, ~left)
    return pd.DataFrame(
        {
            "tenure": tenure,
            "plan": plan,
            "monthly": monthly,
            "account_closed": np.where(closed, "yes", "no"),
            "churned": np.where(left, "yes", "no"),
        }
    )


def _leaky_houses() -> pd.DataFrame:
    """The house-price sample with the asking price beside the sale price (1% apart): a leak of a number."""
    raw, _ = sample_table("house_prices")
    noise = np.random.default_rng(0).normal(1.0, 0.01, len(raw))
    return raw.assign(listed_price=(raw["price"] * noise).round(-2))


@pytest.mark.parametrize(
    ("make", "target", "leak", "metric"),
    [(_leaky_table, "churned", "account_closed", "ROC AUC"), (_leaky_houses, "price", "listed_price", "R²")],
)
def test_a_leaking_column_is_flagged_and_its_fix_leaves_it_out(local_home: Path, make, target, leak, metric):
    at = upload_table(goto(app(), "pages/data.py"), "leaky.csv", make())
    assert at.session_state["dataset"].target_column == target
    found = [plain(w.value) for w in at.warning if "almost perfectly" in plain(w.value)]
    assert len(found) == 1 and f"'{leak}'" in found[0] and metric in found[0], [w.value for w in at.warning]
    next(b for b in at.button if plain(b.label) == f"Leave '{leak}' out").click().run()
    no_exception(at)
    assert leak not in at.session_state["dataset"].preparation.input_columns
    assert f"'{leak}' is now left out" in page_text(at)
    assert not [w for w in at.warning if "almost perfectly" in plain(w.value)]
    roles = at.data_editor[0].value.set_index("column")["role"]
    assert roles[leak] == "ignore"


def test_a_batch_missing_a_column_gets_the_sentence_that_names_it(local_home: Path):
    ds = load_sample("house_prices")
    run_experiment(default_config(ds.task, "sample:house_prices", "linear"), ds, store=RunStore(local_home))
    at = goto(app(), "pages/predict.py")
    at.radio(key="predict_task").set_value("tabular_regression").run()
    no_exception(at)
    raw, _ = sample_table("house_prices")
    _score(at, "incomplete.csv", raw.drop(columns=["price", "living_area_sqft"]).head(10))
    said = errors(at)
    assert "lacks 1 column the model needs: 'living_area_sqft'" in said, said
    assert "table_scored" not in at.session_state


def test_target_and_task_can_be_changed_and_a_bad_choice_says_why(local_home: Path):
    at = goto(app(), "pages/data.py")
    at.button(key="sample_house_prices").click().run()
    target = at.selectbox(key="table_target_sample:house_prices")
    target.set_value("overall_quality").run()
    no_exception(at)
    assert at.session_state["dataset"].task == "tabular_classification"  # 10 whole numbers: classes, proposed
    assert "only 10 different whole numbers" in page_text(at)
    at.radio(key="table_task_sample:house_prices_overall_quality").set_value("tabular_regression").run()
    no_exception(at)
    assert at.session_state["dataset"].task == "tabular_regression"
    assert "You chose regression" in page_text(at)
    # A category as a number to predict: refused with the reason, and no stale table stays active.
    at.selectbox(key="table_target_sample:house_prices").set_value("neighborhood").run()
    at.radio(key="table_task_sample:house_prices_neighborhood").set_value("tabular_regression").run()
    no_exception(at)
    assert at.error and "dataset" not in at.session_state


def test_an_excel_sheet_can_be_picked(local_home: Path):
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame({"note": ["read me", "second line"]}).to_excel(writer, sheet_name="About", index=False)
        _leaky_table(120).drop(columns=["account_closed"]).to_excel(writer, sheet_name="Customers", index=False)
    at = goto(app(), "pages/data.py")
    at.file_uploader(key="data_upload").upload("book.xlsx", buffer.getvalue(), "application/vnd.ms-excel").run()
    no_exception(at)
    sheet = next(s for s in at.selectbox if s.label == "Sheet")
    assert sheet.options == ["About", "Customers"]
    sheet.set_value("Customers").run()
    no_exception(at)
    ds = at.session_state["dataset"]
    assert ds.target_column == "churned" and len(ds) == 120
    goto(at, "pages/model.py")
    assert at.session_state["config"].data.sheet == "Customers"


def test_predicting_the_log_reaches_the_settings(local_home: Path):
    rng = np.random.default_rng(3)
    n = 300
    size = rng.gamma(3, 40, n).round(1)
    revenue = (size * 900 * rng.lognormal(0, 0.9, n)).round(0)
    table = pd.DataFrame({"size": size, "region": rng.choice(["north", "south"], n), "revenue": revenue})
    at = upload_table(goto(app(), "pages/data.py"), "shops.csv", table)
    fix = next(b for b in at.button if plain(b.label) == "Predict the log of 'revenue'")
    fix.click().run()
    no_exception(at)
    assert "learns the logarithm of 'revenue'" in page_text(at)
    goto(at, "pages/model.py")
    assert at.session_state["config"].settings.log_target == "yes"
    assert at.selectbox(key="setting_log_target").value == "yes"


@pytest.mark.parametrize("task", ["tabular_regression"])
def test_compare_runs_lines_up_the_table_templates(local_home: Path, task: str):
    ds = load_sample("house_prices")
    store = RunStore(local_home)
    for template, settings in (("linear", {}), ("boosted_trees", {"max_rounds": 15})):
        config = default_config(ds.task, "sample:house_prices", template)
        config = config.model_copy(update={"settings": config.settings.model_copy(update=settings)})
        run_experiment(config, ds, store=store)
    at = goto(app(), "pages/compare.py")
    assert at.radio(key="compare_task").value == task
    (figures,) = dataframes_with(at, "Figure")
    assert figures["Figure"].tolist()[:3] == ["Typical miss (RMSE)", "95% interval (RMSE)", "Average miss (MAE)"]
    assert "most accurate run" in page_text(at)


def test_find_the_best_model_ranks_candidates_and_keeps_the_blend(local_home: Path):
    from modeling.training.jobs import JOBS

    at = goto(app(), "pages/data.py")
    at.button(key="sample_churn").click().run()
    goto(at, "pages/model.py")
    at.slider(key="table_search_budget").set_value(20).run()
    at.button(key="table_search_start").click().run()
    no_exception(at)
    search = JOBS.get_search(at.session_state["table_search_id"])
    deadline = time.time() + 240
    while not search.done and time.time() < deadline:
        time.sleep(0.5)
    assert search.done and search.snapshot()["state"] == "finished", search.snapshot()
    at.run()
    no_exception(at)
    (board,) = dataframes_with(at, "validation log loss (lower is better)")
    assert len(board) >= 2 and "the weighted blend below" in board["what it is"].tolist()
    assert "The blend on the 500 test rows" in page_text(at)
    next(b for b in at.button if b.label == "Use this model").click().run()
    no_exception(at)
    run_id = at.session_state["run_id"]
    assert "Saved as run" in page_text(at)
    run = RunStore(local_home).load(run_id)
    assert run.config.template == "automatic" and run.info.usable
