"""ModelDeck's tree converter answers exactly as scikit-learn does: categories, blanks, unseen values, every task.

skl2onnx 1.20 fails on HistGradientBoosting with onnx 1.23, reads category splits as number thresholds, and
sends every blank right in a forest; these tests are what lets the export use its own TreeEnsemble graphs.
"""

from __future__ import annotations

import numpy as np
import pytest

from modeling.export.table_onnx import linear_to_onnx, trees_to_onnx


def _table(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Tree codes: a number with blanks, a category (0..7) with blanks, a second number; and a raw signal."""
    rng = np.random.default_rng(seed)
    number = rng.normal(size=n)
    category = rng.integers(0, 8, n).astype(float)
    other = rng.normal(size=n)
    x = np.column_stack([number, category, other])
    x[::7, 0] = np.nan
    x[::5, 1] = np.nan
    signal = np.nan_to_num(number) + np.isin(category, (1, 4, 6)) * 1.5 - np.isnan(x[:, 1]) * 2.0 + 0.3 * other
    return x, signal


def _run(model, x: np.ndarray) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(["output"], {session.get_inputs()[0].name: x})[0]


def _probe(x: np.ndarray) -> np.ndarray:
    """The training rows plus rows the trees never saw: unseen category codes, all blanks, extreme numbers."""
    extra = np.array([[0.1, 9.0, 0.0], [0.1, 250.0, 0.0], [np.nan, np.nan, np.nan], [1e9, 3.0, -1e9]])
    return np.vstack([x, extra])


@pytest.mark.parametrize("classes", [2, 3])
def test_boosted_trees_classifier_with_categories_and_blanks(classes):
    from sklearn.ensemble import HistGradientBoostingClassifier

    x, signal = _table()
    y = np.digitize(signal, np.quantile(signal, np.linspace(0, 1, classes + 1)[1:-1]))
    model = HistGradientBoostingClassifier(max_iter=40, categorical_features=np.array([False, True, False]))
    model.fit(x, y)
    assert any(node["is_categorical"] for p in model._predictors for t in p for node in t.nodes)
    probe = _probe(x)
    assert np.abs(_run(trees_to_onnx(model, 3), probe) - model.predict_proba(probe)).max() < 1e-12


def test_boosted_trees_regressor_with_categories_blanks_and_early_stopping():
    from sklearn.ensemble import HistGradientBoostingRegressor

    x, signal = _table()
    model = HistGradientBoostingRegressor(
        max_iter=200, categorical_features=np.array([False, True, False]), early_stopping=True, random_state=0
    ).fit(x, signal)
    probe = _probe(x)
    assert np.abs(_run(trees_to_onnx(model, 3), probe)[:, 0] - model.predict(probe)).max() < 1e-9


def test_a_class_missing_from_training_and_numbers_only():
    from sklearn.ensemble import HistGradientBoostingClassifier

    x, signal = _table(seed=2)
    x = np.nan_to_num(x[:, [0, 2]], nan=0.0)  # no categorical column: no preprocessing in scikit-learn
    y = np.where(signal > 0, 2, 0)  # class 1 never seen: classes_ is [0, 2]
    model = HistGradientBoostingClassifier(max_iter=10).fit(x, y)
    out = _run(trees_to_onnx(model, 2), x)
    assert out.shape == (len(x), 2) and np.abs(out - model.predict_proba(x)).max() < 1e-12


@pytest.mark.parametrize("regression", [False, True])
def test_extra_trees_send_blanks_where_scikit_learn_does(regression):
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    x, signal = _table(seed=1)
    if regression:
        model = ExtraTreesRegressor(n_estimators=30, min_samples_leaf=2, random_state=0).fit(x, signal)
        expected = model.predict(_probe(x))[:, None]
    else:
        model = ExtraTreesClassifier(n_estimators=30, min_samples_leaf=2, random_state=0).fit(x, signal > 0.5)
        expected = model.predict_proba(_probe(x))
    assert np.abs(_run(trees_to_onnx(model, 3), _probe(x)) - expected).max() < 1e-9


@pytest.mark.parametrize("regression", [False, True])
def test_linear_models_through_skl2onnx(regression):
    from sklearn.linear_model import LogisticRegression, Ridge

    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 6)).astype(np.float32)
    if regression:
        model = Ridge(alpha=1.0).fit(x, 1000 * x[:, 0] + 50 * x[:, 1])
        expected = model.predict(x)[:, None]
    else:
        model = LogisticRegression(max_iter=500).fit(x, (x[:, 0] + x[:, 2] > 0).astype(int))
        expected = model.predict_proba(x)
    got = _run(linear_to_onnx(model, 6), x.astype(np.float64))
    assert got.shape == expected.shape and np.abs(got - expected).max() < 1e-6 * max(1.0, np.abs(expected).max())
