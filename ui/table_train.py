"""Train page wording and curves for table runs: what will train, rounds instead of epochs for trees.

Trees report one point per boosting round (``history["loss"]`` and ``history["val_loss"]``, and
``snapshot()["epochs"]`` is the most rounds); the network reports epochs like the other Keras templates;
the automatic template one point per candidate. These helpers give the page the right words and chart.
"""

from __future__ import annotations

from typing import Any

from modeling import format as fmt
from modeling.data.dataset import Dataset
from modeling.reporting.charts import tables as table_charts
from ui import table_overview

TABLE_TASKS = ("tabular_classification", "tabular_regression")
ROUND_TEMPLATES = ("boosted_trees",)


def ready_line(cfg: Any, ds: Dataset) -> str:
    """'Ready to train: boosted_trees on Customer churn (2,500 rows) — predicts churn ...' as Markdown."""
    s = cfg.settings
    what = {
        "boosted_trees": f"up to {fmt.count(s.max_rounds)} boosting rounds, tree learning rate "
        f"{s.tree_learning_rate:g}",
        "neural_network": f"up to {s.epochs} epochs, batch {s.batch_size}, {s.optimizer} at learning rate "
        f"{s.learning_rate:g}",
        "linear": f"one step, regularisation {s.regularization:g}",
        "automatic": "several candidates and a blend",
    }.get(cfg.template, "")
    budget = f", at most {fmt.seconds(s.time_budget_s)}" if cfg.template != "linear" else ""
    return (
        f"**Ready to train:** template `{cfg.template}` on **{fmt.md_name(ds.name)}** ({fmt.count(len(ds))} rows), "
        f"which {table_overview.describe_table(ds)}: {what}{budget}. "
        f"{cfg.data.test_share:.0%} of the rows are kept aside for the final test."
    )


def is_round_job(snap: dict[str, Any]) -> bool:
    return snap.get("task") in TABLE_TASKS and snap.get("template") in ROUND_TEMPLATES


def step_label(snap: dict[str, Any]) -> str:
    """'Round' for trees (one tree per round), 'Candidate' for the automatic search, else 'Epoch'."""
    if is_round_job(snap):
        return "Round"
    if snap.get("task") in TABLE_TASKS and snap.get("template") == "automatic":
        return "Candidate"
    return "Epoch"


def round_chart(snap: dict[str, Any]) -> Any:
    """The loss per boosting round for a tree job (``None`` for other jobs, which keep the epoch curves)."""
    if not is_round_job(snap):
        return None
    return table_charts.rounds_curve(snap.get("history"), snap.get("task") == "tabular_regression")
