"""One gradient-boosted model across all series: lags, rolling means, calendar and known-ahead columns.

A *global* model learns from every series at once (the approach that won the M5 competition): a shop with two
years of history borrows the promotion effect seen in forty others. Each series is divided by its own recent
level (mean absolute value of its last season), so one model serves series of 10 and 10,000 units; the level
(its logarithm) is a feature too, and the series itself is one when there are at most 255 of them (the trees'
limit for categories).

Multi-step forecasts are **recursive**: one model predicts the next step, which becomes a lag for the step
after. The alternative, a direct model per step, costs ``horizon`` fits for a gain the M5 results did not show
on retail data, and one model keeps a refit at predict time to a few seconds; the rolling-origin backtest
measures the compounding error honestly.

The trees are scikit-learn's ``HistGradientBoostingRegressor``. Against Nixtla's mlforecast with LightGBM
(same lags, rolling means and settings; ``benchmarks/bench_forecast.py --mlforecast``) on the four benchmark
sets each won two (mean WAPE 10.4% here, 9.9% there; LightGBM about 3x faster), so the thin layer stays: it
needs no new dependency (mlforecast's metadata pins pandas < 3 and pulls optuna and LightGBM), and its threads
follow ``MODELDECK_TREE_THREADS``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from modeling import settings as env
from modeling.templates.forecast.base import ForecastSpec
from modeling.templates.forecast.panel import Panel, calendar_codes, rolling_mean, to_panel
from modeling.templates.forecast.settings import BoostedSettings

#: Most series whose name is itself a feature (HistGradientBoosting's categories fit in 255 bins).
MAX_SERIES_CATEGORIES = 255


class BoostedForecaster:
    """The global boosted-trees model (see the module docstring)."""

    names = ("boosted",)

    def __init__(self, settings: BoostedSettings | None = None) -> None:
        self.settings = settings or BoostedSettings()
        self.model_: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "boosted", "settings": dict(vars(self.settings))}

    # ---- features ------------------------------------------------------------------------------------------------
    def _lags(self, season: int) -> list[int]:
        count = self.settings.max_lags or min(max(season, 4), 13)
        lags = list(range(1, count + 1))
        return lags + ([season] if season > count else [])

    def _windows(self, season: int) -> list[int]:
        return sorted({w for w in (4, season) if w > 1})

    def _design(self, scaled: np.ndarray, panel: Panel, columns: np.ndarray) -> np.ndarray:
        """Features of every series at ``columns`` (steps): rows are series-major, one per (series, column)."""
        season = self.spec_.season_length
        blocks = []
        for lag in self.lags_:
            source = columns - lag
            block = scaled[:, np.clip(source, 0, None)]
            blocks.append(np.where(source >= 0, block, np.nan))
        for window in self._windows(season):
            blocks.append(rolling_mean(scaled, window)[:, columns])
        shape = (len(panel.ids), len(columns))
        for codes in calendar_codes(panel.dates[columns], panel.frequency.unit).values():
            blocks.append(np.broadcast_to(codes.astype(np.float64), shape))
        for name in self.spec_.known_ahead:
            blocks.append(panel.known[name][:, columns])
        blocks.append(np.broadcast_to(np.log1p(self.level_)[:, None], shape))
        if self.use_series_:
            blocks.append(np.broadcast_to(np.arange(len(panel.ids), dtype=np.float64)[:, None], shape))
        return np.stack([np.asarray(b, dtype=np.float64).reshape(-1) for b in blocks], axis=1)

    # ---- fit and predict -----------------------------------------------------------------------------------------
    def fit(self, train: pd.DataFrame, spec: ForecastSpec) -> BoostedForecaster:
        from sklearn.ensemble import HistGradientBoostingRegressor
        from threadpoolctl import threadpool_limits

        self.spec_ = spec
        self.panel_ = to_panel(train, spec.freq, spec.known_ahead)
        values = self.panel_.values
        recent = max(spec.season_length, 8)
        with np.errstate(invalid="ignore"):
            level = np.array([np.nanmean(np.abs(row[np.isfinite(row)][-recent:])) for row in values])
        self.level_ = np.where(np.isfinite(level) & (level > 0), level, 1.0)
        self.nonnegative_ = bool(np.nanmin(values) >= 0)
        self.use_series_ = len(self.panel_.ids) <= MAX_SERIES_CATEGORIES
        scaled = values / self.level_[:, None]
        steps = values.shape[1]
        keep = max(1, self.settings.max_rows // max(1, len(self.panel_.ids)))
        columns = np.arange(max(1, steps - keep), steps)
        self.lags_ = self._lags(spec.season_length)
        features = self._design(scaled, self.panel_, columns)
        target = scaled[:, columns].reshape(-1)
        usable = np.isfinite(target) & np.isfinite(features[:, 0])
        # a lag longer than the history (a 52-week lag on 30 weeks) has no value to learn from: leave it out
        known = [lag for i, lag in enumerate(self.lags_) if np.isfinite(features[usable, i]).any()]
        if len(known) < len(self.lags_):
            self.lags_ = known
            features = self._design(scaled, self.panel_, columns)
        categorical = np.zeros(features.shape[1], dtype=bool)
        categorical[-1] = self.use_series_
        s = self.settings
        self.model_ = HistGradientBoostingRegressor(
            max_iter=s.max_iter,
            learning_rate=s.learning_rate,
            max_leaf_nodes=s.max_leaf_nodes,
            min_samples_leaf=s.min_samples_leaf,
            l2_regularization=s.l2_regularization,
            early_stopping=False,
            categorical_features=categorical if self.use_series_ else None,
            random_state=s.seed,
        )
        with threadpool_limits(limits=env.tree_threads()):
            self.model_.fit(features[usable], target[usable])
        return self

    def predict(self, future: pd.DataFrame) -> pd.DataFrame:
        if self.model_ is None:
            raise RuntimeError("fit the forecaster before predicting")
        from threadpoolctl import threadpool_limits

        panel, positions = self.panel_.extend(future, self.spec_.known_ahead)
        scaled = panel.values / self.level_[:, None]
        start = len(self.panel_.dates)
        with threadpool_limits(limits=env.tree_threads()):
            for column in range(start, len(panel.dates)):
                step = self.model_.predict(self._design(scaled, panel, np.array([column])))
                scaled[:, column] = np.maximum(step, 0.0) if self.nonnegative_ else step
        rows = pd.Series(np.arange(len(panel.ids)), index=panel.ids).reindex(future["unique_id"].to_numpy())
        rows = rows.fillna(-1).to_numpy(dtype=np.int64)
        found = (rows >= 0) & (positions >= 0)
        values = np.full(len(future), np.nan)
        values[found] = scaled[rows[found], positions[found]] * self.level_[rows[found]]
        out = future[["unique_id", "ds"]].reset_index(drop=True)
        out["boosted"] = values
        return out
