"""Remote training · end to end on a Ray cluster vs the same training in-process, on this machine.

Trains one configuration twice: in this process through ``run_experiment`` (what the app does without a
cluster) and through ``run_remote`` on the Ray cluster at ``--address`` (submit, queue, a fresh Python
process that imports TensorFlow, training, the run folder coming back through the logs). Both write a run
folder into the same temporary store; the figure is the wall time from the call to the saved run, and the
ratio remote / local is the price of sending a training away. ``--pip`` includes the per-job pip step (the
first job on a cluster pays ~45 s to set the environment up; later jobs reuse it).

``--search BUDGET`` adds *Find the best model* the same way: ``find_best_text_model`` in-process vs
``run_remote_search`` (the leaderboard and every candidate's run folder back on this server), two templates
(``ngram_nb``, ``ngram_bag``) on the same texts; the figure is the wall time from the call to the leaderboard.

    ray start --head ... ; .venv/bin/python benchmarks/bench_remote_training.py --address http://127.0.0.1:8265
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from common import header, row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--address", required=True, help="the Ray dashboard, e.g. http://127.0.0.1:8265")
    parser.add_argument("--rows", type=int, default=2000, help="synthetic reviews to train on")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--pip", action="store_true", help="let each job install the pinned requirements")
    parser.add_argument("--search", type=float, default=0, help="also time a model search with this budget (s)")
    args = parser.parse_args()
    os.environ["MODELDECK_RAY_PIP"] = "1" if args.pip else "0"

    from modeling.config import default_config
    from modeling.runs.store import RunStore
    from modeling.training.experiment import run_experiment
    from modeling.training.remote import run_remote
    from tests.conftest import make_text_dataset

    dataset = make_text_dataset(args.rows)
    config = default_config("text_classification", source="synthetic reviews", template="ngram_bag")
    config = config.model_copy(
        update={"settings": config.settings.model_copy(update={"epochs": args.epochs, "patience": 0})}
    )
    store = RunStore(tempfile.mkdtemp(), starters=None)
    import keras  # noqa: F401  (loaded already in a server that has trained once: not part of the figure)

    started = time.perf_counter()
    run_experiment(config, dataset, store=store)
    local_s = time.perf_counter() - started
    started = time.perf_counter()
    path = run_remote(config, dataset, store=store, address=args.address)
    remote_s = time.perf_counter() - started
    meta = store.load(path.name).meta
    print(header())
    print(
        row(
            f"train {args.rows:,} texts x {args.epochs} epochs, call to saved run",
            f"{remote_s:.1f} s on Ray (job itself {meta.get('remote_duration_s', 0):.1f} s)",
            f"{local_s:.1f} s in-process (TensorFlow already loaded)",
            remote_s / local_s,
            "pip step " + ("included" if args.pip else "skipped (MODELDECK_RAY_PIP=0)"),
        )
    )
    if args.search:
        search(dataset, store, args)


def search(dataset, store, args) -> None:
    """Find the best model in-process vs on the cluster: call to leaderboard, candidates back on this server."""
    from modeling.training.remote_search import run_remote_search
    from modeling.training.text_search import find_best_text_model

    templates = ["ngram_nb", "ngram_bag"]
    started = time.perf_counter()
    local = find_best_text_model(dataset, args.search, store=store, templates=templates)
    local_s = time.perf_counter() - started
    started = time.perf_counter()
    board = run_remote_search(dataset, args.search, store=store, address=args.address, templates=templates)
    remote_s = time.perf_counter() - started
    back = sum(1 for r in board.rows if r.usable)
    print(
        row(
            f"find the best model, {args.rows:,} texts, {len(templates)} templates, call to leaderboard",
            f"{remote_s:.1f} s on Ray ({back} candidates back, search itself {board.elapsed_s:.1f} s)",
            f"{local_s:.1f} s in-process ({sum(1 for r in local.rows if r.usable)} candidates)",
            remote_s / local_s,
            "pip step " + ("included" if args.pip else "skipped (MODELDECK_RAY_PIP=0)"),
        )
    )


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
