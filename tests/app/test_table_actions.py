"""From a score to an action in the app (issue 21): who to contact first, why, what would change it, is it fair,
is this file like the training one.

One churn run and one house-price run are trained once for the module (short trees) and copied into each
test's workspace, so every test opens the pages on a finished run: Evaluate's gains, ranked list and fairness
blocks, the Predict page's reasons, drift line and counterfactual search, and the bad inputs of the issue (a
sensitive column with hundreds of values or a single group, a file whose columns all drifted, a search with
nothing changeable, an old run without a training profile).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from modeling.config import default_config
from modeling.data.samples import load_sample, sample_table
from modeling.runs.store import RunStore
from modeling.training.experiment import run_experiment
from tests.app.helpers import app, dataframes_with, errors, goto, no_exception, page_text, plain

pytestmark = pytest.mark.slow


def _train(store: RunStore, key: str, **data: object) -> str:
    ds = load_sample(key)
    config = default_config(ds.task, f"sample:{key}", "boosted_trees")
    config = config.model_copy(
        update={
            "settings": config.settings.model_copy(update={"max_rounds": 30}),
            "data": config.data.model_copy(update=data),
        }
    )
    return run_experiment(config, ds, store=store).name


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    """The churn and house-price runs, trained once; each test gets a copy in its own workspace."""
    store = RunStore(tmp_path_factory.mktemp("actions"))
    churn = _train(store, "churn", sensitive_columns=["senior_citizen"])
    houses = _train(store, "house_prices")
    return {"churn": store.runs_dir / churn, "house_prices": store.runs_dir / houses}


def _home(trained: dict[str, Path], local_home: Path, key: str) -> Path:
    """Copy the ``key`` run into this test's workspace; its folder there."""
    runs = RunStore(local_home).runs_dir
    runs.mkdir(parents=True, exist_ok=True)
    target = runs / trained[key].name
    shutil.copytree(trained[key], target)
    return target


def _predict_page(task: str = "tabular_classification") -> AppTest:
    at = goto(app(), "pages/predict.py")
    at.radio(key="predict_task").set_value(task).run()
    no_exception(at)
    return at


def _score(at: AppTest, name: str, df: pd.DataFrame) -> AppTest:
    at.file_uploader(key="table_score_upload").upload(name, df.to_csv(index=False).encode(), "text/csv").run()
    no_exception(at)
    return at


def _subheaders(at: AppTest) -> list[str]:
    return [s.value for s in at.subheader]


# ---- Evaluate ------------------------------------------------------------------------------------------------------
def test_churn_evaluate_shows_who_to_contact_first_with_a_ranked_list(trained, local_home: Path):
    run_dir = _home(trained, local_home, "churn")
    at = goto(app(), "pages/evaluate.py")
    assert "Who to contact first" in _subheaders(at)
    lift = next(m for m in at.metric if m.label == "Top-tenth lift")
    assert float(lift.value.rstrip("x")) > 1.0  # the model's top tenth beats a random list
    text = page_text(at)
    assert "with the highest scores reaches" in text and "95% interval" in text
    (ranked,) = dataframes_with(at, "chance of Yes")
    assert ranked.columns[:3].tolist() == ["rank", "decile", "chance of Yes"]
    assert "customer" in ranked.columns  # the ID left out of the model names each row
    assert ranked["chance of Yes"].is_monotonic_decreasing
    assert ranked["reason_1"].str.contains(" = ").all() and ranked["reason_1"].str.contains("chance of").all()
    assert any(b.label == "Download the ranked list (CSV)" for b in at.get("download_button"))
    ev = json.loads((run_dir / "evaluation.json").read_text())
    assert ev["gains"]["positive"] == "Yes" and ev["explained_rows"]["rows"][0]["rank"] == 1


def test_fairness_for_a_chosen_column_is_saved_with_the_run(trained, local_home: Path):
    run_dir = _home(trained, local_home, "churn")
    at = goto(app(), "pages/evaluate.py")
    assert "Is it fair?" in _subheaders(at)
    rid = run_dir.name
    box = at.selectbox(key=f"fairness_column_{rid}")
    assert box.value == "senior_citizen"  # the settings named it
    assert "customer" in box.options  # left out of the model, still auditable
    text = page_text(at)
    assert "points" in text and "Demographic parity difference" in text
    (groups,) = dataframes_with(at, "How often each group gets it")
    assert set(groups["senior_citizen"]) == {"0", "1"} and groups["rows"].sum() == 500
    assert not [c for c in at.checkbox if str(c.key).startswith("fairness_bands_")]  # no bands of a yes/no

    box.set_value("female").run()
    no_exception(at)
    assert json.loads((run_dir / "fairness.json").read_text()) == {"column": "female", "bands": False}
    assert "'female'" in page_text(at)

    at = goto(app(), "pages/evaluate.py")  # a new session: the choice came back with the run
    assert at.selectbox(key=f"fairness_column_{rid}").value == "female"

    from modeling.reporting.run_report import run_report_html

    html = run_report_html(RunStore(local_home).load(rid))
    assert "Is it fair?" in html and "Groups of 'female'" in html and "Who to contact first" in html


def test_a_column_with_hundreds_of_values_gets_a_sentence_and_numbers_can_be_banded(trained, local_home: Path):
    run_dir = _home(trained, local_home, "churn")
    rid = run_dir.name
    at = goto(app(), "pages/evaluate.py")
    at.selectbox(key=f"fairness_column_{rid}").set_value("customer").run()
    no_exception(at)
    warned = " ".join(plain(w.value) for w in at.warning)
    assert "different values" in warned and "at most 20" in warned

    at.selectbox(key=f"fairness_column_{rid}").set_value("tenure").run()
    assert "different values" in " ".join(plain(w.value) for w in at.warning)
    at.checkbox(key=f"fairness_bands_{rid}_tenure").check().run()
    no_exception(at)
    (groups,) = dataframes_with(at, "How often each group gets it")
    assert len(groups) == 4 and all(" to " in g for g in groups["tenure"])
    assert json.loads((run_dir / "fairness.json").read_text()) == {"column": "tenure", "bands": True}


def test_a_single_group_gets_a_sentence(trained, local_home: Path):
    run_dir = _home(trained, local_home, "churn")
    from modeling.data.dataset import Dataset

    test = Dataset.load_npz(str(run_dir / "test.npz"))
    test.frame["phone_service"] = 1.0  # every test row in one group
    test.save_npz(str(run_dir / "test.npz"))
    at = goto(app(), "pages/evaluate.py")
    at.selectbox(key=f"fairness_column_{run_dir.name}").set_value("phone_service").run()
    no_exception(at)
    assert "no second group to compare with" in " ".join(plain(w.value) for w in at.warning)


def test_house_prices_evaluate_shows_where_the_errors_are(trained, local_home: Path):
    _home(trained, local_home, "house_prices")
    at = goto(app(), "pages/evaluate.py")
    assert "Where the errors are" in _subheaders(at)
    assert "over-estimates" in page_text(at) or "under-estimates" in page_text(at) or "evenly" in page_text(at)
    titles = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("by tenth of the estimates" in spec for spec in titles)


# ---- Predict ---------------------------------------------------------------------------------------------------------
def test_a_scored_file_has_reasons_and_a_drift_line(trained, local_home: Path):
    _home(trained, local_home, "churn")
    at = _predict_page()
    raw, _ = sample_table("churn")
    _score(at, "customers.csv", raw.drop(columns=["churn"]).sample(300, random_state=4))
    said = plain(" ".join(s.value for s in at.success))
    assert "Compared with the training data" in said and "looks like the training data" in said
    scored = at.session_state["table_scored"][1]
    assert {"reason_1", "reason_2", "reason_3"} <= set(scored.columns)
    assert scored["reason_1"].str.match(r"^[a-z_]+ = .+ \(typical .+\) (raises|lowers) the chance of '(Yes|No)'").all()
    (preview,) = dataframes_with(at, "reason_1")
    assert preview.columns[0] == "predicted_label"  # the answers first, the reasons with them
    assert at.expander and any("Drift per column" in e.label for e in at.expander)
    assert any(b.label == "Download the drift check (HTML)" for b in at.get("download_button"))


def test_a_file_whose_columns_all_drifted_is_flagged(trained, local_home: Path):
    _home(trained, local_home, "churn")
    at = _predict_page()
    rng = np.random.default_rng(0)
    raw, _ = sample_table("churn")
    batch = raw.drop(columns=["churn"]).sample(400, random_state=1).reset_index(drop=True)
    for column in batch.columns:  # every column moved far from training
        if pd.api.types.is_numeric_dtype(batch[column]):
            batch[column] = batch[column] * 7 + 1000
        else:
            batch[column] = rng.choice(["unheard of", "brand new"], len(batch))
    _score(at, "strange.csv", batch)
    warned = plain(" ".join(w.value for w in at.warning))
    assert "Every column drifted" in warned and "should not be trusted" in warned
    assert len(at.session_state["table_scored"][1]) == 400  # scored all the same: nothing is lost


def test_an_old_run_without_a_profile_still_scores_and_says_so(trained, local_home: Path):
    run_dir = _home(trained, local_home, "churn")
    bundle_path = run_dir / "table_model" / "bundle.json"
    bundle = json.loads(bundle_path.read_text())
    bundle.pop("profile")
    bundle_path.write_text(json.dumps(bundle))
    at = _predict_page()
    raw, _ = sample_table("churn")
    _score(at, "customers.csv", raw.drop(columns=["churn"]).head(50))
    assert "trained before ModelDeck kept a profile" in plain(" ".join(i.value for i in at.info))
    assert len(at.session_state["table_scored"][1]) == 50


def test_what_would_change_the_answer_for_one_customer(trained, local_home: Path):
    run_dir = _home(trained, local_home, "churn")
    rid = run_dir.name
    at = _predict_page()
    at.button(key=f"changes_search_{rid}").click().run()  # nothing marked changeable
    no_exception(at)
    assert "No column is marked as changeable" in errors(at)

    at.selectbox(key=f"whatif_{rid}_contract").set_value("Month-to-month").run()
    at.number_input(key=f"whatif_{rid}_tenure").set_value(2).run()
    at.multiselect(key=f"changes_columns_{rid}").set_value(["contract", "payment_method", "tech_support"]).run()
    at.button(key=f"changes_search_{rid}").click().run()
    no_exception(at)
    said = plain(" ".join(s.value for s in at.success) + " ".join(w.value for w in at.warning))
    assert said.startswith("Changing") or "No change of up to three" in said, said
    (routes,) = dataframes_with(at, "changes")
    assert {"changes", "new answer", "reaches the goal"} <= set(routes.columns)
    assert "Tried" in page_text(at)

    at.number_input(key=f"whatif_{rid}_tenure").set_value(3).run()  # another row: the old answer disappears
    assert not dataframes_with(at, "changes")


def test_what_would_change_a_house_price(trained, local_home: Path):
    run_dir = _home(trained, local_home, "house_prices")
    rid = run_dir.name
    at = _predict_page("tabular_regression")
    at.multiselect(key=f"changes_columns_{rid}").set_value(["overall_quality", "garage_cars"]).run()
    at.button(key=f"changes_search_{rid}").click().run()  # no value to reach yet
    assert "Say which value the estimate should reach" in errors(at)
    at.number_input(key=f"changes_target_{rid}").set_value(400000.0).run()
    at.button(key=f"changes_search_{rid}").click().run()
    no_exception(at)
    said = plain(" ".join(s.value for s in at.success) + " ".join(w.value for w in at.warning))
    assert "the estimate becomes" in said, said
