"""The code behind a run: one standalone Python script that reproduces it with plain Keras / scikit-learn.

:func:`training_script` writes, for a config and the facts of its data, a script in the style of the
keras-io examples: read the data file, cut the same seeded split (the test part first, then the
validation part, stratified when every class allows it, exactly as ``modeling.data.split``), build the
template's model layer by layer (:mod:`modeling.export.code_models`), compile and fit it with the chosen
optimizer, schedule, best-weights and early stopping, then print the test accuracy and macro F1.
The fitted text templates (``ngram_nb``, ``minilm_ngrams``) count, weigh and fit logistic regressions
instead of epochs (:mod:`modeling.export.code_keywords`). Table runs get a pandas + scikit-learn script
(:mod:`modeling.export.code_tables`).
Nothing in it imports ModelDeck. ``python -m modeling code RUN > train.py`` prints it.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from modeling.config import ExperimentConfig
from modeling.data.language import reads_characters
from modeling.errors import RunError
from modeling.export import code_keywords, code_parts
from modeling.export.code_models import encoder_model, image_model, text_model
from modeling.export.code_tables import (
    TABLE_SAMPLE_FILES,
    table_facts_from_dataset,
    table_facts_from_run,
    table_script,
)
from modeling.export.models import quantized_model_file
from modeling.runs.store import Run
from modeling.settings import REPO_ROOT

SAMPLE_FILES = {
    "sample:reviews": "sample_data/reviews.csv",
    "sample:reviews_zh": "sample_data/reviews_zh.csv",
    **TABLE_SAMPLE_FILES,
}
CODE_TEMPLATES = ("small_cnn", "dense", "ngram_bag", "embedding_bag", "conv1d", "minilm", "ngram_nb", "minilm_ngrams")
TABLE_CODE_TEMPLATES = ("boosted_trees", "linear", "neural_network", "automatic")


def facts_from_dataset(dataset: Any) -> dict[str, Any]:
    """What the script needs to know about the data, from a loaded Dataset (the Model page, before training)."""
    if dataset.kind == "table":
        return table_facts_from_dataset(dataset)
    facts: dict[str, Any] = {"kind": dataset.kind, "source": dataset.source, "name": dataset.name}
    if dataset.kind == "text":
        facts.update(
            text_column=dataset.text_column,
            label_column=dataset.label_column,
            split="character" if reads_characters(dataset.texts[:2000]) else "whitespace",
        )
    elif dataset.kind == "image":
        facts["image_shape"] = list(dataset.image_shape or ())
    return facts


def _vectorizer_split(model_path: Path) -> str | None:
    """How the saved model's TextVectorization splits ("whitespace" or "character"), read from its config alone."""
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


def facts_from_run(run: Run) -> dict[str, Any]:
    """The same facts for a saved run, from ``run.json`` and the saved model's own settings."""
    if run.task.startswith("tabular"):
        return table_facts_from_run(run)
    data = run.meta.get("dataset", {})
    facts: dict[str, Any] = {"kind": data.get("kind", "text"), "source": data.get("source") or run.config.data.source}
    facts["name"] = data.get("name", "")
    if facts["kind"] == "text":
        facts.update(
            text_column=run.config.data.text_column or data.get("text_column") or "text",
            label_column=run.config.data.label_column or data.get("label_column") or "label",
            split=_vectorizer_split(run.model_path) or "whitespace",
            quantized=quantized_model_file(run.model_path),
        )
    else:
        facts["image_shape"] = list(data.get("image_shape") or [28, 28, 1])
    return facts


def data_file(source: str) -> str:
    """The file the script reads: a sample's file in the ModelDeck folder, or the uploaded file's name."""
    if source in SAMPLE_FILES:
        return SAMPLE_FILES[source]
    if source.startswith("sample:"):
        return source
    path = Path(source)
    if path.is_absolute() and path.is_relative_to(REPO_ROOT):
        return str(path.relative_to(REPO_ROOT))
    return path.name or "data.csv"  # never a server folder: only the file's own name


def training_script(config: ExperimentConfig, facts: dict[str, Any], run_id: str = "") -> str:
    """The standalone script that trains ``config`` on the data ``facts`` describes."""
    template = config.template
    if template in TABLE_CODE_TEMPLATES and facts.get("kind") == "table":
        return table_script(config, facts, run_id, data_file(str(facts.get("source") or config.data.source)))
    if template not in CODE_TEMPLATES:
        raise RunError(f"ModelDeck cannot write the code for the '{template}' template yet.")
    s = config.settings
    kind = facts.get("kind", "text")
    source = str(facts.get("source") or config.data.source)
    parts = [
        code_parts.header(config, facts, run_id, data_file(source)),
        code_parts.imports(kind, template),
        code_parts.constants(config, facts, data_file(source)),
    ]
    if kind == "text":
        parts.append(code_parts.TEXT_DATA)
    else:
        parts.append(code_parts.image_data(source))
    parts.append(code_parts.SPLIT)
    if template in code_keywords.FITTED_TEXT_TEMPLATES:
        from modeling.templates.minilm.encoder import windows_for

        split = str(facts.get("split") or "whitespace")
        parts.append(code_keywords.model_code(template, s, split, windows_for(s)))
        parts.append(code_parts.main(kind, template, config, code_keywords.main_body(template)))
        return "\n\n".join(part.strip("\n") for part in parts) + "\n"
    if template in ("small_cnn", "dense"):
        parts.append(image_model(template, s, list(facts.get("image_shape") or [28, 28, 1])))
    elif template == "minilm":
        from modeling.templates.minilm.encoder import windows_for

        parts.append(encoder_model(s, windows_for(s)))
    else:
        parts.append(text_model(template, s, str(facts.get("split") or "whitespace")))
    parts.append(code_parts.training(s))
    parts.append(code_parts.main(kind, template, config))
    return "\n\n".join(part.strip("\n") for part in parts) + "\n"


def run_script(run: Run) -> str:
    """:func:`training_script` for a saved run."""
    return training_script(run.config, facts_from_run(run), run.info.run_id)
