"""Benchmark · from a score to an action: reasons, drift, gains, fairness and a counterfactual on 10,000 rows.

The churn sample (20 input columns) is resampled to 10,000 rows and scored by gradient-boosted trees built
the way the ``boosted_trees`` template builds them (ModelDeck's preparation and encoder, scikit-learn's
HistGradientBoosting with early stopping). Each building block is timed next to the work it rides on, in
the same process:

* reasons (``reason_1..3`` for every row) vs one predict call on the 10,000 rows (goal: under 10 s);
* the drift check (compare with the saved training profile) vs scoring the file from raw rows (goal: under
  10% of the scoring);
* gains with its bootstrap interval, the fairness audit and one counterfactual, for scale;
* the whole of it as the app and the CLI score a file (``TablePredictor.score_frame``: answers, reasons and
  the drift check) against the answers alone.

    .venv/bin/python benchmarks/bench_actions.py [--rows 10000] [--automatic-budget 60]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd
from common import ROOT, header, row


def timed(fn, repeat: int = 3):
    """Best of ``repeat`` wall times (seconds) and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument(
        "--automatic-budget",
        type=int,
        default=0,
        help="also train the automatic template (this many seconds) and time a scored file with it: its blend "
        "answers with every member's 5 fold models, so reasons ask many more trees",
    )
    args = parser.parse_args()

    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_info

    from modeling.data.tabular import dataset_from_table
    from modeling.evaluation import counterfactual, drift, fairness, gains, reasons
    from modeling.templates.tabular.encoding import TableEncoder

    raw = pd.read_csv(ROOT / "sample_data" / "churn.csv")
    ds = dataset_from_table(raw, "churn")
    prep = ds.preparation
    encoder = TableEncoder.fit(ds.frame)
    trees = HistGradientBoostingClassifier(
        categorical_features=encoder.categorical_mask, early_stopping=True, random_state=0
    ).fit(encoder.codes(ds.frame), ds.labels)

    def predict(frame: pd.DataFrame) -> np.ndarray:
        return trees.predict_proba(encoder.codes(frame))

    batch = raw.drop(columns=["churn"]).sample(args.rows, replace=True, random_state=1).reset_index(drop=True)
    threads = {i["internal_api"]: i["num_threads"] for i in threadpool_info()}
    print(
        f"{args.rows:,} rows x {len(prep.input_columns)} input columns, {trees.n_iter_} trees, "
        f"{os.cpu_count()} CPUs, threads {threads}\n"
    )

    scoring, (features, probs) = timed(lambda: (f := prep.transform(batch), predict(f)))
    one_call, _ = timed(lambda: predict(features))
    typical = encoder.typical_row()
    columns = reasons.input_columns(features, prep)

    def explain():
        result = reasons.contributions(predict, features, typical, columns, classes=1)
        return result, reasons.reason_columns(result, class_names=ds.class_names)

    explaining, (result, texts) = timed(explain, repeat=1)
    assert len(texts) == args.rows and texts["reason_1"].str.len().gt(0).mean() > 0.5
    asked = int((np.abs(result.change) > 0).sum())

    profiling, profile = timed(lambda: drift.profile_table(drift.comparable(ds.frame, prep)))
    comparing, report = timed(lambda: drift.compare(profile, drift.comparable(features, prep)))

    labels = ds.labels[np.random.default_rng(1).integers(0, len(ds.labels), args.rows)]  # plausible truths
    ranking, _ = timed(lambda: gains.gains(labels, probs[:, 1]), repeat=1)
    auditing, _ = timed(
        lambda: fairness.classification_fairness(batch["female"], labels, (probs[:, 1] >= 0.5).astype(int), "female")
    )
    changeable = ["contract", "monthly_charges", "internet_service", "payment_method"]
    candidates = counterfactual.candidates_from_profile(profile, changeable)
    risky = features.iloc[[int(np.argmax(probs[:, 1]))]]
    searching, found = timed(
        lambda: counterfactual.counterfactuals(
            predict, risky, changeable, candidates, counterfactual.Goal(0, names=("No", "Yes"))
        )
    )

    print(header())
    print(
        row(
            "reasons for every row (reason_1..3)",
            f"{explaining:.2f} s",
            f"{one_call:.3f} s (one predict call)",
            explaining / one_call,
            f"goal < 10 s; {asked:,} of {result.change.size:,} (row, column) pairs asked",
        )
    )
    print(
        row(
            "drift check vs the saved profile",
            f"{1000 * comparing:.0f} ms",
            f"{scoring:.3f} s (raw rows -> probabilities)",
            comparing / scoring,
            f"goal < 0.10; profile once at training: {1000 * profiling:.0f} ms, "
            f"{len(str(profile)):,} characters; {len(report['drifted'])} columns drifted",
        )
    )
    print(row("gains, lift and its bootstrap interval", f"{ranking:.2f} s", f"{one_call:.3f} s", ranking / one_call))
    print(row("fairness audit (one column)", f"{1000 * auditing:.0f} ms", f"{one_call:.3f} s", auditing / one_call))
    print(
        row(
            "one counterfactual (4 changeable columns)",
            f"{1000 * searching:.0f} ms",
            f"{one_call:.3f} s",
            searching / one_call,
            f"{found.evaluated:,} rows asked; found: {found.found}",
        )
    )
    # The same work as the app and the CLI do it: TablePredictor.score_frame (answers, reason_1..3, drift check).
    from modeling.runs.table import drift_check
    from modeling.runs.table.predictor import TablePredictor
    from modeling.templates.tabular.model import Member, TableModel

    model = TableModel(ds.task, ds.class_names, encoder, [Member("trees", trees)], "boosted_trees")
    predictor = TablePredictor(model, {"preparation": prep.to_dict(), "profile": profile}, target_name="churn")
    answering, _ = timed(lambda: predictor.score_table(batch))
    whole, scored = timed(lambda: predictor.score_frame(batch), repeat=1)
    prepared = predictor.features(batch)[0]
    checking, _ = timed(lambda: drift_check.check_batch(profile, prepared, prep, None))
    row_values = batch.iloc[int(np.argmax(probs[:, 1]))].to_dict()
    changing, changed = timed(lambda: predictor.what_would_change(row_values, changeable))
    assert scored.drift["available"] and scored.frame["reason_1"].str.len().gt(0).mean() > 0.5
    print(
        row(
            "a scored file, as the app does it",
            f"{whole:.2f} s",
            f"{answering:.3f} s (answers only)",
            whole / answering,
            f"goal < 10 s for answers, reasons and the drift check of {args.rows:,} rows",
        )
    )
    print(
        row(
            "its drift check",
            f"{1000 * checking:.0f} ms",
            f"{answering:.3f} s (answers only)",
            checking / answering,
            f"goal < 0.10 of scoring; {100 * checking / whole:.1f}% of the whole scored file",
        )
    )
    print(
        row(
            "one counterfactual, as the app does it",
            f"{1000 * changing:.0f} ms",
            f"{1000 * searching:.0f} ms (the search alone, all threads)",
            changing / searching,
            f"one thread for small batches; {changed.result.evaluated:,} rows asked",
        )
    )
    if args.automatic_budget:
        import threading

        from modeling.config import default_config, template_settings
        from modeling.templates import registry
        from modeling.training.splits import split

        config = default_config(ds.task, "session:churn")
        settings = template_settings("automatic", config.settings).model_copy(
            update={"time_budget_s": args.automatic_budget}
        )
        config = config.model_copy(update={"template": "automatic", "settings": settings})
        train, validation, _ = split(ds, config)
        blend = registry.spec("automatic").custom_fit()(config, train, validation, None, threading.Event()).model
        auto = TablePredictor(blend, {"preparation": prep.to_dict(), "profile": profile}, target_name="churn")
        auto_answering, _ = timed(lambda: auto.score_table(batch))
        auto_whole, _ = timed(lambda: auto.score_frame(batch), repeat=1)
        print(
            row(
                "a scored file, Automatic",
                f"{auto_whole:.2f} s",
                f"{auto_answering:.3f} s (answers only)",
                auto_whole / auto_answering,
                f"goal < 10 s; {len(blend.members)} fitted models in {blend.describe()}",
            )
        )
    print("\nExample reasons:", *texts.iloc[0].tolist(), sep="\n  ")
    print("Drift:", report["summary"])
    print("Counterfactual:", counterfactual.describe_result(found, markdown=False))


if __name__ == "__main__":
    main()
