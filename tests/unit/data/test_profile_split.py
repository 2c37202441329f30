"""Data health warnings and reproducible, stratified splits."""

from __future__ import annotations

import time

import numpy as np
import pytest

from modeling.data.dataset import Dataset
from modeling.data.profile import DataProfile, profile_dataset
from modeling.data.split import split_indices, train_validation_split
from modeling.errors import DataError


def text_dataset(texts: list[str], labels: list[int], class_names: list[str] | None = None) -> Dataset:
    names = class_names or sorted({str(v) for v in labels}, key=int)
    return Dataset(kind="text", name="t", labels=np.asarray(labels), class_names=names, texts=np.asarray(texts))


# ---- profile -----------------------------------------------------------------------------------------
def test_profile_counts_and_text_stats():
    texts = [f"word {i} and more words" for i in range(200)]
    ds = text_dataset(texts, [i % 2 for i in range(200)], ["neg", "pos"])
    profile = profile_dataset(ds)
    assert isinstance(profile, DataProfile)
    assert profile.rows == 200 and profile.class_counts == {"neg": 100, "pos": 100}
    assert profile.warnings == []
    assert profile.stats["median_words"] == 5 and profile.stats["max_words"] == 5
    assert profile.to_dict()["rows"] == 200


def test_profile_tiny_class_and_imbalance():
    labels = [0] * 120 + [1] * 4
    ds = text_dataset([f"text {i}" for i in range(124)], labels, ["big", "x"])
    warnings = profile_dataset(ds).warnings
    assert "Class 'x' has only 4 examples; the model will hardly learn it. Add more or merge it." in warnings
    assert any("unbalanced" in w and "'big'" in w and "30 to 1" in w for w in warnings)


def test_profile_many_tiny_classes_are_summarised():
    labels = [0] * 100 + [1, 2, 3, 4, 5]
    ds = text_dataset([f"t{i}" for i in range(105)], labels, [f"c{i}" for i in range(6)])
    warnings = profile_dataset(ds).warnings
    assert any(w.startswith("5 classes have fewer than 10 examples") for w in warnings)


def test_profile_duplicates_conflicts_empty_and_long_texts():
    texts = [f"unique text {i}" for i in range(100)]
    texts[1] = texts[0]  # same label (0 and 1 differ: i % 2) -> conflicting
    texts[4] = texts[2]  # same label 0 -> plain duplicate
    texts[5] = ""
    texts[6] = "word " * 1200
    ds = text_dataset(texts, [i % 2 for i in range(100)], ["negative", "positive"])
    profile = profile_dataset(ds)
    assert profile.duplicates == 2 and profile.conflicting == 1
    joined = "\n".join(profile.warnings)
    assert "2 texts are exact copies" in joined
    assert "1 input appears more than once with different labels (for example 'unique text 0'" in joined
    assert "1 text is empty" in joined
    assert "1 text is longer than 1,000 words; sequence models read only the first 200 words" in joined
    assert profile.stats["max_words"] == 1200


def test_profile_small_dataset_warning():
    ds = text_dataset([f"t{i}" for i in range(40)], [i % 2 for i in range(40)])
    assert any("only 40 examples" in w for w in profile_dataset(ds).warnings)


def test_profile_images_fast_with_duplicates():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (70_000, 28, 28, 1), dtype=np.uint8)
    images[1] = images[0]
    images[3] = images[2]
    labels = np.arange(70_000) % 10
    labels[3] = labels[2]
    ds = Dataset(kind="image", name="big", labels=labels, class_names=[str(i) for i in range(10)], images=images)
    start = time.perf_counter()
    profile = profile_dataset(ds)
    elapsed = time.perf_counter() - start
    assert profile.duplicates == 2 and profile.conflicting == 1
    assert profile.stats["image_shape"] == [28, 28, 1] and profile.stats["channels"] == 1
    assert any("2 images are exact copies" in w for w in profile.warnings)
    assert elapsed < 5.0


def test_profile_blank_images():
    images = np.zeros((120, 8, 8, 3), np.uint8)
    images[10:] = np.random.default_rng(1).integers(0, 256, (110, 8, 8, 3), dtype=np.uint8)
    ds = Dataset(kind="image", name="c", labels=np.arange(120) % 2, class_names=["a", "b"], images=images)
    profile = profile_dataset(ds)
    assert profile.stats["colour"] == "colour"
    assert any("10 images are a single flat colour" in w for w in profile.warnings)


# ---- split -------------------------------------------------------------------------------------------
def test_split_is_stratified_disjoint_and_reproducible():
    labels = np.array([0] * 80 + [1] * 20)
    train, test = split_indices(labels, 0.2, seed=7)
    assert len(test) == 20 and len(train) == 80
    assert set(train).isdisjoint(test) and sorted([*train, *test]) == list(range(100))
    assert np.bincount(labels[test]).tolist() == [16, 4]
    again = split_indices(labels, 0.2, seed=7)
    assert np.array_equal(again[0], train) and np.array_equal(again[1], test)
    other = split_indices(labels, 0.2, seed=8)
    assert not np.array_equal(other[1], test)


def test_split_falls_back_to_random_when_stratifying_is_impossible():
    labels = np.array([0] * 30 + [1] * 9 + [2])  # class 2 has a single example
    train, test = split_indices(labels, 0.25, seed=0)
    assert len(test) == 10 and len(train) == 30
    tiny_share = np.arange(12) % 6  # 6 classes, held-out of 2 < classes
    train, test = split_indices(tiny_share, 0.1, seed=0)
    assert len(test) == 2 and len(train) == 10


def test_train_validation_split_same_rule():
    labels = np.arange(200) % 4
    train, val = train_validation_split(labels, 0.15, seed=3)
    assert len(val) == 30 and len(train) == 170
    assert np.bincount(labels[val]).min() >= 7
    assert train_validation_split(list(labels), 0.15, seed=3)[1].tolist() == val.tolist()


@pytest.mark.parametrize(("labels", "share"), [([0, 1, 0], 0.0), ([0, 1, 0], 1.0), ([0], 0.2)])
def test_split_rejects_bad_inputs(labels, share):
    with pytest.raises(DataError):
        split_indices(labels, share, seed=0)


def test_fingerprint_follows_content_not_name_or_size():
    import numpy as np

    from modeling.data.dataset import Dataset

    def make(texts, labels=(0, 1)):
        return Dataset(kind="text", name="upload.csv", labels=np.array(labels), class_names=["a", "b"], texts=texts)

    one, same, other = make(["good", "bad"]), make(["good", "bad"]), make(["good", "sad"])
    assert one.fingerprint() == same.fingerprint() != other.fingerprint()
    assert make(["good", "bad"], labels=(1, 0)).fingerprint() != one.fingerprint()
    assert one.subset(np.array([0])).fingerprint() != one.fingerprint()
