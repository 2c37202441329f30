"""Reasons per row: the what-if's contributions for many rows, named by the columns people uploaded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modeling.data.tabular import dataset_from_table
from modeling.errors import DataError
from modeling.evaluation import reasons


def churn_table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A raw churn export: risk from a short tenure and a monthly contract; a date and a yes/no column."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "tenure": rng.integers(1, 72, n),
            "contract": rng.choice(["Month-to-month", "One year", "Two year"], n),
            "senior": rng.choice(["yes", "no"], n),
            "signup": pd.date_range("2020-01-01", periods=n, freq="3D").strftime("%Y-%m-%d"),
        }
    )
    risk = (df["tenure"] < 12) * 1.0 + (df["contract"] == "Month-to-month") * 1.0
    df["churn"] = np.where(risk + rng.normal(0, 0.3, n) > 1, "Yes", "No")
    return df


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny predictions on a busy 2-core machine: OpenMP's thread start-up would dwarf the work itself."""
    import sklearn.ensemble  # noqa: F401  (loads OpenMP, so the limit below reaches it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def churn_predictor():
    """A real table predictor (trees through ModelDeck's encoder and preparation), trained in a fraction of a second."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from modeling.runs.table.predictor import TablePredictor
    from modeling.templates.tabular.encoding import TableEncoder
    from modeling.templates.tabular.model import Member, TableModel

    ds = dataset_from_table(churn_table(), "churn")
    encoder = TableEncoder.fit(ds.frame)
    trees = HistGradientBoostingClassifier(max_iter=30, categorical_features=encoder.categorical_mask, random_state=0)
    trees.fit(encoder.codes(ds.frame), ds.labels)
    model = TableModel(ds.task, ds.class_names, encoder, [Member("trees", trees)], "boosted_trees")
    return TablePredictor(model, {"preparation": ds.preparation.to_dict()}, target_name="churn")


def test_reasons_for_one_row_equal_the_what_ifs_contributions(churn_predictor):
    predictor = churn_predictor
    raw = churn_table(5, seed=9).drop(columns=["churn"])
    frame = predictor.features(raw)[0]
    columns = reasons.input_columns(frame, predictor.preparation)
    for i in range(len(raw)):
        answer = predictor.predict_row(raw.iloc[i].to_dict())
        label = predictor.class_names.index(answer.label)
        result = reasons.contributions(
            lambda f: predictor.predict(f, prepared=True),
            frame.iloc[[i]],
            predictor.model.encoder.typical_row(),
            columns,
            classes=label,
        )
        expected = {c.column: c.change for c in answer.contributions}
        for j, column in enumerate(result.columns):
            if column.form != "date":
                assert result.change[0, j] == pytest.approx(expected[column.name], abs=1e-12)
        assert result.base[0] == pytest.approx(answer.probabilities[answer.label])


def test_many_rows_give_the_same_answer_as_one_at_a_time_and_chunks_do_not_matter(churn_predictor):
    predictor = churn_predictor
    frame = predictor.features(churn_table(40, seed=3).drop(columns=["churn"]))[0]
    columns = reasons.input_columns(frame, predictor.preparation)
    typical = reasons.typical_features(predictor.preparation)
    calls = []

    def predict(f):
        calls.append(len(f))
        return predictor.predict(f, prepared=True)

    whole = reasons.contributions(predict, frame, typical, columns, classes=1, chunk=25)
    assert max(calls[1:]) <= 25 and len(calls) > 2  # the variants went in bounded batches
    single = reasons.contributions(predict, frame.iloc[[7]], typical, columns, classes=1)
    assert np.allclose(whole.change[7], single.change[0])
    assert [c.name for c in whole.columns] == ["tenure", "contract", "senior", "signup"]  # input columns, not parts


def test_reasons_speak_of_the_uploaded_date_column_not_its_parts():
    frame = pd.DataFrame({"signup_year": [2019.0, 2021.0], "signup_month": [3.0, 6.0], "signup_day": [5.0, 15.0]})
    typical = {"signup_year": 2021.0, "signup_month": 6.0, "signup_day": 15.0}
    date = reasons.InputColumn("signup", tuple(frame.columns), "date", ("year", "month", "day"))

    def predict(f):  # older customers are riskier: two points per year before 2021
        risk = np.clip(0.5 + 0.02 * (2021 - f["signup_year"].to_numpy()), 0, 1)
        return np.c_[1 - risk, risk]

    result = reasons.contributions(predict, frame, typical, [date], classes=1)
    assert result.change[:, 0] == pytest.approx([0.04, 0.0])
    texts = reasons.reason_columns(result, outcome="the risk")
    assert texts.loc[0, "reason_1"] == "signup = 2019-03-05 (typical 2021-06-15) raises the risk by 4 points"
    assert texts.loc[1, "reason_1"] == ""  # a typical row has no reason
    assert "signup_year" not in " ".join(texts["reason_1"])


def test_reason_words_for_numbers_categories_yes_no_and_money():
    frame = pd.DataFrame(
        {
            "sqft": [3100.0, 1500.0],
            "city": pd.Series(["Paris", "Lyon"], dtype="str"),
            "garden": [1.0, np.nan],
        }
    )
    typical = {"sqft": 1500.0, "city": "Lyon", "garden": 0.0}
    columns = [
        reasons.InputColumn("sqft", ("sqft",)),
        reasons.InputColumn("city", ("city",), "category"),
        reasons.InputColumn("garden", ("garden",), "boolean"),
    ]

    def price(f):
        return (
            100_000
            + 30.0 * f["sqft"].to_numpy()
            + np.where(f["city"].to_numpy(object) == "Paris", 50_000.0, 0.0)
            + np.where(f["garden"].to_numpy() == 1.0, 8_000.0, 0.0)
        )

    result = reasons.contributions(price, frame, typical, columns)
    assert result.regression and result.change[0] == pytest.approx([48_000.0, 50_000.0, 8_000.0])
    assert result.change[1] == pytest.approx([0.0, 0.0, 0.0])  # a blank yes/no vs 'no': same price here
    out = reasons.reason_columns(result, outcome="the price", currency="$")
    assert out.columns.tolist() == ["reason_1", "reason_2", "reason_3"]
    assert out.loc[0].tolist() == [
        "city = Paris (typical Lyon) raises the price by $50,000",
        "sqft = 3100 (typical 1500) raises the price by $48,000",
        "garden = yes (typical no) raises the price by $8,000",
    ]
    assert out.loc[1].tolist() == ["", "", ""]


def test_classes_default_to_each_rows_answer_and_are_checked():
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0]})

    def predict(f):
        x = f["x"].to_numpy()
        p = np.clip(0.2 + 0.3 * x, 0, 1)
        return np.c_[1 - p, p]

    result = reasons.contributions(predict, frame, {"x": 1.0})
    assert result.classes.tolist() == [0, 0, 1]  # each row's most likely class (a tie goes to the first)
    assert result.change[:, 0] == pytest.approx([0.3, 0.0, 0.3])  # row 0: 'No' at 0.8 vs 0.5 when typical
    words = reasons.reason_columns(result, class_names=["No", "Yes"], k=1)["reason_1"].tolist()
    assert words == ["x = 0 (typical 1) raises the chance of 'No' by 30 points", "", words[2]]
    assert words[2].endswith("raises the chance of 'Yes' by 30 points")
    with pytest.raises(DataError, match="one of the model's 2 classes"):
        reasons.contributions(predict, frame, {"x": 1.0}, classes=2)
    with pytest.raises(DataError, match="typical value"):
        reasons.contributions(predict, frame, {"y": 1.0})
