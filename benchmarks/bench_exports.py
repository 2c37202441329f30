"""Benchmark · exports: template x format -> offered or why not, parity, ZIP size, single-item latency.

For each run given (default: the two starters, plus any run ids on the command line), every format is
exported and checked (``modeling.export.bundle.build_export``: the ZIP's own ``predict.py`` in a fresh
process on the test split). Then one test item at a time goes through each runtime in this process
(ONNX Runtime, the LiteRT interpreter, the SavedModel signature), next to ModelDeck's Keras predictor
(a compiled forward pass, ``modeling.templates.inference.compiled_forward``): p50 and p95 over 200
calls after warm-up, and the ratio to the Keras predictor's p50.

    .venv/bin/python benchmarks/bench_exports.py [RUN ...]
"""

from __future__ import annotations

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
from modeling.runs.store import default_store

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


def _runner(folder: Path):
    """The export's own predict.py, imported from its folder: (runner, inputs-from-items)."""
    import importlib.util

    sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(f"predict_{folder.name}", folder / "predict.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.path.remove(str(folder))
    return module.load_runner(), module.model_inputs


def main(run_ids: list[str]) -> None:
    from modeling.runs.predictor import Predictor

    store = default_store()
    print("Exports: offered formats, parity on the test split, size, single-item latency (ms)\n")
    print(header())
    for run_id in run_ids:
        run = store.load(run_id)
        test = run.load_test()
        item = test.texts[:1] if test.kind == "text" else test.images[:1]
        predictor = Predictor.from_run(run)
        keras_p50, keras_p95 = _p50_p95(lambda p=predictor, x=item: p.predict(x, calibrated=False))
        reference = f"Keras predictor p50 {keras_p50:.2f} p95 {keras_p95:.2f}"
        print(row(f"{run_id} ({run.config.template}) Keras", reference, reference, 1.0))
        for offer in offers(run.config.template):
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
                    if p.is_file() and p.name.startswith(("model", "var", "saved"))
                )
                runner, to_inputs = _runner(folder)
                inputs = to_inputs(item)
                p50, p95 = _p50_p95(lambda runner=runner, inputs=inputs: runner(inputs))
                check = json.loads((folder / "check.json").read_text())
                zip_mb = result.size_bytes / 1e6
            note = (
                f"{result.check.sentence()}; zip {zip_mb:.2f} MB, model {model_bytes / 1e6:.2f} MB; "
                f"export+check {seconds:.1f} s (check {check['seconds']:.1f} s)"
            )
            print(
                row(f"{run_id} {offer.format.title}", f"p50 {p50:.2f} p95 {p95:.2f}", reference, p50 / keras_p50, note)
            )


if __name__ == "__main__":
    main(sys.argv[1:] or ["starter-digits", "starter-reviews"])
