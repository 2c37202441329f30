"""Who to contact first: a table run's test rows ranked by their score, each with its ID and its reasons.

Training saves each test row's three reasons (``test_reasons.npz``, plain unicode arrays, no pickle) beside the
test split; the ranked list joins them with the saved test answers (the chance of the class to find, or the
estimate), the columns left out of the model as written (a customer number names the row) and the columns
the model read, as written. Rank 1 is the row to contact first; ties are broken by a seeded shuffle
(:func:`modeling.evaluation.gains.ranking`), never by the file's order.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modeling.data.dataset import Dataset
from modeling.data.frame_arrays import frame_arrays, frame_from_arrays
from modeling.errors import RunError
from modeling.evaluation import gains
from modeling.evaluation.decisions import Decision, positive_index
from modeling.runs.store import atomic_write

TEST_REASONS = "test_reasons.npz"


def save_test_reasons(run_dir: str | Path, reasons: pd.DataFrame) -> None:
    """``reason_1..3`` of every test row, in the test split's order (blank for rows not explained)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **frame_arrays(reasons))
    atomic_write(Path(run_dir) / TEST_REASONS, buffer.getvalue())


def load_test_reasons(run_dir: str | Path) -> pd.DataFrame | None:
    """The saved reasons of the test rows, or ``None`` for a run saved before reasons were kept."""
    path = Path(run_dir) / TEST_REASONS
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            return frame_from_arrays(z)
    except (OSError, ValueError, KeyError) as exc:
        raise RunError(f"The saved reasons of the test rows are damaged ({exc}).") from None


def test_answers(run: Any) -> np.ndarray:
    """The run's saved test answers as the predictor gives them: calibrated probabilities, or the estimates."""
    from modeling.runs.predictions import load_predictions
    from modeling.runs.table.scoring import saved_regression_predictions

    if not run.class_names:
        return saved_regression_predictions(run.path)["test_predicted"]
    return load_predictions(run).test_probs


def ranked_for_run(run: Any, test: Dataset | None = None) -> pd.DataFrame:
    """The run's ranked test list (see :func:`ranked_rows`) under its saved decision rule's positive class."""
    from modeling.runs.decision_rules import load_decision

    test = test if test is not None else run.load_test()
    seed = int(getattr(getattr(run.config, "settings", None), "seed", 0) or 0)
    return ranked_rows(test, test_answers(run), load_test_reasons(run.path), load_decision(run.path), seed=seed)


def score_of(answers: np.ndarray, class_names: list[str], decision: Decision | None) -> tuple[np.ndarray, str]:
    """The score a list is ranked by and its column name: the chance of the class to find, or the estimate."""
    if not class_names:
        return np.asarray(answers, dtype=np.float64).reshape(-1), "estimate"
    positive = positive_index(class_names, (decision or Decision()).positive_class)
    return np.asarray(answers)[:, positive], f"chance of {class_names[positive]}"


def ranked_rows(
    test: Dataset,
    answers: np.ndarray,
    reasons: pd.DataFrame | None = None,
    decision: Decision | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """The test rows, highest score first: rank, tenth, score, true answer, left-out columns, reasons, the row."""
    scores, name = score_of(answers, test.class_names, decision)
    if test.class_names:
        truth = [test.class_names[int(i)] for i in test.labels]
    else:
        truth = np.asarray(test.labels, dtype=np.float64)
    parts: list[pd.DataFrame] = [pd.DataFrame({"true answer": truth})]
    if test.left_out is not None:
        parts.append(test.left_out.reset_index(drop=True))
    if reasons is not None and len(reasons) == len(scores):
        parts.append(reasons[[c for c in reasons.columns if str(c).startswith("reason_")]].reset_index(drop=True))
    if test.frame is not None:
        shown = test.preparation.as_written(test.frame) if test.preparation is not None else test.frame
        taken = {str(c) for p in parts for c in p.columns}
        parts.append(shown.reset_index(drop=True).rename(columns=lambda c: f"{c} (column)" if c in taken else c))
    table = pd.concat(parts, axis=1)
    return gains.ranked_list(table, scores, seed=seed, score_column=name)


def top_rows(ranked: pd.DataFrame, count: int, id_columns: list[str]) -> list[dict[str, Any]]:
    """The first ``count`` ranked rows (for ``evaluation.json`` and the report): rank, score, IDs, truth, reasons."""
    score = ranked.columns[2]
    out = []
    for _, row in ranked.head(count).iterrows():
        out.append(
            {
                "rank": int(row["rank"]),
                "score": float(row[score]),
                "truth": row["true answer"] if isinstance(row["true answer"], str) else float(row["true answer"]),
                "ids": {c: str(row[c]) for c in id_columns if c in ranked.columns},
                "reasons": [str(row[c]) for c in ranked.columns if str(c).startswith("reason_") and str(row[c])],
            }
        )
    return out
