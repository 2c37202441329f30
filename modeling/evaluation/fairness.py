"""Is it fair? Error and selection rates per group of a sensitive column, with intervals and the largest gap in words.

The person names a column (gender, age band, senior citizen); it may be one the model never used, and is
audited all the same, because a model can treat groups differently through other columns. Per group:

* classes: the **selection rate** (share of rows given the positive answer), the **true-positive rate**
  (of the rows that truly are positive, the share found) and the **false-positive rate** (of the rows that
  are not, the share wrongly flagged), each with its Wilson 95% interval and its own count;
* numbers: the mean signed error (estimate minus truth) with its t interval, the mean absolute error.

The largest gap between two groups is put in words with a 95% interval for the *difference*: Newcombe's
hybrid score interval for two shares (built from the two Wilson intervals), Welch's t interval for two
means. The standard summary measures, **demographic parity difference** (largest gap in selection rate)
and **equalised odds difference** (the larger of the largest TPR gap and the largest FPR gap), come from
fairlearn, the maintained library for exactly this; where fairlearn is not installed, the same formulas are
computed here (``method`` says which). fairlearn counts a rate with no rows to measure it on as 0.

Refused with a sentence: a column with more than :data:`MAX_GROUPS` values (band numbers into quantiles
with :func:`quantile_bands` first) and a column with a single group. Groups under :data:`MIN_GROUP` rows
are kept but flagged ``tiny``: their intervals are wide and the gap sentence prefers the other groups.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.errors import DataError
from modeling.evaluation.intervals import Z95, entry, wilson, wilson_entry

#: Most groups compared; more is a column to band first (an income, a postcode).
MAX_GROUPS = 20
#: Groups smaller than this are flagged: a rate measured on a handful of rows says little.
MIN_GROUP = 30
BLANK = "(blank)"


def _label(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return BLANK
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or BLANK


def _edge(value: float) -> str:
    """A band's edge: whole numbers as they are, others to three significant digits (1,954 rather than 1.95e+03)."""
    if float(value).is_integer():
        return _label(float(value))
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def quantile_bands(values: Any, bands: int = 4) -> pd.Series:
    """A number column as ``bands`` quantile bands ('18 to 29', ...), blanks kept blank: groups a person can read."""
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    finite = x[np.isfinite(x)]
    if not len(finite):
        raise DataError("This column holds no numbers to cut into bands.")
    edges = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, bands + 1)))
    if len(edges) < 2:
        raise DataError("Every row has the same number here, so bands would all be one group.")
    codes = np.clip(np.searchsorted(edges[1:-1], x, side="right"), 0, len(edges) - 2)
    names = [f"{_edge(a)} to {_edge(b)}" for a, b in itertools.pairwise(edges)]
    return pd.Series([names[c] if np.isfinite(v) else None for c, v in zip(codes, x, strict=True)], dtype="str")


def groups_of(sensitive: Any, column: str, max_groups: int = MAX_GROUPS) -> tuple[np.ndarray, list[str]]:
    """A group index per row and the group names (most rows first); a sentence for too many or a single group."""
    labels = np.asarray([_label(v) for v in pd.Series(sensitive).to_numpy(dtype=object)], dtype=object)
    names, counts = np.unique(labels, return_counts=True)
    name = fmt.clip(str(column), 40)
    if len(names) > max_groups:
        raise DataError(
            f"'{name}' has {len(names):,} different values; fairness is compared between a few groups (at most "
            f"{max_groups}). For a number, compare quantile bands instead (such as four age bands); for a category "
            "with many values, choose a broader column."
        )
    if len(names) < 2:
        raise DataError(
            f"Every row has the same '{name}' ({fmt.clip(str(names[0]), 40) if len(names) else 'nothing'}), so "
            "there is no second group to compare with; choose a column with at least two groups."
        )
    order = np.argsort(-counts, kind="stable")
    ordered = [str(names[i]) for i in order]
    lookup = {g: i for i, g in enumerate(ordered)}
    return np.asarray([lookup[v] for v in labels], dtype=np.int64), ordered


def _binary(values: Any, what: str, n: int) -> np.ndarray:
    x = np.asarray(values).reshape(-1)
    if len(x) != n:
        raise DataError(f"The sensitive column has {n:,} rows but there are {len(x):,} {what}.")
    if not set(np.unique(x).tolist()) <= {0, 1}:
        raise DataError(f"The {what} must be yes/no, coded 0 and 1 (1 = the answer whose rates are compared).")
    return x.astype(np.int64)


def newcombe(successes1: int, n1: int, successes2: int, n2: int, z: float = Z95) -> tuple[float, float, float]:
    """p1 - p2 with Newcombe's hybrid score interval (method 10): sound for small groups and extreme shares."""
    p1, p2 = successes1 / n1, successes2 / n2
    l1, u1 = wilson(successes1, n1, z)
    l2, u2 = wilson(successes2, n2, z)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def _standard_measures(y: np.ndarray, pred: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Demographic parity and equalised odds differences: fairlearn's, or the same formulas when it is absent."""
    try:
        from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
    except ImportError:
        rates: dict[str, list[float]] = {"sel": [], "tpr": [], "fpr": []}
        for g in np.unique(labels):
            m = labels == g
            rates["sel"].append(pred[m].mean())
            pos, neg = m & (y == 1), m & (y == 0)
            rates["tpr"].append(pred[pos].mean() if pos.any() else 0.0)
            rates["fpr"].append(pred[neg].mean() if neg.any() else 0.0)
        gap = {k: float(max(v) - min(v)) for k, v in rates.items()}
        return {
            "demographic_parity_difference": gap["sel"],
            "equalized_odds_difference": max(gap["tpr"], gap["fpr"]),
            "method": "own",
        }
    return {
        "demographic_parity_difference": float(demographic_parity_difference(y, pred, sensitive_features=labels)),
        "equalized_odds_difference": float(equalized_odds_difference(y, pred, sensitive_features=labels)),
        "method": "fairlearn",
    }


_RATES = {
    # metric: (which rows it is measured on, the sentence of its gap)
    "selection_rate": (
        "all",
        "Rows where '{column}' is {worse} get {positive} {size} points less often than rows where it is {better}",
    ),
    "true_positive_rate": (
        "positive",
        "Among rows that truly are {positive}, those where '{column}' is {worse} are found {size} points less often "
        "than those where it is {better}",
    ),
    "false_positive_rate": (
        "negative",
        "Among rows that are not {positive}, those where '{column}' is {worse} are wrongly given it {size} points "
        "more often than those where it is {better}",
    ),
}


def classification_fairness(
    sensitive: Any,
    y_true: Any,
    y_pred: Any,
    column: str,
    positive: str = "the positive answer",
    max_groups: int = MAX_GROUPS,
    min_group: int = MIN_GROUP,
) -> dict[str, Any]:
    """Per group: selection, true- and false-positive rates (Wilson intervals); the largest gap; the standard measures.

    ``y_true`` and ``y_pred`` are 0/1 (1 = ``positive``, the answer whose rates are compared: the class the
    model picks under its decision rule). Returns ``column``, ``positive``, ``groups`` (``group``, ``n``,
    ``tiny`` and an interval entry per rate), ``gap`` (``metric``, ``better``, ``worse``, ``difference``,
    ``low``, ``high``), the two standard measures with their ``method``, and ``summary``.
    """
    codes, names = groups_of(sensitive, column, max_groups)
    n = len(codes)
    y, pred = _binary(y_true, "true answers", n), _binary(y_pred, "predicted answers", n)
    groups, counts = [], {}
    for g, name in enumerate(names):
        m = codes == g
        rows = {"all": m, "positive": m & (y == 1), "negative": m & (y == 0)}
        group: dict[str, Any] = {"group": name, "n": int(m.sum()), "tiny": bool(m.sum() < min_group)}
        for metric, (subset, _words) in _RATES.items():
            hits, total = int(pred[rows[subset]].sum()), int(rows[subset].sum())
            counts[(g, metric)] = (hits, total)
            group[metric] = wilson_entry(hits, total)
        groups.append(group)
    labels = np.asarray(names, dtype=object)[codes]
    report = {
        "column": column,
        "positive": positive,
        "n": n,
        "groups": groups,
        "gap": _largest_share_gap(groups, counts),
        **_standard_measures(y, pred, labels),
    }
    report["summary"] = describe_fairness(report)
    return report


def _largest_share_gap(groups: list[dict[str, Any]], counts: dict) -> dict[str, Any] | None:
    """The rate and pair of groups with the largest difference (among groups not tiny, when two are not).

    ``difference``, ``low`` and ``high`` are oriented as the sentence reads: how much worse ``worse`` fares
    than ``better`` (fewer selections or found positives, or more false alarms), in shares.
    """
    from scipy import stats

    sized = [i for i, g in enumerate(groups) if not g["tiny"]]
    pool = sized if len(sized) >= 2 else list(range(len(groups)))
    pairs = [
        (metric, a, b)
        for metric in _RATES
        for a, b in itertools.combinations([i for i in pool if counts[(i, metric)][1] > 0], 2)
    ]
    # The largest of several gaps is larger than a typical one by chance alone: its interval is widened for the
    # number of gaps compared (Bonferroni), so "could be chance" stays honest with many groups.
    z = float(stats.norm.ppf(1 - 0.025 / max(len(pairs), 1)))
    best = None
    for metric, a, b in pairs:
        (ha, na), (hb, nb) = counts[(a, metric)], counts[(b, metric)]
        high, low = (a, b) if ha / na >= hb / nb else (b, a)
        d, lower, upper = newcombe(*counts[(high, metric)], *counts[(low, metric)], z=z)
        better, worse = (high, low) if metric != "false_positive_rate" else (low, high)
        if best is None or d > best["difference"]:
            best = {
                "metric": metric,
                "better": groups[better]["group"],
                "worse": groups[worse]["group"],
                "difference": d,
                "low": lower,
                "high": upper,
                "comparisons": len(pairs),
            }
    return best


def _points(value: float) -> str:
    return f"{100.0 * value:.0f}"


def describe_fairness(report: dict[str, Any]) -> str:
    """'Rows where 'gender' is Female get 'Yes' 12 points less often than rows where it is Male (95% interval ...).'"""
    gap = report.get("gap")
    column = fmt.md_name(report["column"])
    tiny = [g["group"] for g in report["groups"] if g["tiny"]]
    note = (
        f" {', '.join(fmt.md_name(t) for t in tiny[:5])} {fmt.is_are(len(tiny))} too small to judge on "
        f"{'its' if len(tiny) == 1 else 'their'} own (under {MIN_GROUP} rows)."
        if tiny
        else ""
    )
    if gap is None:
        return f"The groups of '{column}' could not be compared on any rate." + note
    if gap["metric"] == "mean_error":
        return _describe_error_gap(report, gap, column) + note
    words = _RATES[gap["metric"]][1].format(
        column=column,
        worse=fmt.md_name(gap["worse"]),
        better=fmt.md_name(gap["better"]),
        positive=f"'{fmt.md_name(report['positive'])}'",
        size=_points(gap["difference"]),
    )
    interval = f"95% interval {_points(gap['low'])} to {_points(gap['high'])} points"
    if gap.get("comparisons", 1) > 1:
        interval += f", allowing for the {gap['comparisons']} gaps compared"
    if gap["low"] <= 0:
        interval += ", so it could be chance"
    return f"{words} ({interval})." + note


# ---- numbers ---------------------------------------------------------------------------------------------------
def regression_fairness(
    sensitive: Any,
    y_true: Any,
    predicted: Any,
    column: str,
    currency: str = "",
    max_groups: int = MAX_GROUPS,
    min_group: int = MIN_GROUP,
) -> dict[str, Any]:
    """Per group: mean signed error (estimate - truth) with its t interval, MAE; the largest gap (Welch interval)."""
    from scipy import stats

    codes, names = groups_of(sensitive, column, max_groups)
    y = np.asarray(y_true, dtype=np.float64).reshape(-1)
    p = np.asarray(predicted, dtype=np.float64).reshape(-1)
    if not len(y) == len(p) == len(codes):
        raise DataError(f"The sensitive column has {len(codes):,} rows but there are {len(p):,} predictions.")
    error = p - y
    groups, errors = [], []
    for g, name in enumerate(names):
        e = error[codes == g]
        errors.append(e)
        half = stats.t.ppf(0.975, len(e) - 1) * e.std(ddof=1) / math.sqrt(len(e)) if len(e) > 1 else float("nan")
        groups.append(
            {
                "group": name,
                "n": len(e),
                "tiny": bool(len(e) < min_group),
                "mean_error": entry(float(e.mean()), e.mean() - half, e.mean() + half, len(e), "t"),
                "mae": float(np.abs(e).mean()),
            }
        )
    sized = [i for i, g in enumerate(groups) if not g["tiny"] and g["n"] > 1]
    pool = sized if len(sized) >= 2 else [i for i, g in enumerate(groups) if g["n"] > 1]
    gap = None
    pairs = list(itertools.combinations(pool, 2))
    level = 1 - 0.025 / max(len(pairs), 1)  # widened for the number of gaps compared, as for the rates
    for a, b in pairs:
        ea, eb = errors[a], errors[b]
        d = float(ea.mean() - eb.mean())
        va, vb = ea.var(ddof=1) / len(ea), eb.var(ddof=1) / len(eb)
        dof = (va + vb) ** 2 / ((va**2 / (len(ea) - 1)) + (vb**2 / (len(eb) - 1))) if va + vb > 0 else 1.0
        half = float(stats.t.ppf(level, dof)) * math.sqrt(va + vb)
        if gap is None or abs(d) > abs(gap["difference"]):
            high, low = (a, b) if d > 0 else (b, a)
            gap = {
                "metric": "mean_error",
                "higher": names[high],
                "lower": names[low],
                "difference": abs(d),
                "low": abs(d) - half,
                "high": abs(d) + half,
                "comparisons": len(pairs),
            }
    report = {"column": column, "n": len(codes), "groups": groups, "gap": gap, "currency": currency}
    report["summary"] = describe_fairness(report)
    return report


def _describe_error_gap(report: dict[str, Any], gap: dict[str, Any], column: str) -> str:
    currency = report.get("currency", "")

    def amount(value: float) -> str:
        if currency:
            return fmt.md_escape(("-" if value < 0 else "") + fmt.money(abs(value), currency))
        return fmt.md_escape(f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}")

    chance = gap["low"] <= 0
    return (
        f"For rows where '{column}' is {fmt.md_name(gap['higher'])}, the estimates run {amount(gap['difference'])} "
        f"higher (compared with the truth) than where it is {fmt.md_name(gap['lower'])} (95% interval "
        f"{amount(gap['low'])} to {amount(gap['high'])}{', so it could be chance' if chance else ''})."
    )


def group_sizes(sensitive: Sequence[Any]) -> dict[str, int]:
    """How many rows each value of a candidate sensitive column has (for the page's choice, before auditing)."""
    counts = pd.Series([_label(v) for v in pd.Series(sensitive).to_numpy(dtype=object)]).value_counts()
    return {str(k): int(v) for k, v in counts.items()}
