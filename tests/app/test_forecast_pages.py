"""Forecasting in the app, page by page: recognised on upload, set up, trained, evaluated and used (issue 20).

The Data page recognises a weekly sales file ("'units' per 'store', 6 series, weekly on Mondays, ... —
forecast it?") with Confirm and "Treat it as a plain table instead"; a table read as a table can switch to time
series; hostile files (mixed date formats, text in the number, six points, duplicated dates, gaps, too many
series) get a sentence and the page keeps working. The built-in sample then walks Data -> Model -> Train ->
Evaluate -> Predict (slow). Messages are Markdown-escaped: compared after unescaping.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from modeling.data.series import propose_series
from tests.app.helpers import app, errors, goto, metric, no_exception, page_text, train, upload_table


# ---- data made on the fly --------------------------------------------------------------------------------------------
def weekly_sales(stores: int = 6, weeks: int = 156, seed: int = 3) -> pd.DataFrame:
    """A weekly sales table: week (ISO text), store, units (seasonal, lifted by promotions), promo (0/1)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2021-01-04", periods=weeks, freq="W-MON")
    t = np.arange(weeks)
    frames = []
    for store in range(stores):
        promo = (rng.random(weeks) < 0.15).astype(int)
        level = 200 + 80 * store
        units = level * (1 + 0.25 * np.sin(2 * np.pi * t / 52)) * (1 + 0.3 * promo) * rng.lognormal(0, 0.06, weeks)
        frames.append(
            pd.DataFrame(
                {
                    "week": dates.strftime("%Y-%m-%d"),
                    "store": f"Store {store + 1}",
                    "units": units.round(0),
                    "promo": promo,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _reading(at: AppTest) -> str:
    """The value of "How should ModelDeck read this file?"."""
    (choice,) = [r for r in at.radio if r.label == "How should ModelDeck read this file?"]
    return choice.value


def _read_as(at: AppTest, kind: str) -> AppTest:
    (choice,) = [r for r in at.radio if r.label == "How should ModelDeck read this file?"]
    choice.set_value(kind).run()
    no_exception(at)
    return at


def _click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    no_exception(at)
    return at


def _uploaded(df: pd.DataFrame, name: str = "sales.csv") -> AppTest:
    return upload_table(goto(app(), "pages/data.py"), name, df)


# ---- recognised on upload --------------------------------------------------------------------------------------------
def test_a_weekly_sales_upload_is_recognised_and_confirmed():
    df = weekly_sales()
    at = _uploaded(df)
    assert _reading(at) == "series"
    proposal = propose_series(df)
    text = page_text(at)
    assert f"Recognised time series: {proposal.sentence} — forecast it?" in text
    assert "'units' per 'store', 6 series, weekly on Mondays" in proposal.sentence
    assert "'promo' is known ahead" in text
    assert "dataset" not in at.session_state  # nothing is active until the person confirms

    _click(at, "series_confirm")
    ds = at.session_state["dataset"]
    assert ds.kind == "series" and ds.task == "forecasting"
    assert ds.preparation.series_columns == ["store"] and ds.preparation.known_ahead_columns == ["promo"]
    assert metric(at, "Series").value == "6" and metric(at, "Dated values").value == f"{len(df):,}"
    text = page_text(at)
    assert "'week' writes dates year first" in text  # which date order was read, and why
    assert "no series has two rows on one date" in text
    # The roles stay changeable: leaving the known-ahead column out says why it is left out.
    known = next(m for m in at.multiselect if m.label.startswith("Known ahead"))
    known.set_value([]).run()
    no_exception(at)
    assert at.session_state["dataset"].preparation.known_ahead_columns == []
    assert "'promo' is left out: not known ahead" in page_text(at)
    # Insisting on a frequency the dates do not follow names the rows; back to inferred, the series returns.
    next(s for s in at.selectbox if s.label == "Frequency").set_value("MS").run()
    assert "do not fall on the monthly" in errors(at) and "dataset" not in at.session_state
    next(s for s in at.selectbox if s.label == "Frequency").set_value("").run()
    no_exception(at)
    assert not errors(at) and at.session_state["dataset"].preparation.frequency == "W-MON"


def test_a_recognised_file_can_be_read_as_a_plain_table_instead():
    at = _uploaded(weekly_sales(stores=2, weeks=60))
    _click(at, "series_as_table")
    assert _reading(at) == "table"
    assert at.session_state["dataset"].kind == "table"
    assert "What to predict" in page_text(at)


def test_a_table_with_dates_can_switch_to_forecasting_and_six_points_get_a_sentence():
    six = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=6, freq="MS").strftime("%Y-%m-%d")})
    six["sales"] = [10.0, 12.0, 11.0, 14.0, 13.0, 15.0]
    at = _uploaded(six, "six.csv")
    assert _reading(at) != "series"  # six points are not recognised as a series to forecast
    _read_as(at, "series")
    assert "did not recognise time series" in page_text(at)
    _click(at, "series_confirm")
    assert "needs at least 8" in errors(at) and "dataset" not in at.session_state
    assert "Fix the choice above" in page_text(at)


def test_mixed_date_formats_name_the_rows():
    df = weekly_sales(stores=1, weeks=30)
    df.loc[5, "week"] = "08/02/2021"  # the same week written day first, among ISO dates
    at = _uploaded(df, "mixed.csv")
    text = page_text(at)
    assert "cannot be forecast as it is" in text and "row 6" in text
    _click(at, "series_confirm")
    assert "row 6" in errors(at)


def test_text_in_the_number_names_the_rows():
    df = weekly_sales(stores=1, weeks=30)
    df["units"] = df["units"].astype(int).astype(str)
    df.loc[[3, 9], "units"] = "twelve"
    at = _uploaded(df, "text.csv")
    _read_as(at, "series")
    _click(at, "series_confirm")
    (target,) = [s for s in at.selectbox if s.label == "Number to forecast"]
    target.set_value("units").run()
    no_exception(at)
    assert "'units' has text in rows 4 and 10" in errors(at)


def test_duplicates_are_added_up_or_refused_with_the_rows():
    df = weekly_sales(stores=2, weeks=40)
    df = pd.concat([df, df.iloc[[7]]], ignore_index=True)  # one store's week twice
    at = _uploaded(df, "dupes.csv")
    _click(at, "series_confirm")
    assert "appeared more than once within a series" in page_text(at)
    (dupes,) = [r for r in at.radio if r.label == "Two rows of one series on one date"]
    dupes.set_value("refuse").run()
    no_exception(at)
    assert "more than once within a series" in errors(at) and "rows 8 and 81" in errors(at)


def test_gaps_are_reported_and_filled_only_when_asked():
    df = weekly_sales(stores=2, weeks=40).drop(index=[10, 11]).reset_index(drop=True)
    at = _uploaded(df, "gaps.csv")
    _click(at, "series_confirm")
    assert "2 weeks are missing" in page_text(at)
    assert at.session_state["dataset"].preparation.gaps_filled == "none"
    _click(at, "series_fill_zero")
    prep = at.session_state["dataset"].preparation
    assert prep.gaps_filled == "zero" and prep.gaps_found == 2
    assert "were missing" in page_text(at) and "filled with 0" in page_text(at)


def test_too_many_series_is_a_limit_said_in_numbers():
    dates = pd.date_range("2024-01-01", periods=8, freq="MS").strftime("%Y-%m-%d")
    df = pd.DataFrame({"month": np.tile(dates, 10_001), "sku": np.repeat(np.arange(10_001), 8).astype(str)})
    df["sales"] = 1.0
    at = _uploaded(df, "many.csv")
    _read_as(at, "series")
    _click(at, "series_confirm")
    (series,) = [m for m in at.multiselect if m.label.startswith("Series columns")]
    series.set_value(["sku"]).run()
    no_exception(at)
    assert "10,001 series" in errors(at) and "10,000" in errors(at)


def test_the_sample_is_one_click_on_the_data_page():
    at = goto(app(), "pages/data.py")
    _click(at, "sample_chicago_rides")
    ds = at.session_state["dataset"]
    assert ds.kind == "series" and metric(at, "Series").value == str(ds.preparation.series_count)
    assert ds.preparation.known_ahead_columns == ["home_games", "holiday"]
    assert "'home_games', 'holiday' are known ahead" in page_text(at)


def test_the_sample_is_one_click_on_the_start_page():
    at = app()
    at.button(key="home_chicago_rides").click().run()
    no_exception(at)
    assert at.session_state["dataset"].kind == "series"


# ---- the sample through every page -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_sample_walks_data_model_train_evaluate_predict(local_home: Path):
    at = goto(app(), "pages/data.py")
    _click(at, "sample_chicago_rides")

    # Model: Automatic first, the forecast's settings from the registry, no layers to count.
    goto(at, "pages/model.py")
    (template,) = [r for r in at.radio if r.label == "Template"]
    assert template.options[0].startswith("automatic_forecast") and template.value == "automatic_forecast"
    keys = {n.key for n in at.number_input}
    assert {"setting_horizon", "setting_backtest_windows"} <= keys and "setting_epochs" not in keys
    assert not any(m.label == "Parameters" for m in at.metric)
    text = page_text(at)
    assert "What training does" in [h.value for h in at.subheader] and "Forecasts **12 weeks** ahead" in text
    assert not errors(at)  # the settings as code, the search, the notes: all drawn
    at.number_input(key="setting_backtest_windows").set_value(2).run()  # a quicker backtest for the test
    no_exception(at)
    assert at.session_state["config"].settings.backtest_windows == 2

    # Train: the phases are named, the run is saved.
    train(at)
    run_id = at.session_state["run_id"]

    # Evaluate: the backtest against the seasonal naive, ranges with their coverage, the choice, the worst series.
    goto(at, "pages/evaluate.py")
    labels = [m.label for m in at.metric]
    assert {"% off (WAPE)", "MASE", "Bias", "80% range held", "90% range held"} <= set(labels)
    assert metric(at, "% off (WAPE)").value.endswith("%")
    text = page_text(at)
    assert "seasonal naive:" in text and "Automatic's choice:" in text and "The worst series is" in text
    assert "Over the next 12 weeks" in text
    assert "To cover 90% of outcomes" in text and not errors(at)
    (picker,) = [s for s in at.selectbox if s.key == f"forecast_chart_series_{run_id}"]
    picker.set_value(picker.options[1]).run()  # one station instead of the total
    no_exception(at)
    at.number_input(key=f"stock_short_evaluate_{run_id}").set_value(3.0).run()
    at.number_input(key=f"stock_over_evaluate_{run_id}").set_value(1.0).run()
    no_exception(at)
    assert "covers 75% of outcomes" in page_text(at)

    # Predict: the next 12 weeks with ranges, and the what-if on the known-ahead columns.
    goto(at, "pages/predict.py")
    assert at.radio(key="predict_task").value == "forecasting" and not errors(at)
    assert any(b.label == "Download the forecast (CSV)" for b in at.get("download_button"))
    from ui import run_state

    predictor = run_state.predictor(run_state.run_store().load(run_id))
    prep_date = predictor.preparation.date_column
    frames = [d.value for d in at.dataframe if "low_90" in [str(c) for c in d.value.columns]]
    assert frames and len(frames[0]) == predictor.horizon
    if not predictor.uses_known_ahead:
        assert "do not read 'home_games', 'holiday'" in page_text(at)
    else:
        (editor,) = at.data_editor
        flipped = 1 - int(editor.value.loc[0, "holiday"])  # mark the first week a holiday (or not)
        at.session_state[editor.key] = {"edited_rows": {0: {"holiday": flipped}}, "added_rows": [], "deleted_rows": []}
        at.run()
        at.button(key=f"series_whatif_{run_id}_apply").click().run()
        no_exception(at)
        assert "With these plans the forecast of the total" in page_text(at)

    # A file of planned values: the next horizon's rows come back with forecasts; a date too far gets a sentence.
    plans = predictor.future_rows()
    at.file_uploader(key=f"plans_{run_id}").upload("plans.csv", plans.to_csv(index=False).encode(), "text/csv").run()
    no_exception(at)
    scored = [d.value for d in at.dataframe if {"forecast", "high_90"} <= {str(c) for c in d.value.columns}]
    assert any(len(frame) == len(plans) for frame in scored)
    late = plans.copy()
    late[prep_date] = "2030-01-07"
    at.file_uploader(key=f"plans_{run_id}").upload("late.csv", late.to_csv(index=False).encode(), "text/csv").run()
    no_exception(at)
    assert "2030-01-07" in errors(at)

    # Saved runs: the run's headline is its WAPE and the coverage of its ranges.
    goto(at, "pages/runs.py")
    (runs_table,) = [d.value for d in at.dataframe if "headline" in d.value.columns]
    assert runs_table.loc[runs_table["run"] == run_id, "headline"].iloc[0].startswith("WAPE ")


@pytest.mark.slow
def test_saved_runs_and_compare_show_backtest_errors(local_home: Path):
    from modeling.data.series.dataset import series_dataset
    from modeling.runs.store import default_store
    from modeling.templates.defaults import config_for_data
    from modeling.training.experiment import run_experiment

    table = weekly_sales(stores=3, weeks=120)
    ds = series_dataset(table, "week", "units", ["store"], ["promo"], name="sales", source="sales.csv")
    store = default_store()
    for template in ("seasonal_naive", "auto_ets"):
        config = config_for_data(ds, template=template).config
        run_experiment(
            config.model_copy(update={"settings": config.settings.model_copy(update={"horizon": 8})}), ds, store=store
        )

    at = goto(app(), "pages/runs.py")
    (runs_table,) = [d.value for d in at.dataframe if "headline" in d.value.columns]
    headlines = runs_table.loc[runs_table["task"] == "forecasting", "headline"]
    assert len(headlines) == 2 and all(h.startswith("WAPE ") and "80% range held" in h for h in headlines)

    goto(at, "pages/compare.py")
    assert at.radio(key="compare_task").value == "forecasting"
    text = page_text(at)
    assert "The lowest backtest error is" in text and "than the seasonal naive" in text
    (figures,) = [d.value for d in at.dataframe if "% off (WAPE)" in d.value.columns]
    assert sorted(figures["template"]) == ["auto_ets", "seasonal_naive"]
    assert figures["% off (WAPE)"].notna().all()

    # The single-model run's Evaluate page: no Automatic's choice, the model next to the seasonal naive.
    goto(at, "pages/evaluate.py")
    assert metric(at, "% off (WAPE)").value.endswith("%")
    assert "Automatic's choice" not in page_text(at)


@pytest.mark.slow
def test_find_the_best_model_ranks_the_candidates_and_keeps_automatic(local_home: Path):
    from modeling.training.jobs import JOBS

    at = _uploaded(weekly_sales(stores=3, weeks=120))
    _click(at, "series_confirm")
    goto(at, "pages/model.py")
    at.slider(key="forecast_search_budget").set_value(20).run()
    _click(at, "forecast_search_start")
    search = JOBS.get_search(at.session_state["forecast_search_id"], None)
    deadline = time.time() + 300
    while not search.done and time.time() < deadline:
        time.sleep(0.5)
    assert search.snapshot()["state"] == "finished", search.snapshot()
    at.run()
    no_exception(at)
    (board,) = [d.value for d in at.dataframe if "backtest WAPE (lower is better)" in d.value.columns]
    assert "Seasonal naive" in set(board["model"]) and len(board) >= 3
    assert "ranked by WAPE" in page_text(at)
    next(b for b in at.button if b.label == "Use this model").click().run()
    no_exception(at)
    assert "Saved as run" in page_text(at)
