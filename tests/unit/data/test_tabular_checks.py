"""Business tables: warnings with one-click fixes, the leakage check, and every hostile table in the issue."""

from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
import pytest

from modeling.data.readers import excel_sheets, read_table
from modeling.data.tabular import (
    REGRESSION,
    check_table,
    dataset_from_table,
    infer_columns,
    prediction_power,
)
from modeling.data.tabular.power import roc_auc
from modeling.errors import DataError
from tests.unit.data.test_tabular_inference import customers


def codes(warnings) -> dict[str, list]:
    out: dict[str, list] = {}
    for w in warnings:
        out.setdefault(w.code, []).append(w)
    return out


# ---- leakage -------------------------------------------------------------------------------------------------
def test_a_column_that_gives_the_answer_away_is_flagged_with_its_score():
    df = customers(600)
    df["cancelled_on"] = np.where(df["churn"] == "Yes", "2024-03-01", "")
    df["noise"] = np.random.default_rng(3).normal(size=len(df))
    columns = infer_columns(df)
    power = prediction_power(df, columns, "churn", "tabular_classification")
    assert power["cancelled_on"] > 0.99
    assert 0.35 < power["noise"] < 0.65 and 0.35 < power["plan"] < 0.65
    found = codes(check_table(df, columns, "churn", power=power))
    leak = found["leakage"]
    assert [w.column for w in leak] == ["cancelled_on"]
    assert leak[0].fix.action == "ignore_column" and "ROC AUC 1.00" in leak[0].message


def test_regression_leakage_is_measured_with_r2():
    rng = np.random.default_rng(0)
    grade = rng.choice(list("ABCDEFG"), 2000)
    rate = pd.Series(grade).map(dict(zip("ABCDEFG", [5, 8, 11, 14, 18, 22, 26], strict=True))) + rng.normal(
        0, 0.3, 2000
    )
    df = pd.DataFrame({"grade": grade, "income": rng.lognormal(10, 1, 2000), "rate": rate})
    columns = infer_columns(df)
    power = prediction_power(df, columns, "rate", REGRESSION)
    assert power["grade"] > 0.95 and abs(power["income"]) < 0.05
    leak = codes(check_table(df, columns, "rate", REGRESSION, power=power))["leakage"]
    assert leak[0].column == "grade" and "R²" in leak[0].message


def test_roc_auc_matches_scikit_learn_with_ties():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 500)
    score = np.round(rng.random(500) + 0.3 * y, 1)
    assert roc_auc(y == 1, score) == pytest.approx(roc_auc_score(y, score))


def test_the_leakage_check_is_not_quadratic_in_columns():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(3000, 1000)), columns=[f"x{i}" for i in range(1000)])
    df["y"] = rng.integers(0, 2, 3000)
    columns = infer_columns(df)
    start = time.perf_counter()
    power = prediction_power(df, columns, "y", "tabular_classification")
    assert len(power) == 1000 and time.perf_counter() - start < 30  # generous: a shared 2-core machine


# ---- other warnings ------------------------------------------------------------------------------------------
def test_column_warnings_follow_the_current_roles():
    df = customers(300)
    columns = infer_columns(df)
    found = codes(check_table(df, columns, "churn"))
    assert found["id_column"][0].severity == "info" and found["id_column"][0].fix.action == "use_column"
    assert "empty_column" in found and "constant_column" in found and "free_text" in found
    assert found["unreadable_cells"][0].column == "age"
    switched = [c.with_role("use") if c.name == "customer_id" else c for c in columns]
    id_warning = codes(check_table(df, switched, "churn"))["id_column"][0]
    assert id_warning.severity == "warning" and id_warning.fix.action == "ignore_column"


def test_target_warnings_missing_rows_small_classes_and_imbalance():
    rng = np.random.default_rng(0)
    outcome = np.where(rng.random(1000) < 0.03, "won", "lost").astype(object)
    outcome[:4] = None
    outcome[4:7] = "pending"
    df = pd.DataFrame({"x": rng.normal(size=1000), "size": rng.choice(["s", "m"], 1000), "outcome": outcome})
    found = codes(check_table(df, infer_columns(df), "outcome"))
    assert "4 rows have no value" in found["target_missing"][0].message
    assert "'pending' (3)" in found["small_classes"][0].message
    ds = dataset_from_table(df, "outcome")
    assert len(ds) == 996 and any("4 rows without a value" in n for n in ds.notes)


def test_a_heavy_tailed_target_suggests_the_log_in_its_own_units():
    rng = np.random.default_rng(0)
    price = np.concatenate([rng.uniform(100_000, 300_000, 980), rng.uniform(2_000_000, 5_000_000, 20)])
    df = pd.DataFrame({"rooms": rng.integers(1, 6, 1000), "price": [f"${p:,.0f}" for p in price]})
    heavy = codes(check_table(df, infer_columns(df), "price", REGRESSION))["heavy_tail"][0]
    assert heavy.fix.action == "log_target"
    assert "largest 1% of 'price' are over" in heavy.message and "$" in heavy.message


def test_duplicate_rows_are_counted_and_can_be_removed():
    df = customers(200)
    df = pd.concat([df, df.head(30)], ignore_index=True)
    dup = codes(check_table(df, infer_columns(df), "churn"))["duplicate_rows"][0]
    assert dup.message.startswith("30 rows are exact copies") and dup.fix.action == "drop_duplicates"
    ds = dataset_from_table(df, "churn", drop_duplicates=True)
    assert len(ds) == 200 and any("30 rows that repeated" in n for n in ds.notes)


def test_few_rows_are_warned_about():
    df = customers(40)
    assert "few_rows" in codes(check_table(df, infer_columns(df), "churn"))


# ---- hostile and broken tables (the list) -----------------------------------------------------------
def test_mixed_types_in_one_column_read_the_majority_and_count_the_rest():
    values = [str(i) for i in range(95)] + ["n/a", "twelve", "?", "lots", "x"]
    df = pd.DataFrame({"mixed": values, "y": ["a", "b"] * 50})
    info = next(c for c in infer_columns(df) if c.name == "mixed")
    assert info.kind == "number" and info.unreadable == 3  # 'n/a' and '?' are blanks, not mistakes
    ds = dataset_from_table(df, "y")
    assert ds.frame["mixed"].isna().sum() == 5 and any("'mixed' 3" in n for n in ds.notes)
    half = pd.DataFrame({"mixed": [str(i) for i in range(50)] + ["word"] * 50, "y": ["a", "b"] * 50})
    assert next(c for c in infer_columns(half) if c.name == "mixed").kind == "category"


def test_a_numeric_target_with_text_in_a_few_cells_drops_and_counts_them():
    rng = np.random.default_rng(0)
    price = [f"{p:.0f}" for p in rng.uniform(100, 900, 400)]
    price[3], price[50] = "call us", "TBD"
    df = pd.DataFrame({"size": rng.uniform(20, 200, 400), "price": price})
    ds = dataset_from_table(df, "price", task=REGRESSION)
    assert len(ds) == 398
    assert any(
        "2 rows whose target 'price' is not a number (e.g. 'call us', 'TBD') were left out" in n for n in ds.notes
    )
    many = df.copy()
    many.loc[:100, "price"] = "ask"
    with pytest.raises(DataError, match="should hold numbers, but 101 rows of 400 hold something else"):
        dataset_from_table(many, "price", task=REGRESSION)


def test_all_empty_columns_and_infinite_values():
    rng = np.random.default_rng(0)
    x = rng.normal(size=100)
    x[[1, 2]] = [np.inf, -np.inf]
    df = pd.DataFrame({"blank": [""] * 100, "nothing": [np.nan] * 100, "x": x, "y": rng.normal(size=100)})
    kinds = {c.name: (c.kind, c.role) for c in infer_columns(df)}
    assert kinds["blank"] == ("empty", "ignore") and kinds["nothing"] == ("empty", "ignore")
    ds = dataset_from_table(df, "y")
    assert list(ds.frame.columns) == ["x"] and ds.frame["x"].isna().sum() == 2
    assert np.isfinite(ds.frame["x"].dropna()).all()
    assert any("'x' 2" in n for n in ds.notes)
    inf_target = pd.DataFrame({"x": rng.normal(size=100), "y": np.r_[np.inf, rng.normal(size=99)]})
    ds = dataset_from_table(inf_target, "y", task=REGRESSION)
    assert len(ds) == 99 and np.isfinite(ds.labels).all()


def test_a_category_with_100000_values_is_left_out_or_grouped():
    n = 100_000
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"session": [f"s{i}x{i % 7}" for i in range(n)], "city": rng.choice(["a", "b"], n)})
    df["session"] = df["session"].where(np.arange(n) % 3 > 0, "shared")  # not unique, so not an ID
    df["y"] = rng.integers(0, 2, n)
    info = next(c for c in infer_columns(df) if c.name == "session")
    assert info.role == "ignore" and "too many to learn from" in info.reason
    ds = dataset_from_table(df, "y", roles={"session": "use"})
    assert len(ds.preparation.categories["session"]) == 200
    assert ds.frame["session"].nunique() == 201
    assert any("grouped as '(other)'" in n for n in ds.notes)


def test_two_thousand_columns():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(200, 1999)), columns=[f"c{i}" for i in range(1999)])
    df["y"] = rng.integers(0, 2, 200)
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    table = read_table(buf.getvalue().encode(), "wide.csv")
    ds = dataset_from_table(table, "y")
    assert ds.frame.shape == (200, 1999)
    assert check_table(table, infer_columns(table), "y") is not None


def test_a_constant_target_says_there_is_nothing_to_predict():
    df = pd.DataFrame({"x": range(50), "y": ["same"] * 50})
    with pytest.raises(DataError, match="same value"):
        dataset_from_table(df, "y")
    with pytest.raises(DataError, match="same value"):
        dataset_from_table(pd.DataFrame({"x": range(50), "y": [3.5] * 50}), "y", task=REGRESSION)
    unusable = codes(check_table(df, infer_columns(df), "y"))
    assert "target_unusable" in unusable or "constant" in str(unusable)


def test_dates_that_do_not_parse():
    dates = [f"2024-01-{d:02d}" for d in range(1, 29)] * 4 + ["31/02/2024", "soon", "2024-13-01"]
    df = pd.DataFrame({"when": dates, "y": ["a", "b"] * 57 + ["a"]})
    info = next(c for c in infer_columns(df) if c.name == "when")
    assert info.kind == "datetime" and info.unreadable == 3
    ds = dataset_from_table(df, "y")
    assert ds.frame["when_year"].isna().sum() == 3
    junk = pd.DataFrame({"when": ["soon", "later", "2024-01-01"] * 20, "y": ["a", "b"] * 30})
    assert next(c for c in infer_columns(junk) if c.name == "when").kind == "category"


def _workbook_with_merged_header_and_formulas() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Sales"
    sheet.append(["Quarterly sales report"])
    sheet.append([])
    sheet.append(["Shop", "Revenue", None, "Total"])
    sheet.merge_cells("B3:C3")
    sheet.append(["Name", "Q1", "Q2", "Sum"])
    for i in range(12):
        sheet.append([f"shop {i}", 100 + i, 200 + i, f"=B{i + 5}+C{i + 5}"])
    book.create_sheet("Notes").append(["written by hand"])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_an_excel_file_with_a_title_merged_header_cells_formulas_and_sheets():
    data = _workbook_with_merged_header_and_formulas()
    assert excel_sheets(data, "sales.xlsx") == ["Sales", "Notes"]
    df = read_table(data, "sales.xlsx")
    assert list(df.columns) == ["Shop Name", "Revenue Q1", "Revenue Q2", "Total Sum"]
    assert len(df) == 12 and df["Revenue Q1"].iloc[0] == 100
    notes = " ".join(df.attrs["notes"])
    assert "2 sheets" in notes and "'Quarterly sales report'" in notes and "skipped" in notes
    assert "span two rows" in notes and "12 formulas in the sheet had no saved result" in notes
    with pytest.raises(DataError, match="no rows of data"):
        read_table(data, "sales.xlsx", sheet="Notes")
    with pytest.raises(DataError, match="no sheet called 'Nope'"):
        read_table(data, "sales.xlsx", sheet="Nope")


def test_a_parquet_file_with_nested_columns():
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "id": list(range(20)),
            "address": [{"city": "Oslo" if i % 2 else "Rome", "zip": 1000 + i} for i in range(20)],
            "tags": [["a", "b"][: i % 3] for i in range(20)],
            "spend": [float(i) for i in range(20)],
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    df = read_table(buf.getvalue(), "nested.parquet")
    assert "address.city" in df.columns and "address.zip" in df.columns and "tags" not in df.columns
    notes = " ".join(df.attrs["notes"])
    assert "split into one column per field" in notes and "'tags'" in notes and "left out" in notes


def test_a_config_picks_the_excel_sheet(tmp_path):
    from openpyxl import Workbook

    from modeling.data.sources import load_source

    book = Workbook()
    book.active.title = "Readme"
    book.active.append(["This workbook holds the deals on the next sheet."])
    deals = book.create_sheet("Deals")
    deals.append(["region", "size", "won"])
    for i in range(60):
        deals.append(["north" if i % 3 else "south", 1000 + 10 * i, "yes" if i % 2 else "no"])
    path = tmp_path / "deals.xlsx"
    book.save(path)
    ds = load_source(str(path), target_column="won", sheet="Deals")
    assert ds.kind == "table" and ds.class_names == ["no", "yes"] and len(ds) == 60
    assert any("2 sheets" in n for n in ds.notes)
    with pytest.raises(DataError, match="no sheet called"):
        load_source(str(path), target_column="won", sheet="Deal")
