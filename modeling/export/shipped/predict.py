"""Answers from the exported model, with nothing but its runtime: python predict.py INPUT [-o answers.csv].

INPUT is a CSV/TSV table with a text column, a .txt file (one text per line) or a JSON list of texts
for a text model; a PNG/JPEG picture, a folder of pictures or an .npz with an ``images`` array for an
image model. The answers go to a CSV (``-o``, default: printed): the predicted label, its confidence
and one probability per class. Confidences are calibrated with the temperature ModelDeck measured on
the validation split (``export.json``); ``--raw-out FILE.npy`` saves the model's own probabilities.

This folder's ``export.json`` says which runtime it uses (ONNX Runtime, the LiteRT interpreter,
TensorFlow or Keras) and what the model reads; ``requirements.txt`` lists what to install.
"""

from __future__ import annotations

import argparse
import csv
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
def load_runner():
    """A function from one batch of model inputs (NumPy) to class probabilities (NumPy)."""
    runtime, path = INFO["runtime"], str(HERE / INFO["model_file"])
    if runtime == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return lambda x: session.run(None, {name: x})[0]
    if runtime == "litert":
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=path)
        source, target = interpreter.get_input_details()[0], interpreter.get_output_details()[0]

        def run_litert(x):
            interpreter.resize_tensor_input(source["index"], list(x.shape))
            interpreter.allocate_tensors()
            interpreter.set_tensor(source["index"], x.astype(source["dtype"]))
            interpreter.invoke()
            return interpreter.get_tensor(target["index"]).copy()

        return run_litert
    if runtime == "saved_model":
        import tensorflow as tf

        if INFO.get("needs_tensorflow_text"):
            import tensorflow_text  # noqa: F401  registers the word-piece tokenizer's operations

        serve = tf.saved_model.load(path).signatures[INFO["signature"]]
        key = INFO["signature_input"]
        return lambda x: next(iter(serve(**{key: tf.constant(x)}).values())).numpy()
    if runtime == "keras":
        import keras

        if (HERE / "modeldeck_layers.py").exists():
            sys.path.insert(0, str(HERE))
            import modeldeck_layers  # noqa: F401  registers ModelDeck's layers (encoder, term weighting) first

        model = keras.saving.load_model(path, compile=False, safe_mode=True)
        if INFO["input"]["kind"] == "text":
            import tensorflow as tf

            return lambda x: keras.ops.convert_to_numpy(model(tf.constant(x), training=False))
        return lambda x: keras.ops.convert_to_numpy(model(x, training=False))
    raise SystemExit(f"Unknown runtime '{runtime}' in export.json.")


def model_inputs(items):
    """Texts or pictures -> what the model file reads (token ids for ONNX/LiteRT text models)."""
    if INFO["input"]["kind"] == "text":
        texts = [str(t) for t in items]
        if INFO["input"].get("tokenizer"):
            sys.path.insert(0, str(HERE))
            from tokenizer import Tokenizer

            return Tokenizer.load(HERE / "vocabulary.json")(texts)
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
    writer.writerow(["row", "predicted_label", "confidence", *[f"probability_{name}" for name in LABELS]])
    for name, row in zip(names, probs, strict=True):
        top = int(np.argmax(row))
        writer.writerow([name, LABELS[top], f"{row[top]:.4f}", *[f"{p:.4f}" for p in row]])
    if args.output:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
