"""Answers from the exported model, with nothing but its runtime: python predict.py INPUT [-o answers.csv].

INPUT is a CSV/TSV table with a text column, a .txt file (one text per line) or a JSON list of texts
for a text model; a PNG/JPEG picture, a folder of pictures or an .npz with an ``images`` array for an
image model. The answers go to a CSV (``-o``, default: printed): the predicted label, its confidence,
whether a person should look (``needs_review``, with the reason) and one probability per class.
Confidences are calibrated with the temperature ModelDeck measured on the validation split
(``export.json``); the label follows the decision rule saved with the run (``decision.json``: a threshold
for two classes or a cost matrix, and the confidence below which an answer goes to a person), as in
ModelDeck. ``--raw-out FILE.npy`` saves the model's own probabilities.

This folder's ``export.json`` says which runtime it uses (ONNX Runtime, the LiteRT interpreter,
TensorFlow or Keras) and what the model reads; ``requirements.txt`` lists what to install.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
INFO = json.loads((HERE / "export.json").read_text(encoding="utf-8"))
LABELS = json.loads((HERE / "labels.json").read_text(encoding="utf-8"))
BATCH = 256
PICTURES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


# ---- the model, in its own runtime ---------------------------------------------------------------
def by_name(x, names):
    """The model inputs in the order of the runtime's input ``names``: one array, or a dict matched by name.

    Runtimes decorate the names (``serving_default_token_ids:0``), so a key contained in a name matches too;
    failing that, the order of ``vocabulary.json`` (the model's own input order) decides.
    """
    if not isinstance(x, dict):
        return [x]
    values = list(x.values())
    found = []
    for position, name in enumerate(names):
        key = next((k for k in x if k == name), None) or next((k for k in x if k in name), None)
        found.append(x[key] if key is not None else values[position])
    return found


def load_runner():
    """A function from one batch of model inputs (NumPy, or a dict of them by input name) to class probabilities."""
    runtime, path = INFO["runtime"], str(HERE / INFO["model_file"])
    if runtime == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        names = [item.name for item in session.get_inputs()]
        return lambda x: session.run(None, dict(zip(names, by_name(x, names), strict=True)))[0]
    if runtime == "litert":
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=path)
        sources, target = interpreter.get_input_details(), interpreter.get_output_details()[0]

        def run_litert(x):
            arrays = by_name(x, [source["name"] for source in sources])
            for source, array in zip(sources, arrays, strict=True):
                interpreter.resize_tensor_input(source["index"], list(array.shape))
            interpreter.allocate_tensors()
            for source, array in zip(sources, arrays, strict=True):
                interpreter.set_tensor(source["index"], array.astype(source["dtype"]))
            interpreter.invoke()
            return interpreter.get_tensor(target["index"]).copy()

        return run_litert
    if runtime == "saved_model":
        import tensorflow as tf

        if INFO.get("needs_tensorflow_text"):
            import tensorflow_text  # noqa: F401  registers the word-piece tokenizer's operations

        serve = tf.saved_model.load(path).signatures[INFO["signature"]]
        keys = INFO.get("signature_inputs") or [INFO["signature_input"]]

        def run_saved_model(x):
            feeds = {key: tf.constant(array) for key, array in zip(keys, by_name(x, keys), strict=True)}
            return next(iter(serve(**feeds).values())).numpy()

        return run_saved_model
    if runtime == "keras":
        import keras

        if (HERE / "modeldeck_layers.py").exists():
            sys.path.insert(0, str(HERE))
            import modeldeck_layers  # noqa: F401  registers ModelDeck's layers (encoder, term weighting) first

        model = keras.saving.load_model(path, compile=False, safe_mode=True)
        if INFO["input"]["kind"] == "text" and not INFO["input"].get("tokenizer"):
            import tensorflow as tf  # a model saved with its text layer inside reads strings (TensorFlow only)

            return lambda x: keras.ops.convert_to_numpy(model(tf.constant(x), training=False))
        return lambda x: keras.ops.convert_to_numpy(model(x, training=False))
    raise SystemExit(f"Unknown runtime '{runtime}' in export.json.")


@functools.cache
def text_preparation():
    """The text preparation ModelDeck trained and evaluated the model with (``vocabulary.json``, ``tokenizer.py``)."""
    sys.path.insert(0, str(HERE))
    from tokenizer import TextPreparation

    return TextPreparation.load(HERE / "vocabulary.json")


def model_inputs(items):
    """Texts or pictures -> what the model file reads (numbers made by ``tokenizer.py`` for a text model)."""
    if INFO["input"]["kind"] == "text":
        texts = [str(t) for t in items]
        if INFO["input"].get("tokenizer"):
            return text_preparation()(texts)
        return np.asarray(texts, dtype=object if INFO["runtime"] == "saved_model" else str)
    return np.asarray(items, dtype=np.float32)


def probabilities(items) -> np.ndarray:
    runner = load_runner()
    outs = [
        np.asarray(runner(model_inputs(items[i : i + BATCH])), dtype=np.float32) for i in range(0, len(items), BATCH)
    ]
    return np.concatenate(outs) if outs else np.zeros((0, len(LABELS)), dtype=np.float32)


def calibrated(probs: np.ndarray) -> np.ndarray:
    """Soften or sharpen with the saved temperature (the top class never changes)."""
    temperature = float(INFO.get("temperature") or 1.0)
    if temperature == 1.0 or len(probs) == 0:
        return probs
    logits = np.log(np.clip(probs.astype(np.float64), 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return (scaled / scaled.sum(axis=1, keepdims=True)).astype(np.float32)


# ---- reading the input ----------------------------------------------------------------------------
def read_texts(path: Path, column: str | None) -> tuple[list[str], list[str]]:
    """(texts, row names) from a CSV/TSV table, a .txt file or a JSON list."""
    if path.suffix.lower() == ".json":
        texts = json.loads(path.read_text(encoding="utf-8"))
        return [str(t) for t in texts], [str(i) for i in range(len(texts))]
    if path.suffix.lower() == ".txt":
        texts = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return texts, [str(i) for i in range(len(texts))]
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
    if not rows:
        raise SystemExit(f"{path.name} has no rows.")
    column = column or INFO["input"].get("text_column") or "text"
    if column not in rows[0]:
        raise SystemExit(f"{path.name} has no column '{column}'; use --column (columns: {', '.join(rows[0])}).")
    return [row[column] or "" for row in rows], [str(i) for i in range(len(rows))]


def read_pictures(path: Path) -> tuple[np.ndarray, list[str]]:
    """(pixels N x H x W x C, names) from an .npz, one picture or a folder of pictures."""
    if path.suffix.lower() == ".npz":
        with np.load(path, allow_pickle=False) as data:
            images = np.asarray(data["images"])
        images = images[..., None] if images.ndim == 3 else images
        return images, [str(i) for i in range(len(images))]
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in PICTURES) if path.is_dir() else [path]
    return np.stack([prepare(p) for p in files]), [p.name for p in files]


def prepare(path: Path) -> np.ndarray:
    """One picture as the model's input: MNIST-style for a digit model, else resized."""
    from PIL import Image

    height, width, channels = INFO["input"]["shape"]
    with Image.open(path) as img:
        img.load()
        if INFO["input"].get("digits"):
            from prepare_image import prepare_digit

            return prepare_digit(img)[..., None]
        resized = img.convert("L" if channels == 1 else "RGB").resize((width, height), Image.Resampling.LANCZOS)
    pixels = np.asarray(resized, dtype=np.uint8)
    return pixels[..., None] if pixels.ndim == 2 else pixels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="a table, .txt or .json of texts; or a picture, a folder of pictures or an .npz")
    parser.add_argument("-o", "--output", help="CSV file for the answers (default: print them)")
    parser.add_argument("--column", help="the text column of a table (default: the one used in training)")
    parser.add_argument("--raw-out", help="also save the model's own probabilities as a .npy file")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    path = Path(args.input)
    if not path.exists():
        raise SystemExit(f"{path} does not exist.")
    items, names = read_texts(path, args.column) if INFO["input"]["kind"] == "text" else read_pictures(path)
    raw = probabilities(items)
    if args.raw_out:
        np.save(args.raw_out, raw)
    probs = calibrated(raw)
    out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    writer = csv.writer(out)
    header = ["row", "predicted_label", "confidence", "needs_review", "review_reason"]
    writer.writerow([*header, *[f"probability_{name}" for name in LABELS]])
    from decision_rule import decide, load_rule  # shipped beside this file

    chosen, flagged, reasons = decide(probs, LABELS, load_rule(HERE))
    for name, row, pick, flag, why in zip(names, probs, chosen, flagged, reasons, strict=True):
        writer.writerow([name, LABELS[pick], f"{row[pick]:.4f}", bool(flag), why, *[f"{p:.4f}" for p in row]])
    if args.output:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
