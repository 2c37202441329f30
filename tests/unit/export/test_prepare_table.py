"""The table exports' ``prepare_table.py`` reads raw rows exactly as ModelDeck does.

The replica (``modeling/export/shipped/prepare_table.py``, shipped in every table export and embedded in
every table run's script) is compared with the app's own path on the same file: ``read_table`` ->
``TablePreparation.prepare`` -> ``TableEncoder.codes`` / ``dense``: the file as read, the feature frame,
both model inputs and the counts of what was handled must be equal, on every row of both table samples
(their test rows included) and on a table written every awkward way the app reads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modeling.data.readers.tables import read_table
from modeling.data.samples import TABLE_SAMPLES, sample_table
from modeling.data.tabular import dataset_from_table
from modeling.export.shipped import prepare_table
from modeling.templates.tabular.encoding import TableEncoder


def _same_as_the_app(path, preparation, encoder) -> tuple[pd.DataFrame, dict]:
    """Run both paths on ``path``; assert every intermediate result is equal; return the frame and report."""
    raw = prepare_table.read_table(path)
    app_raw = read_table(path.read_bytes(), path.name)
    pd.testing.assert_frame_equal(raw, app_raw)
    frame, report = prepare_table.Preparation(preparation.to_dict()).prepare(raw)
    app = preparation.prepare(app_raw)
    pd.testing.assert_frame_equal(frame, app.frame)
    twin = prepare_table.Encoder(encoder.to_json())
    assert np.array_equal(twin.codes(frame), encoder.codes(app.frame), equal_nan=True)
    dense = twin.dense(frame)
    assert dense.dtype == np.float32 and np.array_equal(dense, encoder.dense(app.frame))
    assert report["blanks"] == app.blanks
    assert report["unseen"] == app.unseen
    assert report["unreadable"] == app.unreadable
    assert report["extra_columns"] == app.extra_columns
    assert report["renamed"] == app.renamed
    return frame, report


@pytest.mark.parametrize("key", ["churn", "house_prices"])
def test_every_row_of_both_samples_is_read_as_the_app_reads_it(key):
    df, target = sample_table(key)
    dataset = dataset_from_table(df, target)
    frame, report = _same_as_the_app(TABLE_SAMPLES[key][0], dataset.preparation, TableEncoder.fit(dataset.frame))
    assert len(frame) == len(df) >= 2000  # the test split is a subset of these rows
    assert report["blanks"]  # both samples have real blanks, so the missing-value path ran


def _awkward_training_table(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "price": [f"${v:,.2f}" for v in rng.uniform(900, 5000, n)],  # currency + thousands separators
            "discount": [f"{v:.0f}%" for v in rng.uniform(0, 30, n)],
            "balance": [f"({v:.0f})" if i % 4 == 0 else f"{v:.0f}" for i, v in enumerate(rng.uniform(1, 99, n))],
            "member": rng.choice(["Yes", "No"], n),
            "signup": [
                f"{d}/{m}/20{y:02d}"
                for d, m, y in zip(
                    rng.integers(13, 28, n), rng.integers(1, 12, n), rng.integers(10, 23, n), strict=True
                )
            ],
            "visit": [
                f"2024-0{m}-1{d} {h:02d}:30"
                for m, d, h in zip(rng.integers(1, 9, n), rng.integers(0, 9, n), rng.integers(0, 23, n), strict=True)
            ],
            "plan": rng.choice(["basic", "Plus", "premium", "N/A"], n),
            "zip": rng.choice([75001.0, 69002.0, np.nan], n),  # a category written as numbers, with blanks
            "churn": rng.choice(["yes", "no"], n),
        }
    )


def test_a_table_written_every_awkward_way_is_read_as_the_app_reads_it(tmp_path):
    train = _awkward_training_table()
    train.loc[3, "price"] = "unknown"  # an unreadable cell
    dataset = dataset_from_table(train, "churn")
    kinds = {c.name: c.format.kind for c in dataset.preparation.columns}
    assert kinds["price"] == "number" and kinds["member"] == "boolean" and kinds["signup"] == "datetime"
    encoder = TableEncoder.fit(dataset.frame)
    later = _awkward_training_table(25).drop(columns=["churn"])
    later.loc[0, "plan"] = "PREMIUM"  # another case than in training: the same category
    later.loc[1, "plan"] = "gold"  # never seen in training
    later.loc[2, "price"] = "1200"  # written another way than in training
    later.loc[3, "price"] = "€ 3.50"
    later.loc[4, "member"] = "maybe"  # neither yes nor no
    later.loc[5, "signup"] = "2021-03-04"  # year-month-day where training wrote day/month/year
    later.loc[6, "discount"] = ""
    later["comment"] = "not used"
    later = later.rename(columns={"signup": "Signup"})  # matched despite the case
    path = tmp_path / "later.csv"
    later.to_csv(path, index=False)
    frame, report = _same_as_the_app(path, dataset.preparation, encoder)
    assert frame.loc[0, "plan"] == "premium" and report["unseen"] == {"plan": 1}
    assert report["extra_columns"] == ["comment"] and report["renamed"] == {"Signup": "signup"}
    assert report["unreadable"].get("member") == 1
    assert frame.loc[2, "price"] == 1200.0 and frame.loc[3, "price"] == 3.5


def test_a_semicolon_file_with_decimal_commas_is_read_as_the_app_reads_it(tmp_path):
    rng = np.random.default_rng(5)
    n = 40
    table = pd.DataFrame(
        {
            "amount": [f"{v:.2f}".replace(".", ",") for v in rng.uniform(1, 900, n)],
            "region": rng.choice(["Nord", "Süd"], n),
            "label": rng.choice(["a", "b"], n),
        }
    )
    path = tmp_path / "semicolons.csv"
    table.to_csv(path, sep=";", index=False)
    dataset = dataset_from_table(read_table(path.read_bytes(), path.name), "label")
    assert dataset.preparation.columns[0].format.decimal == ","
    frame, _ = _same_as_the_app(path, dataset.preparation, TableEncoder.fit(dataset.frame))
    assert frame["amount"].between(1, 900).all()


def test_a_missing_column_is_named(tmp_path):
    df, target = sample_table("churn")
    dataset = dataset_from_table(df, target)
    with pytest.raises(ValueError, match=r"lacks 1 column.*'tenure'"):
        prepare_table.Preparation(dataset.preparation.to_dict()).prepare(df.drop(columns=["tenure"]))
