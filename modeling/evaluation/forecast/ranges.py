"""80% and 90% forecast ranges by conformal calibration on backtest errors, with their coverage measured.

The backtest says how far off the forecasts were, per step ahead (one week out is easier than twelve). For each
step, the conformal quantile of the absolute errors (rank ``ceil((n + 1) * level)`` of ``n``) is a half-width
that would have held the actual value ``level`` of the time (Stankeviciute et al. 2021 for multi-step
forecasts; pooled across series as in Nixtla's conformal intervals). Two variants are fitted on the calibration
errors and the one with the lower interval (Winkler) score kept:

* **absolute**: one half-width per step for every series, in the target's units;
* **scaled**: errors divided by each series' own scale (the MASE denominator), so a shop selling 10 a week gets
  a narrow range and one selling 10,000 a wide one.

With too few errors per step (one series, few windows) the steps are pooled, each error divided by the square
root of its step, and the width grows with that root (how a random walk's spread grows). Half-widths never
shrink with the step. Coverage is measured on a *later* backtest window than the ones calibrated on, and saved
beside the nominal level, so "90% range" is a checked fact. The same errors give, per step, the quantiles a
newsvendor needs (:mod:`.newsvendor`): stock enough to cover q% of outcomes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from modeling.evaluation.intervals import wilson

LEVELS = (0.8, 0.9)
#: Errors per step below which steps are pooled (a conformal 90% quantile of fewer than ~20 values is noisy).
MIN_PER_STEP = 20
#: Quantiles of the signed errors kept for the newsvendor (any level between them is interpolated).
QUANTILE_LEVELS = (0.01, 0.02, 0.05, *(round(0.1 * i, 1) for i in range(1, 10)), 0.95, 0.98, 0.99)


def key(level: float) -> str:
    """``'80'`` for 0.8: the suffix of the ``low_80`` / ``high_80`` columns."""
    return f"{round(level * 100):d}"


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ``ceil((n + 1) * level)``-th smallest score (the largest when ``n`` is too small for that rank)."""
    ordered = np.sort(scores[np.isfinite(scores)])
    if not len(ordered):
        return 0.0
    rank = math.ceil((len(ordered) + 1) * level)
    return float(ordered[min(rank, len(ordered)) - 1])


@dataclass
class Ranges:
    """Calibrated half-widths per level and step, and the error quantiles behind them; plain JSON via ``to_dict``."""

    horizon: int
    levels: list[float] = field(default_factory=lambda: list(LEVELS))
    #: Half-widths in the target's units (absolute) or in units of each series' scale (scaled).
    scaled: bool = False
    #: ``{"80": [step 1, step 2, ...], "90": [...]}``.
    half_widths: dict[str, list[float]] = field(default_factory=dict)
    #: Steps pooled with square-root growth because there were too few errors per step.
    pooled: bool = False
    #: Low ends are cut at 0 when the history never went below 0 (sales cannot be negative).
    nonnegative: bool = False
    calibration_errors: int = 0
    quantile_levels: list[float] = field(default_factory=lambda: list(QUANTILE_LEVELS))
    #: Per step, quantiles of the signed error (actual - forecast, scaled when ``scaled``).
    error_quantiles: list[list[float]] = field(default_factory=list)
    #: Quantiles of the signed error of a whole horizon's total per series (scaled when ``scaled``).
    total_quantiles: list[float] = field(default_factory=list)
    #: Scale used for a series that has none (a constant history), from the calibration series.
    fallback_scale: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ranges:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def unit(self, scale: np.ndarray) -> np.ndarray:
        """Each row's multiplier: its series' scale (scaled) or 1 (absolute)."""
        if not self.scaled:
            return np.ones(len(scale))
        scale = np.asarray(scale, dtype=np.float64)
        return np.where(np.isfinite(scale) & (scale > 0), scale, self.fallback_scale)

    def bounds(self, forecast: np.ndarray, step: np.ndarray, scale: np.ndarray) -> dict[str, np.ndarray]:
        """``{"low_80": ..., "high_80": ..., "low_90": ..., "high_90": ...}`` around ``forecast`` (step 1-based)."""
        forecast = np.asarray(forecast, dtype=np.float64)
        index = np.clip(np.asarray(step, dtype=np.int64) - 1, 0, self.horizon - 1)
        unit = self.unit(scale)
        out: dict[str, np.ndarray] = {}
        for level in self.levels:
            width = np.asarray(self.half_widths[key(level)])[index] * unit
            low = forecast - width
            out[f"low_{key(level)}"] = np.maximum(low, 0.0) if self.nonnegative else low
            out[f"high_{key(level)}"] = forecast + width
        return out


def _scores(errors: pd.DataFrame, scaled: bool, fallback: float) -> np.ndarray:
    e = np.abs(errors["y"].to_numpy() - errors["forecast"].to_numpy())
    if not scaled:
        return e
    scale = errors["scale"].to_numpy(dtype=np.float64)
    return e / np.where(np.isfinite(scale) & (scale > 0), scale, fallback)


def calibrate(
    errors: pd.DataFrame,
    horizon: int,
    levels: Iterable[float] = LEVELS,
    scaled: bool = False,
    nonnegative: bool = False,
) -> Ranges:
    """Ranges from backtest ``errors`` (``unique_id``, ``cutoff``, ``step``, ``y``, ``forecast``, ``scale``)."""
    levels = list(levels)
    finite = errors["scale"].to_numpy(dtype=np.float64)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    fallback = float(np.median(finite)) if len(finite) else 1.0
    scores = _scores(errors, scaled, fallback)
    steps = errors["step"].to_numpy()
    counts = np.bincount(steps, minlength=horizon + 1)[1 : horizon + 1]
    pooled = bool(counts.min() < MIN_PER_STEP)
    half: dict[str, list[float]] = {}
    for level in levels:
        if pooled:
            q = conformal_quantile(scores / np.sqrt(steps), level)
            widths = q * np.sqrt(np.arange(1, horizon + 1))
        else:
            widths = np.array([conformal_quantile(scores[steps == h], level) for h in range(1, horizon + 1)])
        half[key(level)] = [float(w) for w in np.maximum.accumulate(widths)]
    ranges = Ranges(
        horizon=horizon,
        levels=levels,
        scaled=scaled,
        half_widths=half,
        pooled=pooled,
        nonnegative=nonnegative,
        calibration_errors=len(errors),
        fallback_scale=fallback,
    )
    _error_quantiles(ranges, errors, steps)
    return ranges


def _error_quantiles(ranges: Ranges, errors: pd.DataFrame, steps: np.ndarray) -> None:
    unit = ranges.unit(errors["scale"].to_numpy(dtype=np.float64))
    signed = (errors["y"].to_numpy() - errors["forecast"].to_numpy()) / unit
    q = np.asarray(ranges.quantile_levels)
    overall = np.quantile(signed / np.sqrt(steps), q)
    per_step = []
    for h in range(1, ranges.horizon + 1):
        mine = signed[steps == h]
        values = np.quantile(mine, q) if len(mine) >= MIN_PER_STEP else overall * math.sqrt(h)
        per_step.append([float(v) for v in values])
    ranges.error_quantiles = per_step
    totals = pd.Series(signed).groupby([errors["unique_id"].to_numpy(), errors["cutoff"].to_numpy()]).sum()
    ranges.total_quantiles = [float(v) for v in np.quantile(totals.to_numpy(), q)]


def interval_score(ranges: Ranges, errors: pd.DataFrame) -> float:
    """Mean Winkler interval score over the levels (width plus 2/alpha times any miss): lower is better."""
    total = 0.0
    y, forecast = errors["y"].to_numpy(), errors["forecast"].to_numpy()
    bounds = ranges.bounds(forecast, errors["step"].to_numpy(), errors["scale"].to_numpy(dtype=np.float64))
    for level in ranges.levels:
        low, high, alpha = bounds[f"low_{key(level)}"], bounds[f"high_{key(level)}"], 1 - level
        miss = np.maximum(low - y, 0) + np.maximum(y - high, 0)
        total += float(np.mean(high - low + 2 / alpha * miss))
    return total / len(ranges.levels)


def fit_ranges(
    errors: pd.DataFrame, horizon: int, levels: Iterable[float] = LEVELS, nonnegative: bool = False
) -> Ranges:
    """Absolute or scaled ranges, whichever has the lower interval score on the calibration errors."""
    levels = list(levels)
    absolute = calibrate(errors, horizon, levels, scaled=False, nonnegative=nonnegative)
    if errors["scale"].notna().mean() < 0.5 or errors["unique_id"].nunique() < 2:
        return absolute
    scaled = calibrate(errors, horizon, levels, scaled=True, nonnegative=nonnegative)
    return scaled if interval_score(scaled, errors) < interval_score(absolute, errors) else absolute


def coverage(ranges: Ranges, errors: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``{"80": {nominal, coverage, low, high, n, mean_width}, ...}`` measured on ``errors`` not calibrated on."""
    y, forecast = errors["y"].to_numpy(), errors["forecast"].to_numpy()
    bounds = ranges.bounds(forecast, errors["step"].to_numpy(), errors["scale"].to_numpy(dtype=np.float64))
    out: dict[str, dict[str, Any]] = {}
    for level in ranges.levels:
        low, high = bounds[f"low_{key(level)}"], bounds[f"high_{key(level)}"]
        inside = int(((y >= low) & (y <= high)).sum())
        n = len(y)
        ci_low, ci_high = wilson(inside, n) if n else (None, None)
        out[key(level)] = {
            "nominal": level,
            "coverage": inside / n if n else None,
            "low": ci_low,
            "high": ci_high,
            "n": n,
            "mean_width": float(np.mean(high - low)) if n else None,
        }
    return out
