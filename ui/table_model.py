"""The Model page for business tables: each table template's own settings, what it will do, and the config.

``pages/model.py`` draws the template picker for every kind of data, then hands tables to
:func:`table_model_page`: the settings that template reads (ranges and help from the config's field
descriptions; the tree settings for trees, the network's for the network, ...), the test share, the
validated config with the table's data fields (target, roles, sheet), the YAML download, a short "what
you get" with the encoded inputs and, for the network, its size; then "Show the code" and "Find the best
model" (:mod:`ui.table_search_view`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from modeling import format as fmt
from modeling.config import ExperimentConfig, TrainingSettings, config_error_from
from modeling.data.dataset import Dataset
from modeling.templates.tabular.encoding import TableEncoder
from ui import export_view, state, table_draft, table_search_view

#: Settings each table template reads, in groups (regression adds REGRESSION_FIELDS).
FIELDS: dict[str, list[tuple[str, list[str]]]] = {
    "boosted_trees": [
        ("Trees", ["max_rounds", "tree_learning_rate", "max_leaf_nodes", "min_samples_leaf", "l2_regularization"]),
        ("Training", ["patience", "time_budget_s", "validation_share", "seed"]),
    ],
    "neural_network": [
        ("Network", ["hidden_units", "hidden_layers", "dropout"]),
        ("Optimiser", ["optimizer", "learning_rate", "schedule"]),
        ("Training", ["epochs", "batch_size", "patience", "time_budget_s", "validation_share", "seed"]),
    ],
    "linear": [("Linear model", ["regularization"]), ("Training", ["validation_share", "seed"])],
    "automatic": [("Search", ["time_budget_s"]), ("Training", ["validation_share", "seed"])],
}
REGRESSION_FIELDS: dict[str, list[str]] = {
    "boosted_trees": ["regression_loss", "log_target"],
    "neural_network": ["regression_loss", "log_target"],
    "linear": ["log_target"],
    "automatic": ["log_target"],
}
LABELS = {
    "max_rounds": "Most boosting rounds (trees)",
    "tree_learning_rate": "Tree learning rate",
    "max_leaf_nodes": "Leaves per tree",
    "min_samples_leaf": "Fewest rows per leaf",
    "l2_regularization": "L2 regularisation",
    "regularization": "Regularisation strength",
    "regression_loss": "Loss (what a miss costs)",
    "log_target": "Learn the log of the target",
    "time_budget_s": "Time budget (seconds)",
    "hidden_units": "Hidden units",
    "hidden_layers": "Hidden layers",
    "dropout": "Dropout",
    "optimizer": "Optimizer",
    "learning_rate": "Learning rate",
    "schedule": "Learning-rate schedule",
    "epochs": "Epochs",
    "batch_size": "Batch size",
    "patience": "Early-stopping patience",
    "validation_share": "Validation share",
    "seed": "Random seed",
}
CHOICE_NAMES = {
    "squared_error": "Squared error (chases the average)",
    "absolute_error": "Absolute error (cares less about a few huge misses)",
    "huber": "Huber (in between)",
    "auto": "Automatic (when the target is positive and heavy-tailed)",
    "yes": "Yes",
    "no": "No",
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD with momentum",
    "rmsprop": "RMSprop",
    "constant": "Constant",
    "exponential": "Exponential decay",
    "cosine": "Cosine",
    "warmup_cosine": "Warm-up, then cosine",
}
FORMATS = {
    "tree_learning_rate": "%.3f",
    "learning_rate": "%.5f",
    "l2_regularization": "%.2f",
    "regularization": "%.4f",
    "validation_share": "%.2f",
    "dropout": "%.2f",
}
#: What each template does with the rows, in a sentence (shown under the settings).
WHAT_IT_DOES = {
    "boosted_trees": "adds up to {max_rounds} small trees one after the other, each correcting the last, and stops "
    "when the validation rows stop improving or after {budget}.",
    "neural_network": "trains a {layers}-layer network of {units} units for up to {epochs} epochs on the "
    "encoded columns, stopping early when the validation rows stop improving or after {budget}.",
    "linear": "fits one weight per encoded column in one step (seconds): the baseline to beat.",
    "automatic": "trains several tree settings, the linear model and the network within {budget}, then blends "
    "the best of them with weights chosen on the validation rows.",
}


def setting_names(template: str, regression: bool) -> list[str]:
    """Every setting the template reads (the page draws exactly these)."""
    names = [name for _, group in FIELDS.get(template, []) for name in group]
    return names + (REGRESSION_FIELDS.get(template, []) if regression else [])


def _widget(name: str, current: dict[str, Any], fields: dict[str, dict[str, Any]]) -> Any:
    info = fields[name]
    label = LABELS.get(name, name.replace("_", " ").capitalize())
    key = f"setting_{name}"
    if "choices" in info:
        choices = list(info["choices"])
        return st.selectbox(
            label,
            choices,
            index=choices.index(current[name]) if current[name] in choices else 0,
            format_func=lambda c: CHOICE_NAMES.get(c, c),
            help=info["help"],
            key=key,
        )
    integer = isinstance(info["default"], int) and not isinstance(info["default"], bool)
    kwargs: dict[str, Any] = {"min_value": info.get("min"), "max_value": info.get("max"), "help": info["help"]}
    if integer:
        kwargs.update(value=int(current[name]), step=1)
    else:
        kwargs.update(
            value=float(current[name]),
            format=FORMATS.get(name, "%.4f"),
            min_value=float(info["min"]) if "min" in info else None,
            max_value=float(info["max"]) if "max" in info else None,
        )
    return st.number_input(label, key=key, **kwargs)


def settings_block(template: str, current: dict[str, Any], fields: dict[str, dict[str, Any]], regression: bool):
    """The template's settings in up to three columns; returns the values drawn."""
    groups = list(FIELDS.get(template, []))
    if regression and REGRESSION_FIELDS.get(template):
        groups.append(("Regression", REGRESSION_FIELDS[template]))
    values: dict[str, Any] = {}
    columns = st.columns(min(3, max(1, len(groups))))
    for i, (title, names) in enumerate(groups):
        with columns[i % len(columns)]:
            st.markdown(f"**{title}**")
            for name in names:
                values[name] = _widget(name, current, fields)
    if template == "boosted_trees":
        st.caption(
            "Early-stopping patience counts in steps of rounds for trees: training stops when the validation loss "
            "has not improved for several rounds."
        )
    return values


def table_model_page(ds: Dataset, cfg: ExperimentConfig, template: str, current: dict[str, Any], fields: dict) -> None:
    """Everything of the Model page below the template picker, for a table."""
    st.subheader("Settings")
    st.caption("The defaults work without tuning. Hover over the (?) icons for what each setting does.")
    values = settings_block(template, current, fields, ds.is_regression)
    test_share = st.slider(
        "Test share (kept aside before training, for the honest final score)",
        0.05,
        0.5,
        float(cfg.data.test_share),
        0.05,
        key="setting_test_share",
    )
    try:
        settings = TrainingSettings(**{**current, **values})
        base = table_draft.config_for(ds, cfg)
        new_cfg = ExperimentConfig(
            data=base.data.model_copy(update={"test_share": test_share}),
            task=ds.task,  # type: ignore[arg-type]
            template=template,
            settings=settings,
        )
    except Exception as exc:
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            st.error(str(config_error_from(exc, TrainingSettings)))
        else:
            state.show_error(exc, "checking the settings")
        st.stop()
    state.set_config(new_cfg)
    st.download_button(
        "Download these settings (YAML)", new_cfg.to_yaml(), file_name=f"modeldeck-{template}.yaml", mime="text/yaml"
    )
    what_you_get(ds, new_cfg)
    export_view.show_config_code(new_cfg, ds)
    table_search_view.find_best_section(ds)
    st.page_link("pages/train.py", label="Next: train it →", icon=":material/model_training:")


def what_you_get(ds: Dataset, cfg: ExperimentConfig) -> None:
    """What training will do with these rows, the encoded inputs and (network) the number of weights."""
    st.subheader("What you get")
    s = cfg.settings
    rows = len(ds)
    test = round(rows * cfg.data.test_share)
    validation = round((rows - test) * s.validation_share)
    sentence = WHAT_IT_DOES.get(cfg.template, "").format(
        max_rounds=fmt.count(s.max_rounds),
        budget=fmt.seconds(s.time_budget_s),
        layers=s.hidden_layers,
        units=s.hidden_units,
        epochs=s.epochs,
    )
    st.markdown(
        f"On {fmt.count(rows - test - validation)} training rows it {sentence} "
        f"{fmt.count(validation)} validation rows watch for over-fitting and {fmt.count(test)} test rows are kept "
        "aside for the final, honest score."
    )
    try:
        inputs, parameters = encoded_size(ds, cfg.to_yaml(), ds.fingerprint())
    except Exception as exc:
        state.show_error(exc, "measuring the model")
        return
    s1, s2 = st.columns(2)
    s1.metric(
        "Inputs after encoding",
        fmt.count(inputs),
        help="Numbers (scaled), a 'was blank' flag per column with blanks, and one input per category (one-hot), "
        "as the linear model and the network read them. Trees read the columns as they are.",
    )
    if parameters is not None:
        s2.metric("Weights (parameters)", fmt.count(parameters))


@st.cache_data(show_spinner="Measuring the model…", max_entries=16)
def encoded_size(_ds: Dataset, cfg_yaml: str, ds_key: str) -> tuple[int, int | None]:
    """(inputs after one-hot encoding, the network's parameter count or None), learned on up to 2,000 rows."""
    cfg = ExperimentConfig.from_yaml(cfg_yaml)
    sample = _ds.subset(np.arange(min(len(_ds), 2000)))
    inputs = len(TableEncoder.fit(sample.frame).dense_names())
    if cfg.template != "neural_network":
        return inputs, None
    from modeling.templates import build_model

    return inputs, int(build_model(cfg, sample).count_params())
