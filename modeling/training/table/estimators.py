"""scikit-learn fitted the way every table model here is fitted: capped threads, the linear model in one go.

Shared by the trainer (:mod:`modeling.training.table.fit`) and the evaluation's linear baseline
(:mod:`modeling.training.table.evaluate`), so both fit the same linear model the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from modeling import settings as env
from modeling.templates.tabular.builders import make_linear

_CONTROLLER: list[Any] = []


def thread_limit() -> Any:
    """A context manager capping scikit-learn's OpenMP / BLAS threads (see ``MODELDECK_TREE_THREADS``).

    The controller (which scans the loaded native libraries, tens of milliseconds) is made once per process.
    """
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=env.tree_threads())


def fit_linear_model(x: np.ndarray, y: np.ndarray, settings: Any, regression: bool) -> Any:
    """Logistic regression (classes) or ridge (numbers) on the dense encoding, fitted in one go."""
    import warnings

    model = make_linear(settings, regression)
    with warnings.catch_warnings(), thread_limit():
        warnings.simplefilter("ignore")  # not converging fully is fine for a baseline-strength model
        model.fit(x, y)
    return model
