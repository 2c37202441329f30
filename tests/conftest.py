"""Shared test set-up: quiet TensorFlow, a throw-away workspace, small datasets made on the fly."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # no usage pings from tests

import shutil
from pathlib import Path

import numpy as np
import pytest

from modeling.data.dataset import Dataset

#: The repository's root, and the shared real data beside it (benchmarks and some skipped-if-absent tests).
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


#: What MLflow writes where it is pointed at a relative place (its default ``./mlruns``, a ``sqlite:///mlflow.db``).
MLFLOW_LEFTOVERS = ("mlruns", "mlflow.db")


@pytest.fixture(autouse=True)
def _workspace(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test writes runs to its own temporary folder, never into the repository.

    A test that leaves MLflow's files in the repository fails (and they are removed): tracking in tests points
    ``MODELDECK_MLFLOW_URI`` at ``tmp_path`` and runs from there (``monkeypatch.chdir(tmp_path)``).
    """
    monkeypatch.setenv("MODELDECK_HOME", str(tmp_path_factory.mktemp("workspace")))
    before = {name for name in MLFLOW_LEFTOVERS if (REPO_ROOT / name).exists()}
    yield
    written = [name for name in MLFLOW_LEFTOVERS if name not in before and (REPO_ROOT / name).exists()]
    for name in written:
        if (REPO_ROOT / name).is_dir():
            shutil.rmtree(REPO_ROOT / name)
        else:
            (REPO_ROOT / name).unlink()
    if written:
        pytest.fail(f"This test wrote {', '.join(written)} into the repository; point MLflow at tmp_path instead.")


POSITIVE = ["great", "love", "excellent", "wonderful", "happy", "perfect", "recommend", "fantastic"]
NEGATIVE = ["awful", "hate", "broken", "terrible", "refund", "worst", "disappointed", "poor"]
FILLER = ["the", "product", "it", "was", "and", "really", "this", "item", "delivery", "box"]


def make_text_dataset(n: int = 120, seed: int = 0) -> Dataset:
    """Short synthetic reviews whose label follows from sentiment words, so a model can learn it."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        positive = i % 2 == 0
        words = list(rng.choice(FILLER, 5)) + list(rng.choice(POSITIVE if positive else NEGATIVE, 2))
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(1 if positive else 0)
    return Dataset(
        kind="text",
        name="synthetic reviews",
        labels=np.array(labels),
        class_names=["negative", "positive"],
        texts=np.array(texts),
        text_column="text",
        label_column="label",
    )


def make_image_dataset(n: int = 90, size: int = 28, seed: int = 0) -> Dataset:
    """Three classes of images: a bright bar on the left, in the middle or on the right."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 40, size=(n, size, size, 1)).astype("uint8")
    labels = np.arange(n) % 3
    third = size // 3
    for i, label in enumerate(labels):
        images[i, 4:-4, label * third : label * third + third, 0] = 220
    return Dataset(
        kind="image", name="synthetic bars", labels=labels, class_names=["left", "middle", "right"], images=images
    )


@pytest.fixture
def text_dataset() -> Dataset:
    return make_text_dataset()


@pytest.fixture
def image_dataset() -> Dataset:
    return make_image_dataset()
