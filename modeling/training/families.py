"""The training families, by name: one line each ("add to the bottom", as AutoGluon's model registry).

A task names its family in :data:`modeling.templates.registry.TASKS`; :func:`family_for` gives that family's
:class:`~modeling.training.family.ExperimentFamily`. Paths are resolved on first use, so importing this module
imports neither Keras nor scikit-learn.
"""

from __future__ import annotations

from functools import cache

from modeling.templates import registry
from modeling.training.family import ExperimentFamily

#: Family name -> ``"module:Class"`` implementing :class:`~modeling.training.family.ExperimentFamily`.
FAMILIES: dict[str, str] = {
    "keras": "modeling.training.keras_family:KerasFamily",
    "table": "modeling.training.table.family:TableFamily",
    "forecast": "modeling.training.forecast.family:ForecastFamily",
}


@cache
def family(name: str) -> ExperimentFamily:
    """The steps of the family called ``name`` (one shared, stateless instance)."""
    return registry.resolve(FAMILIES[name])()


def family_for(task: str) -> ExperimentFamily:
    """The steps of the family that serves ``task``."""
    return family(registry.task(task).family)
