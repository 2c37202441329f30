"""What a family of templates does inside the one experiment skeleton (`training.experiment.run_experiment`).

A *family* is the part of training that depends on how a kind of model is built, fitted, judged and saved: ``keras``
(texts and images: a ``model.keras``, with a text model's preparation beside it as data), ``table`` (business
tables: a ``table_model/`` bundle of skops and ``.keras`` members) and ``forecast`` (dated series: a
``forecast_model/`` bundle of statistical, boosted and network forecasters). The skeleton does everything else once,
for every family: load the data, let the data choose the template when the settings named none, check that task and
data agree, split, create the run folder, report progress, and record any failure (divergence, out of memory, an
interrupted server, a bug) the same way.

A new family implements :class:`ExperimentFamily` and adds one line to
:data:`modeling.training.families.FAMILIES`; a new task names it in ``templates.registry.TASKS``. Its templates
name their training function in the registry (``TemplateSpec.fit``), which the family's :meth:`fit` calls.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from modeling.training import splits

if TYPE_CHECKING:
    from modeling.config import ExperimentConfig
    from modeling.data.dataset import Dataset
    from modeling.runs.store import RunStore
    from modeling.training.progress import Progress


@dataclass
class Fitted:
    """A trained model and how training went (the family's own model object; the skeleton never looks inside)."""

    model: Any
    #: ``modeling.training.fit.TrainingOutcome`` or an equivalent: ``history``, ``epochs_run``, ``best_epoch``,
    #: ``stopped_by_user``, and optionally ``notes`` and ``candidates``.
    outcome: Any
    #: The family's own fast way to get raw answers for a split (for example cached sentence vectors).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Evaluated:
    """The test-split evaluation (``evaluation.json``) and the headline figures for ``run.json``."""

    report: dict[str, Any]
    #: For example ``{"accuracy": 0.91}`` or ``{"rmse": 12.3, "mae": 9.1, "r2": 0.8}``.
    headline: dict[str, Any]
    #: Whatever the family's :meth:`ExperimentFamily.save` needs beyond the model (raw answers, interval widths).
    extra: dict[str, Any] = field(default_factory=dict)


class ExperimentFamily(Protocol):
    """The steps of one family; every method may raise a ``ModelDeckError`` with a sentence for the person.

    ``TrainingDiverged`` or ``InvalidPredictions`` from :meth:`fit` or :meth:`evaluate` fail the run with the
    divergence hint; anything else is recorded by the skeleton with its reason.
    """

    #: Fewest training rows that can make a model (the skeleton refuses fewer with a sentence).
    min_train_rows: int
    #: ``"module:Class"`` of the family's :class:`~modeling.training.leaderboard.ModelSearch` (*Find the best
    #: model*), or ``None`` when its models cannot be searched.
    search: str | None

    def prepare(
        self, config: ExperimentConfig, dataset: Dataset, progress: Progress
    ) -> tuple[ExperimentConfig, Dataset]:
        """Family-specific clean-up before the split (for example dropping duplicate texts); may update the config."""
        ...

    def facts(self, dataset: Dataset) -> dict[str, Any]:
        """What ``run.json`` records about the data (``dataset`` section)."""
        ...

    def split(self, dataset: Dataset, config: ExperimentConfig) -> tuple[Dataset, Dataset, Dataset]:
        """Train, validation and test parts; the test part is cut first and never seen in training."""
        ...

    def fit(
        self,
        config: ExperimentConfig,
        train: Dataset,
        validation: Dataset,
        progress: Progress,
        cancel: threading.Event,
    ) -> Fitted:
        """Build and train the template named in ``config``; honours ``cancel`` (Stop) after the current step."""
        ...

    def evaluate(
        self,
        config: ExperimentConfig,
        fitted: Fitted,
        train: Dataset,
        validation: Dataset,
        test: Dataset,
        progress: Progress,
        cancel: threading.Event,
    ) -> Evaluated:
        """The evaluation on the test split against the baselines; raises ``InvalidPredictions`` on NaN answers."""
        ...

    def save(self, run_dir: Path, store: RunStore, fitted: Fitted, evaluated: Evaluated, dataset: Dataset) -> dict:
        """Write the model (and saved predictions) into ``run_dir``; returns extra ``run.json`` fields."""
        ...


class CommonSteps:
    """The steps most families take as they are (a family class inherits them and overrides what differs)."""

    def prepare(
        self, config: ExperimentConfig, dataset: Dataset, progress: Progress
    ) -> tuple[ExperimentConfig, Dataset]:
        """Nothing to clean up before the split."""
        return config, dataset

    def facts(self, dataset: Dataset) -> dict[str, Any]:
        """What every run records about its data; a family adds its own fields to these."""
        return {
            "name": dataset.name,
            "kind": dataset.kind,
            "rows": len(dataset),
            "source": dataset.source,
            "class_counts": dataset.class_counts(),
        }

    def split(self, dataset: Dataset, config: ExperimentConfig) -> tuple[Dataset, Dataset, Dataset]:
        """The one split (:func:`modeling.training.splits.split`): classes stratified, numbers plain, test first."""
        return splits.split(dataset, config)
