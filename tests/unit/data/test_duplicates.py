"""Copies shared by the splits are found (exact and near), distinct examples are not, and dropping them works."""

from __future__ import annotations

import numpy as np

from modeling.data.dataset import Dataset
from modeling.data.duplicates import (
    drop_duplicates,
    duplicate_rows,
    find_shared,
    normalise_text,
    score_without,
    thumbnails,
)
from tests.conftest import make_image_dataset

TRAIN_TEXTS = [
    "The battery died after two days and support never answered my emails.",
    "Lovely soft fabric, the colour is exactly as pictured and it washes well.",
    "Arrived broken, the box was crushed and half the screws were missing.",
    "Great value for the price; my kids use it every single day.",
    "Stopped working within a week. Returned it for a refund.",
    "The instructions were confusing but the result looks fantastic.",
]
TEST_TEXTS = [
    "the BATTERY died after two days, and support never answered my emails!!",  # exact after normalising
    "Lovely soft fabric, the colour is exactly as pictured and it washes very well.",  # near: one word added
    "Terrible customer service and the item smelled of smoke.",  # distinct
    "My kids use it every day; great value for the price.",  # same words reordered: not a copy
    "Stopped working within a week. Returned it for refund.",  # near: one word dropped
]


def _texts(texts: list[str], labels: list[int]) -> Dataset:
    return Dataset(kind="text", name="t", labels=np.array(labels), class_names=["neg", "pos"], texts=np.array(texts))


def test_normalising_ignores_case_punctuation_and_spacing() -> None:
    assert normalise_text("  Hello,   WORLD!! ") == normalise_text("hello world")
    assert normalise_text("Ｃａｆé") == "café"


def test_planted_text_copies_are_found_and_distinct_texts_are_not() -> None:
    train = _texts(TRAIN_TEXTS, [0, 1, 0, 1, 0, 1])
    test = _texts(TEST_TEXTS, [0, 1, 0, 1, 1])
    report = find_shared(train, test)
    assert report["exact"] == 1 and report["near"] == 2
    assert report["test_indices"] == [0, 1, 4]
    assert report["share_of_test"] == 0.6
    first = report["examples"][0]
    assert (first["kind"], first["test_index"], first["train_index"]) == ("exact", 0, 0)
    near = {e["test_index"]: e for e in report["examples"] if e["kind"] == "near"}
    assert near[1]["train_index"] == 1 and near[1]["similarity"] >= 0.9
    assert near[4]["train_label"] == "neg" and near[4]["test_label"] == "pos"  # a copy with another label
    assert "battery" in first["test_text"].lower()


def test_score_without_the_copies_is_a_number() -> None:
    report = {"test_indices": [0, 1]}
    y = np.array([0, 1, 0, 1])
    pred = np.array([0, 1, 1, 1])  # right on both copies, 1 of 2 on the rest
    out = score_without(report, y, pred)
    assert out["accuracy_with"] == 0.75 and out["accuracy_without"] == 0.5 and out["n_without"] == 2


def test_planted_image_copies_are_found_and_distinct_images_are_not() -> None:
    ds = make_image_dataset(90, seed=1)
    train, test = ds.subset(np.arange(60)), ds.subset(np.arange(60, 90))
    before = find_shared(train, test)
    assert before["exact"] == 0 and before["near"] == 0, "distinct noisy bars must not look like copies"
    rng = np.random.default_rng(0)
    images = test.images.copy()
    images[3] = train.images[10]  # exact copy
    images[7] = np.clip(train.images[20].astype(int) * 0.9 + 12 + rng.integers(-3, 4, images[7].shape), 0, 255)
    planted = Dataset(kind="image", name="x", labels=test.labels, class_names=test.class_names, images=images)
    report = find_shared(train, planted)
    assert report["exact"] == 1 and report["near"] == 1
    kinds = {e["test_index"]: (e["kind"], e["train_index"]) for e in report["examples"]}
    assert kinds == {3: ("exact", 10), 7: ("near", 20)}


def test_thumbnails_ignore_brightness_and_blank_images_match_nothing() -> None:
    rng = np.random.default_rng(1)
    img = rng.integers(0, 200, (2, 40, 30, 3)).astype(np.uint8)
    brighter = np.clip(img.astype(int) + 40, 0, 255).astype(np.uint8)
    a, b = thumbnails(img), thumbnails(brighter)
    assert a.shape == (2, 256)
    assert float(a[0] @ b[0]) > 0.99
    assert not thumbnails(np.zeros((1, 28, 28, 1), np.uint8)).any()


def test_dropping_duplicates_keeps_one_of_each_group() -> None:
    texts = [*TRAIN_TEXTS, *TEST_TEXTS]
    ds = _texts(texts, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1])
    found = duplicate_rows(ds)
    assert found["drop"] == [6, 7, 10]
    assert found["exact"] == 1 and found["near"] == 2 and found["conflicting"] == 1
    cleaned, _ = drop_duplicates(ds)
    assert len(cleaned) == 8
    assert "removed" in cleaned.notes[-1]
    assert find_shared(cleaned.subset(np.arange(4)), cleaned.subset(np.arange(4, 8)))["exact"] == 0


def test_large_inputs_stay_within_memory_blocks(monkeypatch) -> None:
    import modeling.data.duplicates as dup

    monkeypatch.setattr(dup, "BLOCK_CELLS", 50)  # force many small blocks
    train = _texts(TRAIN_TEXTS * 5, [0, 1, 0, 1, 0, 1] * 5)
    test = _texts(TEST_TEXTS, [0, 1, 0, 1, 1])
    assert find_shared(train, test)["test_indices"] == [0, 1, 4]


def test_projected_search_finds_the_same_copies_as_the_direct_one(monkeypatch) -> None:
    import modeling.data.duplicates as dup

    rng = np.random.default_rng(3)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo"]
    train_texts = [" ".join(rng.choice(words, 12)) for _ in range(300)]
    test_texts = [" ".join(rng.choice(words, 12)) for _ in range(60)]
    test_texts[5] = train_texts[17] + " lima"  # a near copy
    test_texts[9] = train_texts[42].upper()  # an exact copy after normalising
    train = _texts(train_texts, [i % 2 for i in range(300)])
    test = _texts(test_texts, [i % 2 for i in range(60)])
    direct = find_shared(train, test)
    monkeypatch.setattr(dup, "DIRECT_PAIRS", 0)
    projected = find_shared(train, test)
    assert direct["test_indices"] == projected["test_indices"] == [5, 9]
    assert duplicate_rows(_texts([*train_texts, test_texts[5]], [0] * 301))["drop"] == [300]


def test_the_setting_drops_copies_before_the_split_and_is_recorded(tmp_path) -> None:
    from modeling.config import ExperimentConfig, default_config
    from modeling.runs.store import RunStore
    from modeling.training.experiment import run_experiment
    from tests.conftest import make_text_dataset

    store = RunStore(tmp_path, starters=None)
    base = make_text_dataset(120)
    copies = base.subset(np.arange(30))  # 30 exact copies of the first rows
    texts = np.concatenate([base.texts, copies.texts])
    ds = Dataset(
        kind="text",
        name="t",
        labels=np.concatenate([base.labels, copies.labels]),
        class_names=base.class_names,
        texts=texts,
    )
    cfg = default_config("text_classification", source="test", template="ngram_bag")
    cfg.settings.epochs = 1
    cfg.data.drop_duplicates = True
    run = store.load(run_experiment(cfg, ds, store=store).name)
    assert run.meta["dataset"]["rows"] == len(ds) - len(duplicate_rows(ds)["drop"]) <= 120
    assert run.evaluation["duplicates"]["exact"] == 0

    # Cleaned by hand on a page: the saved settings say so, so the YAML reproduces the run.
    cfg.data.drop_duplicates = False
    cleaned, _ = drop_duplicates(ds)
    run = store.load(run_experiment(cfg, cleaned, store=store).name)
    assert ExperimentConfig.from_file(run.path / "config.yaml").data.drop_duplicates is True
