"""The code behind a run: one standalone Python script that reproduces it with plain Keras / scikit-learn.

:func:`training_script` asks the template's spec which generator writes its script (``TemplateSpec.code`` in
:mod:`modeling.templates.registry`, one signature for all: ``(config, facts, run_id, data_file) -> str``) and
the run's family what the script needs to know about the data (:mod:`modeling.export.families`:
:mod:`~modeling.export.code_keras` for texts and images, :mod:`~modeling.export.code_tables` for tables). The
scripts read the data file, cut the same seeded split as ``modeling.data.split`` (the test part first), train
the template's model with the run's settings and print the test figures. Nothing in them imports ModelDeck.
``python -m modeling code RUN > train.py`` prints one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modeling.config import ExperimentConfig
from modeling.errors import RunError
from modeling.export.families import family_for
from modeling.runs.store import Run
from modeling.settings import REPO_ROOT
from modeling.templates import registry

#: The built-in samples, as files in the ModelDeck folder (the digits and MNIST come from their libraries).
SAMPLE_FILES = {
    "sample:reviews": "sample_data/reviews.csv",
    "sample:reviews_zh": "sample_data/reviews_zh.csv",
    "sample:churn": "sample_data/churn.csv",
    "sample:house_prices": "sample_data/house_prices.csv",
    "sample:chicago_rides": "sample_data/chicago_rides.csv",
}


def facts_from_dataset(dataset: Any) -> dict[str, Any]:
    """What the script needs to know about the data, from a loaded Dataset (the Model page, before training)."""
    return family_for(dataset.task).resolve("dataset_facts")(dataset)


def facts_from_run(run: Run) -> dict[str, Any]:
    """The same facts for a saved run, from ``run.json`` and what the run saved beside its model."""
    return family_for(run.task).resolve("run_facts")(run)


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
    spec = registry.REGISTRY.get(config.template)
    if spec is None or not spec.code:
        raise RunError(f"ModelDeck cannot write the code for the '{config.template}' template yet.")
    source = str(facts.get("source") or config.data.source)
    return registry.resolve(spec.code)(config, facts, run_id, data_file(source))


def run_script(run: Run) -> str:
    """:func:`training_script` for a saved run."""
    return training_script(run.config, facts_from_run(run), run.info.run_id)
