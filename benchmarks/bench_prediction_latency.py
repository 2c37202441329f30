"""Benchmark 3 · prediction latency: one review and one drawn digit through ``load_predictor``.

Everything the Predict page does except drawing: for a digit, MNIST-style preparation of a
280x280 RGBA canvas image, then the model; for a review, the model on the raw string. p50 and
p95 over 200 calls after warm-up, next to a direct Keras call of the same model on an
already-prepared input. Goal: p95 under 30 ms on the 2-core machine.

    .venv/bin/python benchmarks/bench_prediction_latency.py
"""

from __future__ import annotations

import time

import numpy as np
from common import header, row

CALLS = 200


def _percentiles(fn) -> tuple[float, float]:
    for _ in range(10):
        fn()
    times = []
    for _ in range(CALLS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def _canvas_digit() -> np.ndarray:
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[60:220, 130:150] = (0, 0, 0, 255)  # a drawn '1'
    return rgba


def main() -> None:
    import tensorflow as tf

    from modeling.data.digits import prepare_digit
    from modeling.runs.loading import load_predictor
    from modeling.runs.store import default_store

    store = default_store()
    print(header())
    for run_id, item in (
        ("starter-reviews", "The blender is loud but it crushes ice in seconds, very happy."),
        ("starter-digits", _canvas_digit()),
    ):
        run = store.load(run_id)
        predictor = load_predictor(run)
        if run.task == "text_classification":
            p50, p95 = _percentiles(lambda p=predictor, x=item: p.predict_one(x))
            direct_input = tf.constant([item])
        else:
            p50, p95 = _percentiles(lambda p=predictor, x=item: p.predict_one(prepare_digit(x)[..., None]))
            direct_input = prepare_digit(item)[None, ..., None].astype("float32")
        d50, d95 = _percentiles(lambda m=predictor.model, x=direct_input: np.asarray(m(x, training=False)))
        kind = "review" if run.task == "text_classification" else "digit"
        print(row(f"one {kind}: p50", f"{p50:.1f} ms", f"{d50:.1f} ms (direct model call)", p50 / d50), flush=True)
        print(
            row(
                f"one {kind}: p95", f"{p95:.1f} ms", f"{d95:.1f} ms (direct model call)", p95 / d95, "goal: p95 < 30 ms"
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
