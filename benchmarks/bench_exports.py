"""Benchmark · exports: template x format -> offered or why not, parity, ZIP size, single-item latency.

For each run given (default: the two starters, plus any run ids on the command line), every format is
exported and checked (``modeling.export.bundle.build_export``: the ZIP's own ``predict.py`` in a fresh
process on the test split). Then one test item at a time goes through each runtime in this process
(ONNX Runtime, the LiteRT interpreter, the SavedModel signature), next to ModelDeck's Keras predictor
(a compiled forward pass, ``modeling.templates.inference.compiled_forward``): p50 and p95 over 200
calls after warm-up, and the ratio to the Keras predictor's p50.

Table runs (``--tables`` trains the four table templates on both table samples into a throw-away
workspace; or give table run ids) are timed end to end on one raw row, as a developer would call them:
``prepare_table.model_inputs`` plus the export's model file(s) and blend, next to ModelDeck's own
``TablePredictor.predict`` on the same raw row (its preparation, encoder and model).

``--texts`` trains the two fitted text templates with their default settings into a throw-away workspace:
``ngram_nb`` on both review samples (English by words, Chinese by characters) and, where the encoder is
installed, ``minilm_ngrams`` on the English one (full precision, unlike the 8-bit sentiment starter).

    .venv/bin/python benchmarks/bench_exports.py [RUN ...] [--tables] [--texts] [--budget 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from common import header, row

from modeling.export.bundle import build_export
from modeling.export.formats import offers
from modeling.export.models import quantized_model_file
from modeling.runs.store import RunStore, default_store

CALLS = 200


def _p50_p95(fn) -> tuple[float, float]:
    for _ in range(10):
        fn()
    times = []
    for _ in range(CALLS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def _module(folder: Path, name: str):
    """A file of the export, imported from its folder as a developer would."""
    import importlib.util

    sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(f"{name}_{folder.name}", folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.path.remove(str(folder))
    return module


def _runner(folder: Path, table_row=None):
    """A function answering one item with the export's own files, loaded once."""
    module = _module(folder, "predict")
    if table_row is None:
        runner, to_inputs = module.load_runner(), module.model_inputs
        return lambda item, r=runner, f=to_inputs: r(f(item))
    prepare = _module(folder, "prepare_table")
    members = module.load_members()
    return lambda item: module.answers(prepare.model_inputs(item, folder)[0], members)


def _train_table_runs(home: Path, budget: int) -> tuple[RunStore, list[str]]:
    """The four table templates on both table samples, default settings (automatic: ``budget`` seconds)."""
    from modeling.config import default_config
    from modeling.training.experiment import run_experiment

    store = RunStore(home, starters=None)
    ids = []
    for source, task in (("sample:churn", "tabular_classification"), ("sample:house_prices", "tabular_regression")):
        for template in ("boosted_trees", "linear", "neural_network", "automatic"):
            config = default_config(task, source, template)
            if template == "automatic":
                settings = config.settings.model_copy(update={"time_budget_s": budget})
                config = config.model_copy(update={"settings": settings})
            ids.append(run_experiment(config, store=store).name)
    return store, ids


def _train_text_runs(home: Path) -> tuple[RunStore, list[str]]:
    """``ngram_nb`` on both review samples and ``minilm_ngrams`` (if installed) on the English one, defaults."""
    from modeling.config import default_config
    from modeling.templates import registry
    from modeling.training.experiment import run_experiment

    store = RunStore(home, starters=None)
    cases = [("ngram_nb", "sample:reviews"), ("ngram_nb", "sample:reviews_zh")]
    if registry.spec("minilm_ngrams").availability()[0]:
        cases.append(("minilm_ngrams", "sample:reviews"))
    ids = [
        run_experiment(default_config("text_classification", source, template), store=store).name
        for template, source in cases
    ]
    return store, ids


def _reference(run, predictor, test):
    """ModelDeck's own single-item answer: the Keras predictor, or the table predictor on one raw row."""
    if test.kind == "table":
        from modeling.data.readers.tables import read_table
        from modeling.data.tabular.prepare import TablePreparation
        from modeling.export.table_export import test_rows_csv
        from modeling.runs.table.bundle import read_bundle

        preparation = TablePreparation.from_dict(read_bundle(run.path)["preparation"])
        raw = read_table(test_rows_csv(preparation, test.frame.iloc[:1]).encode(), "row.csv")
        return raw, lambda p=predictor, x=raw: p.predict(x, calibrated=False) if not p.is_regression else p.predict(x)
    item = test.texts[:1] if test.kind == "text" else test.images[:1]
    return item, lambda p=predictor, x=item: p.predict(x, calibrated=False)


def bench_run(store: RunStore, run_id: str) -> None:
    from modeling.runs.loading import load_predictor

    run = store.load(run_id)
    test = run.load_test()
    predictor = load_predictor(run)
    item, reference_call = _reference(run, predictor, test)
    app_p50, app_p95 = _p50_p95(reference_call)
    what = "table predictor" if test.kind == "table" else "Keras predictor"
    reference = f"{what} p50 {app_p50:.2f} p95 {app_p95:.2f}"
    print(row(f"{run_id} ({run.config.template}) ModelDeck", reference, reference, 1.0))
    template = run.config.template
    quantized = quantized_model_file(run.model_path)  # False without a model.keras (tables)
    for offer in offers(template, quantized):
        key = offer.format.key
        if not offer.supported:
            print(row(f"{run_id} {offer.format.title}", "not offered", "—", None, offer.reason))
            continue
        with tempfile.TemporaryDirectory() as scratch:
            started = time.perf_counter()
            result = build_export(run, key, "", out_dir=Path(scratch))
            seconds = time.perf_counter() - started
            with zipfile.ZipFile(result.zip_path) as archive:
                archive.extractall(scratch)  # our own ZIP, just written
            folder = Path(scratch) / result.zip_path.stem
            model_bytes = sum(
                p.stat().st_size
                for p in folder.rglob("*")
                if p.is_file() and p.name.startswith(("model", "member", "var", "saved"))
            )
            answer = _runner(folder, item if test.kind == "table" else None)
            p50, p95 = _p50_p95(lambda answer=answer, item=item: answer(item))
            check = json.loads((folder / "check.json").read_text())
            zip_mb = result.size_bytes / 1e6
        note = (
            f"{result.check.sentence()}; zip {zip_mb:.2f} MB, model {model_bytes / 1e6:.2f} MB; "
            f"export+check {seconds:.1f} s (check {check['seconds']:.1f} s)"
        )
        print(row(f"{run_id} {offer.format.title}", f"p50 {p50:.2f} p95 {p95:.2f}", reference, p50 / app_p50, note))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="*", help="run ids (default: the starters)")
    parser.add_argument("--tables", action="store_true", help="also train and bench the 8 table runs")
    parser.add_argument("--texts", action="store_true", help="also train and bench ngram_nb and minilm_ngrams")
    parser.add_argument("--budget", type=int, default=30, help="the automatic template's time budget (s)")
    args = parser.parse_args(argv)
    print("Exports: offered formats, parity on the test split, size, single-item latency (ms)\n")
    print(header())
    store = default_store()
    for run_id in args.runs or ([] if args.tables or args.texts else ["starter-digits", "starter-reviews"]):
        bench_run(store, run_id)
    if args.texts:
        with tempfile.TemporaryDirectory(prefix="bench-exports-") as home:
            text_store, ids = _train_text_runs(Path(home))
            for run_id in ids:
                bench_run(text_store, run_id)
    if args.tables:
        with tempfile.TemporaryDirectory(prefix="bench-exports-") as home:
            table_store, ids = _train_table_runs(Path(home), args.budget)
            for run_id in ids:
                bench_run(table_store, run_id)


if __name__ == "__main__":
    main(sys.argv[1:])
