"""Benchmark 4 · batch scoring: 10,000 reviews from a CSV to a scored CSV.

The shared 2,000 IMDB reviews five times, read from CSV, scored by ``KerasPredictor.score_texts``
and written with formula-safe CSV export (what the Predict page's "A whole CSV" does), in rows
per second, next to a plain ``model.predict`` on the same array of strings.

    .venv/bin/python benchmarks/bench_batch_scoring.py
"""

from __future__ import annotations

import io
import tempfile
import time

import pandas as pd
from common import IMDB_2K, header, load_imdb_2k, require_shared_data, row


def main() -> None:
    import tensorflow as tf

    from modeling.config import TrainingSettings, default_config
    from modeling.data.readers import read_upload
    from modeling.runs.loading import load_predictor
    from modeling.runs.safe_csv import to_safe_csv
    from modeling.runs.store import RunStore
    from modeling.training.experiment import run_experiment

    require_shared_data()
    data = load_imdb_2k()
    cfg = default_config("text_classification", "benchmark")
    cfg = cfg.model_copy(update={"settings": TrainingSettings(**{**cfg.settings.model_dump(), "epochs": 3})})
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(tmp, starters=None)
        run = store.load(run_experiment(cfg, data, store=store).name)
        predictor = load_predictor(run)
        raw = pd.read_csv(IMDB_2K)
        big = pd.concat([raw] * 5, ignore_index=True)
        csv_bytes = big.to_csv(index=False).encode()

        start = time.perf_counter()
        table = read_upload(csv_bytes, "reviews.csv")
        scored = predictor.score_texts(table, "review")
        out = to_safe_csv(scored)
        ours = time.perf_counter() - start
        assert len(pd.read_csv(io.BytesIO(out))) == len(big)

        texts = big["review"].to_numpy(str)
        model = predictor.model
        model.predict(tf.constant(texts[:64]), verbose=0)  # warm-up
        start = time.perf_counter()
        model.predict(tf.constant(texts), batch_size=512, verbose=0)
        plain = time.perf_counter() - start
    print(header())
    print(
        row(
            "10,000 reviews CSV -> scored CSV",
            f"{len(big) / ours:,.0f} rows/s ({ours:.2f} s)",
            f"{len(big) / plain:,.0f} rows/s ({plain:.2f} s, model.predict only)",
            ours / plain,
            "ratio = time ours / time plain; ours includes CSV parsing and writing",
        )
    )


if __name__ == "__main__":
    main()
