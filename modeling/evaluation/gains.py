"""Who to call first: cumulative gains and lift for a yes/no target, and where a number-predicting model errs.

A churn or lead-scoring model is used as a ranked list: call the customers with the highest scores first.
What matters then is not accuracy but how many of the people who will leave sit near the top of the list.

* The **gains curve** answers "calling the top x% of the list reaches what share of those who will leave?".
  A random list reaches x% with x% of the calls (the diagonal); a perfect one reaches everyone with as many
  calls as there are positives.
* **Lift** is that share divided by x: "2.6x a random call list". Per decile (tenth of the ranked list) it
  shows where the positives are; the top decile's lift carries a seeded bootstrap 95% interval (resample the
  rows, recompute), vectorised like :mod:`modeling.evaluation.intervals`.
* Ties in the scores are broken by a seeded shuffle, never by the file's order: a file sorted by its
  target must not make a constant score look like a perfect ranking.

For numbers, the counterpart is predicted vs actual by decile of the prediction (is the model's "top 10%"
really the top?) and "where the errors are": the segments of rows (a category value, a quantile band of a
number) whose mean signed error is largest, with a t interval, among segments large enough to trust.
Everything here is NumPy/pandas/SciPy; no I/O.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.errors import DataError, InvalidPredictions
from modeling.evaluation.intervals import MAX_BLOCK, RESAMPLES, entry

#: Deciles: the ranked list is cut into this many equal groups.
BINS = 10
#: Points of the gains curve (every 1% of the list).
CURVE_POINTS = 101
#: Quantile bands a number column is cut into when looking for where the errors are.
BANDS = 4
#: Most values of one category column looked at as segments (the most frequent).
MAX_SEGMENT_VALUES = 12
#: A segment needs at least this many rows (and 2% of all rows) before its mean error is shown.
MIN_SEGMENT_ROWS = 30


# ---- yes/no targets: gains and lift ------------------------------------------------------------------------------
def check_binary(y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    """0/1 labels and finite scores of one length, with at least one positive; else a sentence."""
    y = np.asarray(y_true).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(y) != len(s):
        raise DataError(f"There are {len(y):,} true answers but {len(s):,} scores; each row needs one of each.")
    if len(y) == 0:
        raise DataError("There are no rows to rank; score a table with at least one row.")
    if not np.isfinite(s).all():
        raise InvalidPredictions(
            f"{fmt.plural(int((~np.isfinite(s)).sum()), 'score')} {fmt.is_are(int((~np.isfinite(s)).sum()))} not "
            "a number (NaN or infinity), so the rows cannot be ranked; the model needs retraining."
        )
    values = set(np.unique(y).tolist())
    if not values <= {0, 1}:
        raise DataError(
            "Gains and lift need a yes/no target coded 0 and 1 (1 = the class to find); this one holds other values."
        )
    y = y.astype(np.int64)
    if y.sum() == 0:
        raise DataError(
            "None of these rows belongs to the class to find, so there is nothing a ranked list could reach; "
            "evaluate on rows that include some."
        )
    return y, s


def ranking(scores: Any, seed: int = 0) -> np.ndarray:
    """Row positions from the highest score to the lowest; ties in a seeded random order, not the file's."""
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    shuffle = np.random.default_rng(seed).permutation(len(s))
    return np.lexsort((shuffle, -s))


def deciles(n: int, bins: int = BINS) -> np.ndarray:
    """The decile (1 = the top tenth) of each rank 0..n-1 of a ranked list of ``n`` rows."""
    return (np.arange(n) * bins // max(n, 1)) + 1


def gains(
    y_true: Any,
    scores: Any,
    share: float = 0.2,
    bins: int = BINS,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """The gains curve, lift per decile, the top decile's lift with its 95% interval, and the figures at ``share``.

    Returns plain JSON values: ``n``, ``positives``, ``base_rate``, ``curve`` (``share`` contacted and
    ``reached`` share of positives, both 0..1), ``deciles`` (one dict per decile: ``decile``, ``n``,
    ``positives``, ``rate``, ``lift``, ``reached``, ``cumulative_lift``), ``top_decile_lift`` (an interval
    entry: ``value``, ``low``, ``high``, ``n``, ``method``) and ``at_share`` (``share``, ``reached``, ``lift``).
    """
    if not 0.0 < share <= 1.0:
        raise DataError(f"The share of the list to contact must lie between 0 and 1; got {share}.")
    y, s = check_binary(y_true, scores)
    order = ranking(s, seed)
    ranked = y[order]
    n, positives = len(y), int(y.sum())
    base = positives / n
    reached_by_rank = np.r_[0.0, np.cumsum(ranked)] / positives  # share of positives reached after k rows
    grid = np.linspace(0.0, 1.0, CURVE_POINTS)
    curve = np.interp(grid * n, np.arange(n + 1), reached_by_rank)
    which = deciles(n, bins)
    table = []
    for d in range(1, bins + 1):
        mask = which == d
        count, hits = int(mask.sum()), int(ranked[mask].sum())
        if not count:
            continue
        upto = int(np.flatnonzero(mask)[-1]) + 1
        rate = hits / count
        table.append(
            {
                "decile": d,
                "n": count,
                "positives": hits,
                "rate": round(rate, 6),
                "lift": round(rate / base, 6),
                "reached": round(float(reached_by_rank[upto]), 6),
                "cumulative_lift": round(float(reached_by_rank[upto]) / (upto / n), 6),
            }
        )
    top_rows = int((which == 1).sum())
    low, high = _lift_interval(ranked, top_rows, resamples, seed)
    at = float(np.interp(share * n, np.arange(n + 1), reached_by_rank))
    return {
        "n": n,
        "positives": positives,
        "base_rate": round(base, 6),
        "curve": {"share": [round(float(g), 4) for g in grid], "reached": [round(float(c), 6) for c in curve]},
        "deciles": table,
        "top_decile_lift": entry(table[0]["lift"], low, high, top_rows, "bootstrap"),
        "at_share": {"share": share, "reached": round(at, 6), "lift": round(at / share, 6)},
    }


def _weights(n: int, resamples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Bootstrap weights (how often each row is drawn) in blocks of at most ``MAX_BLOCK`` cells."""
    step = max(1, MAX_BLOCK // max(n, 1))
    for start in range(0, resamples, step):
        rows = min(step, resamples - start)
        draws = rng.integers(0, n, size=(rows, n))
        flat = (draws + np.arange(rows)[:, None] * n).ravel()
        yield np.bincount(flat, minlength=rows * n).reshape(rows, n)


def _lift_interval(ranked: np.ndarray, top_rows: int, resamples: int, seed: int) -> tuple[float | None, float | None]:
    """95% percentile interval of the lift of the first ``top_rows`` rows (in weight) of each resample.

    The ranking is fixed (it is the model's); a resample only changes how often each row counts. The top of a
    resample is its first ``top_rows`` units of weight, the row on the boundary counted in part.
    """
    n = len(ranked)
    if resamples <= 0 or n < 2:
        return None, None
    lifts = []
    for w in _weights(n, resamples, np.random.default_rng(seed)):
        cw = np.cumsum(w, axis=1)
        cp = np.cumsum(w * ranked, axis=1)
        edge = np.argmax(cw >= top_rows, axis=1)
        rows = np.arange(len(w))
        before_w = cw[rows, edge] - w[rows, edge]
        before_p = cp[rows, edge] - w[rows, edge] * ranked[edge]
        reached = before_p + (top_rows - before_w) * ranked[edge]
        total = cp[:, -1]
        with np.errstate(divide="ignore", invalid="ignore"):
            lifts.append(np.where(total > 0, (reached / top_rows) / (total / n), np.nan))
    values = np.concatenate(lifts)
    values = values[np.isfinite(values)]
    if not len(values):
        return None, None
    return float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))


def describe_gains(result: dict[str, Any], positive: str = "the class to find", action: str = "Contacting") -> str:
    """'Contacting the 20% with the highest scores reaches 52% of 'Yes', 2.6x a random list.' (Markdown-safe)."""
    at = result.get("at_share") or {}
    if not at:
        return "Gains were not measured for this run."
    sentence = (
        f"{action} the {fmt.share(at['share'])} with the highest scores reaches {fmt.share(at['reached'])} of "
        f"{fmt.md_name(positive)}, {at['lift']:.1f}x a random list"
    )
    top = result.get("top_decile_lift") or {}
    if top.get("value") is not None and top.get("low") is not None:
        sentence += (
            f"; the top tenth of the list holds {top['value']:.1f}x the usual share "
            f"(95% interval {top['low']:.1f}x to {top['high']:.1f}x)"
        )
    return sentence + "."


def ranked_list(table: pd.DataFrame, scores: Any, seed: int = 0, score_column: str = "score") -> pd.DataFrame:
    """``table`` sorted from the highest score down, with ``rank`` (1 = call first), ``decile`` and the score."""
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(s) != len(table):
        raise DataError(f"The table has {len(table):,} rows but there are {len(s):,} scores.")
    order = ranking(s, seed)
    out = table.iloc[order].reset_index(drop=True)
    out.insert(0, score_column, s[order])
    out.insert(0, "decile", deciles(len(s)))
    out.insert(0, "rank", np.arange(1, len(s) + 1))
    return out


# ---- numbers: deciles of the prediction and where the errors are --------------------------------------------------
def _t_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and its 95% Student t interval (the mean twice when there is a single value)."""
    from scipy import stats

    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, len(values) - 1)) * float(np.std(values, ddof=1)) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def _finite_pair(y_true: Any, predicted: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=np.float64).reshape(-1)
    p = np.asarray(predicted, dtype=np.float64).reshape(-1)
    if len(y) != len(p):
        raise DataError(f"There are {len(y):,} true values but {len(p):,} predictions; each row needs one of each.")
    if not len(y):
        raise DataError("There are no rows to compare; evaluate on a table with at least one row.")
    if not (np.isfinite(y).all() and np.isfinite(p).all()):
        raise InvalidPredictions("Some true values or predictions are not numbers (NaN or infinity).")
    return y, p


def prediction_deciles(y_true: Any, predicted: Any, bins: int = BINS) -> list[dict[str, Any]]:
    """Rows sorted by their prediction and cut into ``bins`` groups: mean predicted vs mean actual in each.

    A good model's groups climb together; a flat actual line means the ranking carries little. Each group
    has ``decile`` (1 = the lowest predictions), ``n``, ``mean_predicted``, ``mean_actual`` with its 95%
    interval (``actual_low``, ``actual_high``) and the range of predictions it covers.
    """
    y, p = _finite_pair(y_true, predicted)
    order = np.argsort(p, kind="stable")
    out = []
    for d, index in enumerate(np.array_split(order, min(bins, len(p))), start=1):
        actual, low, high = _t_interval(y[index])
        out.append(
            {
                "decile": d,
                "n": len(index),
                "mean_predicted": float(p[index].mean()),
                "mean_actual": actual,
                "actual_low": low,
                "actual_high": high,
                "predicted_from": float(p[index].min()),
                "predicted_to": float(p[index].max()),
            }
        )
    return out


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def _segments_of(column: pd.Series, bands: int) -> tuple[np.ndarray, list[str]]:
    """A segment code per row (-1 = not a segment) and the segments' labels: quantile bands or category values."""
    if pd.api.types.is_numeric_dtype(column) and column.nunique(dropna=True) > bands:
        x = column.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = x[np.isfinite(x)]
        edges = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, bands + 1)))
        inner = edges[1:-1]
        codes = np.searchsorted(inner, x, side="right")
        labels = [f"{_number(a)} to {_number(b)}" for a, b in itertools.pairwise(edges)]
        blank = ~np.isfinite(x)
        if blank.any():
            codes = np.where(blank, len(labels), codes)
            labels.append("(blank)")
        return codes, labels
    text = column.astype("string").fillna("(blank)")
    counts = text.value_counts()
    kept = [str(v) for v in counts.index[:MAX_SEGMENT_VALUES]]
    lookup = {v: i for i, v in enumerate(kept)}
    codes = np.asarray([lookup.get(v, -1) for v in text.to_numpy(dtype=object)], dtype=np.int64)
    return codes, [_plain_value(v) for v in kept]


def _plain_value(value: str) -> str:
    """'1.0' as '1' (yes/no and whole-number columns read as floats)."""
    return value[:-2] if value.endswith(".0") and value[:-2].lstrip("-").isdigit() else value


def error_segments(
    frame: pd.DataFrame,
    y_true: Any,
    predicted: Any,
    bands: int = BANDS,
    min_rows: int | None = None,
    top: int = 10,
) -> list[dict[str, Any]]:
    """Segments where the model over- or under-estimates most: mean signed error (predicted - actual), 95% interval.

    Every column of ``frame`` (the rows the errors belong to) is cut into segments: quantile bands for numbers,
    the most frequent values for categories. Segments smaller than ``min_rows`` (default: 30 rows or 2% of the
    rows, whichever is larger) are left out. Sorted by the size of the mean error; ``clear`` says whether the
    interval excludes zero (only those are worth a sentence).
    """
    y, p = _finite_pair(y_true, predicted)
    if len(frame) != len(y):
        raise DataError(f"The table has {len(frame):,} rows but there are {len(y):,} predictions.")
    floor = min_rows if min_rows is not None else max(MIN_SEGMENT_ROWS, math.ceil(0.02 * len(y)))
    error = p - y
    out = []
    for name in frame.columns:
        codes, labels = _segments_of(frame[name].reset_index(drop=True), bands)
        for code, label in enumerate(labels):
            rows = error[codes == code]
            if len(rows) < floor:
                continue
            mean, low, high = _t_interval(rows)
            out.append(
                {
                    "column": str(name),
                    "segment": label,
                    "n": len(rows),
                    "mean_error": mean,
                    "low": low,
                    "high": high,
                    "clear": bool(low > 0 or high < 0),
                }
            )
    out.sort(key=lambda r: -abs(r["mean_error"]))
    return out[:top]


def describe_error_segments(segments: Sequence[dict[str, Any]], currency: str = "") -> str:
    """Plain words for the clearest over- and under-estimated segments (Markdown-safe)."""
    clear = [s for s in segments if s.get("clear")]
    if not clear:
        return (
            "No group of rows large enough to trust is clearly over- or under-estimated: the misses look evenly "
            "spread over the columns' values."
        )

    def amount(value: float) -> str:
        return fmt.md_escape(fmt.money(abs(value), currency) if currency else _number(abs(value)))

    def where(s: dict[str, Any]) -> str:
        return (
            f"'{fmt.md_name(s['column'])}' is {fmt.md_name(s['segment'])} (by {amount(s['mean_error'])} on average, "
            f"95% interval {amount(s['low']) if s['mean_error'] > 0 else amount(s['high'])} to "
            f"{amount(s['high']) if s['mean_error'] > 0 else amount(s['low'])}, {fmt.plural(s['n'], 'row')})"
        )

    parts = []
    over = [s for s in clear if s["mean_error"] > 0]
    under = [s for s in clear if s["mean_error"] < 0]
    if over:
        parts.append(f"It over-estimates most where {where(over[0])}")
    if under:
        parts.append(f"{'it' if over else 'It'} under-estimates most where {where(under[0])}")
    return "; ".join(parts) + "."
