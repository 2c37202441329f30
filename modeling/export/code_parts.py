"""The pieces of a run's standalone script that do not depend on the template: data, split, training.

Each piece is plain source text; the generators named by each template (``TemplateSpec.code``) join them. The split and
the label encoding are written to give exactly the rows and class order ModelDeck used, so the script's
test figures are comparable with the app's.
"""

from __future__ import annotations

from typing import Any

from modeling.config import ExperimentConfig
from modeling.settings import REPO_ROOT

#: What a script trained by gradient descent does after the split (the fitted templates say their own).
KERAS_HOW = (
    "builds the model layer by layer, trains it with the same optimizer, schedule and early stopping, and prints\n"
    "the test figures."
)


def header(
    config: ExperimentConfig, facts: dict[str, Any], run_id: str, data_file: str, how: str = KERAS_HOW, notes: str = ""
) -> str:
    """The script's docstring: what it reproduces, how (``how``), how to run it, and ``notes`` on differences."""
    title = f"run {run_id}" if run_id else "the settings on the Model page"
    shared = ""
    if config.data.drop_duplicates:
        shared += (
            "\nModelDeck removed exact and near-duplicate rows before splitting; this script removes exact\n"
            "duplicates only, so its split can differ by a few rows.\n"
        )
    if facts.get("quantized"):
        shared += (
            "\nThe run's encoder was stored in 8 bits (the sentiment starter); this script reads the texts with the\n"
            "full-precision encoder, so its figures can differ from the run's by a point or so.\n"
        )
    notes = shared + notes
    return f'''"""Reproduce ModelDeck's {title} with plain Keras and scikit-learn (no ModelDeck needed).

Template `{config.template}` on {facts.get("name") or "your data"}. Written by ModelDeck; every setting below is the
one the run used. It reads the data file, cuts the same seeded split (test part first, never trained on),
{how}

    python train.py [DATA_FILE]      # default: {data_file}
{notes}"""'''


def imports(text: bool, fitted: bool = False, encoder: bool = False) -> str:
    """The imports of a script reading texts (else pictures), fitted in one step, with the pretrained encoder."""
    standard = ["import sys"] + ["import re"] * text + ["import importlib.util"] * encoder
    standard += ["import warnings"] * fitted
    lines = [*sorted(standard), "from pathlib import Path", "", "import numpy as np"]
    if text:
        lines += ["import pandas as pd"]
    if fitted:
        lines += ["import scipy.sparse as sp"]
    lines += ["import keras", "from keras import layers"]
    if fitted:
        lines += ["from sklearn.linear_model import LogisticRegression"]
    lines += ["from sklearn.metrics import accuracy_score, f1_score"]
    lines += ["from sklearn.model_selection import train_test_split"]
    if text:
        lines += ["import tensorflow as tf"]
    if encoder:
        lines += ["import keras_hub"]
    return "\n".join(lines)


def script(parts: list[str]) -> str:
    """The pieces joined into one file (one blank line between them)."""
    return "\n\n".join(part.strip("\n") for part in parts) + "\n"


def constants(
    config: ExperimentConfig, facts: dict[str, Any], data_file: str, text: bool = False, fitted: bool = False
) -> str:
    """The settings block: the data file, the text and label columns (``text``), the split and the training."""
    s = config.settings
    lines = [
        "# ---- settings (from the run) ----",
        f'DATA_FILE = sys.argv[1] if len(sys.argv) > 1 else "{data_file}"',
    ]
    if text:
        lines += [f"TEXT_COLUMN = {facts.get('text_column')!r}", f"LABEL_COLUMN = {facts.get('label_column')!r}"]
    if fitted:
        fitted = [
            f"TEST_SHARE = {config.data.test_share}  # kept aside first, for the final test",
            f"VALIDATION_SHARE = {s.validation_share}  # of the rest: chooses the weighting and the regularisation",
            f"SEED = {s.seed}  # same seed, same split",
            f"DROP_DUPLICATES = {config.data.drop_duplicates}",
        ]
        return "\n".join([*lines, *fitted])
    lines += [
        f"TEST_SHARE = {config.data.test_share}  # kept aside first, for the final test",
        f"VALIDATION_SHARE = {s.validation_share}  # of the rest: watched for over-fitting, chooses the best epoch",
        f"SEED = {s.seed}  # same seed, same split and same start",
        f"EPOCHS = {s.epochs}",
        f"BATCH_SIZE = {s.batch_size}",
        f"LEARNING_RATE = {s.learning_rate}",
        f"PATIENCE = {s.patience}  # epochs without a better validation loss before stopping (0 = never)",
        f"DROP_DUPLICATES = {config.data.drop_duplicates}",
    ]
    return "\n".join(lines)


TEXT_DATA = '''
# ---- the data ----
def natural_key(value):
    """Classes in a stable order: numbers numerically, then words alphabetically (as ModelDeck sorts them)."""
    try:
        return (0, float(value))
    except ValueError:
        return (1, value.lower())


def label_strings(values):
    """Labels as people read them: 1.0 -> '1', ' pos ' -> 'pos'."""
    if pd.api.types.is_float_dtype(values) and np.all(values == np.round(values)):
        return values.astype(np.int64).astype(str).to_numpy(str)
    return values.astype(str).str.strip().to_numpy(str)


def load_data(path):
    """(texts, label indices, class names); rows without a text or a label are dropped, as in ModelDeck."""
    suffix = Path(path).suffix.lower()
    if suffix in (".xlsx", ".xls"):
        table = pd.read_excel(path)
    elif suffix == ".parquet":
        table = pd.read_parquet(path)
    else:
        table = pd.read_csv(path, sep=None, engine="python", encoding="utf-8-sig")
    if DROP_DUPLICATES:
        table = table.drop_duplicates(subset=[TEXT_COLUMN])
    texts, labels = table[TEXT_COLUMN], table[LABEL_COLUMN]
    keep = labels.notna() & (labels.astype(str).str.strip() != "")
    keep &= texts.notna() & (texts.astype(str).str.strip() != "")
    texts = texts[keep].astype(str).str.strip().str.slice(0, 20000).to_numpy(str)
    names = label_strings(labels[keep])
    classes = sorted(set(names.tolist()), key=natural_key)
    index = {name: i for i, name in enumerate(classes)}
    return texts, np.array([index[name] for name in names]), classes
'''


def image_data(source: str) -> str:
    """Reading the pictures: the digits sample (redrawn MNIST-style), MNIST, an .npz, or a ZIP of class folders."""
    if source == "sample:digits":
        ops = (REPO_ROOT / "modeling" / "data" / "images.py").read_text(encoding="utf-8")
        body = ops.split('"""', 2)[2].replace("from __future__ import annotations\n", "")
        return (
            "# ---- the data ----\n"
            "# scikit-learn's 1,797 8x8 digits, redrawn at 28x28 like MNIST (white ink on black, fitted into 20x20,\n"
            "# centred by mass): ModelDeck's own image functions, copied from modeling/data/images.py.\n"
            + body
            + """

def load_data(path):
    from sklearn.datasets import load_digits

    digits = load_digits()
    scaled = np.clip(np.rint(digits.images * (255.0 / 16.0)), 0, 255).astype(np.uint8)
    images = np.stack([mnist_style(d, box=20, size=28) for d in scaled])[..., None]
    return images, digits.target.astype(np.int64), [str(i) for i in range(10)]
"""
        )
    if source == "sample:mnist":
        return '''# ---- the data ----
def load_data(path):
    """MNIST's 70,000 digits (Keras downloads them once); ModelDeck joins its parts and cuts its own test split."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    images = np.concatenate([x_train, x_test])[..., None]
    labels = np.concatenate([y_train, y_test]).astype(np.int64)
    return images, labels, [str(i) for i in range(10)]
'''
    return '''# ---- the data ----
def natural_key(value):
    try:
        return (0, float(value))
    except ValueError:
        return (1, value.lower())


def load_data(path):
    """(images N x H x W x C uint8, label indices, class names) from an .npz with `images` and `labels`."""
    with np.load(path, allow_pickle=False) as data:
        images, raw = np.asarray(data["images"], dtype=np.uint8), np.asarray(data["labels"]).astype(str)
    if images.ndim == 3:
        images = images[..., None]
    classes = sorted(set(raw.tolist()), key=natural_key)
    index = {name: i for i, name in enumerate(classes)}
    return images, np.array([index[name] for name in raw]), classes
'''


SPLIT = '''
# ---- the split: test first, then validation, stratified when every class allows it ----
def split(labels, share):
    """(kept, held_out) sorted row numbers; the same rule and seed as ModelDeck's split."""
    n = len(labels)
    held = min(max(1, int(np.ceil(n * share))), n - 1)
    _, counts = np.unique(labels, return_counts=True)
    can_stratify = len(counts) >= 2 and counts.min() >= 2 and held >= len(counts) and n - held >= len(counts)
    rows = np.arange(n)
    try:
        kept, out = train_test_split(rows, test_size=held, random_state=SEED, shuffle=True,
                                     stratify=labels if can_stratify else None)
    except ValueError:
        kept, out = train_test_split(rows, test_size=held, random_state=SEED, shuffle=True)
    return np.sort(kept), np.sort(out)
'''


def _optimizer(s: Any) -> str:
    if s.schedule == "exponential":
        lr = "keras.optimizers.schedules.ExponentialDecay(LEARNING_RATE, decay_steps=steps_per_epoch, decay_rate=0.9)"
    elif s.schedule == "cosine":
        lr = "keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=total_steps, alpha=0.01)"
    elif s.schedule == "warmup_cosine":
        lr = (
            "keras.optimizers.schedules.CosineDecay(\n"
            "        0.0, decay_steps=max(1, total_steps - warmup), alpha=0.01,\n"
            "        warmup_target=LEARNING_RATE, warmup_steps=warmup)"
        )
    else:
        lr = "LEARNING_RATE"
    optimizer = {
        "adamw": "keras.optimizers.AdamW(learning_rate=rate, weight_decay=1e-4)",
        "sgd": "keras.optimizers.SGD(learning_rate=rate, momentum=0.9, nesterov=True)",
        "rmsprop": "keras.optimizers.RMSprop(learning_rate=rate)",
    }.get(s.optimizer, "keras.optimizers.Adam(learning_rate=rate)")
    warm = "    warmup = max(1, min(total_steps // 10, 5 * steps_per_epoch))\n" if s.schedule == "warmup_cosine" else ""
    return (
        "def make_optimizer(steps_per_epoch):\n"
        f'    """{s.optimizer} with a {s.schedule} learning rate."""\n'
        "    total_steps = max(1, steps_per_epoch * EPOCHS)\n"
        + warm
        + f"    rate = {lr}\n"
        + f"    return {optimizer}\n"
    )


def training(s: Any, loss: str = '"sparse_categorical_crossentropy"', metrics: str = '["accuracy"]') -> str:
    """make_optimizer, best weights and ``fit(model, x, y, validation, rows)``; ``loss``/``metrics`` are source text."""
    return (
        "# ---- training ----\n"
        + _optimizer(s)
        + f"\nLOSS = {loss}\nMETRICS = {metrics}\n"
        + '''

class KeepBestWeights(keras.callbacks.Callback):
    """Remember the weights of the epoch with the lowest validation loss and put them back at the end."""

    def on_train_begin(self, logs=None):
        self.best, self.weights = np.inf, None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("val_loss", (logs or {}).get("loss", np.inf))
        if loss < self.best:
            self.best, self.weights = loss, self.model.get_weights()

    def on_train_end(self, logs=None):
        if self.weights is not None:
            self.model.set_weights(self.weights)


def fit(model, x, y, validation, rows):
    """Compile and fit with the run's optimizer, best weights and early stopping."""
    batch_size = min(BATCH_SIZE, rows)
    steps = int(np.ceil(rows / batch_size))
    model.compile(optimizer=make_optimizer(steps), loss=LOSS, metrics=METRICS)
    callbacks = [KeepBestWeights()]
    if PATIENCE > 0:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE))
    return model.fit(x, y, batch_size=batch_size if y is not None else None, epochs=EPOCHS,
                     validation_data=validation, callbacks=callbacks, verbose=2)
'''
    )


def main(body: str, save: bool = True) -> str:
    """``main()``: load, split, then ``body`` (fit, and the test probabilities), the figures, and the saved model."""
    start = """
def main():
    inputs, labels, classes = load_data(DATA_FILE)
    rest, test = split(labels, TEST_SHARE)
    train, val = (rest[i] for i in split(labels[rest], VALIDATION_SHARE))
    print(f"{len(labels)} examples: {len(train)} to train, {len(val)} to validate, {len(test)} to test")
    keras.utils.set_random_seed(SEED)
"""
    end = """    predicted = probabilities.argmax(axis=1)
    accuracy = accuracy_score(labels[test], predicted)
    f1 = f1_score(labels[test], predicted, average="macro")
    print(f"test accuracy: {accuracy:.4f}")
    print(f"test macro F1: {f1:.4f}")
"""
    if save:
        end += '    model.save("model.keras")\n'
    return start + body + end + '\n\nif __name__ == "__main__":\n    main()\n'
