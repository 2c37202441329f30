"""A saved forecast run answers: the saved forecast at once, a what-if by a cached refit, files, the stock."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from modeling.config import ExperimentConfig
from modeling.data.series.dataset import series_dataset
from modeling.errors import ConfigError, DataError
from modeling.runs.forecast.predictor import ForecastPredictor
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from modeling.training.experiment import run_experiment
from tests.unit.forecast.conftest import seasonal_panel

HORIZON = 6


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return seasonal_panel(series=3, periods=48, freq="MS", season=12, promo_effect=0.6, seed=3)


@pytest.fixture(scope="module")
def run(tmp_path_factory, table):
    """The boosted trees alone (they read the promotions), so a what-if has something to move."""
    store = RunStore(tmp_path_factory.mktemp("forecast-predictor"), starters=None)
    dataset = series_dataset(table, "date", "units", ["shop"], ["promo"], name="shops", source="session:shops")
    config = ExperimentConfig(
        task="forecasting", template="boosted_lags", data={"source": "session:shops"}, settings={"horizon": HORIZON}
    )
    return store.load(run_experiment(config, dataset, store=store).name)


@pytest.fixture(scope="module")
def predictor(run) -> ForecastPredictor:
    return load_predictor(run)


def test_the_saved_forecast_answers_at_once(predictor):
    started = time.perf_counter()
    forecast = predictor.forecast()
    assert time.perf_counter() - started < 0.5
    answers = ["series", "date", "step", "forecast", "low_80", "high_80", "low_90", "high_90"]
    assert list(forecast.columns[:8]) == answers
    assert len(forecast) == 3 * HORIZON and "promo" in forecast
    assert (forecast["low_90"] <= forecast["low_80"]).all() and (forecast["high_80"] <= forecast["high_90"]).all()
    assert forecast["date"].min() == pd.Timestamp("2023-01-01")
    shorter = predictor.forecast(horizon=2)
    assert len(shorter) == 3 * 2 and shorter["step"].max() == 2


def test_a_horizon_beyond_the_run_is_refused_with_what_to_do(predictor):
    with pytest.raises(DataError, match="train again with horizon: 20"):
        predictor.forecast(horizon=20)


def test_a_what_if_moves_the_forecast_and_is_cached(predictor):
    assert predictor.uses_known_ahead and predictor.known_ahead_columns == ["promo"]
    plan = pd.DataFrame({"series": ["shop 0"], "date": ["2023-02-01"], "promo": [1]})
    moved = predictor.forecast(planned=plan)
    base = predictor.forecast()
    changed = moved["forecast"].to_numpy() != base["forecast"].to_numpy()
    row = (moved["series"] == "shop 0") & (moved["date"] == pd.Timestamp("2023-02-01"))
    assert changed[row.to_numpy()].all() and moved.loc[row, "promo"].item() == 1.0
    assert moved.loc[row, "forecast"].item() > base.loc[row, "forecast"].item()  # promotions sold more
    assert not changed[~(moved["series"] == "shop 0").to_numpy()].any()  # other shops' trees see no promotion
    started = time.perf_counter()
    predictor.forecast(planned=plan.assign(date=["2023-03-01"]))
    assert time.perf_counter() - started < 1.0  # the refit is kept; only the trees' recursion runs again


def test_score_frame_answers_rows_in_their_order_and_reads_planned_values(predictor):
    rows = predictor.future_rows()
    assert list(rows.columns) == ["shop", "date", "promo"] and len(rows) == 3 * HORIZON
    shuffled = rows.iloc[::-1].reset_index(drop=True)
    batch = predictor.score_frame(shuffled)
    assert batch.answer_columns == ["forecast", "low_80", "high_80", "low_90", "high_90"]
    expected = predictor.forecast().iloc[::-1]["forecast"].to_numpy()
    np.testing.assert_allclose(batch.frame["forecast"].to_numpy(), expected)
    schema = predictor.input_schema()
    assert [c.name for c in schema] == ["shop", "date", "promo"] and schema[2].type == "yes/no"


def test_dates_outside_the_forecast_and_unknown_series_are_sentences(predictor):
    rows = predictor.future_rows()
    early = rows.copy()
    early.loc[1, "date"] = "2021-05-01"
    with pytest.raises(DataError, match=r"row 2 asks for a date this run does not forecast .*2023-01-01 to 2023-06-01"):
        predictor.score_frame(early)
    stranger = rows.copy()
    stranger.loc[0, "shop"] = "shop 9"
    with pytest.raises(DataError, match="row 1 names a series this run does not forecast \\('shop 9'\\)"):
        predictor.score_frame(stranger)
    with pytest.raises(DataError, match="has no column 'date'"):
        predictor.score_frame(rows.drop(columns=["date"]))


def test_evaluate_frame_judges_the_saved_forecast_on_later_actuals(predictor):
    actuals = predictor.future_rows().drop(columns=["promo"])
    actuals["units"] = predictor.forecast()["forecast"].to_numpy() * 1.1
    figures = predictor.evaluate_frame(actuals)
    assert figures["n"] == 3 * HORIZON and figures["bias"] == pytest.approx(-1 / 11)
    assert figures["wape"] == pytest.approx(1 / 11) and figures["seasonal_naive_wape"] > 0
    with pytest.raises(DataError, match="None of the rows"):
        predictor.evaluate_frame(actuals.assign(date="2020-01-01"))


def test_the_stock_covers_a_share_or_the_cheapest_from_two_costs(predictor):
    ninety = predictor.stock(0.9)
    assert ninety.total > ninety.forecast_total and "To cover 90% of outcomes" in ninety.sentence
    assert list(ninety.table.columns) == ["series", "forecast", "stock"] and len(ninety.table) == 3
    costly_shortage = predictor.stock(short_cost=9, over_cost=1, per_period=True)
    assert costly_shortage.level == pytest.approx(0.9) and "a unit short costs 9" in costly_shortage.why
    assert "date" in costly_shortage.table and len(costly_shortage.table) == 3 * HORIZON
    half = predictor.stock(0.5)
    assert half.total < ninety.total
    with pytest.raises(ConfigError, match="Give both costs"):
        predictor.stock(short_cost=3)


def test_the_total_adds_the_series_with_its_own_ranges(predictor):
    forecast = predictor.forecast()
    total = predictor.total(forecast)
    assert len(total) == HORIZON
    np.testing.assert_allclose(total["forecast"].to_numpy(), forecast.groupby("date")["forecast"].sum().to_numpy())
    assert (total["low_80"] < total["forecast"]).all() and (total["forecast"] < total["high_80"]).all()
