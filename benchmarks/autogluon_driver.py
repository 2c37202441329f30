"""AutoGluon-Tabular on one split, run by ``bench_tables.py`` inside AutoGluon's OWN virtual environment.

Never imported by ModelDeck and never a dependency: ``bench_tables.py`` writes the training rows (training +
validation) and the test rows as CSV files and calls this script with AutoGluon's Python:

    /work/ag-venv/bin/python benchmarks/autogluon_driver.py TRAIN.csv TEST.csv TARGET PROBLEM PRESET SECONDS \
        CORES OUT_DIR

PROBLEM is ``binary``, ``multiclass`` or ``regression``; PRESET an AutoGluon preset (``medium_quality``,
``best_quality``). It prints one line ``AGRESULT{json}``: fit and prediction times, the best model, how many
models were fitted, and the test answers (values, or probabilities with their class names).
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from autogluon.tabular import TabularPredictor


def main() -> None:
    train_csv, test_csv, target, problem, preset, budget, cores, out = sys.argv[1:9]
    train, test = pd.read_csv(train_csv), pd.read_csv(test_csv)
    metric = {"regression": "root_mean_squared_error", "binary": "roc_auc"}.get(problem, "log_loss")
    began = time.perf_counter()
    predictor = TabularPredictor(label=target, problem_type=problem, eval_metric=metric, path=out, verbosity=0)
    predictor.fit(train, presets=preset, time_limit=float(budget), num_cpus=int(cores))
    fit_s = time.perf_counter() - began
    x = test.drop(columns=[target])
    predictor.predict(x.head(5))  # warm-up
    began = time.perf_counter()
    answers = predictor.predict(x) if problem == "regression" else predictor.predict_proba(x)
    per_row_ms = (time.perf_counter() - began) * 1000 / max(len(x), 1)
    result = {
        "fit_s": fit_s,
        "predict_ms_per_row": per_row_ms,
        "best": predictor.model_best,
        "models": len(predictor.model_names()),
    }
    if problem == "regression":
        result["pred"] = answers.tolist()
    else:
        result["classes"] = [str(c) for c in answers.columns]
        result["proba"] = answers.to_numpy().tolist()
    print("AGRESULT" + json.dumps(result))


if __name__ == "__main__":
    main()
