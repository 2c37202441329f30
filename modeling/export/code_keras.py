"""The scripts behind the ``keras`` family's runs trained by gradient descent, and that family's data facts.

Each generator has the one signature every ``TemplateSpec.code`` has, ``(config, facts, run_id, data_file)
-> str``: :func:`image_script` (``small_cnn``, ``dense``), :func:`text_script` (``ngram_bag``,
``embedding_bag``, ``conv1d``) and :func:`encoder_script` (``minilm``). They read the data file, cut the
same seeded split, build the template's model layer by layer (:mod:`modeling.export.code_models`), compile
and fit it with the chosen optimizer, schedule, best weights and early stopping, then print the test accuracy
and macro F1. :func:`facts_from_dataset` and :func:`facts_from_run` say what the scripts need to know about
the data (:data:`modeling.export.families.FAMILIES`).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from modeling.config import ExperimentConfig
from modeling.data.language import reads_characters
from modeling.export import code_parts
from modeling.export.code_models import encoder_model, image_model, text_model
from modeling.export.models import quantized_model_file
from modeling.runs.store import Run
from modeling.templates.text_prep import FILE_NAME

IMAGE_BODY = """    model = build_model(len(classes))
    x = inputs.astype("float32")
    fit(model, x[train], labels[train], (x[val], labels[val]), len(train))
    probabilities = np.concatenate([
        keras.ops.convert_to_numpy(model(x[test][i : i + 256], training=False)) for i in range(0, len(test), 256)
    ])
"""
TEXT_BODY = """    model = build_model(len(classes), inputs[train])

    def batches(rows, shuffle):  # Keras fit takes strings through tf.data
        data = tf.data.Dataset.from_tensor_slices((inputs[rows], labels[rows]))
        if shuffle:
            data = data.shuffle(min(len(rows), 10_000), seed=SEED, reshuffle_each_iteration=True)
        return data.batch(min(BATCH_SIZE, len(train))).prefetch(tf.data.AUTOTUNE)

    fit(model, batches(train, True), None, batches(val, False), len(train))
    probabilities = np.concatenate([
        keras.ops.convert_to_numpy(model(tf.constant(inputs[test][i : i + 256]), training=False))
        for i in range(0, len(test), 256)
    ])
"""
ENCODER_BODY = """    vectors = sentence_vectors(inputs)  # the encoder reads each text once; only the head trains
    model = build_model(len(classes))
    fit(model, vectors[train], labels[train], (vectors[val], labels[val]), len(train))
    probabilities = keras.ops.convert_to_numpy(model(vectors[test], training=False))
"""
FINE_TUNE_NOTE = (
    "\nThe run fine-tuned the encoder end to end; this script trains the head on the frozen encoder\n"
    "(the default mode), which needs no GPU. Its figures can differ from the run's.\n"
)


def image_script(config: ExperimentConfig, facts: dict[str, Any], run_id: str, data_file: str) -> str:
    """``small_cnn`` and ``dense``: pictures from the sample, MNIST, an ``.npz`` or a ZIP, then the network."""
    s = config.settings
    return code_parts.script(
        [
            code_parts.header(config, facts, run_id, data_file),
            code_parts.imports(text=False),
            code_parts.constants(config, facts, data_file),
            code_parts.image_data(str(facts.get("source") or config.data.source)),
            code_parts.SPLIT,
            image_model(config.template, s, list(facts.get("image_shape") or [28, 28, 1])),
            code_parts.training(s),
            code_parts.main(IMAGE_BODY),
        ]
    )


def text_script(config: ExperimentConfig, facts: dict[str, Any], run_id: str, data_file: str) -> str:
    """``ngram_bag``, ``embedding_bag`` and ``conv1d``: a text table, then the network with its text layer."""
    s = config.settings
    return code_parts.script(
        [
            code_parts.header(config, facts, run_id, data_file),
            code_parts.imports(text=True),
            code_parts.constants(config, facts, data_file, text=True),
            code_parts.TEXT_DATA,
            code_parts.SPLIT,
            text_model(config.template, s, str(facts.get("split") or "whitespace")),
            code_parts.training(s),
            code_parts.main(TEXT_BODY),
        ]
    )


def encoder_script(config: ExperimentConfig, facts: dict[str, Any], run_id: str, data_file: str) -> str:
    """``minilm``: the frozen pretrained encoder reads each text once, then a small head trains on the vectors."""
    from modeling.templates.minilm.encoder import windows_for

    s = config.settings
    notes = FINE_TUNE_NOTE if s.encoder_mode == "fine_tune" else ""
    return code_parts.script(
        [
            code_parts.header(config, facts, run_id, data_file, notes=notes),
            code_parts.imports(text=True, encoder=True),
            code_parts.constants(config, facts, data_file, text=True),
            code_parts.TEXT_DATA,
            code_parts.SPLIT,
            encoder_model(s, windows_for(s)),
            code_parts.training(s),
            code_parts.main(ENCODER_BODY),
        ]
    )


# ---- the facts: what the scripts need to know about the data --------------------------------------------------
def facts_from_dataset(dataset: Any) -> dict[str, Any]:
    """From a loaded text or image Dataset (the Model page, before training)."""
    facts: dict[str, Any] = {"kind": dataset.kind, "source": dataset.source, "name": dataset.name}
    if dataset.texts is not None:
        facts.update(
            text_column=dataset.text_column,
            label_column=dataset.label_column,
            split="character" if reads_characters(dataset.texts[:2000]) else "whitespace",
        )
    else:
        facts["image_shape"] = list(dataset.image_shape or ())
    return facts


def facts_from_run(run: Run) -> dict[str, Any]:
    """The same facts for a saved run, from ``run.json`` and the saved model's own settings."""
    data = run.meta.get("dataset", {})
    facts: dict[str, Any] = {"kind": data.get("kind", "text"), "source": data.get("source") or run.config.data.source}
    facts["name"] = data.get("name", "")
    if facts["kind"] == "image":
        facts["image_shape"] = list(data.get("image_shape") or [28, 28, 1])
        return facts
    facts.update(
        text_column=run.config.data.text_column or data.get("text_column") or "text",
        label_column=run.config.data.label_column or data.get("label_column") or "label",
        split=_vectorizer_split(run.model_path) or "whitespace",
        quantized=quantized_model_file(run.model_path),
    )
    return facts


def _vectorizer_split(model_path: Path) -> str | None:
    """How the run's texts were split ("whitespace" or "character"): from its text preparation, or (a run saved
    with its text layer inside) from the model's TextVectorization config alone."""
    prepared = _preparation_split(model_path.with_name(FILE_NAME))
    if prepared:
        return prepared
    try:
        with zipfile.ZipFile(model_path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("class_name") == "TextVectorization":
                found.append(str(node.get("config", {}).get("split")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    return found[0] if found else None


def _preparation_split(path: Path) -> str | None:
    try:
        inputs = json.loads(path.read_text(encoding="utf-8")).get("inputs") or []
    except (OSError, ValueError, AttributeError):
        return None
    return next((str(item["split"]) for item in inputs if isinstance(item, dict) and item.get("split")), None)
