"""The code behind a table run: one standalone pandas + scikit-learn (+ Keras) script that reproduces it.

:func:`table_script` writes, for a table config and the facts of its data, a script that reads the data
file, reads each column's cells exactly as ModelDeck did (the column formats of the run, and the very cell
reading code every table export ships, ``shipped/prepare_table.py``), keeps the rows with a target, learns
the categories and earliest dates on them, cuts the same seeded split (test rows first; stratified by class,
plain for numbers), learns the encoder on the training rows, trains the run's model(s) with its settings,
blends them with the run's weights and prints the test figures. Nothing in it imports ModelDeck.

For the ``automatic`` template the script trains the members the run's search kept (each with its settings,
whether it learned the logarithm of the target, and its weight), not the search itself: the search's choice
depends on a time budget and this machine's speed. Its header says so.
"""

from __future__ import annotations

import json
from typing import Any

from modeling.config import ExperimentConfig
from modeling.export import code_parts, code_table_parts
from modeling.export.artefacts import SHIPPED
from modeling.runs.store import Run
from modeling.runs.table.bundle import read_bundle
from modeling.templates import registry
from modeling.templates.tabular.model import model_of

#: What a template trains when no run says more (the Model page, before training).
TEMPLATE_MEMBERS = {
    "boosted_trees": "trees",
    "linear": "linear",
    "neural_network": "neural_network",
    "automatic": "trees",
}
#: Boosting rounds without improvement per unit of ``patience`` (``modeling.training.table.fit`` uses the same
#: rule; export may not import training, and the code test would catch a drift in the results).
ROUNDS_PER_PATIENCE = 5
_INPUTS = {"trees": "codes", "extra_trees": "codes", "linear": "dense", "neural_network": "dense"}


def facts_from_dataset(dataset: Any) -> dict[str, Any]:
    """What the script needs from a loaded table Dataset (the Model page): columns, formats, target, classes."""
    preparation = dataset.preparation.to_dict() if dataset.preparation is not None else {}
    target = next((c for c in dataset.columns if getattr(c, "name", None) == dataset.target_column), None)
    return {
        "kind": "table",
        "source": dataset.source,
        "name": dataset.name,
        "target": dataset.target_column,
        "target_format": target.format.to_dict() if target is not None else {},
        "class_names": list(dataset.class_names),
        "preparation": preparation,
        "members": None,
    }


def facts_from_run(run: Run) -> dict[str, Any]:
    """The same facts for a saved table run, from its ``table_model/bundle.json`` (members, weights, settings)."""
    bundle = read_bundle(run.path)
    data = run.meta.get("dataset", {})
    preparation = bundle.get("preparation") or {}
    return {
        "kind": "table",
        "source": data.get("source") or run.config.data.source,
        "name": data.get("name", ""),
        "target": data.get("target_column") or preparation.get("target_column"),
        "target_format": _target_format(run, preparation),
        "class_names": list(bundle.get("class_names") or []),
        "preparation": preparation,
        "members": _one_per_model(bundle.get("members") or []),
    }


def _one_per_model(saved: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bundle's members, a model's k fold models merged into one entry with their summed weight.

    ``folds`` says how many: the script then bags that model as ModelDeck did (k fold models on the training
    and validation rows, their test answers averaged); 0 means one model trained on the training rows.
    """
    members: dict[str, dict[str, Any]] = {}
    for i, m in enumerate(saved):
        name, is_fold = model_of(str(m.get("name") or ""))
        entry = members.setdefault(
            name if is_fold else f"member {i}",  # only fold models merge; other members stay apart
            {
                "kind": str(m.get("kind")),
                "weight": 0.0,
                "log_target": bool(m.get("log_target", False)),
                "settings": dict(m.get("settings") or {}),
                "folds": 0,
            },
        )
        entry["weight"] += float(m.get("weight", 1.0))
        entry["folds"] += is_fold
    return list(members.values())


def _target_format(run: Run, preparation: dict[str, Any]) -> dict[str, Any]:
    """How the target's cells are written: saved with the test split's column facts (``test.npz``)."""
    try:
        columns = run.load_test().columns
    except Exception:  # an older run: numbers are read with the default format
        return {}
    target = next((c for c in columns if getattr(c, "role", "") == "target"), None)
    return target.format.to_dict() if target is not None else {}


def _compact(fmt: dict[str, Any]) -> dict[str, Any]:
    """A column format without the defaults, so COLUMNS stays readable."""
    defaults = {"decimal": ".", "thousands": "", "percent": False, "currency": "", "parentheses_negative": False}
    defaults.update(true_values=[], false_values=[], date_format="", has_time=False, native=False)
    out = {"kind": fmt.get("kind", "text")}
    out.update({k: v for k, v in fmt.items() if k in defaults and v != defaults[k] and k != "native"})
    return out


def replica_source() -> str:
    """The cell reading of ``shipped/prepare_table.py`` (reading, parsing, preparation, encoder), for embedding."""
    source = (SHIPPED / "prepare_table.py").read_text(encoding="utf-8")
    body = source.split("import pandas as pd\n", 1)[1]
    return body.split("# ---- the saved files", 1)[0].strip("\n")


def _header(config: ExperimentConfig, facts: dict[str, Any], run_id: str, data_file: str) -> str:
    title = f"run {run_id}" if run_id else "the settings on the Model page"
    target = facts.get("target") or "the target"
    what = "a number" if registry.task(config.task).predicts_number else "a class"
    notes = ""
    if config.template == "automatic":
        notes += (
            "\nThe automatic template searched several models within a time budget and blended the best. This script\n"
            "trains the members that search kept, each with its own settings, and blends them with the weights it\n"
            "chose; it does not repeat the search itself.\n"
            if facts.get("members")
            else "\nThe automatic template chooses its models while training; before a run exists, this script\n"
            "trains its first candidate (gradient-boosted trees with these settings).\n"
        )
    if config.template in ("boosted_trees", "automatic"):
        notes += (
            "\nModelDeck grows the trees in chunks and stops adding rounds at the time budget "
            f"({config.settings.time_budget_s} s); this script\nhas no budget, so on a slow machine it may train a "
            "few more rounds than the run did.\n"
        )
    if config.data.drop_duplicates:
        notes += "\nRows that repeat an earlier row exactly are removed before anything else, as in the run.\n"
    return f'''"""Reproduce ModelDeck's {title} with plain pandas and scikit-learn (no ModelDeck needed).

Template `{config.template}` on {facts.get("name") or "your data"}: predict `{target}` ({what}). Written by ModelDeck;
every setting below is the one the run used. It reads the data file and each column's cells as ModelDeck did
(COLUMNS: how numbers, yes/no and dates are written), keeps the rows with a target, learns the categories and
earliest dates on them, cuts the same seeded split (test rows first, never trained on), encodes the columns on
the training rows, trains the model, and prints the test figures.

    python train.py [DATA_FILE]      # default: {data_file}
{notes}"""'''


def _imports(kinds: set[str], regression: bool) -> str:
    lines = ["import csv", "import io", "import json", "import re", "import sys", "from pathlib import Path"]
    lines += ["from typing import Any", "", "import numpy as np", "import pandas as pd"]
    if "neural_network" in kinds:
        lines += ["import keras", "from keras import layers"]
    ensembles = []
    if "trees" in kinds:
        ensembles.append("HistGradientBoostingRegressor" if regression else "HistGradientBoostingClassifier")
    if "extra_trees" in kinds:
        ensembles.append("ExtraTreesRegressor" if regression else "ExtraTreesClassifier")
    if ensembles:
        lines.append(f"from sklearn.ensemble import {', '.join(ensembles)}")
    if "linear" in kinds:
        lines.append(f"from sklearn.linear_model import {'Ridge' if regression else 'LogisticRegression'}")
    metrics = "mean_absolute_error, mean_squared_error, r2_score" if regression else "accuracy_score, f1_score"
    lines += [
        f"from sklearn.metrics import {metrics}",
        f"from sklearn.model_selection import {'KFold' if regression else 'StratifiedKFold'}, train_test_split",
    ]
    return "\n".join(lines)


def _constants(config: ExperimentConfig, facts: dict[str, Any], data_file: str, members: list[dict]) -> str:
    s = config.settings
    regression = registry.task(config.task).predicts_number
    columns = (facts.get("preparation") or {}).get("columns") or []
    rows = ",\n".join(
        f"    {json.dumps({'name': c['name'], 'format': _compact(c.get('format') or {})}, ensure_ascii=False)}"
        for c in columns
    )
    member_rows = ",\n".join(f"    {json.dumps(m, ensure_ascii=False)}" for m in members)
    loss = {"squared_error": "squared_error", "absolute_error": "absolute_error", "huber": "absolute_error"}
    lines = [
        "# ---- settings (from the run) ----",
        f'DATA_FILE = sys.argv[1] if len(sys.argv) > 1 else "{data_file}"',
        f"TARGET = {json.dumps(facts.get('target'), ensure_ascii=False)}",
        f"REGRESSION = {regression}",
        f"CLASSES = {json.dumps(facts.get('class_names') or [], ensure_ascii=False)}  # in the model's output order",
        f"TARGET_FORMAT = {json.dumps(_compact(facts.get('target_format') or {}), ensure_ascii=False)}",
        "# The columns the model reads and how their cells are written (learned from the data by ModelDeck):",
        f"COLUMNS = json.loads(r'''[\n{rows}\n]''')",
        f"TEST_SHARE = {config.data.test_share}  # kept aside first, for the final test",
        f"VALIDATION_SHARE = {s.validation_share}  # of the rest: watched for early stopping",
        f"SEED = {s.seed}  # same seed, same split and same start",
        f"DROP_DUPLICATES = {config.data.drop_duplicates}",
        "# The model(s): kind, weight in the blend, whether it learned log(1 + target), its own settings, and its\n"
        "# fold models (0: one model on the training rows; k: bagged in k folds of the training and validation rows).",
        f"MEMBERS = json.loads(r'''[\n{member_rows}\n]''')",
        "TREES = {"
        f'"learning_rate": {s.tree_learning_rate}, "max_iter": {s.max_rounds}, "max_leaf_nodes": {s.max_leaf_nodes}, '
        f'"min_samples_leaf": {s.min_samples_leaf}, "l2_regularization": {s.l2_regularization}, "random_state": SEED'
        "}",
        f"TREE_LOSS = {loss[s.regression_loss]!r}",
        f"TREE_PATIENCE = {max(10, ROUNDS_PER_PATIENCE * max(s.patience, 2))}  # rounds without improvement",
        f"REGULARIZATION = {s.regularization}  # the linear model's penalty",
        f"LOG_TARGET = {s.log_target!r}",
        f"EPOCHS = {s.epochs}  # the neural network's settings",
        f"BATCH_SIZE = {s.batch_size}",
        f"LEARNING_RATE = {s.learning_rate}",
        f"PATIENCE = {s.patience}",
    ]
    return "\n".join(lines)


def table_script(config: ExperimentConfig, facts: dict[str, Any], run_id: str, data_file: str) -> str:
    """The standalone script that trains the table ``config`` on the data ``facts`` describes."""
    regression = registry.task(config.task).predicts_number
    saved = facts.get("members")
    if saved:
        members = [
            {**m, "input": _INPUTS.get(m["kind"], "codes"), "settings": _tree_settings(m)}
            for m in saved
            if m["kind"] in _INPUTS
        ]
    else:
        kind = TEMPLATE_MEMBERS[config.template]
        members = [{"kind": kind, "weight": 1.0, "log_target": None, "settings": {}, "input": _INPUTS[kind]}]
    kinds = {m["kind"] for m in members}
    has_log_rule = regression and any(m["log_target"] is None for m in members)
    if not regression:
        members = [{**m, "log_target": False} for m in members]
    s = config.settings
    parts = [
        _header(config, facts, run_id, data_file),
        _imports(kinds, regression),
        _constants(config, facts, data_file, members),
        "# ---- reading the cells: ModelDeck's own rules (the same code as prepare_table.py in its exports) ----\n"
        + replica_source(),
        code_table_parts.LABELS,
        code_table_parts.FITTING,
        code_parts.SPLIT,
    ]
    if has_log_rule:
        parts.append(code_table_parts.LOG_RULE)
    parts.append("# ---- the model ----")
    if "trees" in kinds:
        parts.append(code_table_parts.trees(regression))
    if "extra_trees" in kinds:
        parts.append(code_table_parts.extra_trees(regression))
    if "linear" in kinds:
        parts.append(code_table_parts.linear(regression))
    if "neural_network" in kinds:
        loss = "huber" if s.regression_loss == "huber" else s.regression_loss
        losses = {
            "squared_error": '"mean_squared_error"',
            "absolute_error": '"mean_absolute_error"',
            "huber": "keras.losses.Huber()",
        }
        parts.append(
            code_parts.training(
                s,
                loss=losses[loss] if regression else '"sparse_categorical_crossentropy"',
                metrics="[]" if regression else '["accuracy"]',
            )
        )
        parts.append(code_table_parts.network(s.hidden_units, s.hidden_layers, s.dropout))
    parts.append(code_table_parts.answers(regression, "neural_network" in kinds))
    parts.append(code_table_parts.main(kinds, has_log_rule, regression))
    return "\n\n".join(part.strip("\n") for part in parts) + "\n"


def _tree_settings(member: dict[str, Any]) -> dict[str, Any]:
    """A member's own settings as scikit-learn parameters (JSON-safe; None, e.g. categories read in order)."""
    settings = member.get("settings") or {}
    return {str(k): v for k, v in settings.items() if v is None or isinstance(v, int | float | str | bool)}
