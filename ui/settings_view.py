"""The Model page's settings block, drawn for every template from its spec's setting groups.

Which settings a template reads, and under which titles, is a fact of the template
(:attr:`~modeling.templates.registry.TemplateSpec.setting_groups`, ``spec.groups_for(task)``); the ranges and
help come from the config's field descriptions (``modeling.config.describe_fields``). What stays here is how
one setting looks, whatever the template: its label, its widget and its number format (:data:`LOOKS`), and
the words for each choice (:data:`CHOICE_NAMES`). Widget keys are ``setting_<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from modeling import format as fmt
from modeling.templates.registry import TemplateSpec


@dataclass(frozen=True)
class Look:
    """How one setting is drawn: its label, widget (``number``, ``slider``, ``select``, ``radio``,
    ``checkbox``), number format and step (``None``: Streamlit's)."""

    label: str
    widget: str = "number"
    format: str | None = None
    step: float | None = None


#: How each setting looks, by name (the same for every template that reads it).
LOOKS: dict[str, Look] = {
    "hidden_units": Look("Hidden units"),
    "hidden_layers": Look("Hidden layers"),
    "dropout": Look("Dropout", "slider", step=0.05),
    "augment": Look("Augment images (small shifts, turns, zoom)", "checkbox"),
    "max_tokens": Look("Vocabulary size", step=1000),
    "sequence_length": Look("Words read per text"),
    "embedding_dim": Look("Word vector size"),
    "encoder_mode": Look("Encoder mode", "radio"),
    "optimizer": Look("Optimizer", "select"),
    "learning_rate": Look("Learning rate", format="%.5f", step=0.0001),
    "schedule": Look("Learning-rate schedule", "select"),
    "epochs": Look("Epochs"),
    "batch_size": Look("Batch size"),
    "validation_share": Look("Validation share", format="%.2f", step=0.05),
    "patience": Look("Early-stopping patience"),
    "seed": Look("Random seed"),
    "max_rounds": Look("Most boosting rounds (trees)"),
    "tree_learning_rate": Look("Tree learning rate", format="%.3f"),
    "max_leaf_nodes": Look("Leaves per tree"),
    "min_samples_leaf": Look("Fewest rows per leaf"),
    "l2_regularization": Look("L2 regularisation", format="%.2f"),
    "regularization": Look("Regularisation strength", format="%.4f"),
    "regression_loss": Look("Loss (what a miss costs)", "select"),
    "log_target": Look("Learn the log of the target", "select"),
    "time_budget_s": Look("Time budget (seconds)"),
    "horizon": Look("Horizon (periods to forecast; 0 = the usual for your data)"),
    "backtest_windows": Look("Backtest windows"),
}

#: The words for each choice of a setting with choices.
CHOICE_NAMES: dict[str, str] = {
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD with momentum",
    "rmsprop": "RMSprop",
    "constant": "Constant",
    "exponential": "Exponential decay",
    "cosine": "Cosine",
    "warmup_cosine": "Warm-up, then cosine",
    "frozen": "Frozen — read each text once, train a small head (seconds to minutes on a CPU)",
    "fine_tune": "Fine-tune — train the encoder too (more accurate on big data; meant for a GPU)",
    "squared_error": "Squared error (chases the average)",
    "absolute_error": "Absolute error (cares less about a few huge misses)",
    "huber": "Huber (in between)",
    "auto": "Automatic (when the target is positive and heavy-tailed)",
    "yes": "Yes",
    "no": "No",
}

#: Most columns the settings are laid out in.
COLUMNS = 3


def look(name: str) -> Look:
    """How ``name`` is drawn (a setting without an entry gets its name as the label)."""
    return LOOKS.get(name, Look(name.replace("_", " ").capitalize()))


def widget(name: str, current: dict[str, Any], fields: dict[str, dict[str, Any]]) -> Any:
    """One setting's widget (key ``setting_<name>``), started at ``current[name]``; returns its value."""
    info, shown = fields[name], look(name)
    key = f"setting_{name}"
    if "choices" in info:
        choices = list(info["choices"])
        index = choices.index(current[name]) if current[name] in choices else 0
        draw = st.radio if shown.widget == "radio" else st.selectbox
        return draw(
            shown.label, choices, index=index, format_func=lambda c: CHOICE_NAMES.get(c, c), help=info["help"], key=key
        )
    if shown.widget == "checkbox":
        return st.checkbox(shown.label, bool(current[name]), help=info["help"], key=key)
    if shown.widget == "slider":
        return st.slider(
            shown.label,
            float(info["min"]),
            float(info["max"]),
            float(current[name]),
            shown.step,
            help=info["help"],
            key=key,
        )
    integer = isinstance(info["default"], int) and not isinstance(info["default"], bool)
    kwargs: dict[str, Any] = {"help": info["help"]}
    if integer:
        kwargs.update(value=int(current[name]), min_value=info.get("min"), max_value=info.get("max"))
        kwargs["step"] = int(shown.step) if shown.step else 1
    else:
        kwargs.update(
            value=float(current[name]),
            format=shown.format or "%.4f",
            min_value=float(info["min"]) if "min" in info else None,
            max_value=float(info["max"]) if "max" in info else None,
        )
        if shown.step is not None:
            kwargs["step"] = shown.step
    return st.number_input(shown.label, key=key, **kwargs)


def settings_block(
    spec: TemplateSpec, task: str, current: dict[str, Any], fields: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The template's settings for ``task``, a titled group per column (up to three); returns the values drawn.

    A setting listed in two groups is drawn once, in the first.
    """
    if spec.settings_note:
        st.caption(spec.settings_note)
    groups = spec.groups_for(task)
    values: dict[str, Any] = {}
    if not groups:
        return values
    columns = st.columns(min(COLUMNS, len(groups)))
    for i, group in enumerate(groups):
        names = [name for name in group.fields if name not in values]
        if not names:
            continue
        with columns[i % len(columns)]:
            st.markdown(f"**{group.title}**")
            for name in names:
                values[name] = widget(name, current, fields)
    return values


def test_share_slider(test_share: float) -> float:
    """The share of the data kept aside for the final score (every template)."""
    return st.slider(
        "Test share (kept aside before training, for the honest final score)",
        0.05,
        0.5,
        float(test_share),
        0.05,
        key="setting_test_share",
    )


def what_it_does(spec: TemplateSpec, settings: Any) -> str:
    """The spec's sentence of what training does, with these settings' values ("adds up to 1,000 small trees ...")."""
    values = {
        name: fmt.count(value) if isinstance(value, int) and not isinstance(value, bool) else value
        for name, value in settings.model_dump().items()
    }
    return spec.what_it_does.format(**values, budget=fmt.seconds(settings.time_budget_s))
