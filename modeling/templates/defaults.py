"""The one place that decides the default settings for a dataset: pages, CLI, searches and Automatic all ask here.

:func:`config_for_data` gives a ready-to-train config: the template the data suggests (the task's chooser in
the registry, such as the Automatic rule for texts; otherwise the task's first template) with its recommended
settings, and the data fields that rebuild the same Dataset from its source (text and label columns, the
target and the person's column roles). :func:`complete_config` does the same for a settings file that named
no template, keeping every setting the file did name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modeling.config import DataConfig, ExperimentConfig, TrainingSettings, template_settings
from modeling.data.dataset import Dataset
from modeling.templates import registry


@dataclass(frozen=True)
class DefaultChoice:
    """A config made for the data, and why its template was chosen (a sentence; empty for the task default)."""

    config: ExperimentConfig
    reason: str = ""


def template_for(dataset: Dataset, choose: bool = True) -> tuple[str, str]:
    """``(template, reason)`` for the data: the task's chooser when it has one and ``choose``, else its default."""
    task = registry.task(dataset.task)
    if choose and task.chooser:
        return registry.resolve(task.chooser)(dataset)
    return registry.default_template(dataset.task), ""


def data_fields(dataset: Dataset) -> dict[str, Any]:
    """The config's ``data`` fields that rebuild ``dataset`` from its source (only those the data has)."""
    fields: dict[str, Any] = {}
    for name in ("text_column", "label_column", "target_column"):
        value = getattr(dataset, name, None)
        if value:
            fields[name] = value
    roles = {
        str(c.name): c.role
        for c in dataset.columns
        if getattr(c, "reason", "") == "your choice" and getattr(c, "role", None) in ("use", "ignore")
    }
    if roles:
        fields["columns"] = roles
    recorded = getattr(dataset.preparation, "data_fields", None)
    if recorded is not None:  # a preparation that records more roles (a series: its date and series columns)
        fields.update(recorded())
    return fields


def config_for_data(
    dataset: Dataset,
    *,
    source: str | None = None,
    template: str | None = None,
    choose: bool = True,
    **data_overrides: Any,
) -> DefaultChoice:
    """The default config for ``dataset`` (``template`` forces one); ``data_overrides`` set further data fields."""
    if template is None:
        template, reason = template_for(dataset, choose)
    else:
        reason = ""
    data = {"source": source or dataset.source or f"session:{dataset.name}", **data_fields(dataset), **data_overrides}
    config = ExperimentConfig(
        data=DataConfig(**data),
        task=dataset.task,  # type: ignore[arg-type]
        template=template,
        settings=template_settings(template),
    )
    return DefaultChoice(config, reason)


def complete_config(config: ExperimentConfig, dataset: Dataset) -> tuple[ExperimentConfig, str]:
    """A settings file that named no template gets the one the data suggests; every setting it named is kept.

    Returns the config unchanged (and an empty reason) when the file named its template.
    """
    if not config.template_left_open:
        return config, ""
    template, reason = template_for(dataset)
    named = config.settings.model_dump(include=config.settings.model_fields_set)
    settings = TrainingSettings(**{**template_settings(template).model_dump(), **named})
    completed = config.model_copy(update={"template": template, "settings": settings})
    completed._template_left_open = False
    return completed, reason
