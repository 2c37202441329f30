"""Business tables: how cells are read, what each column is, which column is the target and which task."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from modeling.data.tabular import (
    CLASSIFICATION,
    REGRESSION,
    ColumnInfo,
    columns_table,
    infer_columns,
    looks_like_table,
    propose_target,
    propose_task,
)
from modeling.data.tabular.columns import infer_column
from modeling.data.tabular.values import (
    ValueFormat,
    detect_boolean_format,
    detect_date_format,
    detect_number_format,
    parse_dates,
    parse_numbers,
    present_text,
)


def text(values) -> pd.Series:
    return pd.Series(values, dtype="str")


def numbers_of(values) -> list[float]:
    series = text(values)
    found, _ = detect_number_format(present_text(series))
    assert found is not None, values
    return [None if np.isnan(v) else round(float(v), 6) for v in parse_numbers(series, found)[0]]


# ---- cells ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1,200", "$1,200", " ", "N/A", "300"], [1200.0, 1200.0, None, None, 300.0]),
        (["€ 3,50", "€ 12,00", "€ 1.234,50", None], [3.5, 12.0, 1234.5, None]),
        (["12%", "3.5%", "100%"], [12.0, 3.5, 100.0]),
        (["(300)", "1,200.50", "-5", "-$5", "$-7"], [-300.0, 1200.5, -5.0, -5.0, -7.0]),
        (["1 234,5", "12,75", "3"], [1234.5, 12.75, 3.0]),
        (["100 USD", "EUR 20", "7"], [100.0, 20.0, 7.0]),
        (["1.234.567", "2.000.000"], [1234567.0, 2000000.0]),
    ],
)
def test_numbers_written_as_text_read_as_numbers(values, expected):
    assert numbers_of(values) == expected


def test_a_number_format_remembers_what_it_saw():
    found, share = detect_number_format(text(["$1,200.50", "$3"]))
    assert share == 1.0
    assert (found.currency, found.thousands, found.decimal) == ("$", ",", ".")
    assert "$" in found.describe()
    assert ValueFormat.from_dict(json.loads(json.dumps(found.to_dict()))) == found


def test_text_that_is_mostly_not_numbers_is_not_a_number_column():
    assert detect_number_format(text(["abc", "1", "2"]))[0] is None


@pytest.mark.parametrize(
    "values", [["yes", "No", "Y", "n"], ["TRUE", "false"], ["1", "0", "1"], ["on", "off"], ["T", "F"]]
)
def test_booleans_in_any_spelling(values):
    found = detect_boolean_format(text(values))
    assert found is not None and found.kind == "boolean"


def test_one_sided_or_foreign_words_are_not_booleans():
    assert detect_boolean_format(text(["yes", "yes"])) is None
    assert detect_boolean_format(text(["yes", "maybe", "no"])) is None


@pytest.mark.parametrize(
    ("values", "date_format", "first"),
    [
        (["2024-01-03", "2024-02-05 10:00"], "ISO8601", "2024-01-03"),
        (["03/04/2024", "13/04/2024"], "%d/%m/%Y", "2024-04-03"),
        (["03/04/2024", "04/13/2024"], "%m/%d/%Y", "2024-03-04"),
        (["31.12.2023", "01.01.2024"], "%d.%m.%Y", "2023-12-31"),
        (["Mar-2018", "Feb-2018"], "%b-%Y", "2018-03-01"),
        (["12 March 2021", "1 April 2021"], "%d %B %Y", "2021-03-12"),
    ],
)
def test_dates_in_the_usual_formats(values, date_format, first):
    found, _ = detect_date_format(text(values))
    assert found is not None and found.date_format == date_format
    parsed, bad = parse_dates(text(values), found)
    assert str(parsed.iloc[0].date()) == first and not bad.any()


def test_ambiguous_day_and_month_are_read_day_first_and_said():
    found, note = detect_date_format(text(["03/04/2024", "04/05/2024"]))
    assert found.date_format == "%d/%m/%Y"
    assert "day/month" in note


def test_times_are_noticed_and_numbers_are_not_dates():
    found, _ = detect_date_format(text(["2024-01-03 10:15", "2024-01-04 08:00"]))
    assert found.has_time
    assert detect_date_format(text(["12", "13", "2024"]))[0] is None


# ---- columns -------------------------------------------------------------------------------------------------
def customers(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "age": [str(x) if i % 17 else "unknown" for i, x in enumerate(rng.integers(18, 80, n))],
            "plan": rng.choice(["basic", "pro", "team"], n),
            "active": rng.choice(["Yes", "no", "Y"], n),
            "spend": [f"${x:,.2f}" if i % 10 else "" for i, x in enumerate(rng.uniform(10, 5000, n))],
            "signup": pd.Series(pd.date_range("2020-01-01", periods=n, freq="37h")).dt.strftime("%d/%m/%Y %H:%M"),
            "notes": [f"the customer wrote a long comment about the service, number {i}" for i in range(n)],
            "empty": [None] * n,
            "const": ["x"] * n,
            "churn": rng.choice(["Yes", "No"], n),
        }
    )


def test_each_column_gets_a_kind_a_role_and_a_reason():
    columns = {c.name: c for c in infer_columns(customers())}
    kinds = {name: c.kind for name, c in columns.items()}
    assert kinds == {
        "customer_id": "id",
        "age": "number",
        "plan": "category",
        "active": "boolean",
        "spend": "number",
        "signup": "datetime",
        "notes": "text",
        "empty": "empty",
        "const": "category",
        "churn": "boolean",
    }
    ignored = {name for name, c in columns.items() if c.role == "ignore"}
    assert ignored == {"customer_id", "notes", "empty", "const"}
    assert "ID" in columns["customer_id"].reason or "ID" in columns["customer_id"].kind_label
    assert columns["spend"].missing_share == pytest.approx(0.1, abs=0.01)
    assert columns["age"].unreadable == 18 and columns["age"].unreadable_examples == ("unknown",)
    assert "read as missing" in columns["age"].reason
    assert columns["plan"].distinct == 3 and columns["active"].distinct == 2
    assert columns["signup"].format.has_time


def test_column_facts_are_json_and_a_table():
    columns = infer_columns(customers(50))
    again = [ColumnInfo.from_dict(json.loads(json.dumps(c.to_dict()))) for c in columns]
    assert again == columns
    table = columns_table(columns)
    assert list(table.columns) == ["column", "type", "role", "missing", "distinct", "example", "why"]
    assert table.loc[table["column"] == "active", "type"].item() == "yes/no"


def test_native_numbers_booleans_and_whole_number_ids():
    df = pd.DataFrame(
        {"row": np.arange(100), "flag": np.tile([0, 1], 50), "amount": np.linspace(0, 1, 100), "ok": [True, False] * 50}
    )
    kinds = {c.name: c.kind for c in infer_columns(df)}
    assert kinds == {"row": "id", "flag": "boolean", "amount": "number", "ok": "boolean"}


def test_example_is_a_readable_value():
    info = infer_column(text(["unknown"] + [str(i) for i in range(40)]), "age")
    assert info.kind == "number" and info.example == "0"


# ---- target and task -----------------------------------------------------------------------------------------
def test_target_is_named_like_one_or_else_the_last_usable_column():
    assert propose_target(customers()) == "churn"
    prices = np.random.default_rng(1).uniform(1e5, 5e5, 30).round()
    df = pd.DataFrame({"a": [1, 2, 3] * 10, "SalePrice": prices, "z": ["u", "v", "w"] * 10})
    assert propose_target(df) == "SalePrice"
    df = pd.DataFrame(
        {"a": np.arange(30.0) % 7, "b": ["x", "y"] * 15, "notes": ["a long free text comment here ok"] * 30}
    )
    assert propose_target(df) == "b"


def test_task_follows_the_target_with_a_reason():
    rng = np.random.default_rng(0)
    price = pd.Series(rng.uniform(1e5, 9e5, 500).round(), name="price")
    proposal = propose_task(price)
    assert proposal.task == REGRESSION
    assert proposal.reason.startswith("'price' holds numbers with 500 different values")
    assert propose_task(pd.Series(["Yes", "No"] * 20, name="churn")).task == CLASSIFICATION
    stars = propose_task(pd.Series([1, 2, 3, 4, 5] * 20, name="stars"))
    assert stars.task == CLASSIFICATION and "Switch to regression" in stars.reason
    species = propose_task(pd.Series(["a", "b", "c"] * 20, name="species"))
    assert species.task == CLASSIFICATION and "3 categories" in species.reason
    dates = propose_task(pd.Series(["2024-01-01", "2024-02-01"] * 20, name="when"))
    assert dates.task is None and "dates" in dates.reason


# ---- table or text -------------------------------------------------------------------------------------------
def test_a_customer_table_is_a_table_and_reviews_are_text():
    is_table, reason = looks_like_table(customers())
    assert is_table and "usable columns" in reason and "notes" in reason
    reviews = pd.DataFrame(
        {
            "review": [f"I really liked this product number {i}, it works well" for i in range(40)],
            "label": ["pos", "neg"] * 20,
        }
    )
    is_table, reason = looks_like_table(reviews)
    assert not is_table and "'review' holds free text" in reason
    assert not looks_like_table(pd.DataFrame({"only": ["a", "b"] * 10}))[0]


def test_a_few_sentences_repeated_are_still_free_text_not_a_category():
    """Five reviews, each 40 times: few distinct values, but sentences; the file is a text task, not a table."""
    sentences = [
        "I love this product, it works great",
        "Terrible quality, it broke after one day",
        "Not bad at all for the price I paid",
        "Would not recommend this to anyone I know",
        "Absolutely perfect, five stars from me",
    ]
    reviews = pd.DataFrame({"text": sentences * 40, "label": ["pos", "neg", "pos", "neg", "pos"] * 40})
    is_table, reason = looks_like_table(reviews)
    assert not is_table and "'text' holds free text" in reason
    assert infer_columns(reviews)[0].kind == "text"
    # Categories of a few words stay categories however the values are spelled.
    payment = ["Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"]
    assert infer_columns(pd.DataFrame({"payment": payment * 50}))[0].kind == "category"


def test_the_shared_imdb_reviews_stay_a_text_task():
    from tests.conftest import SHARED_DATA

    path = SHARED_DATA / "imdb_reviews_2000.csv"
    if not path.exists():
        pytest.skip("../shared/data/imdb_reviews_2000.csv is not on this machine")
    from modeling.data.readers import read_table

    is_table, reason = looks_like_table(read_table(path.read_bytes(), path.name))
    assert not is_table and "'review' holds free text" in reason


def test_record_numbers_and_long_codes_are_ids_but_amounts_are_not():
    """Both built-in samples carry such a column: row numbers of a larger file, and parcel codes."""
    import numpy as np
    import pandas as pd

    from modeling.data.tabular import infer_columns

    rng = np.random.default_rng(0)
    sampled_rows = np.sort(rng.choice(np.arange(1, 7000), 300, replace=False))  # rising, not consecutive
    frame = pd.DataFrame(
        {
            "customer": rng.permutation(sampled_rows),  # named like a record, unique whole numbers
            "row": sampled_rows,  # rising row after row
            "parcel": rng.integers(10**8, 10**10, 300),  # 9-10 digit codes (a repeat is astronomically unlikely)
            "price": rng.choice(np.arange(50_000, 900_000), 300, replace=False),  # unique amounts stay numbers
            "customers": rng.integers(0, 50, 300),  # a count, not an ID
        }
    )
    kinds = {c.name: c.kind for c in infer_columns(frame)}
    assert kinds == {"customer": "id", "row": "id", "parcel": "id", "price": "number", "customers": "number"}


def test_short_one_line_reviews_are_free_text_not_an_id():
    import pandas as pd

    from modeling.data.tabular import infer_columns, looks_like_table

    reviews = [f"text number {i} is {'good' if i % 2 else 'bad'}" for i in range(40)]
    frame = pd.DataFrame({"review": reviews, "stars": [i % 5 for i in range(40)], "sentiment": ["n", "p"] * 20})
    assert {c.name: c.kind for c in infer_columns(frame)}["review"] == "text"
    is_table, reason = looks_like_table(frame)
    assert not is_table and "text task" in reason
