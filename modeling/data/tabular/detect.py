"""Is an uploaded table a business table (many feature columns) or a text task (one long text column)?

The Data page asks :func:`looks_like_table` once per upload to choose its path, shows the reason, and
lets the person switch. Reviews with a sentiment column stay a text task; customers with twenty columns
become a table, even if one of those columns is a free-text comment.
"""

from __future__ import annotations

import pandas as pd

from modeling import format as fmt
from modeling.data.tabular.columns import infer_columns

#: Rows looked at: kinds are clear from the first few thousand.
DETECT_ROWS = 2000


def looks_like_table(df: pd.DataFrame) -> tuple[bool, str]:
    """(True, why) when ``df`` has several columns a table model can use; (False, why) for a text task.

    Usable columns are numbers, categories, yes/no and dates (not IDs, not empty, not constant). A free-text
    column with at most two other usable columns (its label, perhaps a rating) is a text task; three or
    more usable columns beside it, or two or more without it, make a table.
    """
    columns = infer_columns(df.head(DETECT_ROWS))
    usable = [c for c in columns if c.kind in ("number", "category", "boolean", "datetime") and c.distinct > 1]
    texts = [c for c in columns if c.kind == "text"]
    names = ", ".join(f"'{fmt.clip(c.name, 20)}'" for c in usable[:4]) + (", ..." if len(usable) > 4 else "")
    if texts and len(usable) <= 2:  # a text, its label and perhaps one more column: still a text task
        text = fmt.clip(texts[0].name, 30)
        label = f" and '{fmt.clip(usable[-1].name, 30)}' looks like its label" if usable else ""
        return False, f"'{text}' holds free text{label}, so this is a text task. Switch to a table if you prefer."
    if len(usable) >= 2:
        extra = ""
        if texts:
            extra = (
                f" The free-text column '{fmt.clip(texts[0].name, 30)}' is left out of a table model; switch to a text "
                "task to learn from it instead."
            )
        return True, (
            f"The table has {fmt.plural(len(usable), 'usable column')} ({names}), so ModelDeck treats it as a table: "
            f"pick the column to predict and it learns from the others.{extra}"
        )
    if texts:
        return False, f"'{fmt.clip(texts[0].name, 30)}' holds free text, so this is a text task."
    return False, (
        "The table has fewer than two columns a model can use (numbers, categories, yes/no or dates), so there is "
        "nothing to learn from. Check that the file has a column to predict and at least one to predict it from."
    )
