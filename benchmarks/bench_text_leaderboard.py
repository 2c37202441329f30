"""Issue 4 figures: every text template and the automatic choice, on IMDB 2k and the product reviews.

    .venv/bin/python benchmarks/bench_text_leaderboard.py imdb 3000     # 80/20 stratified, seed 42
    .venv/bin/python benchmarks/bench_text_leaderboard.py reviews 600   # 60/20/20, seed 42

Runs :func:`modeling.training.text_search.find_best_text_model` with the given budget in seconds in a throw-away
``$MODELDECK_HOME`` (so the pretrained encoder's embedding cache starts empty) and prints the leaderboard
as one JSON line. Timings depend on the machine's load; accuracies are deterministic for a seed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["MODELDECK_HOME"] = tempfile.mkdtemp(prefix="modeldeck-leaderboard-")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from modeling.data.sources import load_source  # noqa: E402
from modeling.runs.store import default_store  # noqa: E402
from modeling.training.text_search import find_best_text_model  # noqa: E402

DATA = {
    "imdb": (str(ROOT.parent / "shared" / "data" / "imdb_reviews_2000.csv"), "review", "sentiment", 0.15),
    "reviews": (str(ROOT / "sample_data" / "reviews.csv"), "text", "label", 0.25),
    "reviews_zh": (str(ROOT / "sample_data" / "reviews_zh.csv"), "text", "label", 0.15),
}


def main(which: str = "reviews", budget: float = 600.0) -> dict:
    path, text_column, label_column, validation_share = DATA[which]
    dataset = load_source(path, text_column, label_column)
    started = time.time()
    board = find_best_text_model(
        dataset, budget_s=budget, seed=42, store=default_store(), test_share=0.2, validation_share=validation_share
    )
    return {
        "data": which,
        "budget_s": budget,
        "elapsed_s": round(time.time() - started, 1),
        "split": board.split,
        "keyword_baseline_accuracy": board.baseline_accuracy,
        "best": board.best.template if board.best else None,
        "rows": board.table(),
    }


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(main(args[0] if args else "reviews", float(args[1]) if len(args) > 1 else 600.0), default=str))
