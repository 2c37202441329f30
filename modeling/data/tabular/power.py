"""How well each column predicts the target on its own: the leakage check ("prediction power").

As AWS Data Wrangler's quick model does, every column is scored alone on held-out rows: its values are
cut into bins (quantiles for numbers and dates, one bin per category, one for missing), each bin
predicts the target's mean (or class shares) seen on the training part, and the held-out part is
scored with ROC AUC (classification, one class against the rest) or R² (regression). A column that
predicts the target almost perfectly on its own usually leaks the answer (a "cancellation date" in a
churn table, a grade that sets the interest rate). Pure NumPy on a row sample, so 2,000 columns take
seconds, and nothing is quadratic in columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from modeling.data.tabular.columns import ColumnInfo
from modeling.data.tabular.labels import fit_labels
from modeling.data.tabular.prepare import value_kind
from modeling.data.tabular.target import REGRESSION
from modeling.data.tabular.values import missing_mask, parse_booleans, parse_dates, parse_numbers
from modeling.errors import DataError

#: Rows scored (a random sample of bigger tables); enough for a stable score, cheap for wide tables.
POWER_ROWS = 5000
#: Share of the sampled rows that learn the bins; the rest are scored.
TRAIN_SHARE = 0.7
#: Quantile bins per number column (plus one for missing).
NUMBER_BINS = 20
#: Most categories given their own bin; rarer ones share one.
CATEGORY_BINS = 200
#: Training rows per point of the interpolated curve (regression: numbers and dates), at most 200 points.
ROWS_PER_POINT = 10
#: Pseudo-count pulling a small bin's prediction towards the overall mean.
SMOOTHING = 2.0


def prediction_power(
    df: pd.DataFrame,
    columns: list[ColumnInfo],
    target_column: str,
    task: str,
    max_rows: int = POWER_ROWS,
    seed: int = 0,
) -> dict[str, float]:
    """Each usable column's stand-alone score on held-out rows: ROC AUC (0.5 = no better than chance,
    1 = perfect) for classification, R² (0 = no better than the mean, 1 = perfect) for regression.

    Empty, ID, free-text columns and the target are skipped; an unusable target gives an empty dict.
    """
    info = next((c for c in columns if c.name == target_column), None)
    if info is None:
        return {}
    try:
        target = fit_labels(df[target_column], info, task)
    except DataError:
        return {}
    rows = np.flatnonzero(target.keep)
    y = np.asarray(target.labels)
    rng = np.random.default_rng(seed)
    if len(rows) > max_rows:
        pick = np.sort(rng.choice(len(rows), size=max_rows, replace=False))
        rows, y = rows[pick], y[pick]
    if len(rows) < 20:
        return {}
    order = rng.permutation(len(rows))
    cut = int(len(rows) * TRAIN_SHARE)
    train, test = order[:cut], order[cut:]
    sample = df.iloc[rows].reset_index(drop=True)
    scores: dict[str, float] = {}
    for column in columns:
        if column.name == target_column or column.kind in ("empty", "id", "text"):
            continue
        codes = _bin_codes(sample[column.name], column, train)
        score = _score(codes, y, train, test, regression=task == REGRESSION, n_classes=len(target.class_names))
        if task == REGRESSION and value_kind(column) in ("number", "datetime"):
            # Bin means are a step function: an exact copy of a spread-out target scores only R² 0.93 with 20
            # bins. Joining the bins' means with straight lines reads a smooth relationship at full resolution.
            score = max(score, _interpolated_score(_values(sample[column.name], column), y, train, test))
        if np.isfinite(score):
            scores[column.name] = float(score)
    return scores


def _bin_codes(series: pd.Series, info: ColumnInfo, train: np.ndarray) -> np.ndarray:
    """One small integer per row: the row's bin (0 = missing)."""
    kind = value_kind(info)
    if kind == "category":
        missing = missing_mask(series)
        text = series.astype("str").str.strip().reset_index(drop=True)
        frequent = text.iloc[train][~missing[train]].value_counts().index[:CATEGORY_BINS]
        codes = pd.Index(frequent).get_indexer(text)
        # 0 = missing, 1 = a category not among the frequent ones, then one bin per frequent category.
        return np.where(missing, 0, np.where(codes < 0, 1, codes + 2))
    values = _values(series, info)
    finite = np.isfinite(values)
    learn = values[train][finite[train]]
    if len(learn) == 0:
        return np.zeros(len(values), dtype=np.int64)
    edges = np.unique(np.quantile(learn, np.linspace(0, 1, NUMBER_BINS + 1)[1:-1]))
    codes = np.searchsorted(edges, np.where(finite, values, 0.0), side="right") + 1
    return np.where(finite, codes, 0)


def _values(series: pd.Series, info: ColumnInfo) -> np.ndarray:
    """A number, yes/no or date column as floats (dates as days since 1970), NaN for missing."""
    kind = value_kind(info)
    if kind == "datetime":
        dates = parse_dates(series, info.format)[0]
        return ((dates - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64, na_value=np.nan)
    if kind == "boolean":
        return parse_booleans(series, info.format)[0]
    return parse_numbers(series, info.format)[0]


def _interpolated_score(values: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    """R² on the held-out rows of the target's mean per quantile bin, joined by straight lines (missing: the mean)."""
    finite = np.isfinite(values)
    learn = train[finite[train]]
    count = min(len(learn) // ROWS_PER_POINT, 200)
    if count < 2:
        return float("nan")
    bins = np.minimum((np.argsort(np.argsort(values[learn])) * count) // len(learn), count - 1)
    x_mean = np.bincount(bins, weights=values[learn]) / np.bincount(bins)
    y_mean = np.bincount(bins, weights=y[learn]) / np.bincount(bins)
    truth = y[test]
    predicted = np.where(
        finite[test], np.interp(np.where(finite[test], values[test], 0.0), x_mean, y_mean), y[train].mean()
    )
    total = float(((truth - truth.mean()) ** 2).sum())
    return 1.0 - float(((truth - predicted) ** 2).sum()) / total if total > 0 else float("nan")


def _score(
    codes: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray, regression: bool, n_classes: int
) -> float:
    bins = int(codes.max()) + 1
    counts = np.bincount(codes[train], minlength=bins).astype(np.float64)
    if regression:
        prior = float(y[train].mean())
        sums = np.bincount(codes[train], weights=y[train], minlength=bins)
        means = (sums + SMOOTHING * prior) / (counts + SMOOTHING)
        truth, predicted = y[test], means[codes[test]]
        total = float(((truth - truth.mean()) ** 2).sum())
        return 1.0 - float(((truth - predicted) ** 2).sum()) / total if total > 0 else float("nan")
    aucs: list[float] = []
    classes = range(n_classes) if n_classes > 2 else (1,)
    for k in classes:
        hits = (y[train] == k).astype(np.float64)
        prior = float(hits.mean())
        shares = (np.bincount(codes[train], weights=hits, minlength=bins) + SMOOTHING * prior) / (counts + SMOOTHING)
        auc = roc_auc(y[test] == k, shares[codes[test]])
        if np.isfinite(auc):
            aucs.append(auc)
    return float(np.mean(aucs)) if aucs else float("nan")


def roc_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve from ranks (ties share their rank); NaN when one side is absent."""
    positive = np.asarray(positive, dtype=bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = average_rank[inverse]
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))
