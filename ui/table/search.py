"""How 'Find the best model' reads for a table (the search view itself is shared: :mod:`ui.search_view`).

``JOBS.start_search`` runs the table family's search: tree settings, the linear model, a forest and the network
on one split, then a blend weighted on the validation rows. The finished leaderboard ranks every candidate by
the task's validation metric (RMSE for numbers, log loss for classes); below it, the blend's score on the test
rows, in the target's units; "Use this model" keeps the blend as an ordinary run.
"""

from __future__ import annotations

from typing import Any

from modeling import format as fmt
from modeling.data.dataset import Dataset
from modeling.reporting.regression_summary import amount
from ui.kind_view import SearchWording
from ui.table import overview


def search_wording(ds: Dataset) -> SearchWording:
    """The table search's words, budget (20 s to 15 min) and widget keys."""
    number, currency = overview.predicts_number(ds), overview.target_currency(ds)
    return SearchWording(
        key="table_search",
        session_key="table_search_id",
        place_key="table_search_place",
        caption=(
            "Tries several tree settings, the linear model, a random forest and the neural network on the same split "
            "within the time you allow, ranks them on the validation rows, and blends the best (as AutoGluon does). "
            "The test rows are never used to choose: they give the blend's honest score."
        ),
        budget=(20, 900, 120, 10),
        budget_help=(
            "The search starts no new candidate once the budget is spent; the blend is made from what finished."
        ),
        progress_caption="Trained so far, best first:",
        stop_toast="Stopping after the current candidate…",
        stopped_message="The search was stopped before any model finished.",
        summary=summary,
        result=lambda board: test_line(getattr(board, "test_figures", {}), number, currency),
    )


def summary(board: Any) -> str:
    """'**7 models ranked** on the validation rows in 1 min 2 s (budget 2 min). Lower is better.'"""
    return (
        f"**{fmt.plural(len(board.table()), 'model')} ranked** on the validation rows in "
        f"{fmt.seconds(board.elapsed_s)} (budget {fmt.seconds(board.budget_s)}). Lower is better."
    )


def test_line(figures: dict[str, Any], regression: bool, currency: str = "") -> str:
    """The blend's score on the test rows, in one sentence."""
    if not figures:
        return "The blend's test score was not saved."
    n = int(figures.get("n") or 0)
    currency = fmt.md_name(currency) if currency else ""
    if regression:
        r2 = figures.get("r2")
        return (
            f"**The blend on the {fmt.count(n)} test rows:** typical miss (RMSE) "
            f"{amount(figures.get('rmse'), currency)}, average miss (MAE) {amount(figures.get('mae'), currency)}"
            + (f", R² {float(r2):.3f}." if r2 is not None else ".")
        )
    auc = (figures.get("roc") or {}).get("auc")
    return (
        f"**The blend on the {fmt.count(n)} test rows:** right {fmt.percent(figures.get('accuracy'))} of the time"
        + (f", ROC AUC {float(auc):.3f}." if auc is not None else ".")
    )
