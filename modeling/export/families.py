"""What each family of runs needs from the export layer, by name: one line each ("add to the bottom").

A task names its family in :data:`modeling.templates.registry.TASKS` (``keras`` for texts and images, ``table``
for business tables, ``forecast`` for time series: no format, the code only). The family's exporter writes and
checks the ZIP (:func:`modeling.export.bundle.build_export` calls it after the checks every format shares), and its
facts functions tell the code generator about the data (:func:`modeling.export.code.facts_from_dataset` before
training, ``facts_from_run`` after). Paths are resolved
on first use, so importing this module imports neither Keras nor scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modeling.templates import registry


@dataclass(frozen=True)
class ExportFamily:
    """``"module:function"`` paths of one family's export steps."""

    #: ``(run, fmt, model_card, out_dir) -> ExportResult``: write, check and zip one format.
    build: str
    #: ``(dataset) -> dict``: what the training script needs to know about a loaded Dataset.
    dataset_facts: str
    #: ``(run) -> dict``: the same facts for a saved run.
    run_facts: str

    def resolve(self, step: str) -> Any:
        return registry.resolve(getattr(self, step))


FAMILIES: dict[str, ExportFamily] = {
    "keras": ExportFamily(
        "modeling.export.keras_export:build_keras_export",
        "modeling.export.code_keras:facts_from_dataset",
        "modeling.export.code_keras:facts_from_run",
    ),
    "table": ExportFamily(
        "modeling.export.table_export:build_table_export",
        "modeling.export.code_tables:facts_from_dataset",
        "modeling.export.code_tables:facts_from_run",
    ),
    "forecast": ExportFamily(
        "modeling.export.forecast_export:build_forecast_export",
        "modeling.export.forecast_code:facts_from_dataset",
        "modeling.export.forecast_code:facts_from_run",
    ),
}


def family_for(task: str) -> ExportFamily:
    """The export steps of the family that serves ``task``."""
    return FAMILIES[registry.task(task).family]
