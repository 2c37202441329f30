"""Small synthetic business tables for the table tests: numbers, categories, blanks, a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd

from modeling.data.dataset import Dataset


def raw_houses(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A raw table as a user uploads it: a price driven by size and city, a useless column, blanks."""
    rng = np.random.default_rng(seed)
    size = rng.gamma(4, 30, n)
    city = rng.choice(["Paris", "Lyon", "Nice"], n)
    garden = rng.choice(["yes", "no"], n)
    noise = rng.normal(size=n)
    price = (1000 * size * np.where(city == "Paris", 2.0, 1.0) + 20_000 * (garden == "yes")) * rng.lognormal(0, 0.08, n)
    sizes = [f"{v:,.0f}" for v in size]
    for i in range(0, n, 17):
        sizes[i] = ""  # blanks in a number column
    return pd.DataFrame({"size": sizes, "city": city, "garden": garden, "noise": noise, "price": price.round(0)})


def frame_dataset(n: int = 400, seed: int = 0, regression: bool = True) -> Dataset:
    """A table Dataset built directly (typed frame: floats with NaN, strings with missing), no data side."""
    rng = np.random.default_rng(seed)
    size = rng.gamma(4, 30, n)
    city = rng.choice(["A", "B", "C"], n)
    noise = rng.normal(size=n)
    value = size * np.where(city == "A", 2.0, 1.0) + rng.normal(0, 5, n)
    frame = pd.DataFrame({"size": size, "city": pd.Series(city, dtype="str"), "noise": noise})
    frame.loc[::13, "size"] = np.nan
    frame.loc[::11, "city"] = None
    if regression:
        return Dataset(kind="table", name="synthetic", labels=value, class_names=[], frame=frame, target_column="value")
    labels = (value > np.median(value)).astype(int)
    return Dataset(
        kind="table", name="synthetic", labels=labels, class_names=["low", "high"], frame=frame, target_column="high"
    )


def raw_customers(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A raw churn export: leaving follows a short tenure and a monthly contract; an ID, a date, a yes/no column and
    a 'gender' the model may be asked to leave out (and still be audited on)."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 72, n)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.5, 0.25, 0.25])
    monthly = rng.normal(70, 20, n).round(2)
    risk = 1.5 * (tenure < 12) + 1.2 * (contract == "Month-to-month") + 0.01 * (monthly - 70)
    churn = np.where(risk + rng.normal(0, 0.5, n) > 1.2, "Yes", "No")
    return pd.DataFrame(
        {
            "customer_id": [f"C-{100_000 + 7 * i}" for i in range(n)],
            "tenure": tenure,
            "contract": contract,
            "monthly_charges": monthly,
            "senior": rng.choice(["yes", "no"], n, p=[0.2, 0.8]),
            "gender": rng.choice(["Female", "Male"], n),
            "signup": pd.date_range("2019-01-01", periods=n, freq="2D").strftime("%Y-%m-%d"),
            "churn": churn,
        }
    )
