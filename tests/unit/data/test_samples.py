"""Built-in samples and the MNIST-style image helpers the Predict page reuses."""

from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest

from modeling.data import samples as samples_module
from modeling.data.images import center_by_mass, crop_to_ink, fit_into_box, mnist_style
from modeling.data.samples import SAMPLES, SampleInfo, dataset_from_mnist_arrays, load_sample, sample_status
from modeling.data.sources import load_source
from modeling.errors import DataError
from tests.conftest import REPO_ROOT


def mass_centre(img: np.ndarray) -> tuple[float, float]:
    mass = img.astype(np.float64)
    total = mass.sum()
    ys, xs = np.indices(mass.shape)
    return float((ys * mass).sum() / total), float((xs * mass).sum() / total)


# ---- catalogue ---------------------------------------------------------------------------------------
def test_samples_catalogue():
    assert set(SAMPLES) == {"digits", "mnist", "reviews", "reviews_zh", "churn", "house_prices", "chicago_rides"}
    for key, info in SAMPLES.items():
        assert isinstance(info, SampleInfo) and info.key == key and info.title and info.description
    assert SAMPLES["reviews"].kind == "text" and SAMPLES["digits"].kind == "image"
    assert SAMPLES["churn"].kind == "table" and SAMPLES["house_prices"].kind == "table"
    assert SAMPLES["chicago_rides"].kind == "series"
    assert sample_status("nope")[0] is False
    with pytest.raises(DataError, match="no built-in sample called 'nope'"):
        load_sample("nope")


# ---- digits ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits():
    return load_sample("digits")


def test_digits_sample_is_mnist_shaped(digits):
    assert digits.kind == "image" and digits.source == "sample:digits"
    assert digits.images.shape == (1797, 28, 28, 1) and digits.images.dtype == np.uint8
    assert digits.class_names == [str(i) for i in range(10)]
    assert sum(digits.class_counts().values()) == 1797
    images = digits.images[..., 0]
    # white ink on a black background, bright strokes, an almost empty border like MNIST
    assert images.max() == 255 and np.median(images) == 0
    border = np.concatenate([images[:, :2, :].ravel(), images[:, -2:, :].ravel(), images[:, :, :2].ravel()])
    assert (border > 0).mean() < 0.02
    assert float(images.mean()) < 80


def test_digits_are_centred_by_mass(digits):
    for img in digits.images[:200, ..., 0]:
        cy, cx = mass_centre(img)
        assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0


def test_digits_match_sklearn_source(digits):
    from modeling.data.samples import _raw_digits

    raw, target = _raw_digits()
    assert raw.shape == (1797, 8, 8) and raw.max() == 16
    assert np.array_equal(target, digits.labels)


def test_load_source_sample_prefix(digits):
    assert load_source("sample:digits").images.shape == digits.images.shape


# ---- image helpers -----------------------------------------------------------------------------------
def test_center_by_mass_moves_blob_to_centre():
    img = np.zeros((28, 28), np.uint8)
    img[2:6, 3:9] = 200
    out = center_by_mass(img)
    cy, cx = mass_centre(out)
    assert abs(cy - 13.5) <= 0.5 and abs(cx - 13.5) <= 0.5
    assert out.sum() == img.sum()  # nothing lost


def test_center_by_mass_keeps_ink_inside_and_handles_blank():
    img = np.zeros((28, 28), np.uint8)
    img[0:28, 0] = 255  # a full-height line at the left edge plus a heavy blob on the right
    img[10:14, 20:28] = 255
    out = center_by_mass(img)
    assert out.sum() == img.sum()
    blank = np.zeros((28, 28), np.uint8)
    assert np.array_equal(center_by_mass(blank), blank)


def test_fit_into_box_keeps_aspect_ratio():
    tall = np.full((10, 4), 255, np.uint8)
    boxed = fit_into_box(tall, box=20)
    assert boxed.shape == (20, 20)
    cols = np.flatnonzero(boxed.max(axis=0) > 0)
    rows = np.flatnonzero(boxed.max(axis=1) > 0)
    assert len(rows) == 20 and 7 <= len(cols) <= 9
    big = np.full((100, 50), 255, np.uint8)
    assert np.flatnonzero(fit_into_box(big).max(axis=1)).size == 20


def test_crop_and_mnist_style_pipeline():
    img = np.zeros((100, 80), np.uint8)
    img[60:90, 10:20] = 255
    assert crop_to_ink(img).shape == (30, 10)
    out = mnist_style(img)
    assert out.shape == (28, 28) and out.dtype == np.uint8
    rows = np.flatnonzero(out.max(axis=1))
    assert rows[-1] - rows[0] + 1 == 20
    cy, cx = mass_centre(out)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1


# ---- MNIST -------------------------------------------------------------------------------------------
def test_mnist_offline_status_and_error(monkeypatch, tmp_path):
    monkeypatch.setattr(samples_module, "_mnist_cache_path", lambda: tmp_path / "mnist.npz")
    monkeypatch.setattr(samples_module, "_online", lambda: False)
    ok, reason = sample_status("mnist")
    assert ok is False and reason == samples_module.MNIST_OFFLINE_MESSAGE
    assert "Handwritten digits" in reason and "offline" in reason
    with pytest.raises(DataError, match="internet connection"):
        load_sample("mnist")
    (tmp_path / "mnist.npz").write_bytes(b"cached")
    assert sample_status("mnist") == (True, "")


def test_mnist_load_failure_becomes_data_error(monkeypatch):
    """Keras is replaced by a stub whose download fails, so this test never imports TensorFlow."""

    def failing_load_data():
        raise OSError("URL fetch failure")

    stub = types.ModuleType("keras")
    stub.datasets = types.SimpleNamespace(mnist=types.SimpleNamespace(load_data=failing_load_data))
    monkeypatch.setitem(sys.modules, "keras", stub)
    monkeypatch.setattr(samples_module, "sample_status", lambda key: (True, ""))
    with pytest.raises(DataError, match="internet connection"):
        load_sample("mnist")

    rng = np.random.default_rng(0)
    arrays = (
        (rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), np.arange(30, dtype=np.uint8) % 10),
        (rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), np.arange(10, dtype=np.uint8) % 10),
    )
    stub.datasets.mnist.load_data = lambda: arrays
    assert len(load_sample("mnist")) == 40


def test_dataset_from_mnist_arrays_joins_train_and_test():
    rng = np.random.default_rng(1)
    x_train = rng.integers(0, 256, (60, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    y_train, y_test = np.arange(60, dtype=np.uint8) % 10, (np.arange(20, dtype=np.uint8) + 3) % 10
    ds = dataset_from_mnist_arrays((x_train, y_train), (x_test, y_test))
    assert ds.images.shape == (80, 28, 28, 1) and ds.source == "sample:mnist"
    assert ds.class_names == [str(i) for i in range(10)]
    assert np.array_equal(ds.images[60:, ..., 0], x_test)
    assert np.array_equal(ds.labels, np.concatenate([y_train, y_test]))
    with pytest.raises(DataError, match="differ in shape"):
        dataset_from_mnist_arrays((x_train, y_train), (x_test[:, :20], y_test))


def test_online_check_is_lazy_and_cached():
    code = (
        "import socket\n"
        "calls = []\n"
        "socket.create_connection = lambda *a, **k: calls.append(a) or (_ for _ in ()).throw(OSError())\n"
        "import modeling.data.samples as s\n"
        "assert calls == [], 'network touched at import'\n"
        "assert s._online() is False and s._online() is False\n"
        "print(len(calls))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


# ---- reviews -----------------------------------------------------------------------------------------
def test_reviews_loader_on_a_temporary_csv(tmp_path):
    rows = ["text,label"] + [
        f'"Review {i}, quite {"good" if i % 2 else "bad"}",{"positive" if i % 2 else "negative"}' for i in range(24)
    ]
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ds = samples_module.reviews_from_file(path)
    assert ds.kind == "text" and ds.source == "sample:reviews"
    assert ds.class_names == ["negative", "positive"] and len(ds) == 24
    assert ds.texts[1] == "Review 1, quite good"
    with pytest.raises(DataError, match="missing"):
        samples_module.reviews_from_file(tmp_path / "absent.csv")


def test_reviews_status_when_file_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(samples_module, "REVIEWS_PATH", tmp_path / "absent.csv")
    ok, reason = sample_status("reviews")
    assert ok is False and "sample_data/reviews.csv" in reason
    with pytest.raises(DataError, match="missing"):
        load_sample("reviews")


@pytest.mark.skipif(
    not samples_module.REVIEWS_PATH.exists(), reason="sample_data/reviews.csv is not in the repository yet"
)
def test_shipped_reviews_sample_loads():
    assert sample_status("reviews") == (True, "")
    ds = load_sample("reviews")
    assert ds.kind == "text" and len(ds) >= 10 and len(ds.class_names) >= 2
    assert (ds.text_column, ds.label_column) == ("text", "label")
