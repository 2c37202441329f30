"""The table family's steps inside the one experiment skeleton: business tables -> a ``table_model/`` bundle.

* **prepare**: nothing more (duplicate rows were dropped when the table was read, if asked);
* **split**: stratified by class for classification, plain seeded for numbers (:mod:`modeling.training.splits`);
* **fit**: the template's own ``fit`` from the registry (trees round by round, the linear model, the network,
  or the automatic blend), seeded;
* **evaluate**: the classification or regression report against two baselines (chosen once by
  :func:`~modeling.training.table.target.target_for`), then which columns matter, then what acting on the
  scores needs (:mod:`~modeling.training.table.actions`: gains, errors by decile and segment, the ranked test
  rows with their reasons, fairness for the settings' sensitive columns);
* **save**: the raw answers and the bundle (skops and ``.keras`` members, the encoder, the interval widths, the
  data side's preparation, so prediction reads new tables exactly as training read this one, and the profile
  of the training rows every scored batch is compared with), and the test rows' reasons.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.errors import InvalidPredictions
from modeling.evaluation.probabilities import all_finite
from modeling.runs.store import RunStore
from modeling.runs.table import drift_check
from modeling.runs.table.bundle import save_table_model
from modeling.runs.table.ranked import save_test_reasons
from modeling.templates import registry
from modeling.training.family import CommonSteps, Evaluated, Fitted
from modeling.training.progress import Progress
from modeling.training.table.actions import add_actions
from modeling.training.table.evaluate import add_importance
from modeling.training.table.target import target_for

log = logging.getLogger(__name__)


def training_profile(dataset: Dataset) -> dict[str, Any] | None:
    """The profile every scored batch is compared with; ``None`` (and a log line) if it cannot be made."""
    try:
        return drift_check.profile(dataset.frame, getattr(dataset, "preparation", None))
    except Exception:
        log.exception("Could not profile the training data")
        return None


class TableFamily(CommonSteps):
    """Business tables: classes or a number from typed columns (see the module docstring)."""

    #: Trees and the linear model need a handful of rows at least to learn anything.
    min_train_rows = 5
    #: The family's model search (:func:`modeling.training.search.find_best`): the automatic blend, ranked.
    search = "modeling.training.table.search:TableSearch"

    def facts(self, dataset: Dataset) -> dict[str, Any]:
        facts = super().facts(dataset)
        facts["target_column"] = dataset.target_column
        facts["feature_columns"] = [str(c) for c in dataset.frame.columns]  # type: ignore[union-attr]
        facts.update(target_for(dataset).facts(dataset))
        return facts

    def fit(
        self,
        config: ExperimentConfig,
        train: Dataset,
        validation: Dataset,
        progress: Progress,
        cancel: threading.Event,
    ) -> Fitted:
        import keras

        keras.utils.set_random_seed(config.settings.seed)
        train_template = registry.spec(config.template).custom_fit()
        result = train_template(config, train, validation, progress, cancel)  # type: ignore[misc]
        return Fitted(result.model, result.outcome)

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
        model = fitted.model
        progress.update(phase="Evaluating on the test split")
        raw_test = model.predict(test.frame)
        held_out = getattr(fitted.outcome, "validation_answers", None)  # a model that also learned from them
        raw_val = held_out if held_out is not None else model.predict(validation.frame) if len(validation) else None
        if not all_finite(raw_test) or (raw_val is not None and not all_finite(raw_val)):
            raise InvalidPredictions("The model's answers are not numbers (NaN).")
        target = target_for(train)
        report, interval = target.report(config, model, train, validation, test, raw_test, raw_val)
        progress.update(phase="Measuring which columns matter")
        add_importance(report, model, test, config.settings.seed, cancel, target.regression)
        progress.update(phase="Ranking the test rows and giving each its reasons")
        explained = add_actions(report, config, model, test, raw_test, cancel)
        answers = {"y_test": test.labels, "raw_test": raw_test, "y_val": validation.labels, "raw_val": raw_val}
        extra = {"interval": interval, "answers": answers, "reasons": explained}
        return Evaluated(report, target.headline(report), extra)

    def save(self, run_dir: Path, store: RunStore, fitted: Fitted, evaluated: Evaluated, dataset: Dataset) -> dict:
        a = evaluated.extra["answers"]
        target_for(dataset).save_answers(
            run_dir, evaluated.report, a["y_test"], a["raw_test"], a["y_val"], a["raw_val"]
        )
        preparation = getattr(dataset, "preparation", None)
        save_table_model(
            run_dir,
            fitted.model,
            evaluated.extra["interval"],
            preparation.to_dict() if preparation is not None else None,
            profile=training_profile(dataset),
        )
        if evaluated.extra.get("reasons") is not None:
            save_test_reasons(run_dir, evaluated.extra["reasons"])
        outcome = fitted.outcome
        return {
            "model_description": fitted.model.describe(),
            "training_notes": outcome.notes,
            "candidates": outcome.candidates,
        }
