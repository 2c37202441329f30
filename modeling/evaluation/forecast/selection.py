"""Automatic: pick the model, or the blend of models, with the lowest backtest error, and say why in a sentence.

Options, each judged by WAPE on the backtest rows: the best two and three models blended with weights
proportional to 1 / WAPE (Bates & Granger's classic combination); the best single model; and the best three
with weights in steps of 0.1 that sum to 1, chosen to minimise WAPE directly (a constrained least-absolute-error
fit on a grid: small enough to search exhaustively, so there is no optimiser to fail). The inverse-error blend
is the default, because combinations forecast better than any one model chosen on a short backtest (the M4
competition's lesson; on ModelDeck's benchmark sets the top-two blend was never worse than the single pick).
The best single model, or the fitted weights, replace it only when they beat it by at least :data:`MIN_GAIN`
on the backtest: a single model is easier to explain, fitted weights easier to over-fit.

Checked against alternatives on the benchmark's five sets (four public, one synthetic), each of their last four
to six horizons in turn treated as the unseen one and the choice made on the three before it: equal weights
of the best two or three, their median, the best subset of any size, a choice per series, ranking by MASE or by
error relative to the seasonal naive window by window, more or fewer windows. None did better on average, and
none beat the best single statistical model *of that horizon* on every set: that model is only known
afterwards, and on sets where the statistical models are close (Chicago's stations) or a break hits (the 1983
seat-belt law) the backtest cannot tell which of them the next horizon will favour.

Choosing on the same rows that are then reported would flatter the choice, so :func:`walk_forward` gives an
honest Automatic forecast: each backtest window is forecast with the choice made on the windows before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.evaluation.forecast.metrics import wape

#: Relative WAPE reduction a blend must reach over the best single model to be preferred.
MIN_GAIN = 0.01
GRID_STEP = 10  # tenths


@dataclass
class Choice:
    """The models Automatic combines, their weights (summing to 1) and the sentence that explains it."""

    models: list[str]
    weights: list[float]
    #: ``single``, ``inverse_error`` or ``constrained``.
    method: str = "single"
    wape: float | None = None
    best_single: str = ""
    best_single_wape: float | None = None
    sentence: str = ""
    candidate_wape: dict[str, float | None] = field(default_factory=dict)

    def combine(self, frame: pd.DataFrame) -> np.ndarray:
        """The weighted forecast from ``frame``'s model columns."""
        total = np.zeros(len(frame))
        for model, weight in zip(self.models, self.weights, strict=True):
            total = total + weight * frame[model].to_numpy(dtype=np.float64)
        return total

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Choice:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _blend_wape(y: np.ndarray, matrix: np.ndarray, weights: np.ndarray) -> float:
    total = float(np.abs(y).sum())
    return float(np.abs(y - matrix @ weights).sum() / total) if total > 0 else np.inf


def _grid(size: int) -> list[np.ndarray]:
    return [np.array(w) / GRID_STEP for w in product(range(GRID_STEP + 1), repeat=size) if sum(w) == GRID_STEP]


def choose(
    cv: pd.DataFrame,
    models: Sequence[str],
    labels: Mapping[str, str] | None = None,
    span: str = "the backtest",
) -> Choice:
    """The best single model or blend on ``cv`` (columns ``y`` and each model), with its sentence."""
    labels = dict(labels or {})
    rows = cv.dropna(subset=list(models))
    y = rows["y"].to_numpy(dtype=np.float64)
    singles = {m: wape(y, rows[m]) for m in models}
    ranked = sorted(models, key=lambda m: np.inf if singles[m] is None else singles[m])
    best = ranked[0]
    best_wape = singles[best] if singles[best] is not None else np.inf
    blends: list[tuple[float, str, list[str], np.ndarray]] = []
    fitted: list[tuple[float, str, list[str], np.ndarray]] = []
    for size in (2, 3):
        top = [m for m in ranked[:size] if singles[m]]
        if len(top) < size:
            continue
        matrix = rows[top].to_numpy(dtype=np.float64)
        inverse = np.array([1 / singles[m] for m in top])
        inverse = inverse / inverse.sum()
        blends.append((_blend_wape(y, matrix, inverse), "inverse_error", top, inverse))
        scored = [(_blend_wape(y, matrix, w), w) for w in _grid(size)]
        error, weights = min(scored, key=lambda pair: pair[0])
        fitted.append((error, "constrained", top, weights))
    chosen_option = (best_wape, "single", [best], np.ones(1))
    if blends:
        blend = min(blends, key=lambda option: option[0])
        chosen_option = blend
        if best_wape < blend[0] * (1 - MIN_GAIN):
            chosen_option = (best_wape, "single", [best], np.ones(1))
        challenger = min(fitted, key=lambda option: option[0])
        if challenger[0] < chosen_option[0] * (1 - MIN_GAIN):
            chosen_option = challenger
    error, method, chosen, weights = chosen_option
    keep = weights > 0
    chosen = [m for m, k in zip(chosen, keep, strict=True) if k]
    weights = weights[keep] / weights[keep].sum()
    if len(chosen) == 1:
        method = "single"
    choice = Choice(
        models=chosen,
        weights=[float(w) for w in weights],
        method=method,
        wape=None if not np.isfinite(error) else float(error),
        best_single=best,
        best_single_wape=singles[best],
        candidate_wape=singles,
    )
    choice.sentence = _sentence(choice, labels, span)
    return choice


def _percentages(weights: list[float]) -> list[int]:
    raw = np.array(weights) * 100
    rounded = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - rounded))[: 100 - rounded.sum()]:
        rounded[i] += 1
    return [int(v) for v in rounded]


def _sentence(choice: Choice, labels: Mapping[str, str], span: str) -> str:
    name = [labels.get(m, m) for m in choice.models]
    best = labels.get(choice.best_single, choice.best_single)
    if choice.method == "single" or len(name) == 1:
        return (
            f"{best} alone: it had the lowest error on {span} (WAPE {fmt.percent(choice.best_single_wape)}), at least "
            f"{fmt.share(MIN_GAIN)} below any blend."
        )
    together = ", ".join(name[:-1]) + f" and {name[-1]}"
    shares = "/".join(str(p) for p in _percentages(choice.weights))
    gain = 1 - (choice.wape or 0) / choice.best_single_wape if choice.best_single_wape else 0.0
    how = "by their backtest errors" if choice.method == "inverse_error" else "with weights fitted on the backtest"
    if gain > 0:
        versus = f"{fmt.share(gain)} lower WAPE than the best single model ({best})"
    else:
        versus = f"within {fmt.share(-gain)} of the best single model ({best}), and steadier than any one model"
    return (
        f"{together} blended {shares} {how}: {versus} on {span} "
        f"({fmt.percent(choice.wape)} against {fmt.percent(choice.best_single_wape)})."
    )


def walk_forward(cv: pd.DataFrame, models: Sequence[str]) -> pd.Series:
    """Automatic's honest backtest forecast: window *j* uses the choice made on the windows before it.

    The first window has no earlier one and stays NaN; scores of Automatic are read from the later windows.
    """
    out = pd.Series(np.nan, index=cv.index, dtype=np.float64)
    windows = sorted(cv["cutoff"].unique())
    for cutoff in windows[1:]:
        earlier = cv[cv["cutoff"] < cutoff]
        current = cv["cutoff"] == cutoff
        out[current] = choose(earlier, models).combine(cv[current])
    return out
