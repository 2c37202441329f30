"""The forecast family through the one experiment skeleton: split, fit, evaluation.json, the bundle, run.json."""

from __future__ import annotations

import json
import threading

import pandas as pd
import pytest

from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.data.series.dataset import series_dataset
from modeling.errors import ConfigError, DataError, ModelDeckError
from modeling.runs.forecast.bundle import BUNDLE_DIR, load_forecast_bundle
from modeling.runs.store import RunStore
from modeling.templates import registry
from modeling.templates.defaults import config_for_data
from modeling.training.experiment import run_experiment
from modeling.training.families import family_for
from modeling.training.progress import Progress
from tests.unit.forecast.conftest import seasonal_panel

FAST = ["seasonal_naive", "boosted"]
HORIZON = 6


def panel_dataset(**kwargs) -> Dataset:
    table = seasonal_panel(series=3, periods=48, freq="MS", season=12, promo_effect=0.5, **kwargs)
    return series_dataset(table, "date", "units", ["shop"], ["promo"], name="shops", source="session:shops")


def config(template: str = "automatic_forecast", **settings) -> ExperimentConfig:
    values = {"horizon": HORIZON, **({"candidates": FAST} if template == "automatic_forecast" else {}), **settings}
    return ExperimentConfig(task="forecasting", template=template, data={"source": "session:shops"}, settings=values)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> RunStore:
    return RunStore(tmp_path_factory.mktemp("forecast-runs"), starters=None)


@pytest.fixture(scope="module")
def run(store):
    """One Automatic run on a tiny monthly panel (the boosted trees can see the promotions), shared."""
    return store.load(run_experiment(config(), panel_dataset(), store=store).name)


def test_the_task_is_a_plug_in_of_every_registry():
    task = registry.task("forecasting")
    assert (task.kind, task.family, task.answers) == ("series", "forecast", "series")
    assert registry.default_template("forecasting") == "automatic_forecast"
    assert panel_dataset().task == "forecasting"
    assert family_for("forecasting").search


def test_the_split_holds_out_the_last_horizon_of_every_series():
    dataset = panel_dataset()
    train, validation, test = family_for("forecasting").split(dataset, config())
    assert len(train) == len(dataset)  # the backtest walks through every row
    assert len(test) == 3 * HORIZON and test.frame.groupby("unique_id").size().eq(HORIZON).all()
    last = dataset.frame.groupby("unique_id")["ds"].max()
    assert (test.frame.groupby("unique_id")["ds"].max() == last).all()
    assert validation.frame["ds"].max() < test.frame["ds"].min()
    assert len(validation) == 2 * 3 * HORIZON  # the two earlier backtest windows


def test_a_run_finishes_with_the_forecast_bundle_and_headline(run):
    assert run.info.status == "finished" and run.info.usable
    assert (run.path / BUNDLE_DIR / "bundle.json").is_file() and (run.path / "test.npz").is_file()
    meta = run.meta
    assert meta["epoch_unit"] == "models" and meta["epochs_run"] >= 4
    assert {"wape", "mase", "bias", "wape_lift", "coverage_80", "coverage_90"} <= set(meta)
    assert meta["split"]["test"] == 3 * HORIZON
    assert meta["dataset"]["frequency"] == "MS" and meta["dataset"]["series_count"] == 3
    assert [c["name"] for c in meta["candidates"]] and meta["candidates"][0]["wape"] <= meta["candidates"][-1]["wape"]
    # the roles the data was read with are written into the settings, so the YAML reads the table again
    assert run.config.data.date_column == "date" and run.config.data.series_columns == ["shop"]
    assert run.config.data.known_ahead_columns == ["promo"]


def test_the_evaluation_is_typed_and_compares_with_the_seasonal_naive(run):
    ev = run.evaluation
    assert ev["kind"] == "forecast" and ev["horizon"] == HORIZON
    assert set(ev["model"]) >= {"wape", "mase", "bias", "wape_lift", "mase_lift", "bias_lift", "n"}
    naive = ev["baselines"]["seasonal_naive"]
    assert naive["wape"] > 0 and ev["lift"]["wape"] == pytest.approx(1 - ev["model"]["wape"] / naive["wape"])
    assert set(ev["candidates"]) == set(FAST) and ev["choice"]["sentence"]
    assert sum(c["weight"] for c in ev["candidates"].values()) == pytest.approx(1.0)
    wapes = [row["wape"] for row in ev["series"]]
    assert wapes == sorted(wapes, reverse=True) and ev["worst_series"]["unique_id"] == ev["series"][0]["unique_id"]
    assert set(ev["coverage"]) == {"80", "90"} and ev["coverage"]["90"]["n"] == 3 * HORIZON
    assert ev["test"]["n"] == 3 * HORIZON and ev["test"]["coverage_80"] == ev["coverage"]["80"]["coverage"]
    outlook = ev["outlook"]
    assert outlook["low_80"] < outlook["total"] < outlook["high_80"] and outlook["horizon_words"] == "6 months"
    assert outlook["peak_words"] and outlook["last_year"] > 0
    json.dumps(ev)  # plain JSON, no NaN objects


def test_the_bundle_holds_plain_files_only(run):
    files = {p.name for p in (run.path / BUNDLE_DIR).iterdir()}
    assert files <= {"bundle.json", "history.csv", "backtest.csv", "forecast.csv", "series.csv", "network.keras"}
    bundle = load_forecast_bundle(run.path)
    assert len(bundle.forecast) == 3 * HORIZON and bundle.forecast["ds"].dtype.kind == "M"
    assert {"automatic", "seasonal_naive", "boosted", "y", "cutoff"} <= set(bundle.backtest.columns)
    assert len(bundle.history) == 3 * 48


def test_the_test_split_and_a_job_dataset_survive_the_npz_round_trip(run, tmp_path):
    test = run.load_test()
    assert test.kind == "series" and len(test) == 3 * HORIZON
    assert test.preparation.known_ahead_columns == ["promo"]
    dataset = panel_dataset()
    dataset.save_npz(str(tmp_path / "job.npz"))
    back = Dataset.load_npz(str(tmp_path / "job.npz"))
    assert back.task == "forecasting" and back.target_column == "units"
    pd.testing.assert_frame_equal(back.frame, dataset.frame, check_dtype=False)
    assert back.preparation.sentence() == dataset.preparation.sentence()


def test_a_single_model_run_gets_the_seasonal_naive_beside_it(store):
    run = store.load(run_experiment(config("auto_theta"), panel_dataset(), store=store).name)
    ev = run.evaluation
    assert set(ev["candidates"]) == {"auto_theta", "seasonal_naive"}
    assert ev["candidates"]["auto_theta"]["weight"] == 1.0 and ev["candidates"]["seasonal_naive"]["weight"] == 0.0
    assert ev["model"]["wape_lift"] is not None


def test_a_settings_file_without_template_or_roles_trains(tmp_path, store):
    path = tmp_path / "shops.csv"
    seasonal_panel(series=2, periods=40, freq="MS").to_csv(path, index=False)
    text = f"task: forecasting\ndata:\n  source: {path}\nsettings:\n  horizon: 4\n  candidates: [seasonal_naive]\n"
    cfg = ExperimentConfig.from_yaml(text)
    assert cfg.template_left_open
    run = store.load(run_experiment(cfg, store=store).name)
    assert run.config.template == "automatic_forecast" and run.info.status == "finished"
    assert run.config.data.date_column == "date" and run.config.data.target_column == "units"
    assert run.config.data.series_columns == ["shop"]


def test_the_data_page_config_reproduces_the_roles():
    dataset = series_dataset(seasonal_panel(), "date", "units", ["shop"], [], fill_gaps="zero", name="shops")
    data = config_for_data(dataset).config.data
    assert (data.date_column, data.target_column, data.series_columns) == ("date", "units", ["shop"])
    assert data.fill_gaps == "zero" and data.known_ahead_columns == []


def test_bad_settings_and_data_are_sentences(store):
    with pytest.raises(ConfigError, match="backtest_windows"):
        ExperimentConfig.validate_dict({"task": "forecasting", "settings": {"backtest_windows": 50}})
    with pytest.raises(ConfigError, match="candidates must name"):
        run_experiment(config(candidates=["prophet"]), panel_dataset(), store=store)
    with pytest.raises(DataError, match="horizon of 60 months is longer than the history"):
        run_experiment(config(horizon=60), panel_dataset(), store=store)


def test_stop_records_a_stopped_run_with_the_sentence_and_no_model(store):
    cancel = threading.Event()
    cancel.set()
    progress = Progress(1)
    with pytest.raises(ModelDeckError, match="nothing was kept"):
        run_experiment(config(), panel_dataset(), store=store, cancel=cancel, progress=progress)
    stopped = [info for info in store.list_runs() if info.status == "stopped"]
    assert stopped and "nothing was kept" in (stopped[0].error or "") and not stopped[0].usable
    assert progress.state == "stopped"
