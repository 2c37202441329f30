"""Shared helpers for the benchmarks: the real data in ../shared/data, timing, printing.

Benchmarks are not tests: they print figures and ratios against a plain Keras or
scikit-learn reference run in the same process on the same data, so machine noise
cancels out in the ratio. They never fail on timing.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"
MNIST_8K = SHARED / "mnist_8k.npz"
IMDB_2K = SHARED / "imdb_reviews_2000.csv"


def require_shared_data() -> None:
    missing = [p for p in (MNIST_8K, IMDB_2K) if not p.exists()]
    if missing:
        sys.exit(f"The benchmark data is missing: {', '.join(map(str, missing))} (expected in ../shared/data).")


def load_mnist_8k():
    from modeling.data.sources import load_source

    return load_source(str(MNIST_8K))


def load_imdb_2k():
    from modeling.data.sources import load_source

    return load_source(str(IMDB_2K), "review", "sentiment")


class EpochTimer:
    """Keras callback factory: wall time of every epoch."""

    def __init__(self) -> None:
        import keras

        outer = self
        self.times: list[float] = []

        class _Cb(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                outer._start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                outer.times.append(time.perf_counter() - outer._start)

        self.callback = _Cb()

    def steady(self) -> float:
        """Median epoch time after the first (which pays for tracing and compilation)."""
        import statistics

        rest = self.times[1:] or self.times
        return statistics.median(rest)


def row(name: str, value: str, reference: str, ratio: float | None, note: str = "") -> str:
    ratio_text = f"{ratio:.2f}" if ratio is not None else "—"
    return f"| {name} | {value} | {reference} | {ratio_text} | {note} |"


def header() -> str:
    return "| figure | ModelDeck | reference | ratio | note |\n|---|---|---|---|---|"
