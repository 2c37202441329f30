"""95% intervals: Wilson matches published values and SciPy, the bootstrap is reproducible and covers the figure."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.metrics import f1_score, roc_auc_score

from modeling.evaluation.intervals import bootstrap, describe, headline_intervals, per_class_intervals, wilson
from modeling.evaluation.metrics import compute_metrics, evaluate_predictions


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (10, 10, 0.7225, 1.0), (81, 263, 0.2553, 0.3662)],
)
def test_wilson_known_values(k: int, n: int, low: float, high: float) -> None:
    got = wilson(k, n)
    assert got == pytest.approx((low, high), abs=1e-4)


@pytest.mark.parametrize(("k", "n"), [(1, 3), (97, 101), (1580, 1600), (0, 1)])
def test_wilson_equals_scipy(k: int, n: int) -> None:
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_wilson_edge_cases() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson(5, 3)


def _noisy(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), y] += 1.2
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, p


def test_bootstrap_is_seeded_and_brackets_the_point_value() -> None:
    y, p = _noisy(600, 2, seed=0)
    a = bootstrap(y, p, seed=3)
    assert a == bootstrap(y, p, seed=3)
    assert a != bootstrap(y, p, seed=4)
    f1 = f1_score(y, p.argmax(axis=1), average="macro")
    auc = roc_auc_score(y, p[:, 1])
    assert a["f1_macro"][0] < f1 < a["f1_macro"][1]
    assert a["auc"][0] < auc < a["auc"][1]
    # About ±1.96 standard errors: on 600 cases the F1 interval is a few points wide, not 0 and not 50.
    assert 0.03 < a["f1_macro"][1] - a["f1_macro"][0] < 0.15


def test_bootstrap_macro_scores_match_sklearn_on_each_resample() -> None:
    """The vectorised confusion-matrix maths equals scikit-learn on a resample drawn by hand."""
    from modeling.evaluation.intervals import _macro_scores

    y, p = _noisy(300, 4, seed=1)
    pred = p.argmax(axis=1)
    rng = np.random.default_rng(7)
    draw = rng.integers(0, 300, 300)
    conf = np.zeros((1, 4, 4))
    np.add.at(conf[0], (y[draw], pred[draw]), 1)
    ours = _macro_scores(conf)["f1_macro"][0]
    assert ours == pytest.approx(f1_score(y[draw], pred[draw], average="macro", zero_division=0))


def test_bootstrap_auc_handles_ties_like_sklearn() -> None:
    from modeling.evaluation.intervals import _auc_from_weights

    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 200)
    score = np.round(rng.random(200) * 0.5 + 0.3 * y, 1)  # many ties
    order = np.argsort(score, kind="stable")
    groups = np.flatnonzero(np.r_[True, np.diff(score[order]) != 0])
    auc = _auc_from_weights(np.ones((1, 200)), y[order], groups)[0]
    assert auc == pytest.approx(roc_auc_score(y, score))


def test_headline_intervals_for_every_figure_and_json_ready() -> None:
    y, p = _noisy(400, 2, seed=5)
    metrics = compute_metrics(y, p, ["no", "yes"])
    out = headline_intervals(y, p, metrics)
    assert set(out) == {"accuracy", "f1_macro", "precision_macro", "recall_macro", "auc"}
    for name, entry in out.items():
        assert entry["n"] == 400
        assert entry["low"] <= entry["value"] <= entry["high"], name
    assert out["accuracy"]["method"] == "wilson" and out["f1_macro"]["method"] == "bootstrap"
    assert describe(out["accuracy"]).startswith("n = 400 test examples, 95% interval ")


def test_evaluate_predictions_carries_intervals_for_model_classes_and_baselines() -> None:
    y, p = _noisy(150, 3, seed=6)
    names = ["a", "b", "c"]
    majority = compute_metrics(y, np.tile([1.0, 0.0, 0.0], (150, 1)), names)
    ev = evaluate_predictions(y, p, names, {"majority": majority})
    assert ev["intervals"]["accuracy"]["value"] == pytest.approx(ev["model"]["accuracy"])
    assert "auc" not in ev["intervals"]
    assert set(ev["per_class_intervals"]) == set(names)
    recall_a = ev["per_class_intervals"]["a"]["recall"]
    assert recall_a["n"] == int((y == 0).sum())
    assert ev["baselines"]["majority"]["accuracy_interval"]["method"] == "wilson"


def test_per_class_intervals_from_a_confusion_matrix() -> None:
    out = per_class_intervals([[8, 2], [0, 0]], ["x", "y"])
    assert out["x"]["recall"]["value"] == pytest.approx(0.8) and out["x"]["recall"]["n"] == 10
    assert out["y"]["precision"]["n"] == 2 and out["y"]["precision"]["value"] == 0.0
    assert out["y"]["recall"]["value"] is None  # no true 'y' at all: nothing to measure
