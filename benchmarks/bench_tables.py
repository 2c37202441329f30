"""Table templates and the automatic choice against plain scikit-learn references and AutoGluon, one split each.

    .venv/bin/python benchmarks/fetch_tables.py                  # once: benchmarks/data/*.csv
    .venv/bin/python benchmarks/bench_tables.py                  # every table, 120 s budget
    .venv/bin/python benchmarks/bench_tables.py ames churn --budget 60 --no-autogluon

Per table (read and typed by the app's own data side, ``dataset_from_table``), on one seeded split
(20% test first, then 15% of the rest for validation):

* each template (``boosted_trees``, ``linear``, ``neural_network``) and ``automatic`` trained through the
  app's trainer (each template's registry ``fit``) on the training rows, watching the validation rows;
* plain references trained on training + validation rows: logistic / ridge regression on one-hot and
  scaled columns, and ``HistGradientBoosting`` with scikit-learn's defaults (native categories);
* AutoGluon-Tabular ``presets="medium_quality"`` with the same time budget on the same rows, run in its own
  virtual environment (``--autogluon-python``, default ``/tmp/agvenv/bin/python``): never a dependency.

It prints the test metric (ROC AUC and accuracy for classes, RMSE for numbers; MAE and R² too), training
time and prediction time per 1,000 rows, and the trainer's overhead: the app's round-by-round tree fit
(progress, Stop, budget) against one plain ``fit`` of the same estimator with the same settings on the same
arrays (median of three). Timings are noisy on a shared machine; the metrics are deterministic per seed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
TABLES = {"churn": "churn", "credit": "Status", "ames": "price", "loans": "interest_rate"}


def load(name: str):
    from modeling.config import default_config
    from modeling.data.tabular import dataset_from_table
    from modeling.training.splits import split as split_table

    path = DATA / f"{name}.csv"
    if not path.exists():
        sys.exit(f"{path} is missing: run benchmarks/fetch_tables.py first.")
    raw = pd.read_csv(path)
    dataset = dataset_from_table(raw, TABLES[name], name=name)
    config = default_config(dataset.task, f"file:{path.name}")
    train, validation, test = split_table(dataset, config)
    return raw, dataset, config, train, validation, test


def metrics(y: np.ndarray, answers: np.ndarray, regression: bool) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, r2_score, roc_auc_score
    from sklearn.metrics import root_mean_squared_error as rmse

    if regression:
        return {"rmse": rmse(y, answers), "mae": mean_absolute_error(y, answers), "r2": r2_score(y, answers)}
    out = {"accuracy": accuracy_score(y, answers.argmax(axis=1)), "log_loss": log_loss(y, np.clip(answers, 1e-15, 1))}
    if answers.shape[1] == 2:
        out["roc_auc"] = roc_auc_score(y, answers[:, 1])
    return out


def timed_predict(predict, frame: pd.DataFrame) -> tuple[np.ndarray, float]:
    predict(frame.head(5))  # warm-up (tracing, first-call set-up)
    began = time.perf_counter()
    out = predict(frame)
    return out, (time.perf_counter() - began) * 1000 / max(len(frame), 1)


def app_templates(config, train, validation, test, budget: int) -> list[dict]:
    import keras

    from modeling.templates import registry

    rows = []
    for template in ("boosted_trees", "linear", "neural_network", "automatic"):
        fit = registry.spec(template).custom_fit()
        cfg = config.model_copy(update={"template": template})
        from modeling.config import template_settings

        settings = template_settings(template, cfg.settings).model_copy(update={"time_budget_s": budget})
        cfg = cfg.model_copy(update={"settings": settings})
        keras.utils.set_random_seed(settings.seed)
        began = time.perf_counter()
        result = fit(cfg, train, validation, None, threading.Event())
        seconds = time.perf_counter() - began
        answers, per_1000 = timed_predict(result.model.predict, test.frame)
        rows.append(
            {
                "model": f"ModelDeck {template}",
                "train_s": seconds,
                "predict_ms_per_1000": per_1000 * 1000,
                **metrics(test.labels, answers, train.is_regression),
                "note": result.model.describe(),
            }
        )
        print(f"  {template}: {rows[-1]}", flush=True)
    return rows


def references(train, validation, test) -> list[dict]:
    """What a data scientist writes by hand: scikit-learn pipelines on the same typed columns."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from modeling.training.table.estimators import thread_limit

    regression = train.is_regression
    full = pd.concat([train.frame, validation.frame], ignore_index=True)
    y = np.concatenate([train.labels, validation.labels])
    numbers = [c for c in full.columns if pd.api.types.is_numeric_dtype(full[c])]
    cats = [c for c in full.columns if c not in numbers]

    def as_categories(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for c in cats:
            out[c] = pd.Categorical(out[c].astype("object"), categories=sorted(full[c].dropna().astype(str).unique()))
        return out

    linear = make_pipeline(
        ColumnTransformer(
            [
                ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
                (
                    "cat",
                    make_pipeline(
                        SimpleImputer(strategy="constant", fill_value="(missing)"),
                        OneHotEncoder(handle_unknown="ignore"),
                    ),
                    cats,
                ),
            ]
        ),
        Ridge() if regression else LogisticRegression(max_iter=2000),
    )
    trees = (HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier)(
        categorical_features="from_dtype", random_state=42
    )
    rows = []
    for name, model, prep in (
        ("plain linear (ridge / logistic)", linear, lambda f: f.astype({c: object for c in cats})),
        ("plain HistGradientBoosting (defaults)", trees, as_categories),
    ):
        with thread_limit():
            began = time.perf_counter()
            model.fit(prep(full), y)
            seconds = time.perf_counter() - began
            predict = (
                (lambda f, m=model, p=prep: m.predict(p(f)))
                if regression
                else (lambda f, m=model, p=prep: m.predict_proba(p(f)))
            )
            answers, per_1000 = timed_predict(predict, test.frame)
        rows.append(
            {
                "model": name,
                "train_s": seconds,
                "predict_ms_per_1000": per_1000 * 1000,
                **metrics(test.labels, answers, regression),
            }
        )
        print(f"  {name}: {rows[-1]}", flush=True)
    return rows


def overhead(config, train, validation, repeats: int = 3) -> dict[str, float]:
    """The app's chunked tree fit vs one plain fit of the same estimator and settings on the same arrays."""
    from modeling.templates.tabular.builders import make_trees
    from modeling.templates.tabular.encoding import TableEncoder
    from modeling.training.progress import Progress
    from modeling.training.table.estimators import thread_limit
    from modeling.training.table.fit import ROUNDS_PER_PATIENCE, fit_boosted_trees

    settings = config.settings
    regression = train.is_regression
    encoder = TableEncoder.fit(train.frame)
    x, xv = encoder.codes(train.frame), encoder.codes(validation.frame)
    patience = max(10, ROUNDS_PER_PATIENCE * max(settings.patience, 2))
    app, plain, rounds = [], [], 0
    for _ in range(repeats):
        began = time.perf_counter()
        model, _ = fit_boosted_trees(encoder, x, train.labels, xv, validation.labels, settings, regression, Progress(1))
        app.append(time.perf_counter() - began)
        rounds = int(model.n_iter_)
        reference = make_trees(
            settings,
            regression,
            encoder.categorical_mask,
            early_stopping=True,
            n_iter_no_change=patience,
            scoring="loss",
        )
        with thread_limit():
            began = time.perf_counter()
            reference.fit(x, train.labels, X_val=xv, y_val=validation.labels)
            plain.append(time.perf_counter() - began)
    return {
        "app_s": float(np.median(app)),
        "plain_s": float(np.median(plain)),
        "ratio": float(np.median(app) / np.median(plain)),
        "rounds": rounds,
    }


AG_SCRIPT = r"""
import json, sys, time
import pandas as pd
from autogluon.tabular import TabularPredictor
train, test, target, problem, budget, out = sys.argv[1:7]
tr, te = pd.read_csv(train), pd.read_csv(test)
binary = tr[target].nunique() == 2
metric = "root_mean_squared_error" if problem == "regression" else ("roc_auc" if binary else "log_loss")
began = time.perf_counter()
p = TabularPredictor(label=target, problem_type=problem, eval_metric=metric, path=out, verbosity=0).fit(
    tr, presets="medium_quality", time_limit=float(budget))
fit_s = time.perf_counter() - began
x = te.drop(columns=[target])
p.predict(x.head(5))
began = time.perf_counter()
answers = p.predict(x) if problem == "regression" else p.predict_proba(x)
per = (time.perf_counter() - began) * 1000 / len(x)
result = {"fit_s": fit_s, "predict_ms_per_row": per, "best": p.model_best, "models": len(p.model_names())}
if problem == "regression":
    result["pred"] = answers.tolist()
else:
    result["classes"] = [str(c) for c in answers.columns]
    result["proba"] = answers.to_numpy().tolist()
print("AGRESULT" + json.dumps(result))
"""


def autogluon(python: str, raw, dataset, train, validation, test, budget: int) -> dict | None:
    """AutoGluon on the same rows: the raw input columns the app uses, training + validation rows to learn from."""
    if not Path(python).exists():
        print(
            f"  AutoGluon skipped: {python} not found "
            "(pip install 'autogluon.tabular[lightgbm,catboost,xgboost]' in its own venv)"
        )
        return None
    from modeling.errors import DataError

    regression = dataset.is_regression
    target = dataset.target_column
    columns = list(dataset.preparation.input_columns)
    y_all = lambda part: part.labels if regression else np.asarray(dataset.class_names)[part.labels]  # noqa: E731
    # Rows of each part in the raw table: the data side keeps rows with a target, in order; match by features.
    try:
        raw_kept = raw.loc[raw[target].notna()].reset_index(drop=True)
        if len(raw_kept) != len(dataset):
            raise DataError("row counts differ")
        frame_all = dataset.frame.reset_index(drop=True)
        key = pd.util.hash_pandas_object(frame_all, index=False).to_numpy()
        position = {}
        for i, h in enumerate(key):
            position.setdefault(h, []).append(i)
    except (DataError, KeyError) as exc:
        print(f"  AutoGluon skipped: cannot match rows ({exc})")
        return None

    def raw_part(part) -> pd.DataFrame:
        hashes = pd.util.hash_pandas_object(part.frame.reset_index(drop=True), index=False).to_numpy()
        used: dict = {}
        rows = []
        for h in hashes:
            k = used.get(h, 0)
            rows.append(position[h][k])
            used[h] = k + 1
        out = raw_kept.iloc[rows][columns].reset_index(drop=True)
        out[target] = y_all(part)
        return out

    with tempfile.TemporaryDirectory() as tmp:
        fit_rows = pd.concat([raw_part(train), raw_part(validation)], ignore_index=True)
        fit_rows.to_csv(f"{tmp}/train.csv", index=False)
        raw_part(test).to_csv(f"{tmp}/test.csv", index=False)
        (Path(tmp) / "ag.py").write_text(AG_SCRIPT)
        problem = "regression" if regression else ("binary" if len(dataset.class_names) == 2 else "multiclass")
        done = subprocess.run(
            [python, f"{tmp}/ag.py", f"{tmp}/train.csv", f"{tmp}/test.csv", target, problem, str(budget), f"{tmp}/ag"],
            capture_output=True,
            text=True,
            timeout=budget * 4 + 300,
        )
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("AGRESULT")), None)
        if line is None:
            print("  AutoGluon failed:", done.stderr[-2000:])
            return None
        result = json.loads(line.removeprefix("AGRESULT"))
    if regression:
        answers = np.asarray(result["pred"])
    else:
        order = [result["classes"].index(c) for c in dataset.class_names]
        answers = np.asarray(result["proba"])[:, order]
    row = {
        "model": "AutoGluon medium_quality",
        "train_s": result["fit_s"],
        "predict_ms_per_1000": result["predict_ms_per_row"] * 1000,
        **metrics(test.labels, answers, regression),
        "note": f"best: {result['best']} of {result['models']} models",
    }
    print(f"  AutoGluon: {row}", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tables", nargs="*", default=list(TABLES))
    parser.add_argument("--budget", type=int, default=120)
    parser.add_argument("--no-autogluon", action="store_true")
    parser.add_argument("--autogluon-python", default="/tmp/agvenv/bin/python")
    parser.add_argument("--json", help="write every row to this JSON file")
    args = parser.parse_args()
    everything = {}
    for name in args.tables:
        raw, dataset, config, train, validation, test = load(name)
        print(
            f"{name}: {dataset.task}, {len(dataset):,} rows, {dataset.frame.shape[1]} features; split "
            f"{len(train):,}/{len(validation):,}/{len(test):,}",
            flush=True,
        )
        rows = references(train, validation, test)
        rows += app_templates(config, train, validation, test, args.budget)
        if not args.no_autogluon:
            ag = autogluon(args.autogluon_python, raw, dataset, train, validation, test, args.budget)
            if ag:
                rows.append(ag)
        ratio = overhead(config, train, validation)
        print(f"  overhead of the app's tree fit: {ratio}", flush=True)
        everything[name] = {
            "task": dataset.task,
            "rows": len(dataset),
            "split": [len(train), len(validation), len(test)],
            "results": rows,
            "overhead": ratio,
        }
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1, default=float))


if __name__ == "__main__":
    main()
