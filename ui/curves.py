"""Training curves and what a training's steps are called, from what the trainer counted (its *unit*).

Every trainer says what one step of its progress is (``Progress.unit``, saved as ``epoch_unit`` in run.json):
Keras trains ``epochs``, boosted trees grow ``rounds`` (one point of the curve per round), the automatic table
template tries ``candidates``, a model fitted in one go takes ``steps`` (shown as one epoch, as before units
were recorded). The live chart on the Train page and the saved one on the Evaluate page are the same figure.
"""

from __future__ import annotations

from typing import Any

from modeling.reporting import charts
from modeling.reporting.charts import tables as table_charts
from modeling.templates import registry

#: The metric label of a unit (anything else counts as epochs).
UNIT_LABELS = {"rounds": "Round", "candidates": "Candidate"}


def step_label(unit: str | None) -> str:
    """'Round' for boosting rounds, 'Candidate' for candidates, else 'Epoch'."""
    return UNIT_LABELS.get(unit or "", "Epoch")


def training_chart(history: dict[str, Any] | None, task: str, unit: str | None) -> Any:
    """The loss per boosting round for trees; the loss and accuracy per epoch for the others."""
    if unit == "rounds":
        return table_charts.rounds_curve(history, registry.task(task).predicts_number)
    return charts.training_curves(history)


def run_chart(run: Any) -> Any:
    """The curves of a saved run (runs saved before units were recorded count epochs)."""
    return training_chart(run.history, run.task, run.meta.get("epoch_unit"))
