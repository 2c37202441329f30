"""The Train page's "ready" line for a table: what will train, in rounds, epochs or one step, and the budget.

What is said follows the settings the template reads (its setting groups in the registry): boosting rounds
for trees, epochs for the network, one step for the linear model, candidates and a blend for the automatic
template, which reads only its time budget.
"""

from __future__ import annotations

from typing import Any

from modeling import format as fmt
from modeling.data.dataset import Dataset
from modeling.templates import registry
from ui.table import overview


def ready_line(cfg: Any, ds: Dataset) -> str:
    """'Ready to train: boosted_trees on Customer churn (2,500 rows) — predicts churn ...' as Markdown."""
    s = cfg.settings
    reads = registry.spec(cfg.template).setting_names(cfg.task)
    if "max_rounds" in reads:  # trees
        what = f"up to {fmt.count(s.max_rounds)} boosting rounds, tree learning rate {s.tree_learning_rate:g}"
    elif "epochs" in reads:  # the network
        what = f"up to {s.epochs} epochs, batch {s.batch_size}, {s.optimizer} at learning rate {s.learning_rate:g}"
    elif "regularization" in reads:  # the linear model
        what = f"one step, regularisation {s.regularization:g}"
    else:  # the automatic template reads only its budget: it tries candidates and blends them
        what = "several candidates and a blend"
    budget = f", at most {fmt.seconds(s.time_budget_s)}" if "time_budget_s" in reads else ""
    return (
        f"**Ready to train:** template `{cfg.template}` on **{fmt.md_name(ds.name)}** ({fmt.count(len(ds))} rows), "
        f"which {overview.describe_table(ds)}: {what}{budget}. "
        f"{cfg.data.test_share:.0%} of the rows are kept aside for the final test."
    )
