"""Is this month's file like the one the model learned from? A training profile, and a batch compared with it.

**The profile** (:func:`profile_table`) is small and JSON-serialisable, so it is saved with a run and a later
batch is compared without the training data: the row count and, per column, the missing share and either
the number's 101 percentiles with the training share at or below each (``points``, ``cdf``), its decile
edges with the share of rows in each bin (``edges``, ``shares``), or a category's shares (the 200 most
common; ``complete`` says whether that was all of them) and the share of the rest.

**The comparison** (:func:`compare`) is vectorised, a few milliseconds a column, so it rides on every scoring:

* **Population stability index** (PSI) over the training deciles (numbers) or the categories, with blank
  cells and, for categories, "anything else" as bins of their own: ``sum((batch - train) * ln(batch /
  train))`` with shares floored at :data:`FLOOR` so an empty bin does not make it infinite. The usual
  cut-offs give the severity: under 0.1 **none**, 0.1 to 0.25 **some**, 0.25 and above **major**.
* **Two-sample Kolmogorov–Smirnov** for numbers: the largest gap between the two cumulative distributions,
  read at the training percentiles (exact to within a percentile), with the asymptotic two-sample p-value
  (Kolmogorov's distribution at ``sqrt(n m / (n + m)) D``, SciPy's ``special.kolmogorov``: microseconds).
  For categories the p-value is PSI's chi-square approximation (PSI ~ chi2(bins-1) x (1/m + 1/n)).
* A shift a file this small could show by chance (p >= 0.01) keeps its severity but is marked ``chance``
  and not counted as drift in the summary: 40 rows never raise an alarm on their own.
* New categories (never seen in training) and vanished ones (common in training, absent here), and the
  change of the missing share, per column; columns the batch lacks are named.

The summary line weighs columns by how much the model leans on them (permutation importance), so a shift
in a column the model ignores is mentioned but does not condemn the scores. Dates are compared as days
since training's earliest date (:func:`comparable`), under the column's own name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.tabular.prepare import TablePreparation
from modeling.errors import DataError

PROFILE_VERSION = 1
#: Smallest share a bin counts with in the PSI (an empty bin would make it infinite).
FLOOR = 1e-4
#: PSI cut-offs: below SOME is "none", below MAJOR is "some", above is "major" (the usual credit-scoring rule).
SOME, MAJOR = 0.1, 0.25
#: A shift with a p-value at or above this is one a file of that size could show by chance.
CHANCE_P = 0.01
#: Categories kept per column in a profile (the most common).
MAX_PROFILE_CATEGORIES = 200
#: A training category is "vanished" when at least this share of training had it ...
VANISHED_SHARE = 0.01
#: ... and the batch was large enough to expect at least this many rows of it.
VANISHED_EXPECTED = 5


def comparable(frame: pd.DataFrame, preparation: TablePreparation | None = None) -> pd.DataFrame:
    """The feature frame with one column per input column: a date becomes its days since training's earliest."""
    if preparation is None:
        return frame
    data = {}
    for feature in preparation.features:
        if feature.name not in frame.columns:
            continue
        if feature.part in ("", "days_since"):
            data[feature.source] = frame[feature.name]
    return pd.DataFrame(data, index=frame.index)


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _numbers(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _category_counts(series: pd.Series) -> tuple[dict[str, int], int]:
    """Rows per value (stripped text, most common first) and the blank rows; hashing, not sorting, so it is fast."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    per_code = np.bincount(codes[codes >= 0], minlength=len(uniques))
    counts: dict[str, int] = {}
    blank = int((codes < 0).sum())
    for value, n in zip(uniques, per_code, strict=True):
        text = str(value).strip()
        if text:
            counts[text] = counts.get(text, 0) + int(n)
        else:
            blank += int(n)
    return dict(sorted(counts.items(), key=lambda kv: -kv[1])), blank


def _number_profile(values: np.ndarray) -> dict[str, Any]:
    finite = np.sort(values[np.isfinite(values)])
    out: dict[str, Any] = {"type": "number", "missing": round(1.0 - len(finite) / max(len(values), 1), 6)}
    if not len(finite):
        out.update(points=[], cdf=[], edges=[], shares=[1.0], integer=False)  # one bin; it holds no rows
        return out
    points = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, 101)))
    edges = np.unique(np.quantile(finite, np.linspace(0.1, 0.9, 9)))
    bins = np.bincount(np.searchsorted(edges, finite, side="left"), minlength=len(edges) + 1)
    out.update(
        points=[float(v) for v in points],
        cdf=[round(float(v), 6) for v in np.searchsorted(finite, points, side="right") / len(finite)],
        edges=[float(v) for v in edges],
        shares=[round(float(v), 6) for v in bins / len(finite)],
        integer=bool(np.all(finite == np.round(finite))),
    )
    return out


def _category_profile(series: pd.Series) -> dict[str, Any]:
    counts, blank = _category_counts(series)
    n = max(len(series), 1)
    kept = list(counts.items())[:MAX_PROFILE_CATEGORIES]
    return {
        "type": "category",
        "missing": round(blank / n, 6),
        "shares": {k: round(v / n, 6) for k, v in kept},
        "other": round(sum(list(counts.values())[MAX_PROFILE_CATEGORIES:]) / n, 6),
        "complete": len(counts) <= MAX_PROFILE_CATEGORIES,
    }


def profile_table(frame: pd.DataFrame) -> dict[str, Any]:
    """The training profile of ``frame`` (plain JSON values): row count and one summary per column."""
    if frame.shape[1] == 0:
        raise DataError("The table has no columns to profile.")
    columns = {}
    for name in frame.columns:
        series = frame[name]
        columns[str(name)] = _number_profile(_numbers(series)) if _is_number(series) else _category_profile(series)
    return {"version": PROFILE_VERSION, "rows": len(frame), "columns": columns}


def check_profile(profile: Any) -> dict[str, Any]:
    """The profile if it is one this version wrote; else a sentence (a damaged or foreign file)."""
    if not isinstance(profile, dict) or profile.get("version") != PROFILE_VERSION or "columns" not in profile:
        raise DataError("The saved training profile is not one this version of ModelDeck wrote; train again.")
    return profile


def _psi(train: np.ndarray, batch: np.ndarray) -> float:
    t = np.maximum(train, FLOOR)
    b = np.maximum(batch, FLOOR)
    return float(np.sum((b - t) * np.log(b / t)))


def _chance_p(psi: float, bins: int, n: int, m: int) -> float:
    """p-value of a PSI this large between two samples of one distribution (chi-square approximation)."""
    from scipy import special

    if bins < 2 or m == 0:
        return 1.0
    return float(special.chdtrc(bins - 1, psi / (1.0 / m + 1.0 / max(n, 1))))


def severity(psi: float) -> str:
    """'none' under 0.1, 'some' under 0.25, 'major' from 0.25 (the usual population stability cut-offs)."""
    return "none" if psi < SOME else ("some" if psi < MAJOR else "major")


def _compare_number(spec: dict[str, Any], series: pd.Series, n_train: int) -> dict[str, Any]:
    from scipy import special

    values = _numbers(series)
    m = len(values)
    finite = np.sort(values[np.isfinite(values)])
    missing = 1.0 - len(finite) / m if m else 0.0
    edges = np.asarray(spec["edges"], dtype=np.float64)
    train = np.r_[spec["missing"], (1.0 - spec["missing"]) * np.asarray(spec["shares"], dtype=np.float64)]
    counts = np.bincount(np.searchsorted(edges, finite, side="left"), minlength=len(edges) + 1)
    batch = np.r_[missing, (counts / m) if m else counts * 0.0]
    psi = _psi(train, batch)
    out: dict[str, Any] = {"psi": psi, "missing_batch": missing}
    if len(finite) and spec["points"]:
        points = np.asarray(spec["points"], dtype=np.float64)
        gap = np.abs(np.searchsorted(finite, points, side="right") / len(finite) - np.asarray(spec["cdf"]))
        d = float(gap.max())
        train_rows = max(1, round(n_train * (1.0 - spec["missing"])))
        effective = train_rows * len(finite) / (train_rows + len(finite))
        out.update(ks=d, p_value=float(special.kolmogorov(math.sqrt(effective) * d)))
    else:
        out.update(ks=None, p_value=_chance_p(psi, len(train), n_train, m))
    return out


def _compare_category(spec: dict[str, Any], series: pd.Series, n_train: int) -> dict[str, Any]:
    counts, blank = _category_counts(series)
    m = len(series)
    known = spec["shares"]
    listed = np.asarray([counts.get(name, 0) for name in known], dtype=np.float64)
    outside = {name: n for name, n in counts.items() if name not in known}
    missing = blank / m if m else 0.0
    train = np.r_[spec["missing"], spec["other"], np.asarray(list(known.values()), dtype=np.float64)]
    batch = np.r_[missing, sum(outside.values()) / m if m else 0.0, listed / m if m else listed]
    psi = _psi(train, batch)
    vanished = [
        name
        for name, share in known.items()
        if share >= VANISHED_SHARE and share * m >= VANISHED_EXPECTED and counts.get(name, 0) == 0
    ]
    return {
        "psi": psi,
        "missing_batch": missing,
        "ks": None,
        "p_value": _chance_p(psi, len(train), n_train, m),
        "new": dict(list(outside.items())[:10]),
        "new_rows": int(sum(outside.values())),
        "new_complete": bool(spec.get("complete", True)),
        "vanished": vanished[:10],
    }


def compare(
    profile: dict[str, Any],
    batch: pd.DataFrame,
    importance: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Each profiled column of ``batch`` against training, the columns it lacks, and the summary sentence.

    ``importance`` (column -> permutation importance; negative counts as 0) weighs the summary. Returns
    ``rows``, ``columns`` (per column: ``column``, ``type``, ``psi``, ``severity``, ``chance``, ``ks``,
    ``p_value``, ``missing_train``, ``missing_batch``, ``importance`` (share of the total), and for
    categories ``new``/``new_rows``/``vanished``; most drifted first), ``missing_columns``, ``drifted``,
    ``weighted_psi`` and ``summary``.
    """
    profile = check_profile(profile)
    n_train = int(profile.get("rows") or 0)
    present = {str(c): c for c in batch.columns}
    weights = {str(k): max(float(v), 0.0) for k, v in (importance or {}).items() if math.isfinite(float(v))}
    total = sum(weights.get(c, 0.0) for c in profile["columns"]) or 0.0
    rows, lacking = [], []
    for name, spec in profile["columns"].items():
        if name not in present:
            lacking.append(name)
            continue
        series = batch[present[name]]
        compare_one = _compare_number if spec["type"] == "number" else _compare_category
        result = compare_one(spec, series, n_train)
        level = severity(result["psi"])
        rows.append(
            {
                "column": name,
                "type": spec["type"],
                **result,
                "psi": round(result["psi"], 6),
                "severity": level,
                "chance": bool(level != "none" and result["p_value"] >= CHANCE_P),
                "missing_train": spec["missing"],
                "importance": (weights.get(name, 0.0) / total) if total > 0 else None,
            }
        )
    rows.sort(key=lambda r: -r["psi"])
    drifted = [r["column"] for r in rows if r["severity"] != "none" and not r["chance"]]
    weighted = (
        sum(r["psi"] * (r["importance"] or 0.0) for r in rows) / max(sum(r["importance"] or 0.0 for r in rows), 1e-12)
        if total > 0
        else None
    )
    ranked = sorted((c for c in profile["columns"] if weights.get(c, 0.0) > 0), key=lambda c: -weights[c])
    report = {
        "rows": len(batch),
        "training_rows": n_train,
        "columns": rows,
        "missing_columns": lacking,
        "drifted": drifted,
        "weighted_psi": weighted,
        "importance_rank": {c: i for i, c in enumerate(ranked, start=1)},
    }
    report["summary"] = describe_drift(report)
    return report


def _rank_words(rank: int) -> str:
    if rank == 1:
        return "which the model leans on most"
    suffix = {2: "nd", 3: "rd"}.get(rank, "th")
    return f"the model's {rank}{suffix} most important column"


def _names(columns: list[str], limit: int = 4) -> str:
    shown = [f"'{fmt.md_name(c, 40)}'" for c in columns[:limit]]
    if len(columns) > limit:
        return ", ".join(shown) + f" and {len(columns) - limit} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def describe_drift(report: dict[str, Any]) -> str:
    """The line at the top of a scored batch: which columns drifted and whether it matters (Markdown-safe).

    With importance, drift matters when it touches one of the three columns the model leans on most;
    without, any drift might matter.
    """
    rows, lacking, rank = report["columns"], report["missing_columns"], report.get("importance_rank") or {}
    drifted = [r for r in rows if r["column"] in report["drifted"]]
    chance = [r for r in rows if r["chance"]]
    parts = []
    if lacking:
        important = [c for c in lacking if rank.get(c, 10**6) <= 3]
        line = f"{_names(lacking)} {fmt.is_are(len(lacking))} missing from this file"
        if important:
            line += f", {_names(important)} among the columns the model leans on most, so its scores may be off"
        parts.append(line)
    if not rows:
        parts.append("no column of this file could be compared with the training data")
    elif len(drifted) == len(rows) and len(rows) > 1:
        parts.append(
            "every column drifted: this file does not look like the training data, so its scores should not be trusted"
        )
    elif drifted:
        lead = min(drifted, key=lambda r: rank.get(r["column"], 10**6)) if rank else drifted[0]
        who = f"'{fmt.md_name(lead['column'], 40)}'"
        if lead["column"] in rank:
            who += f", {_rank_words(rank[lead['column']])},"
        how = "shifted a lot" if lead["severity"] == "major" else "shifted somewhat"
        serious = not rank or any(rank.get(r["column"], 10**6) <= 3 for r in drifted)
        verdict = (
            "scores on this file may be off"
            if serious
            else "the columns the model leans on most look stable, so the scores should hold"
        )
        parts.append(f"{fmt.plural(len(drifted), 'column')} drifted; {who} {how} — {verdict}")
    elif not chance:
        parts.append(
            "this file looks like the training data: no column shifted noticeably (population stability index under "
            f"{SOME} for {'the one column' if len(rows) == 1 else f'all {len(rows)} columns'})"
        )
    else:
        parts.append("no column clearly drifted")
    if chance:
        parts.append(
            f"{_names([r['column'] for r in chance])} look{'s' if len(chance) == 1 else ''} shifted, but "
            f"a file of {fmt.plural(report['rows'], 'row')} could show that by chance"
        )
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]
