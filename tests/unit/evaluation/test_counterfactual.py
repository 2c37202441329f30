"""Counterfactuals on toy models whose flips are known: the cheapest route, 'not changeable', no flip, budget."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modeling.errors import DataError
from modeling.evaluation import counterfactual as cf
from modeling.evaluation import drift


def churn_risk(frame: pd.DataFrame) -> np.ndarray:
    """Leaves when on a monthly contract with a short tenure or a high bill; age adds risk but cannot change."""
    monthly = frame["contract"].to_numpy(object) == "Month-to-month"
    risk = (
        0.15
        + 0.35 * monthly
        + 0.25 * (frame["tenure"].to_numpy() < 12)
        + 0.004 * np.clip(frame["charges"].to_numpy() - 60, 0, None)
        + 0.2 * (frame["age"].to_numpy() > 60)
    )
    risk = np.clip(risk, 0, 1)
    return np.c_[1 - risk, risk]


ROW = pd.DataFrame(
    {
        "contract": pd.Series(["Month-to-month"], dtype="str"),
        "tenure": [3.0],
        "charges": [95.0],
        "age": [70.0],
    }
)
CANDIDATES = {
    "contract": ["Month-to-month", "One year", "Two year"],
    "tenure": [1.0, 6.0, 12.0, 24.0, 48.0],
    "charges": [20.0, 40.0, 60.0, 80.0, 100.0],
    "age": [25.0, 40.0, 55.0, 70.0],
}
STAY = cf.Goal(class_index=0, names=("No", "Yes"))


def test_the_smallest_change_that_flips_the_answer_is_found():
    start = churn_risk(ROW)[0, 1]  # 0.15 + 0.35 + 0.25 + 0.14 + 0.2 = 1.09 -> 1.0
    assert start == 1.0
    result = cf.counterfactuals(churn_risk, ROW, ["contract", "tenure", "charges"], CANDIDATES, STAY)
    assert result.found and not result.already
    best = result.options[0]
    # One change is not enough (the most any one removes is 0.35); two are: a contract and a longer tenure.
    assert len(best.changes) == 2 and {c.column for c in best.changes} == {"contract", "tenure"}
    assert best.reached and best.scores[0] > best.scores[1]
    assert [(c.old, c.new) for c in best.changes if c.column == "tenure"] == [(3.0, 12.0)]  # the nearest that works
    assert all(o.cost >= best.cost for o in result.options)
    assert len({frozenset(c.column for c in o.changes) for o in result.options}) == len(result.options)
    sentence = cf.describe_result(result, markdown=False)
    assert (
        sentence.startswith("Changing 'contract' from Month-to-month to ") and "the chance of 'No' becomes" in sentence
    )


def test_columns_not_marked_changeable_are_never_changed():
    result = cf.counterfactuals(churn_risk, ROW, ["contract", "tenure", "charges"], CANDIDATES, STAY)
    assert all(c.column != "age" for o in [*result.options, result.closest] if o for c in o.changes)
    lower = cf.Goal(class_index=0, threshold=0.4, names=("No", "Yes"))  # risk 0.6 or less: two changes needed
    without_age = cf.counterfactuals(churn_risk, ROW, ["contract"], CANDIDATES, lower)
    assert not without_age.found
    with_age = cf.counterfactuals(churn_risk, ROW, ["age", "contract"], CANDIDATES, lower)
    assert with_age.found and {c.column for c in with_age.options[0].changes} == {"age", "contract"}


def test_a_probability_target_and_a_value_target():
    below = cf.Goal(class_index=1, threshold=None, names=("No", "Yes"))
    assert cf.counterfactuals(churn_risk, ROW, ["tenure"], CANDIDATES, below).already
    safe = cf.Goal(class_index=0, threshold=0.6, names=("No", "Yes"))  # risk 0.4 or less: three changes
    result = cf.counterfactuals(churn_risk, ROW, ["contract", "tenure", "charges", "age"], CANDIDATES, safe)
    assert result.found and result.options[0].scores[0] >= 0.6 and len(result.options[0].changes) == 3
    assert "at least 60%" in cf.describe_result(cf.counterfactuals(churn_risk, ROW, ["tenure"], CANDIDATES, safe))
    impossible = cf.Goal(class_index=0, threshold=0.8, names=("No", "Yes"))  # would need all four columns
    assert not cf.counterfactuals(
        churn_risk, ROW, ["contract", "tenure", "charges", "age"], CANDIDATES, impossible
    ).found

    def price(frame):
        return 1000.0 * frame["size"].to_numpy() + np.where(frame["city"].to_numpy(object) == "Paris", 50_000.0, 0.0)

    house = pd.DataFrame({"size": [80.0], "city": pd.Series(["Lyon"], dtype="str")})
    goal = cf.Goal(at_least=120_000.0)
    result = cf.counterfactuals(price, house, ["size", "city"], {"size": [60.0, 100.0, 140.0], "city": ["Paris"]}, goal)
    assert [(c.column, c.new) for c in result.options[0].changes] == [("size", 140.0)]  # one change beats two
    assert cf.describe_option(result.options[0], goal, "$", markdown=False).endswith("the estimate becomes $140,000.")
    assert cf.describe_option(result.options[0], goal, "$").endswith("the estimate becomes \\$140,000.")  # Markdown


def test_no_flip_says_so_and_shows_the_closest():
    result = cf.counterfactuals(churn_risk, ROW, ["charges"], CANDIDATES, STAY)
    assert not result.found and result.options == []
    # Any bill up to 60 helps as much (the risk stops falling there): the nearest of them is the closest option.
    assert result.closest is not None and result.closest.changes[0].new == 60.0
    sentence = cf.describe_result(result, markdown=False)
    assert sentence.startswith("No change of up to three changeable columns reaches the answer 'No'.")
    assert "The closest: changing 'charges' from 95 to 60" in sentence


def test_nothing_changeable_is_a_sentence():
    with pytest.raises(DataError, match="No column is marked as changeable"):
        cf.counterfactuals(churn_risk, ROW, [], CANDIDATES, STAY)
    with pytest.raises(DataError, match="has other values to try"):
        cf.counterfactuals(churn_risk, ROW, ["contract"], {"contract": ["Month-to-month"]}, STAY)
    with pytest.raises(DataError, match="not a column"):
        cf.counterfactuals(churn_risk, ROW, ["salary"], CANDIDATES, STAY)
    with pytest.raises(DataError, match="one row at a time"):
        cf.counterfactuals(churn_risk, pd.concat([ROW, ROW]), ["tenure"], CANDIDATES, STAY)


def test_the_budget_bounds_the_calls_to_the_model():
    rows = []

    def counted(frame):
        rows.append(len(frame))
        return churn_risk(frame)

    many = {"tenure": list(np.linspace(0, 11, 40)), "charges": list(np.linspace(61, 200, 40)), **{"contract": []}}
    result = cf.counterfactuals(counted, ROW, ["tenure", "charges", "contract"], many, STAY, budget=100)
    assert sum(rows) <= 100 and result.evaluated == sum(rows) and result.budget_spent
    assert "within the search budget" in cf.describe_result(result)
    assert result.skipped == ["contract"]


def test_candidates_from_training_rows_and_from_a_saved_profile_agree():
    rng = np.random.default_rng(0)
    train = pd.DataFrame(
        {
            "tenure": rng.integers(0, 72, 5000).astype(float),
            "charges": rng.normal(70, 20, 5000),
            "contract": pd.Series(rng.choice(["Month-to-month", "One year", "Two year"], 5000), dtype="str"),
        }
    )
    direct = cf.candidates_from_frame(train, ["tenure", "charges", "contract"])
    saved = cf.candidates_from_profile(drift.profile_table(train), ["tenure", "charges", "contract"])
    assert all(float(v).is_integer() for v in direct["tenure"] + saved["tenure"])
    assert np.allclose(direct["tenure"], saved["tenure"], atol=2)
    assert np.allclose(direct["charges"], saved["charges"], rtol=0.02)
    assert 2 <= len(direct["charges"]) <= cf.GRID_POINTS and min(direct["charges"]) > train["charges"].min()
    assert sorted(direct["contract"]) == sorted(saved["contract"]) == ["Month-to-month", "One year", "Two year"]
