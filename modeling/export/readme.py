"""The README.md inside an export ZIP: what is in it, how to run it, what goes in and what comes out."""

from __future__ import annotations

from typing import Any

from modeling import format as fmt
from modeling.evaluation.decisions import describe_rule
from modeling.export.formats import ExportFormat
from modeling.export.verify import ParityCheck
from modeling.runs.decision_rules import load_decision
from modeling.runs.store import Run


def _input_text(facts: dict[str, Any]) -> str:
    info = facts["input"]
    if info["kind"] == "text":
        if info.get("tokenizer"):
            counts = (
                " For this model it counts how often each word and word pair of `vocabulary.json` occurs (the model "
                "file begins with the term weighting: log(1 + count) times each term's weight, at unit length)."
                if facts.get("tokenizer_output") == "count"
                else ""
            )
            how = (
                "BERT's word pieces over the vocabulary in `vocabulary.json`, in windows of `[CLS] ... [SEP]`"
                if facts.get("tokenizer_output") == "word_pieces"
                else "lower-case A-Z, strip ASCII punctuation, split on whitespace or into characters, look each "
                "token up in `vocabulary.json`"
            )
            text = (
                "The model file reads numbers, not text: `tokenizer.py` turns each text into them exactly as "
                f"ModelDeck did when it trained and evaluated the model ({how})." + counts + " Feed the model "
                "`TextPreparation.load()(list_of_texts)` (a dict by input name when the model has several inputs)."
            )
            if facts["runtime"] == "keras" and facts.get("own_layers"):
                text += (
                    " Load it with `import modeldeck_layers` first (ModelDeck's own layers, rebuilt from plain "
                    "settings), then `keras.saving.load_model('model.keras', safe_mode=True)`"
                    + ("; Keras Hub must be installed." if facts.get("needs_keras_hub") else ".")
                )
        else:  # a run saved with its text layer inside the model
            text = "The model reads raw texts (a batch of strings); all text preparation is inside it."
            if facts.get("needs_keras_hub"):
                text += (
                    " Load it with `import modeldeck_layers` first (ModelDeck's own layers: the sentence encoder and "
                    "the term weighting, rebuilt from plain settings), then `keras.saving.load_model('model.keras', "
                    "safe_mode=True)`; Keras Hub and TensorFlow Text must be installed."
                )
            elif facts["runtime"] == "keras" and facts.get("own_layers"):
                text += (
                    " Load it with `import modeldeck_layers` first (ModelDeck's term weighting layer), then "
                    "`keras.saving.load_model('model.keras', safe_mode=True)`."
                )
        if facts.get("quantized"):
            text += (
                " Its encoder is stored in 8 bits and rounds its intermediate numbers to 8 bits as it runs: call the "
                "model directly (`model(texts)`, as `predict.py` does) for ModelDeck's exact answers; a traced call "
                "(`model.predict`, `tf.function`) orders the arithmetic differently and moves probabilities by up to "
                "about 0.02."
            )
        return text
    height, width, channels = info["shape"]
    colour = "grey" if channels == 1 else "colour (RGB)"
    text = (
        f"The model reads {height}x{width} {colour} pictures as float32 pixel values 0..255, shape "
        f"(batch, {height}, {width}, {channels}); scaling to 0..1 is inside the model."
    )
    if info.get("digits"):
        text += (
            " It was trained on MNIST-style digits (white on black, centred): `prepare_image.prepare_digit(picture)` "
            "turns a photo or drawing into that, exactly as ModelDeck's Predict page does."
        )
    return text


def _signature_text(facts: dict[str, Any]) -> str:
    if facts["runtime"] != "saved_model":
        return ""
    extra = (
        "`import tensorflow_text` first (the word-piece tokenizer's operations), then "
        if facts.get("needs_tensorflow_text")
        else ""
    )
    keys = facts.get("signature_inputs") or [facts["signature_input"]]
    arguments = (
        f"one keyword argument `{keys[0]}`"
        if len(keys) == 1
        else "the keyword arguments " + ", ".join(f"`{key}`" for key in keys)
    )
    return (
        "\n## Serving signature\n\n"
        f"{extra}`tf.saved_model.load('saved_model').signatures['{facts['signature']}']` takes {arguments} "
        "(a batch, as described above) and returns a dict with one entry: "
        "the class probabilities, shape (batch, classes), in the order of `labels.json`. TensorFlow Serving "
        "serves the same signature.\n"
    )


def _extra_rows(facts: dict[str, Any]) -> str:
    rows = ""
    if facts.get("tokenizer"):
        rows += "| `tokenizer.py`, `vocabulary.json` | the text preparation, in plain Python |\n"
    if facts.get("own_layers"):
        rows += "| `modeldeck_layers.py` | ModelDeck's own Keras layers, registered on import (needed to load it) |\n"
    if facts["input"].get("digits"):
        rows += "| `prepare_image/` | the digit preparation of ModelDeck's Predict page |\n"
    return rows


def _input_files(facts: dict[str, Any]) -> str:
    if facts["input"]["kind"] == "text":
        column = fmt.md_escape(str(facts["input"].get("text_column")))
        return f"a CSV with a `{column}` column, a .txt file (one text per line) or a JSON list of texts"
    return "a PNG/JPEG picture, a folder of pictures, or an .npz with an `images` array"


def export_readme(run: Run, item: ExportFormat, facts: dict[str, Any], check: ParityCheck) -> str:
    """Markdown for a developer who receives the ZIP and never saw ModelDeck."""
    labels = ", ".join(f"`{fmt.md_escape(name)}`" for name in run.class_names)
    temperature = float(facts.get("temperature") or 1.0)
    calibration = (
        f"ModelDeck calibrated the confidences with temperature {temperature:.3f} (measured on the validation "
        "split); `predict.py` applies it. The model file returns the uncalibrated probabilities; the top class is "
        "the same either way."
        if temperature != 1.0
        else "The model's probabilities are used as they are (no calibration was needed)."
    )
    rule = fmt.md_escape(describe_rule(load_decision(run.path), run.class_names))
    return f"""# {fmt.md_escape(run.info.title)}: {item.title} export

Exported by ModelDeck from run `{run.info.run_id}` (template `{run.config.template}`). {item.description}

**Checked before export:** {fmt.md_escape(check.sentence())}, on the run's held-out test split, with this
folder's own `predict.py` in a fresh Python process, against the original Keras model (`check.json`).

## Files

| file | what |
|---|---|
| `{item.model_file}` | the model |
| `labels.json` | the class names, in the order of the model's outputs |
| `export.json` | what the model reads, its runtime, the calibration temperature |
| `predict.py` | answers for a file of inputs, using only the runtime in `requirements.txt` |
| `decision.json`, `decision_rule.py` | the decision rule saved in ModelDeck, and the code that applies it |
| `requirements.txt` | what `predict.py` needs (`pip install -r requirements.txt`) |
| `MODEL_CARD.md` | what the model is for, its data, figures with intervals, limitations |
{_extra_rows(facts)}
## Run it

```bash
pip install -r requirements.txt
python predict.py INPUT -o answers.csv
```

INPUT is {_input_files(facts)}.
`answers.csv` has the predicted label, its confidence, `needs_review` (a person should look) with its
`review_reason`, and one probability per class ({labels}). The label follows the decision rule saved with
the run in ModelDeck, as in the app: {rule}

## What the model reads and returns

{_input_text(facts)}

It returns one probability per class, in the order of `labels.json`. {calibration}
{_signature_text(facts)}"""
