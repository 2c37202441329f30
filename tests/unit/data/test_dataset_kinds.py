"""One Dataset for every kind of data: the per-kind table, the task from the registry, the npz round trip."""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pandas as pd
import pytest

from modeling.data.dataset import PAYLOADS, Dataset
from modeling.data.profile import profile_dataset
from modeling.errors import DataError
from modeling.templates import registry
from tests.unit.training.table_data import frame_dataset


def _series(n_series: int = 3, weeks: int = 20) -> Dataset:
    """A long frame as forecasting holds it: unique_id, ds, y and a known-ahead promotion flag."""
    rng = np.random.default_rng(0)
    frames = []
    for i in range(n_series):
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": pd.Series([f"shop {i}"] * weeks, dtype="str"),
                    "ds": pd.date_range("2024-01-01", periods=weeks, freq="W-MON"),
                    "y": rng.poisson(20, weeks).astype(float),
                    "promo": rng.integers(0, 2, weeks),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame.loc[3, "ds"] = pd.NaT  # a missing date survives the round trip as missing
    return Dataset(kind="series", name="sales", labels=frame["y"].to_numpy(), class_names=[], frame=frame)


def test_each_kind_keeps_its_examples_in_one_field_and_checks_them():
    assert {"text", "image", "table", "series"} <= set(PAYLOADS)
    texts = Dataset(kind="text", name="t", labels=[0, 1], class_names=["a", "b"], texts=["x", "y"])
    assert texts.inputs is texts.texts and texts.labels.dtype == np.int64
    images = Dataset(kind="image", name="i", labels=[0], class_names=["a"], images=np.zeros((1, 4, 4), np.uint8))
    assert images.inputs.shape == (1, 4, 4, 1)
    table = frame_dataset(30)
    assert table.inputs is table.frame and table.labels.dtype == np.float64
    with pytest.raises(DataError, match="needs texts"):
        Dataset(kind="text", name="t", labels=[0], class_names=["a"])
    with pytest.raises(DataError, match="needs its frame"):
        Dataset(kind="series", name="s", labels=[1.0], class_names=[])
    with pytest.raises(DataError, match="does not know data of kind 'audio'"):
        Dataset(kind="audio", name="a", labels=[0], class_names=["a"])  # type: ignore[arg-type]


def test_the_task_comes_from_the_registry_by_kind_and_answer():
    assert frame_dataset(30).task == registry.TABLE_REGRESSION and frame_dataset(30).predicts_number
    classes = frame_dataset(30, regression=False)
    assert classes.task == registry.TABLE_CLASSIFICATION and not classes.predicts_number
    text = Dataset(kind="text", name="t", labels=[0, 1], class_names=["a", "b"], texts=["x", "y"])
    assert text.task == registry.TEXT and registry.task(text.task).kind == "text"
    series = _series()
    assert series.predicts_number and series.labels.dtype == np.float64 and series.class_counts() == {}
    if registry.tasks_of_kind("series"):  # once forecasting is registered, it needs no change here
        assert registry.task(series.task).kind == "series"
    else:
        with pytest.raises(DataError, match="No task reads data of kind 'series'"):
            _ = series.task


def test_a_series_goes_through_an_npz_and_back_with_its_dates_and_whole_numbers(tmp_path):
    series = _series()
    path = tmp_path / "series.npz"
    series.save_npz(str(path))
    back = Dataset.load_npz(str(path))
    assert back.kind == "series" and back.class_names == []
    pd.testing.assert_frame_equal(back.frame, series.frame, check_dtype=False)
    assert pd.api.types.is_datetime64_any_dtype(back.frame["ds"]) and back.frame["ds"].isna().sum() == 1
    assert pd.api.types.is_integer_dtype(back.frame["promo"]) and back.frame["unique_id"].dtype == "str"
    np.testing.assert_array_equal(back.labels, series.labels)
    assert back.fingerprint() == series.fingerprint()


def test_time_zones_and_text_with_blanks_survive_the_round_trip(tmp_path):
    frame = pd.DataFrame(
        {
            "when": pd.date_range("2024-03-30", periods=4, freq="D", tz="Europe/Paris"),
            "note": pd.Series(["a", None, "c", ""], dtype="str"),
        }
    )
    ds = Dataset(kind="table", name="t", labels=[1.0, 2.0, 3.0, 4.0], class_names=[], frame=frame)
    ds.save_npz(str(tmp_path / "t.npz"))
    back = Dataset.load_npz(str(tmp_path / "t.npz")).frame
    assert str(back["when"].dt.tz) == "Europe/Paris" and back["when"].equals(frame["when"])
    assert back["note"].isna().tolist() == [False, True, False, False] and back["note"][3] == ""


def test_the_health_check_leaves_tables_to_their_own_checks():
    profile = profile_dataset(frame_dataset(40, regression=False))
    assert profile.rows == 40 and profile.duplicates == 0
    assert not any("exact copies" in w for w in profile.warnings)


class FakePreparation:
    """A preparation that knows only ``to_dict`` / ``from_dict`` (as ``SeriesPreparation`` does)."""

    def __init__(self, freq: str) -> None:
        self.freq = freq

    def to_dict(self) -> dict:
        return {"freq": self.freq}

    @classmethod
    def from_dict(cls, data: dict) -> FakePreparation:
        return cls(data["freq"])


def test_a_series_keeps_its_preparation_through_the_npz(tmp_path, monkeypatch):
    fake = dataclasses.replace(PAYLOADS["series"], preparation=f"{__name__}:FakePreparation")
    monkeypatch.setitem(PAYLOADS, "series", fake)
    series = _series()
    series.preparation = FakePreparation("W-MON")
    series.save_npz(str(tmp_path / "s.npz"))
    assert Dataset.load_npz(str(tmp_path / "s.npz")).preparation.freq == "W-MON"


def test_every_preparation_named_in_the_table_can_be_read_back():
    for kind, item in PAYLOADS.items():
        if item.preparation:
            module, _, name = item.preparation.partition(":")
            cls = getattr(importlib.import_module(module), name)
            assert hasattr(cls, "from_json") or hasattr(cls, "from_dict"), kind
