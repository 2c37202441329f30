"""Answers from the exported table model, with nothing but its runtime: python predict.py TABLE.csv [-o scored.csv].

TABLE is a CSV or TSV file with the columns the model was trained on (``preparation.json`` lists them;
extra columns are ignored, blank cells are fine). ``prepare_table.py`` reads each row exactly as ModelDeck
did; the model file(s) in this folder answer; the answers are added to the table as new columns:

* a number to predict: ``predicted_<target>`` and the ranges ``low_80``/``high_80`` and ``low_90``/``high_90``
  (split-conformal ranges measured on held-out rows: about 8 and 9 in 10 actual values fall inside);
* classes: ``predicted_label``, its ``confidence``, ``needs_review`` with its ``review_reason``, and one
  ``probability_<class>`` per class (calibrated with the temperature ModelDeck measured on the validation rows).
  The label follows the decision rule saved with the run (``decision.json``, applied by ``decision_rule.py``:
  a threshold for two classes or a cost matrix, and the confidence below which a row goes to a person).

``table_model.json`` says which model files there are and how their answers are combined (the automatic
template blends several models with weights chosen on the validation rows); ``export.json`` says which
runtime reads them. ``--raw-out FILE.npy`` also saves the uncalibrated probabilities, or the values with
their range bounds, as ModelDeck's check reads them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
INFO = json.loads((HERE / "export.json").read_text(encoding="utf-8"))
MODEL = json.loads((HERE / "table_model.json").read_text(encoding="utf-8"))
BATCH = 4096
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ---- the model files, in their own runtime ----------------------------------------------------------------
def load_runner(path: Path):
    """A function from one batch of model inputs (NumPy) to the model file's output (NumPy)."""
    runtime = INFO["runtime"]
    if runtime == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        source = session.get_inputs()[0]
        dtype = np.float64 if "double" in source.type else np.float32
        return lambda x: session.run(None, {source.name: x.astype(dtype)})[0]
    if runtime == "litert":
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(path))
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

        serve = tf.saved_model.load(str(path)).signatures[INFO["signature"]]
        key = INFO["signature_input"]
        return lambda x: next(iter(serve(**{key: tf.constant(x.astype(np.float32))}).values())).numpy()
    if runtime == "keras":
        import keras

        model = keras.saving.load_model(str(path), compile=False, safe_mode=True)
        return lambda x: keras.ops.convert_to_numpy(model(x.astype(np.float32), training=False))
    raise SystemExit(f"Unknown runtime '{runtime}' in export.json.")


def member_answer(member: dict, out: np.ndarray, rows: int) -> np.ndarray:
    """One model file's output -> probabilities over all classes (N x K) or values in the target's units (N,)."""
    out = np.asarray(out, dtype=np.float64)
    if MODEL["task"] == "tabular_regression":
        values = out.reshape(rows, -1)[:, 0] * float(member.get("y_std", 1.0)) + float(member.get("y_mean", 0.0))
        return np.expm1(np.clip(values, -50.0, 50.0)) if member.get("log_target") else values
    classes = member.get("classes")
    if classes is None:
        return out
    probs = np.zeros((rows, len(MODEL["class_names"])))
    probs[:, np.asarray(classes, dtype=int)] = out
    return probs


def load_members() -> list:
    """(member, runner) for every model file in ``table_model.json``, each loaded once."""
    return [(member, load_runner(HERE / member["file"])) for member in MODEL["members"]]


def answers(inputs: dict, members: list | None = None) -> np.ndarray:
    """The blend of every model file's answers, weighted as in ModelDeck (one file: its answers).

    ``members`` is :func:`load_members`'s result, to reuse loaded model files between calls.
    """
    members = members if members is not None else load_members()
    rows = len(inputs["codes"])
    weights = np.asarray([max(float(m["weight"]), 0.0) for m, _ in members])
    weights = weights / weights.sum() if weights.sum() > 0 else np.full(len(members), 1.0 / len(members))
    blended = None
    for (member, runner), weight in zip(members, weights, strict=True):
        x = inputs[member["input"]]
        outs = [runner(x[i : i + BATCH]) for i in range(0, rows, BATCH)] if rows else []
        out = np.concatenate(outs) if outs else np.zeros((0, 1))
        part = weight * member_answer(member, out, rows)
        blended = part if blended is None else blended + part
    if MODEL["task"] != "tabular_regression":
        blended = np.clip(blended, 0.0, None)
        blended = blended / np.maximum(blended.sum(axis=1, keepdims=True), 1e-12)
    return np.asarray(blended, dtype=np.float64)


def ranges(values: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The saved conformal ranges around each value (on the log scale for a target learned as a logarithm)."""
    interval = MODEL.get("interval") or {}
    out = {}
    for level, width in sorted((interval.get("half_widths") or {}).items()):
        if width is None:
            continue
        if interval.get("scale") == "log":
            centre = np.log1p(np.maximum(values, 0.0))
            out[level] = (np.expm1(centre - width), np.expm1(np.minimum(centre + width, 50.0)))
        else:
            out[level] = (values - width, values + width)
    return out


def calibrated(probs: np.ndarray) -> np.ndarray:
    """Soften or sharpen with the saved temperature (the top class never changes)."""
    temperature = float(MODEL.get("temperature") or 1.0)
    if temperature == 1.0 or len(probs) == 0:
        return probs
    logits = np.log(np.clip(probs, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def _safe(value):
    """Text cells a spreadsheet would run as a formula get an apostrophe in front."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def _notes(report: dict) -> list[str]:
    notes = []
    if report.get("extra_columns"):
        notes.append(f"Columns the model does not use were ignored: {', '.join(report['extra_columns'][:8])}.")
    for key, words in (
        ("blanks", "blank cells (handled as missing)"),
        ("unseen", "values never seen in training (handled as '(other)')"),
        ("unreadable", "cells that could not be read (handled as missing)"),
    ):
        if report.get(key):
            parts = ", ".join(f"'{name}' {count}" for name, count in list(report[key].items())[:6])
            notes.append(f"{sum(report[key].values())} {words}: {parts}.")
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="a CSV or TSV table with the columns the model was trained on")
    parser.add_argument("-o", "--output", help="CSV file for the table with its answers (default: print it)")
    parser.add_argument("--raw-out", help="also save the raw answers as a .npy file (what ModelDeck's check reads)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from prepare_table import model_inputs, read_table

    path = Path(args.input)
    if not path.is_file():
        raise SystemExit(f"{path} does not exist.")
    table = read_table(path)
    try:
        inputs, report = model_inputs(table, HERE)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    for note in _notes(report):
        print(note, file=sys.stderr)
    out = table.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(_safe)
    raw = answers(inputs)
    if MODEL["task"] == "tabular_regression":
        bounds = ranges(raw)
        name = f"predicted_{MODEL['target']}" if MODEL.get("target") else "prediction"
        out[name] = raw
        for level, (low, high) in bounds.items():
            out[f"low_{round(float(level) * 100)}"] = low
            out[f"high_{round(float(level) * 100)}"] = high
        check = np.column_stack([raw, *[b for pair in bounds.values() for b in pair]]) if len(raw) else raw
    else:
        from decision_rule import decide, load_rule  # shipped beside this file with every class model

        probs = calibrated(raw)
        top, flagged, reasons = decide(probs, MODEL["class_names"], load_rule(HERE))
        out["predicted_label"] = [_safe(MODEL["class_names"][i]) for i in top]
        out["confidence"] = probs[np.arange(len(probs)), top].round(4) if len(probs) else []
        out["needs_review"] = flagged.tolist()
        out["review_reason"] = reasons
        for k, name in enumerate(MODEL["class_names"]):
            out[_safe(f"probability_{name}")] = probs[:, k].round(4) if len(probs) else []
        check = raw
    if args.raw_out:
        np.save(args.raw_out, check)
    out.to_csv(args.output if args.output else sys.stdout, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
