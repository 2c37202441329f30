"""The table predictor's actions: reasons per scored row, the drift check on every batch, what would change one
row's answer, the fairness audit of a saved run and its ranked test rows; old runs keep working."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from modeling.config import default_config
from modeling.data.tabular import dataset_from_table
from modeling.errors import DataError, RunError
from modeling.evaluation.decisions import Decision
from modeling.runs.decision_rules import save_decision
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from modeling.runs.table import drift_check, fairness_audit
from modeling.runs.table.predictor import describe_contribution
from modeling.runs.table.ranked import ranked_for_run
from modeling.training.experiment import run_experiment
from tests.unit.training.table_data import raw_customers, raw_houses


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return RunStore(tmp_path_factory.mktemp("actions"))


@pytest.fixture(scope="module")
def churn_run(store):
    ds = dataset_from_table(raw_customers(500), "churn", roles={"gender": "ignore"}, name="customers")
    config = default_config(ds.task, "session:customers", "boosted_trees")
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"max_rounds": 30})})
    return store.load(run_experiment(config, ds, store=store).name)


@pytest.fixture(scope="module")
def churn(churn_run):
    return load_predictor(churn_run)


def _batch(n: int = 200, seed: int = 7) -> pd.DataFrame:
    """New customers like the training ones (same sign-up period)."""
    return raw_customers(500, seed=seed).sample(n, random_state=seed).reset_index(drop=True).drop(columns=["churn"])


# ---- reasons -----------------------------------------------------------------------------------------------------
def test_every_scored_row_gets_reasons_about_the_columns_people_uploaded(churn):
    batch = churn.score_frame(_batch())
    assert batch.answer_columns[-3:] == ["reason_1", "reason_2", "reason_3"]
    first = batch.frame["reason_1"]
    assert first.str.len().gt(0).mean() > 0.9
    named = first.str.extract(r"^(\w+) = ")[0].dropna()
    assert set(named) <= {"tenure", "contract", "monthly_charges", "senior", "signup"}  # never 'signup_year'
    # The same method as the what-if form: a row's largest push, in the same words.
    row = _batch().iloc[3].to_dict()
    answer = churn.predict_row(row)
    outcome = f"the chance of '{answer.label}'"
    assert batch.frame["reason_1"].iloc[3] == describe_contribution(answer.contributions[0], outcome, False)


def test_a_date_is_explained_under_its_own_name(churn):
    row = {**churn.typical_row(), "signup": "2010-01-01"}
    items = {c.column: c for c in churn.predict_row(row).contributions}
    assert "signup" in items and not any(name.startswith("signup_") for name in items)
    assert items["signup"].value == "2010-01-01"


# ---- drift -------------------------------------------------------------------------------------------------------
def test_a_batch_like_training_reads_as_such(churn):
    report = churn.score_frame(_batch(400)).drift
    assert report["available"] and report["level"] == "none" and report["drifted"] == []
    assert report["summary"].startswith("This file looks like the training data")
    assert {c["column"] for c in report["columns"]} == {"tenure", "contract", "monthly_charges", "senior", "signup"}


def test_drift_in_the_column_the_model_leans_on_most_is_serious(churn):
    batch = _batch(400)
    batch["tenure"] = batch["tenure"] + 60  # every customer suddenly long-standing
    report = churn.score_frame(batch).drift
    assert "tenure" in report["drifted"] and report["level"] == "serious"
    assert "'tenure'" in report["summary"] and "may be off" in report["summary"]
    tenure = next(c for c in report["columns"] if c["column"] == "tenure")
    assert tenure["severity"] == "major" and tenure["importance"] > 0.2


def test_a_file_lacking_the_column_the_model_leans_on_most_says_so(churn):
    with pytest.raises(DataError, match=r"'tenure'.*among the 3 columns the model leans on most"):
        churn.score_frame(_batch().drop(columns=["tenure"]))
    assert set(drift_check.importance_by_column(churn_run_evaluation(churn), churn.preparation)) >= {"signup"}


def churn_run_evaluation(predictor):
    return json.loads((predictor.run_path / "evaluation.json").read_text())


def test_an_old_run_without_a_profile_still_scores_and_says_why_it_cannot_compare(churn_run, store, tmp_path):
    old = store.runs_dir / "old-run"
    shutil.copytree(churn_run.path, old)
    bundle_path = old / "table_model" / "bundle.json"
    bundle = json.loads(bundle_path.read_text())
    del bundle["profile"]
    bundle_path.write_text(json.dumps(bundle))
    predictor = load_predictor(store.load("old-run"))
    batch = predictor.score_frame(_batch(30))
    assert len(batch.frame) == 30 and batch.drift["available"] is False and batch.drift["level"] == "unknown"
    assert "trained before ModelDeck kept a profile" in batch.drift["summary"]
    found = predictor.what_would_change(_batch(1).iloc[0].to_dict(), ["contract"])  # values from the test rows
    assert found.result.evaluated > 1


def test_an_empty_batch_has_no_drift_check(churn):
    empty = _batch(5).iloc[:0]
    assert churn.score_frame(empty).drift is None


# ---- what would change the answer --------------------------------------------------------------------------------
def _risky(churn) -> dict:
    return {**churn.typical_row(), "tenure": 30, "contract": "Month-to-month", "monthly_charges": 95.0}


def test_a_risky_customer_can_be_kept_by_changing_the_contract(churn):
    row = _risky(churn)
    assert churn.predict_row(row, contributions=False).label == "Yes"
    found = churn.what_would_change(row, ["contract", "monthly_charges"])
    assert found.result.found and found.goal == "the answer 'No'"
    assert (
        found.sentence.startswith("Changing 'contract' from Month-to-month to") or "monthly_charges" in found.sentence
    )
    route = found.routes[0]
    assert route["reaches the goal"] is True and "→" in route["changes"]
    changed = {**row, **{c.column: c.new for c in found.result.options[0].changes}}
    assert churn.predict_row(changed, contributions=False).label == "No"  # the route really flips it
    assert found.now.startswith("The model answers 'Yes'")


def test_a_target_chance_is_reached_from_above(churn):
    row = _risky(churn)
    found = churn.what_would_change(row, ["contract"], target=0.3)
    assert found.goal == "a chance of 'No' of at least 70%"
    for option in found.result.options:
        assert option.scores[1] <= 0.3 + 1e-9


def test_yes_no_columns_are_searched_and_written_as_yes_and_no(churn):
    found = churn.what_would_change({**_risky(churn), "senior": "yes"}, ["senior"])
    option = (found.result.options or [found.result.closest])[0]
    assert {option.changes[0].old, option.changes[0].new} == {"yes", "no"}


def test_no_route_says_so_and_shows_the_closest(churn):
    found = churn.what_would_change(_risky(churn), ["senior"], target=0.01)
    assert not found.result.found
    assert found.sentence.startswith("No change of up to three changeable columns reaches")
    assert "The closest:" in found.sentence and found.routes[0]["reaches the goal"] is False


@pytest.mark.parametrize(
    ("changeable", "message"),
    [
        ([], "No column is marked as changeable"),
        (["signup"], "is a date, which cannot be changed"),
        (["age"], "'age' is not a column the model reads"),
    ],
)
def test_nothing_changeable_is_a_sentence(churn, changeable, message):
    with pytest.raises(DataError, match=message):
        churn.what_would_change(_risky(churn), changeable)


def test_a_price_can_be_pushed_to_a_target_value(store):
    ds = dataset_from_table(raw_houses(300), "price", name="houses")
    config = default_config(ds.task, "session:houses", "boosted_trees")
    config = config.model_copy(update={"settings": config.settings.model_copy(update={"max_rounds": 30})})
    predictor = load_predictor(store.load(run_experiment(config, ds, store=store).name))
    row = {**predictor.typical_row(), "city": "Lyon"}
    now = predictor.predict_row(row, contributions=False).value
    found = predictor.what_would_change(row, ["city", "garden"], target=now * 1.5)
    assert found.result.found and found.goal.startswith("a value of at least")
    assert "the estimate becomes" in found.sentence
    with pytest.raises(DataError, match="Say which value"):
        predictor.what_would_change(row, ["city"])


# ---- fairness audit and the ranked list of a saved run -----------------------------------------------------------
def test_the_fairness_choice_is_saved_and_reloaded(churn_run, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    assert fairness_audit.load_choice(folder) is None
    assert fairness_audit.load_choice(folder, ["gender"]) == {"column": "gender", "bands": False}
    fairness_audit.save_choice(folder, "tenure", bands=True)
    assert fairness_audit.load_choice(folder, ["gender"]) == {"column": "tenure", "bands": True}
    fairness_audit.save_choice(folder, None)  # "no audit", chosen on the page, wins over the settings
    assert fairness_audit.load_choice(folder, ["gender"]) is None
    (folder / fairness_audit.FAIRNESS_FILE).write_text("{not json")
    with pytest.raises(RunError, match="damaged"):
        fairness_audit.load_choice(folder)


def test_a_saved_run_is_audited_under_its_current_decision_rule(churn_run):
    report = fairness_audit.audit_run(churn_run, "gender")
    assert {g["group"] for g in report["groups"]} == {"Female", "Male"} and report["positive"] == "Yes"
    before = sum(g["selection_rate"]["value"] * g["n"] for g in report["groups"])
    save_decision(churn_run.path, Decision(threshold=0.9, positive_class="Yes"))
    try:
        strict = fairness_audit.audit_run(churn_run, "gender")
    finally:
        (churn_run.path / "decision.json").unlink()
    after = sum(g["selection_rate"]["value"] * g["n"] for g in strict["groups"])
    assert after < before  # fewer rows flagged at a stricter threshold
    banded = fairness_audit.audit_run(churn_run, "monthly_charges", bands=True)
    assert banded["bands"] and len(banded["groups"]) == 4
    assert "different values" in fairness_audit.audit_run(churn_run, "monthly_charges")["error"]


def test_the_ranked_list_names_rows_by_their_id_and_carries_their_reasons(churn_run):
    ranked = ranked_for_run(churn_run)
    test = churn_run.load_test()
    assert len(ranked) == len(test) and ranked["rank"].tolist() == list(range(1, len(test) + 1))
    assert ranked["chance of Yes"].is_monotonic_decreasing
    assert {"customer_id", "gender", "tenure", "reason_1", "true answer", "decile"} <= set(ranked.columns)
    assert ranked["customer_id"].is_unique and ranked["decile"].iloc[0] == 1 and ranked["decile"].iloc[-1] == 10
    assert ranked["reason_1"].str.contains("the chance of").mean() > 0.9
    assert np.isin(ranked["true answer"], ["Yes", "No"]).all()
