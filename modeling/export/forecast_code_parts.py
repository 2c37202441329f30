"""Source text of the forecast script's pieces: reading the series, each kind of model, the backtest, the blend.

Each constant is plain Python that :mod:`modeling.export.forecast_code` joins under the run's settings. The
pieces mirror ModelDeck's own modules without importing them: the series read as
``modeling.data.series.prepare_series`` read them, statsforecast's models as
``modeling.templates.forecast.statistical`` builds them, the global boosted model and the network as
``boosted`` and ``network`` there, and the backtest as ``modeling.evaluation.forecast.backtest``.
"""

from __future__ import annotations

READ = '''
def read_series(path):
    """The long frame (unique_id, ds, y, known-ahead columns), prepared as ModelDeck prepared it."""
    suffix = Path(path).suffix.lower()
    if suffix in (".xlsx", ".xls"):
        df = pd.read_excel(path)
    elif suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        df = pd.read_csv(path, sep=None, engine="python")
    if DATE_ORDER == "iso":
        ds = pd.to_datetime(df[DATE].astype(str).str.strip(), format="ISO8601")
    else:
        ds = pd.to_datetime(df[DATE].astype(str).str.strip(), dayfirst=DATE_ORDER == "day_first", format="mixed")
    ds = ds.dt.normalize()
    if FREQ == "MS":
        ds = ds.dt.to_period("M").dt.start_time
    if SERIES:
        parts = [df[c].astype(str).str.strip() for c in SERIES]
        ids = parts[0]
        for part in parts[1:]:
            ids = ids + " / " + part
    else:
        ids = pd.Series("all", index=df.index)
    y = df[TARGET]
    if not pd.api.types.is_numeric_dtype(y):
        cleaned = y.astype(str).str.replace(r"^[$€£¥]\\s*|\\s*[$€£¥]$", "", regex=True)
        y = pd.to_numeric(cleaned.str.replace(r"(?<=\\d),(?=\\d{3}(\\D|$))", "", regex=True), errors="coerce")
    long = pd.DataFrame({"unique_id": ids.to_numpy(), "ds": ds.to_numpy(), "y": y.astype(float).to_numpy()})
    for column in KNOWN:
        long[column] = pd.to_numeric(df[column], errors="coerce").astype(float).to_numpy()
    long = long.dropna(subset=["y"])
    long = long.groupby(["unique_id", "ds"], as_index=False).agg({"y": "sum", **{c: "max" for c in KNOWN}})
    last = long["ds"].max()
    frames = []
    for uid, part in long.groupby("unique_id"):
        if FILL_GAPS != "none" or part["ds"].max() < last:
            end = last if FILL_GAPS == "zero" else part["ds"].max()
            grid = pd.DataFrame({"ds": pd.date_range(part["ds"].min(), end, freq=FREQ)})
            part = grid.merge(part, on="ds", how="left").assign(unique_id=uid)
            part["y"] = part["y"].fillna(0.0) if FILL_GAPS == "zero" else part["y"].interpolate()
            for column in KNOWN:
                part[column] = part[column].ffill().bfill().fillna(0.0)
        if part["ds"].max() < last or part["y"].notna().sum() < MIN_POINTS:
            continue  # stopped early (discontinued) or too short: ModelDeck left it out too
        frames.append(part)
    long = pd.concat(frames, ignore_index=True)
    for column in KNOWN:
        long[column] = long[column].fillna(0.0)
    return long.sort_values(["unique_id", "ds"]).reset_index(drop=True)[["unique_id", "ds", "y", *KNOWN]]


def future_dates(long, horizon):
    """unique_id and ds of the horizon steps after each series' last date (known-ahead: 0 or the last value)."""
    rows = []
    for uid, part in long.groupby("unique_id"):
        dates = pd.date_range(part["ds"].max(), periods=horizon + 1, freq=FREQ)[1:]
        frame = pd.DataFrame({"unique_id": uid, "ds": dates})
        for column in KNOWN:
            values = part[column]
            flag = values.isin([0.0, 1.0]).all()
            frame[column] = 0.0 if flag else float(values.iloc[-1])
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)
'''

STATISTICAL = '''
def statistical(train, future, names):
    """statsforecast's models in one pass; series shorter than two seasons get the non-seasonal versions."""
    from statsforecast import StatsForecast
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, AutoTheta, Naive, SeasonalNaive

    def models(m):
        long_season = m > 24  # ETS and ARIMA then model the series after an STL decomposition (as R's stlf)
        build = {
            "seasonal_naive": lambda: SeasonalNaive(season_length=m, alias="seasonal_naive"),
            "auto_ets": lambda: MSTL(season_length=m, trend_forecaster=AutoETS(model="ZZN"), alias="auto_ets")
            if long_season
            else AutoETS(season_length=m, alias="auto_ets"),
            "auto_theta": lambda: AutoTheta(season_length=m, alias="auto_theta"),
            "auto_arima": lambda: MSTL(season_length=m, trend_forecaster=AutoARIMA(), alias="auto_arima")
            if long_season
            else AutoARIMA(season_length=m, alias="auto_arima"),
        }
        return [build[name]() for name in names]

    sizes = train.groupby("unique_id").size()
    seasonal = sizes.index[sizes >= 2 * SEASON] if SEASON > 1 else sizes.index[:0]
    frames = []
    for ids, season in ((seasonal, SEASON), (sizes.index.difference(seasonal), 1)):
        if len(ids):
            engine = StatsForecast(models=models(max(1, season)), freq=FREQ, n_jobs=1, fallback_model=Naive())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                part = train[train["unique_id"].isin(ids)][["unique_id", "ds", "y"]]
                frames.append(engine.forecast(df=part, h=HORIZON))
    out = pd.concat(frames, ignore_index=True)
    last = train.groupby("unique_id")["y"].last()
    for name in names:
        out[name] = out[name].fillna(out["unique_id"].map(last))
    return future[["unique_id", "ds"]].merge(out[["unique_id", "ds", *names]], on=["unique_id", "ds"], how="left")
'''

PANEL = '''
def to_panel(long):
    """Series x steps arrays (NaN before a series starts), the steps' dates and the known-ahead arrays."""
    ids = np.array(sorted(long["unique_id"].unique()))
    dates = pd.date_range(long["ds"].min(), long["ds"].max(), freq=FREQ)
    row = pd.Series(np.arange(len(ids)), index=ids)[long["unique_id"]].to_numpy()
    col = pd.Series(np.arange(len(dates)), index=dates)[long["ds"]].to_numpy()
    values = np.full((len(ids), len(dates)), np.nan)
    values[row, col] = long["y"].to_numpy()
    known = {}
    for column in KNOWN:
        known[column] = np.zeros_like(values)
        known[column][row, col] = long[column].to_numpy()
    return ids, dates, values, known


def extend(dates, known, ids, future, steps):
    """The panel's dates and known-ahead arrays with ``steps`` more steps, filled from ``future``."""
    more = pd.date_range(dates[-1], periods=steps + 1, freq=FREQ)[1:]
    all_dates = dates.append(more)
    index = pd.Series(np.arange(len(all_dates)), index=all_dates)
    rows = pd.Series(np.arange(len(ids)), index=ids)
    grown = {}
    for column in KNOWN:
        array = np.concatenate([known[column], np.zeros((len(ids), steps))], axis=1)
        array[rows[future["unique_id"]].to_numpy(), index[future["ds"]].to_numpy()] = future[column].to_numpy()
        grown[column] = array
    return all_dates, grown


def answer(ids, all_dates, values, future, name):
    """The forecast of ``future``'s rows from a series x steps array."""
    rows = pd.Series(np.arange(len(ids)), index=ids)[future["unique_id"]].to_numpy()
    cols = pd.Series(np.arange(len(all_dates)), index=all_dates)[future["ds"]].to_numpy()
    out = future[["unique_id", "ds"]].reset_index(drop=True)
    out[name] = values[rows, cols]
    return out
'''

BOOSTED = '''
def calendar(dates):
    """Integer calendar features of each step's date (what repeats within a year at this frequency)."""
    unit = UNIT
    codes = []
    if unit == "day":
        codes += [dates.day_of_week.to_numpy(), dates.day.to_numpy()]
    if unit in ("day", "week"):
        codes.append(dates.isocalendar().week.to_numpy(dtype=np.int64))
    if unit in ("day", "week", "month"):
        codes.append(dates.month.to_numpy())
    if unit == "quarter":
        codes.append(dates.quarter.to_numpy())
    return codes


def rolling_mean(values, window):
    """Mean of the ``window`` steps before each step (NaN ignored)."""
    filled, counts = np.nan_to_num(values), np.isfinite(values).astype(float)
    pad = np.zeros((values.shape[0], 1))
    total = np.concatenate([pad, np.cumsum(filled, axis=1)], axis=1)
    count = np.concatenate([pad, np.cumsum(counts, axis=1)], axis=1)
    end = np.arange(values.shape[1])
    begin = np.maximum(end - window, 0)
    sums, numbers = total[:, end] - total[:, begin], count[:, end] - count[:, begin]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(numbers > 0, sums / np.maximum(numbers, 1), np.nan)


def boosted(train, future):
    """One HistGradientBoosting model across all series over lags, rolling means, calendar and known-ahead
    columns, each series divided by its recent level; multi-step forecasts are recursive."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    ids, dates, values, known = to_panel(train)
    with np.errstate(invalid="ignore"):
        level = np.array([np.nanmean(np.abs(r[np.isfinite(r)][-max(SEASON, 8):])) for r in values])
    level = np.where(np.isfinite(level) & (level > 0), level, 1.0)
    nonnegative = bool(np.nanmin(values) >= 0)
    use_series = len(ids) <= 255
    count = BOOSTED["max_lags"] or min(max(SEASON, 4), 13)
    lags = list(range(1, count + 1)) + ([SEASON] if SEASON > count else [])
    windows = sorted({w for w in (4, SEASON) if w > 1})

    def design(scaled, all_dates, known_now, columns):
        shape = (len(ids), len(columns))
        blocks = []
        for lag in lags:
            source = columns - lag
            blocks.append(np.where(source >= 0, scaled[:, np.clip(source, 0, None)], np.nan))
        blocks += [rolling_mean(scaled, w)[:, columns] for w in windows]
        blocks += [np.broadcast_to(c.astype(float), shape) for c in calendar(all_dates[columns])]
        blocks += [known_now[c][:, columns] for c in KNOWN]
        blocks.append(np.broadcast_to(np.log1p(level)[:, None], shape))
        if use_series:
            blocks.append(np.broadcast_to(np.arange(len(ids), dtype=float)[:, None], shape))
        return np.stack([np.asarray(b, dtype=float).reshape(-1) for b in blocks], axis=1)

    scaled = values / level[:, None]
    steps = values.shape[1]
    columns = np.arange(max(1, steps - max(1, BOOSTED["max_rows"] // len(ids))), steps)
    x, y = design(scaled, dates, known, columns), scaled[:, columns].reshape(-1)
    usable = np.isfinite(y) & np.isfinite(x[:, 0])
    found = [lag for i, lag in enumerate(lags) if np.isfinite(x[usable, i]).any()]
    if len(found) < len(lags):  # a lag longer than the history (52 weeks of 30) has nothing to learn from
        lags[:] = found
        x = design(scaled, dates, known, columns)
    categorical = np.zeros(x.shape[1], dtype=bool)
    categorical[-1] = use_series
    model = HistGradientBoostingRegressor(
        max_iter=BOOSTED["max_iter"],
        learning_rate=BOOSTED["learning_rate"],
        max_leaf_nodes=BOOSTED["max_leaf_nodes"],
        min_samples_leaf=BOOSTED["min_samples_leaf"],
        l2_regularization=BOOSTED["l2_regularization"],
        early_stopping=False,
        categorical_features=categorical if use_series else None,
        random_state=BOOSTED["seed"],
    ).fit(x[usable], y[usable])
    all_dates, known_all = extend(dates, known, ids, future, HORIZON)
    grown = np.concatenate([scaled, np.full((len(ids), len(all_dates) - steps), np.nan)], axis=1)
    for column in range(steps, len(all_dates)):
        step = model.predict(design(grown, all_dates, known_all, np.array([column])))
        grown[:, column] = np.maximum(step, 0.0) if nonnegative else step
    return answer(ids, all_dates, grown * level[:, None], future, "boosted")
'''

NETWORK = '''
def network(train, future):
    """A Keras network over windows of every series: past values (divided by the window's level) and the next
    steps' calendar and known-ahead values in, the whole horizon out."""
    ids, dates, values, known = to_panel(train)
    h = HORIZON
    longest = int(np.isfinite(values).sum(axis=1).max())
    window = int(max(2, min(NETWORK["window"] or max(2 * h, SEASON), longest - h)))
    all_dates, known_all = extend(dates, known, ids, future, h)
    year = (all_dates.day_of_year.to_numpy() - 1) / 365.25
    waves = [np.sin(2 * np.pi * year), np.cos(2 * np.pi * year)]
    if UNIT == "day":
        week = all_dates.day_of_week.to_numpy() / 7
        waves += [np.sin(2 * np.pi * week), np.cos(2 * np.pi * week)]
    waves = np.stack(waves, axis=1) if UNIT != "year" else np.zeros((len(all_dates), 0))

    def ahead(rows, origins):
        steps = origins[:, None] + np.arange(h)[None, :]
        parts = [waves[steps]] + [known_all[c][rows[:, None], steps][..., None] for c in KNOWN]
        return np.concatenate(parts, axis=2).reshape(len(origins), -1)

    spans = np.lib.stride_tricks.sliding_window_view(values, window + h, axis=1)
    rows, positions = np.nonzero(np.isfinite(spans).all(axis=2))
    x = np.concatenate([spans[rows, positions, :window], ahead(rows, positions + window)], axis=1)
    y = spans[rows, positions, window:]
    last = positions.max()
    validation = positions > last - max(1, min(h, (last + 1) // 5))
    training = positions <= positions[validation].min() - h
    if not training.any():
        training, validation = np.ones_like(validation), np.zeros_like(validation)
    keras.utils.set_random_seed(NETWORK["seed"])
    inputs = keras.Input((x.shape[1],))
    history, rest = inputs[:, :window], inputs[:, window:]
    level = keras.ops.maximum(keras.ops.mean(keras.ops.abs(history), axis=-1, keepdims=True), 1e-6)
    scaled = history / level
    z = keras.ops.concatenate([scaled, rest], axis=-1)
    for i in range(NETWORK["hidden_layers"]):
        z = keras.layers.Dense(NETWORK["hidden_units"], activation="relu")(z)
        if NETWORK["dropout"] > 0:
            z = keras.layers.Dropout(NETWORK["dropout"], seed=NETWORK["seed"] + i)(z)
    outputs = (keras.layers.Dense(h)(z) + scaled[:, -1:]) * level
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(NETWORK["learning_rate"]), loss="mae")
    stop = [keras.callbacks.EarlyStopping(patience=NETWORK["patience"], restore_best_weights=True)]
    model.fit(
        x[training].astype("float32"),
        y[training].astype("float32"),
        validation_data=(x[validation].astype("float32"), y[validation].astype("float32"))
        if validation.any()
        else None,
        epochs=NETWORK["epochs"],
        batch_size=min(NETWORK["batch_size"], int(training.sum())),
        callbacks=stop if validation.any() and NETWORK["patience"] > 0 else [],
        verbose=0,
    )
    seen = [r[np.isfinite(r)] for r in values]
    past = np.array([np.concatenate([np.full(window, r[0]), r])[-window:] for r in seen])
    start = len(dates)
    inputs_now = np.concatenate([past, ahead(np.arange(len(ids)), np.full(len(ids), start))], axis=1)
    guess = model.predict(inputs_now.astype("float32"), verbose=0)
    grown = np.concatenate([values, np.full((len(ids), len(all_dates) - start), np.nan)], axis=1)
    grown[:, start : start + h] = guess
    return answer(ids, all_dates, grown, future, "network")
'''

BACKTEST = '''
def forecast_all(train, future, names):
    """unique_id, ds and one column per model name, each fitted on ``train`` and forecasting ``future``."""
    out = future[["unique_id", "ds"]].reset_index(drop=True)
    chosen = [n for n in ("seasonal_naive", "auto_ets", "auto_theta", "auto_arima") if n in names]
    if chosen:
        out = out.merge(statistical(train, future, chosen), on=["unique_id", "ds"], how="left")
    for name, fit in (("boosted", globals().get("boosted")), ("network", globals().get("network"))):
        if name in names:
            out = out.merge(fit(train, future), on=["unique_id", "ds"], how="left")
    return out


def scale(y):
    """The MASE denominator: the seasonal naive's mean absolute error inside the history."""
    y = np.asarray(y, dtype=float)
    lag = SEASON if len(y) > SEASON else 1
    error = np.abs(y[lag:] - y[:-lag]).mean() if len(y) > lag else np.nan
    return error if error > 0 else np.nan


def backtest(long, names):
    """The last WINDOWS horizons held out in turn: each forecast only from the rows before its cut-off."""
    longest = long.groupby("unique_id").size().max()
    windows = min(WINDOWS, max(1, (longest - MIN_POINTS - HORIZON) // HORIZON + 1))
    grid = pd.date_range(end=long["ds"].max(), periods=HORIZON * windows + 1, freq=FREQ)
    frames = []
    for cutoff in grid[::HORIZON][:windows]:
        train = long[long["ds"] <= cutoff]
        sizes = train.groupby("unique_id").size()
        train = train[train["unique_id"].isin(sizes.index[sizes >= MIN_POINTS])]
        end = pd.date_range(cutoff, periods=HORIZON + 1, freq=FREQ)[-1]
        test = long[(long["ds"] > cutoff) & (long["ds"] <= end) & long["unique_id"].isin(train["unique_id"])]
        predicted = forecast_all(train.reset_index(drop=True), test.reset_index(drop=True), names)
        frame = test[["unique_id", "ds", "y"]].merge(predicted, on=["unique_id", "ds"])
        frame["cutoff"] = cutoff
        steps = pd.Series(np.arange(HORIZON + 1), index=pd.date_range(cutoff, periods=HORIZON + 1, freq=FREQ))
        frame["step"] = frame["ds"].map(steps)
        frame["scale"] = frame["unique_id"].map(train.groupby("unique_id")["y"].agg(scale))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def blend(frame, choice):
    """The run's choice: its models weighted as Automatic weighted them."""
    return sum(weight * frame[name] for name, weight in choice.items())


def figures(cv, column):
    """WAPE, MASE (mean per series and window) and bias of one forecast column on the backtest."""
    error = cv["y"] - cv[column]
    wape = error.abs().sum() / cv["y"].abs().sum()
    mase = (error.abs() / cv["scale"]).groupby([cv["unique_id"], cv["cutoff"]]).mean().mean()
    bias = -error.mean() / abs(cv["y"].mean())
    return wape, mase, bias


def ranges(cv, forecast):
    """80% and 90% ranges: per step the conformal quantile of the blend's backtest errors (pooled across steps
    with square-root growth when few), as in the run; the low end stops at 0 when the history never went below."""
    errors = (cv["y"] - cv["automatic"]).abs().to_numpy()
    steps = cv["step"].to_numpy()
    nonnegative = bool(cv["y"].min() >= 0)
    for level in (0.8, 0.9):
        q = np.sort(errors / np.sqrt(steps))
        half = q[min(len(q), int(np.ceil((len(q) + 1) * level))) - 1] * np.sqrt(forecast["step"].to_numpy())
        low = forecast["forecast"] - half
        forecast[f"low_{round(level * 100)}"] = np.maximum(low, 0.0) if nonnegative else low
        forecast[f"high_{round(level * 100)}"] = forecast["forecast"] + half
    return forecast
'''

MAIN = """
def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DATA_FILE
    long = read_series(path)
    first, last = f"{long['ds'].min():%Y-%m-%d}", f"{long['ds'].max():%Y-%m-%d}"
    print(f"{long['unique_id'].nunique()} series, {len(long)} dated values, {first} to {last}")
    cv = backtest(long, sorted(set(CHOICE or CANDIDATES) | {"seasonal_naive"}))
    choice = CHOICE or {min(CANDIDATES, key=lambda name: figures(cv, name)[0]): 1.0}
    cv["automatic"] = blend(cv, choice)
    print(f"Backtest over the last {cv['cutoff'].nunique()} horizons of {HORIZON} steps ({len(cv)} forecasts):")
    for column, label in (("automatic", "the forecast"), ("seasonal_naive", "seasonal naive")):
        wape, mase, bias = figures(cv, column)
        print(f"  {label:<15} WAPE {wape:6.1%}   MASE {mase:5.2f}   bias {bias:+6.1%}")
    future = future_dates(long, HORIZON)
    answers = forecast_all(long, future, sorted(choice))
    forecast = answers[["unique_id", "ds"]].copy()
    forecast["step"] = forecast.groupby("unique_id").cumcount() + 1
    forecast["forecast"] = blend(answers, choice).to_numpy()
    forecast = ranges(cv, forecast)
    forecast.rename(columns={"unique_id": "series", "ds": "date"}).to_csv("forecast.csv", index=False)
    print(f"Wrote forecast.csv: the next {HORIZON} steps of each series with 80% and 90% ranges.")


if __name__ == "__main__":
    main()
"""
