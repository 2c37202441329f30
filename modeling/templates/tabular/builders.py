"""Settings -> an untrained table model (scikit-learn estimator or Keras network), one short function each.

The registry's builders (``boosted_trees``, ``neural_network``, ``linear``, ``automatic``) take
``(settings, train)`` like every template; the ``make_*`` functions take exactly what they need, so the
trainer (:mod:`modeling.training.table.fit`) and the model search build the same models.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from modeling.templates.tabular.encoding import TableEncoder

#: Fixed seed for the trees' own randomness (ties, feature subsampling): the run's seed is used instead.
ROUND_CHUNK_MIN = 10


def make_trees(settings: Any, regression: bool, categorical: np.ndarray, **overrides: Any) -> Any:
    """scikit-learn's HistGradientBoosting, native blanks and categories; the trainer drives early stopping."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    params: dict[str, Any] = {
        "learning_rate": settings.tree_learning_rate,
        "max_iter": settings.max_rounds,
        "max_leaf_nodes": settings.max_leaf_nodes,
        "min_samples_leaf": settings.min_samples_leaf,
        "l2_regularization": settings.l2_regularization,
        "categorical_features": categorical if categorical.any() else None,
        "random_state": settings.seed,
    }
    params.update(overrides)
    if regression:
        loss = {"squared_error": "squared_error", "absolute_error": "absolute_error", "huber": "absolute_error"}
        return HistGradientBoostingRegressor(loss=loss[settings.regression_loss], **params)
    return HistGradientBoostingClassifier(**params)


def make_extra_trees(settings: Any, regression: bool, **overrides: Any) -> Any:
    """A forest of randomised trees: different errors from boosting, so it blends well (the search only)."""
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    params: dict[str, Any] = {
        "n_estimators": 300,
        "min_samples_leaf": 2,
        "max_features": 0.5 if regression else "sqrt",
        "random_state": settings.seed,
        "n_jobs": 1,
    }
    params.update(overrides)
    return ExtraTreesRegressor(**params) if regression else ExtraTreesClassifier(**params)


def make_linear(settings: Any, regression: bool) -> Any:
    """Ridge regression, or logistic regression (C = 1 / regularization), on the dense encoding."""
    from sklearn.linear_model import LogisticRegression, Ridge

    if regression:
        return Ridge(alpha=settings.regularization)
    return LogisticRegression(C=1.0 / settings.regularization, max_iter=2000)


def make_network(settings: Any, input_dim: int, outputs: int, regression: bool) -> Any:
    """A plain MLP: Dense + ReLU + dropout blocks; softmax over classes, or one linear output (scaled target)."""
    import keras

    inputs = keras.Input(shape=(input_dim,), name="features", dtype="float32")
    x = inputs
    for i in range(settings.hidden_layers):
        x = keras.layers.Dense(settings.hidden_units, activation="relu", name=f"hidden_{i + 1}")(x)
        if settings.dropout > 0:
            x = keras.layers.Dropout(settings.dropout, name=f"dropout_{i + 1}")(x)
    if regression:
        out = keras.layers.Dense(1, name="value", dtype="float32")(x)
    else:
        out = keras.layers.Dense(outputs, activation="softmax", name="probabilities", dtype="float32")(x)
    return keras.Model(inputs, out, name="table_mlp")


# ---- the registry's builders (settings, train) ---------------------------------------------------------------
def boosted_trees(settings: Any, train: Any) -> Any:
    encoder = TableEncoder.fit(train.frame)
    return make_trees(settings, train.predicts_number, encoder.categorical_mask)


def linear(settings: Any, train: Any) -> Any:
    return make_linear(settings, train.predicts_number)


def neural_network(settings: Any, train: Any) -> Any:
    encoder = TableEncoder.fit(train.frame)
    outputs = 1 if train.predicts_number else len(train.class_names)
    return make_network(settings, len(encoder.dense_names()), outputs, train.predicts_number)


def automatic(settings: Any, train: Any) -> Any:
    """The automatic template has no single untrained model: its members are chosen while training."""
    return boosted_trees(settings, train)
