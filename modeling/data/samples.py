"""Built-in sample datasets, so a newcomer can train something before owning any data.

``digits`` ships with scikit-learn (works offline) and is reshaped to look like MNIST, so a model
trained on it behaves like one trained on MNIST when people draw digits on the Predict page.
``mnist`` needs one download; ``reviews`` is a small CSV shipped in ``sample_data/``. ``churn`` and
``house_prices`` are business tables (real public data, origin in ``sample_data/README.md``): one
classification, one regression, both with categories and missing values. ``chicago_rides`` is a time series
(20 stations, weekly, two known-ahead columns) read with the roles a forecasting upload would be proposed.
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path

import numpy as np
import pandas as pd

from modeling.data import tabular
from modeling.data.dataset import Dataset
from modeling.data.images import mnist_style
from modeling.data.readers import dataset_from_arrays, dataset_from_table, read_table
from modeling.data.sample_catalog import SAMPLES, SampleInfo  # noqa: F401 - SampleInfo re-exported
from modeling.data.series.dataset import proposed_roles, series_dataset
from modeling.errors import DataError
from modeling.settings import REPO_ROOT

REVIEWS_PATH = REPO_ROOT / "sample_data" / "reviews.csv"
REVIEWS_ZH_PATH = REPO_ROOT / "sample_data" / "reviews_zh.csv"
#: Business-table samples: file and the column each predicts (origin and licence: sample_data/README.md).
TABLE_SAMPLES: dict[str, tuple[Path, str]] = {
    "churn": (REPO_ROOT / "sample_data" / "churn.csv", "churn"),
    "house_prices": (REPO_ROOT / "sample_data" / "house_prices.csv", "price"),
}
#: Time-series samples: file and the column each forecasts (read with the roles an upload would be proposed).
SERIES_SAMPLES: dict[str, tuple[Path, str]] = {
    "chicago_rides": (REPO_ROOT / "sample_data" / "chicago_rides.csv", "rides"),
}
#: Every sample shipped as a table file (what :func:`sample_table` reads), whatever it becomes.
FILE_SAMPLES = {**TABLE_SAMPLES, **SERIES_SAMPLES}

MNIST_OFFLINE_MESSAGE = (
    "MNIST needs an internet connection to download it once (11 MB), and this machine is offline. "
    "Use 'Handwritten digits' instead, or upload your own .npz."
)


def _mnist_cache_path() -> Path:
    """Where Keras keeps the downloaded MNIST file ($KERAS_HOME or ~/.keras, then datasets/)."""
    home = os.environ.get("KERAS_HOME") or os.path.join("~", ".keras")
    return Path(home).expanduser() / "datasets" / "mnist.npz"


@functools.lru_cache(maxsize=1)
def _online(host: str = "storage.googleapis.com", port: int = 443, timeout: float = 1.5) -> bool:
    """Whether the MNIST download server can be reached; asked once per process, never at import."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def sample_status(key: str) -> tuple[bool, str]:
    """(available, reason) for a sample; the reason is a sentence for the user when it is not available."""
    if key not in SAMPLES:
        return False, f"There is no built-in sample called '{key}'. Choose one of: {', '.join(SAMPLES)}."
    if key == "mnist":
        if _mnist_cache_path().exists() or _online():
            return True, ""
        return False, MNIST_OFFLINE_MESSAGE
    if key == "reviews" and not REVIEWS_PATH.exists():
        return False, (
            "The reviews sample (sample_data/reviews.csv) is missing from this installation. "
            "Upload your own CSV with a text and a label column instead."
        )
    if key in FILE_SAMPLES and not FILE_SAMPLES[key][0].exists():
        return False, (
            f"The {SAMPLES[key].title.lower()} sample (sample_data/{FILE_SAMPLES[key][0].name}) is missing from this "
            "installation. Upload your own table instead."
        )
    if key == "reviews_zh" and not REVIEWS_ZH_PATH.exists():
        return False, (
            "The Chinese reviews sample (sample_data/reviews_zh.csv) is missing from this installation. "
            "Upload your own CSV with a text and a label column instead."
        )
    return True, ""


def load_sample(key: str) -> Dataset:
    """The built-in sample ``key`` as a Dataset; DataError when it is unknown or cannot be had."""
    if key not in SAMPLES:
        raise DataError(f"There is no built-in sample called '{key}'. Choose one of: {', '.join(SAMPLES)}.")
    if key == "digits":
        return load_digits_sample()
    if key == "mnist":
        return _load_mnist()
    if key in FILE_SAMPLES:
        df, target = sample_table(key)
        return _TABLE_FILE_DATASETS[SAMPLES[key].kind](df, target, SAMPLES[key].title, f"sample:{key}")
    if key == "reviews_zh":
        return reviews_from_file(REVIEWS_ZH_PATH, key="reviews_zh")
    return reviews_from_file(REVIEWS_PATH)


# ---- digits -----------------------------------------------------------------------------------------
def digits_to_mnist(images8: np.ndarray) -> np.ndarray:
    """scikit-learn 8x8 digits (0..16, dark ink = high) -> (N, 28, 28) uint8 white-on-black, MNIST-style.

    Each digit is scaled to 0..255, cropped to its ink, fitted into a 20x20 box keeping its aspect
    ratio, and centred by mass in a 28x28 field: the same steps the Predict page applies to drawings.
    """
    images8 = np.asarray(images8, dtype=np.float64)
    if images8.ndim != 3:
        raise ValueError(f"expected (N, 8, 8) digit images, got shape {images8.shape}")
    scaled = np.clip(np.rint(images8 * (255.0 / 16.0)), 0, 255).astype(np.uint8)
    out = np.zeros((len(scaled), 28, 28), dtype=np.uint8)
    for i, digit in enumerate(scaled):
        out[i] = mnist_style(digit, box=20, size=28)
    return out


def _raw_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled digits as ((1797, 8, 8) values 0..16, (1797,) labels).

    Read straight from the file scikit-learn ships (the one ``load_digits`` reads), because importing
    ``sklearn.datasets`` takes over a second; ``load_digits`` itself is the fallback.
    """
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / "datasets" / "data" / "digits.csv.gz"
        try:
            with gzip.open(path, "rt") as fh:
                table = np.loadtxt(fh, delimiter=",")
        except (OSError, ValueError, EOFError):
            continue
        if table.ndim == 2 and table.shape[1] == 65:
            return table[:, :64].reshape(-1, 8, 8), table[:, 64].astype(np.int64)
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return np.asarray(bunch.images), np.asarray(bunch.target, dtype=np.int64)


def load_digits_sample() -> Dataset:
    """sklearn's bundled 1,797 digits as an MNIST-style image Dataset (28x28x1, classes '0'..'9')."""
    raw, target = _raw_digits()
    images = digits_to_mnist(raw)
    return Dataset(
        kind="image",
        name=SAMPLES["digits"].title,
        labels=target,
        class_names=[str(i) for i in range(10)],
        images=images[..., None],
        source="sample:digits",
        notes=["scikit-learn's 8x8 digits, upscaled into 28x28 MNIST-style images (white ink on black)."],
    )


# ---- MNIST ------------------------------------------------------------------------------------------
def dataset_from_mnist_arrays(train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray]) -> Dataset:
    """Keras' ((x_train, y_train), (x_test, y_test)) -> one 70,000-image Dataset (ModelDeck makes its own split)."""

    (x_train, y_train), (x_test, y_test) = train, test
    x_train, x_test = np.asarray(x_train), np.asarray(x_test)
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataError(
            f"The MNIST training and test images differ in shape ({x_train.shape[1:]} vs {x_test.shape[1:]}); "
            "delete the downloaded file ~/.keras/datasets/mnist.npz and try again."
        )
    images = np.concatenate([x_train, x_test])
    labels = np.concatenate([np.asarray(y_train).ravel(), np.asarray(y_test).ravel()])
    dataset = dataset_from_arrays(images, labels, name=SAMPLES["mnist"].title, source="sample:mnist")
    dataset.notes.append(
        f"MNIST's own training ({len(x_train):,}) and test ({len(x_test):,}) images were joined; "
        "ModelDeck keeps its own test share aside."
    )
    return dataset


def _load_mnist() -> Dataset:
    available, reason = sample_status("mnist")
    if not available:
        raise DataError(reason)
    try:
        import keras

        train, test = keras.datasets.mnist.load_data()
    except Exception:  # download, hash and file errors all mean the same to the user
        raise DataError(MNIST_OFFLINE_MESSAGE) from None
    return dataset_from_mnist_arrays(train, test)


# ---- reviews ----------------------------------------------------------------------------------------
def reviews_from_file(path: Path, key: str = "reviews") -> Dataset:
    """A reviews sample (columns ``text`` and ``label``) from ``path``, through the ordinary table reader."""

    path = Path(path)
    if not path.exists():
        raise DataError(
            f"The reviews sample (sample_data/{path.name}) is missing from this installation. "
            "Upload your own CSV with a text and a label column instead."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read the reviews sample ({exc.strerror}).") from None
    df = read_table(data, path.name)
    return dataset_from_table(df, "text", "label", name=SAMPLES[key].title, source=f"sample:{key}")


# ---- business tables and time series ------------------------------------------------------------------
def _table_sample(df: pd.DataFrame, target: str, name: str, source: str) -> Dataset:
    return tabular.dataset_from_table(df, target, name=name, source=source)


def _series_sample(df: pd.DataFrame, target: str, name: str, source: str) -> Dataset:
    """The sample read as an upload would be: the roles proposed for it (the sample's target kept)."""
    roles = proposed_roles(df, None, target)
    columns = (roles.date_column, roles.target_column, roles.series_columns, roles.known_ahead_columns)
    return series_dataset(df, *columns, name=name, source=source)


#: How a sample shipped as a table file becomes a Dataset, by its kind.
_TABLE_FILE_DATASETS = {"table": _table_sample, "series": _series_sample}


def sample_table(key: str) -> tuple[pd.DataFrame, str]:
    """A table sample as the raw DataFrame (as an upload would give it) and the column it predicts."""
    if key not in FILE_SAMPLES:
        tables = ", ".join(FILE_SAMPLES)
        raise DataError(f"There is no built-in table sample called '{key}'. Choose one of: {tables}.")
    available, reason = sample_status(key)
    if not available:
        raise DataError(reason)
    path, target = FILE_SAMPLES[key]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read the {SAMPLES[key].title.lower()} sample ({exc.strerror}).") from None
    return read_table(data, path.name), target
