"""Forecasting through the generic command line: train, evaluate, predict (a what-if), report, code, search.

The quick tests run ``modeling.__main__.main`` in this process on a small weekly file; the slow one runs the
Chicago sample through fresh processes, tracked in MLflow, as a person would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from modeling.__main__ import main
from modeling.runs.store import RunStore
from tests.conftest import REPO_ROOT
from tests.unit.forecast.conftest import seasonal_panel

HELD_OUT = 8


def _write(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A weekly file without its last weeks, those weeks as actuals, and a settings file naming no template."""
    table = seasonal_panel(series=3, periods=70, freq="W-MON", season=52, promo_effect=0.5, seed=5)
    last = sorted(table["date"].unique())[-HELD_OUT:]
    history, later = table[~table["date"].isin(last)], table[table["date"].isin(last)]
    data, actuals = tmp_path / "sales.csv", tmp_path / "actuals.csv"
    history.to_csv(data, index=False)
    later.drop(columns=["temperature"]).to_csv(actuals, index=False)
    settings = tmp_path / "forecast.yaml"
    settings.write_text(
        f"task: forecasting\ndata:\n  source: {data}\n  known_ahead_columns: [promo]\n  date_column: date\n"
        "  series_columns: [shop]\nsettings:\n  horizon: 8\n  candidates: [seasonal_naive, boosted]\n"
    )
    return settings, actuals, data


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forecast-cli")
    settings, actuals, _ = _write(folder)
    home = folder / "ws"
    code = main(["--home", str(home), "train", str(settings)])
    assert code == 0
    run = RunStore(home, starters=None).list_runs()[0]
    return home, run.run_id, actuals, folder


def test_train_leaves_a_usable_run_with_the_settings_roles(trained):
    home, run_id, _, _ = trained
    run = RunStore(home).load(run_id)
    assert run.info.usable and run.config.template == "automatic_forecast"
    assert "promo" in run.evaluation["target"]["known_ahead"]


def test_evaluate_judges_the_saved_forecast_on_the_weeks_that_followed(trained, capsys):
    home, run_id, actuals, _ = trained
    assert main(["--home", str(home), "evaluate", run_id, str(actuals)]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["n"] == 3 * HELD_OUT and 0 < figures["wape"] < 0.5 and figures["seasonal_naive_wape"] > 0
    assert figures["coverage_90"] is not None


def test_predict_writes_the_forecast_and_a_what_if_moves_it(trained, capsys):
    home, run_id, actuals, folder = trained
    future = pd.read_csv(actuals).drop(columns=["units"])
    plain, promoted = folder / "future.csv", folder / "promoted.csv"
    future.assign(promo=0).to_csv(plain, index=False)
    future.assign(promo=1).to_csv(promoted, index=False)
    outputs = []
    for path in (plain, promoted):
        out = path.with_name(path.stem + "_forecast.csv")
        assert main(["--home", str(home), "predict", run_id, str(path), "-o", str(out)]) == 0
        outputs.append(pd.read_csv(out))
    assert {"shop", "date", "forecast", "low_80", "high_80", "low_90", "high_90"} <= set(outputs[0].columns)
    assert len(outputs[0]) == 3 * HELD_OUT
    assert (outputs[1]["forecast"] != outputs[0]["forecast"]).any()  # the promotions moved the boosted trees


def test_predict_refuses_dates_after_the_horizon_with_a_sentence(trained, capsys):
    home, run_id, actuals, folder = trained
    late = pd.read_csv(actuals).drop(columns=["units"]).assign(date="2030-01-07")
    path = folder / "late.csv"
    late.to_csv(path, index=False)
    assert main(["--home", str(home), "predict", run_id, str(path)]) == 2
    err = capsys.readouterr().err
    assert "does not forecast" in err and "Traceback" not in err


def test_report_and_code(trained, capsys):
    home, run_id, _, folder = trained
    out = folder / "report.html"
    assert main(["--home", str(home), "report", run_id, "--out", str(out)]) == 0
    assert "Over the next 8 weeks the 3 shops should total" in out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["--home", str(home), "code", run_id]) == 0
    script = capsys.readouterr().out
    compile(script, "forecast.py", "exec")
    assert "from statsforecast import StatsForecast" in script and "import modeling" not in script


def test_search_keeps_automatic_with_the_models_that_fit_the_budget(trained, capsys):
    home, _, _, folder = trained
    assert main(["--home", str(home), "search", str(folder / "forecast.yaml"), "--budget", "1"]) == 0
    captured = capsys.readouterr()
    assert "backtested on the same windows" in captured.out and "Automatic (the forecast)" in captured.out
    assert "Left out: AutoARIMA" in captured.out  # the slowest model does not fit a one-second budget
    assert "kept automatic as run" in captured.err


def test_export_is_refused_with_what_to_take_instead(trained, capsys):
    home, run_id, _, _ = trained
    assert main(["--home", str(home), "export", run_id, "--format", "onnx"]) == 2
    assert "take the forecast as CSV" in capsys.readouterr().err


def test_a_cluster_job_trains_from_the_dataset_it_was_sent(tmp_path, capsys):
    """A Ray job is this command line with the dataset as ``.npz``: the series, its roles and notes travel."""
    from modeling.data.series.dataset import series_dataset
    from modeling.training.job_protocol import parse_events, read_bundle, save_job_dataset, unpack_bundle

    table = seasonal_panel(series=2, periods=40, freq="MS")
    dataset = series_dataset(table, "date", "units", ["shop"], ["promo"], name="shops", source="shops.csv")
    path = save_job_dataset(dataset, tmp_path / "job")
    settings = tmp_path / "job.yaml"
    settings.write_text("task: forecasting\ndata:\n  source: shops.csv\nsettings:\n  candidates: [seasonal_naive]\n")
    code = main(["--home", str(tmp_path / "ws"), "train", str(settings), "--dataset", str(path), "--events"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    events = list(parse_events(lines))
    assert events[-1]["state"] == "finished" and events[-1].get("unit") == "models"
    meta = unpack_bundle(read_bundle(lines), tmp_path / "back")
    assert meta["dataset"]["known_ahead_columns"] == ["promo"] and (tmp_path / "back" / "forecast_model").is_dir()


@pytest.mark.slow
def test_the_sample_through_fresh_processes_tracked_in_mlflow(tmp_path):
    """The Chicago sample as a person runs it: train (tracked), report, code; about a minute on two cores."""
    pytest.importorskip("mlflow")
    settings = tmp_path / "rides.yaml"
    settings.write_text("task: forecasting\ndata:\n  source: sample:chicago_rides\n")
    env = {
        **os.environ,
        "MODELDECK_HOME": str(tmp_path / "ws"),
        "MODELDECK_MLFLOW_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "modeling", *args],
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(REPO_ROOT)},
            capture_output=True,
            text=True,
            timeout=600,
        )

    trained = cli("train", str(settings))
    assert trained.returncode == 0, trained.stderr
    assert "tracked in MLflow" in trained.stderr and "trained" in trained.stderr
    run_dir = Path(trained.stdout.strip().splitlines()[-1])
    evaluation = json.loads((run_dir / "evaluation.json").read_text())
    assert evaluation["target"]["series_count"] == 20 and evaluation["horizon"] == 12
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=env["MODELDECK_MLFLOW_URI"])
    tracked = client.search_runs([client.get_experiment_by_name("ModelDeck").experiment_id])
    assert tracked and "test_wape" in tracked[0].data.metrics
    assert "baseline_seasonal_naive_wape" in tracked[0].data.metrics
    report = cli("report", run_dir.name, "--out", str(tmp_path / "report.html"))
    assert report.returncode == 0, report.stderr
    assert "Over the next 12 weeks the 20 stations should total" in (tmp_path / "report.html").read_text()
    code = cli("code", run_dir.name)
    assert code.returncode == 0 and "sample_data/chicago_rides.csv" in code.stdout
