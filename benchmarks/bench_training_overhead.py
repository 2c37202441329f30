"""Benchmark 1 · training overhead: ModelDeck's trainer vs a plain ``model.fit``.

Same model (built by the same template with the same seed), same data, batch size and
epochs, in one process, alternating app / plain runs so drift hits both. Goal: steady-state
time per epoch within 10% of plain Keras (ratio <= 1.10).

    .venv/bin/python benchmarks/bench_training_overhead.py [--epochs 5] [--repeats 2]
"""

from __future__ import annotations

import argparse

from common import EpochTimer, header, load_imdb_2k, load_mnist_8k, require_shared_data, row


def _prepare(task_data, template: str, epochs: int):
    from modeling.config import TrainingSettings, default_config
    from modeling.training.splits import split

    task = task_data.task
    cfg = default_config(task, "benchmark")
    settings = TrainingSettings(**{**cfg.settings.model_dump(), "epochs": epochs, "patience": 0})
    cfg = cfg.model_copy(update={"template": template, "settings": settings})
    train, validation, _ = split(task_data, cfg)
    return cfg, train, validation


def _app_epoch(cfg, train, validation) -> float:
    import keras

    from modeling.templates import build_model
    from modeling.training.fit import train_model

    keras.utils.set_random_seed(cfg.settings.seed)
    model = build_model(cfg, train)
    timer = EpochTimer()
    train_model(model, train, validation, cfg.settings, extra_callbacks=[timer.callback])
    return timer.steady()


def _plain_epoch(cfg, train, validation) -> float:
    """What a Keras user would write by hand for the same model."""
    import keras
    import numpy as np

    from modeling.templates import build_model
    from modeling.training.fit import make_tf_dataset

    keras.utils.set_random_seed(cfg.settings.seed)
    model = build_model(cfg, train)
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.settings.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    timer = EpochTimer()
    bs = cfg.settings.batch_size
    if train.kind == "text":
        model.fit(
            make_tf_dataset(train, bs, True, 0),
            validation_data=make_tf_dataset(validation, bs, False, 0),
            epochs=cfg.settings.epochs,
            callbacks=[timer.callback],
            verbose=0,
        )
    else:
        model.fit(
            train.images.astype(np.float32),
            train.labels,
            batch_size=bs,
            shuffle=True,
            validation_data=(validation.images.astype(np.float32), validation.labels),
            epochs=cfg.settings.epochs,
            callbacks=[timer.callback],
            verbose=0,
        )
    return timer.steady()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    require_shared_data()
    print(header())
    for label, data, template in (
        ("digits CNN (mnist_8k)", load_mnist_8k(), "small_cnn"),
        ("text n-grams (imdb 2k)", load_imdb_2k(), "ngram_bag"),
    ):
        cfg, train, validation = _prepare(data, template, args.epochs)
        app_times, plain_times = [], []
        for _ in range(args.repeats):
            app_times.append(_app_epoch(cfg, train, validation))
            plain_times.append(_plain_epoch(cfg, train, validation))
        app, plain = min(app_times), min(plain_times)
        print(
            row(
                f"{label}: steady epoch",
                f"{app:.3f} s",
                f"{plain:.3f} s (plain fit)",
                app / plain,
                f"{len(train)} train rows, batch {cfg.settings.batch_size}, goal <= 1.10",
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
