"""Benchmark 2 · quality of the defaults on real data, next to hand-written references.

Digits: ``../shared/data/mnist_8k.npz`` split 6,400 train+validation / 1,600 test (seed 42).
References: the plain Keras small CNN (2 conv+pool blocks, dropout 0.5, 15 epochs) and the
classic MLP (256-128, dropout 0.4, 10 epochs). Goal: the default digit template beats the CNN.

Text: ``../shared/data/imdb_reviews_2000.csv`` 80/20 stratified (seed 42). Reference: TF-IDF
(1-2 grams) + logistic regression. Goal: the default text template (what Automatic picks on this
machine, see ``modeling/templates/automatic.py``) is never below it.

    .venv/bin/python benchmarks/bench_default_quality.py
"""

from __future__ import annotations

import time

from common import header, load_imdb_2k, load_mnist_8k, require_shared_data, row

SEED = 42


def _app(data):
    """The default template and settings, exactly as a user who changes nothing gets them."""
    import tempfile

    from modeling.config import default_config
    from modeling.runs.store import RunStore
    from modeling.training.experiment import run_experiment

    cfg = default_config(data.task, "benchmark")
    if data.kind == "text":  # the Model page preselects Automatic for text: the template it picks here
        from modeling.templates.automatic import automatic_config, choose_text_template
        from modeling.templates.minilm import measure_throughput

        choice = choose_text_template(data, read_tokens_per_s=lambda: measure_throughput().read_tokens_per_s)
        cfg, _ = automatic_config(data, "benchmark", choice)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_dir = run_experiment(cfg, data, store=RunStore(tmp, starters=None))
        seconds = time.perf_counter() - start
        run = RunStore(tmp, starters=None).load(run_dir.name)
        return cfg, run.evaluation, seconds


def _split(data, cfg):
    from modeling.data.split import split_indices

    rest, test = split_indices(data.labels, cfg.data.test_share, cfg.settings.seed)
    return data.subset(rest), data.subset(test)


def _keras_cnn(train, test) -> tuple[float, float]:
    import keras
    from keras import layers

    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [
            keras.Input(train.images.shape[1:]),
            layers.Rescaling(1 / 255),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(train.images.astype("float32"), train.labels, batch_size=128, epochs=15, validation_split=0.1, verbose=0)
    seconds = time.perf_counter() - start
    return float(model.evaluate(test.images.astype("float32"), test.labels, verbose=0)[1]), seconds


def _keras_mlp(train, test) -> tuple[float, float]:
    import keras
    from keras import layers

    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [
            keras.Input(train.images.shape[1:]),
            layers.Rescaling(1 / 255),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dropout(0.4),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.4),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(train.images.astype("float32"), train.labels, batch_size=128, epochs=10, validation_split=0.1, verbose=0)
    seconds = time.perf_counter() - start
    return float(model.evaluate(test.images.astype("float32"), test.labels, verbose=0)[1]), seconds


def _tfidf_lr(train, test) -> tuple[float, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    clf = LogisticRegression(max_iter=1000, C=4.0).fit(vec.fit_transform(train.texts), train.labels)
    seconds = time.perf_counter() - start
    return float((clf.predict(vec.transform(test.texts)) == test.labels).mean()), seconds


def main() -> None:
    require_shared_data()
    print(header())
    digits = load_mnist_8k()
    cfg, ev, seconds = _app(digits)
    train, test = _split(digits, cfg)
    acc = ev["model"]["accuracy"]
    cnn, cnn_s = _keras_cnn(train, test)
    mlp, mlp_s = _keras_mlp(train, test)
    note = f"n_test={ev['model']['n']}, {cfg.template}, {seconds:.0f} s vs {cnn_s:.0f} s"
    print(row("digits accuracy vs small CNN", f"{acc:.2%}", f"{cnn:.2%}", acc / cnn, note + "; goal > 1.00"))
    print(row("digits accuracy vs MLP", f"{acc:.2%}", f"{mlp:.2%}", acc / mlp, f"MLP {mlp_s:.0f} s"), flush=True)

    reviews = load_imdb_2k()
    cfg, ev, seconds = _app(reviews)
    train, test = _split(reviews, cfg)
    acc = ev["model"]["accuracy"]
    ref, ref_s = _tfidf_lr(train, test)
    print(
        row(
            "imdb accuracy vs TF-IDF+LR",
            f"{acc:.2%}",
            f"{ref:.2%}",
            acc / ref,
            f"n_test={ev['model']['n']}, {cfg.template}, {seconds:.0f} s vs {ref_s:.1f} s; goal >= 1.00",
        )
    )


if __name__ == "__main__":
    main()
