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
UNIT_LABELS = {"rounds": "Round", "candidates": "Candidate", "models": "Model"}
#: Units whose steps are whole models fitted (no loss per step): a chart only when a network among them reports one.
CURVELESS = ("models",)


def step_label(unit: str | None) -> str:
    """'Round' for boosting rounds, 'Candidate' for candidates, else 'Epoch'."""
    return UNIT_LABELS.get(unit or "", "Epoch")


def training_chart(history: dict[str, Any] | None, task: str, unit: str | None) -> Any:
    """The loss per boosting round for trees; the loss and accuracy per epoch for the others; ``None`` for a trainer
    that counts fitted models and has no curve yet (a forecast draws one only when its network trains)."""
    if unit in CURVELESS and not any(history.values() if history else ()):
        return None
    if unit == "rounds":
        return table_charts.rounds_curve(history, registry.task(task).predicts_number)
    return charts.training_curves(history)


def run_chart(run: Any) -> Any:
    """The curves of a saved run (runs saved before units were recorded count epochs)."""
    return training_chart(run.history, run.task, run.meta.get("epoch_unit"))


def finished_models(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A trainer's finished models as table rows: name, score (RMSE or log loss), weight in the blend, seconds."""
    out = []
    for row in rows:
        metric = "RMSE" if row.get("metric") == "rmse" else "log loss"
        score = row.get("validation_score")
        weight = row.get("weight")
        out.append(
            {
                "model": str(row.get("name", "")),
                "score": f"{metric} {float(score):.4g}" if isinstance(score, int | float) else "—",
                "weight in the blend": f"{float(weight):.0%}" if isinstance(weight, int | float) else "—",
                "seconds": round(float(row.get("seconds") or 0.0), 1),
            }
        )
    return out
