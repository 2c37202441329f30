"""The Keras family's steps (texts and images): a ``model.keras`` that reads numbers, and for texts its preparation.

Inside the one experiment skeleton (:func:`modeling.training.experiment.run_experiment`) this family

* **prepares** the data: duplicate rows removed when the settings ask for it (or recorded in the settings
  when the Data page already removed them, so the saved YAML reproduces the run);
* **fits** the template: its own training loop when the registry names one (the pretrained encoder, the
  fitted keyword models), otherwise :func:`~modeling.templates.build_model` and
  :func:`~modeling.training.fit.train_model`, in mixed precision on a GPU for templates that say so;
* **evaluates** on the test split against the baselines (majority class, keyword or pixel logistic
  regression), with the copies the splits share and, for texts, the keyword baseline's telling words;
* **saves** the model, a text model's preparation beside it (``text_preparation.json``: vocabulary, n-grams or
  word pieces, as data, so the run answers on every Keras backend) and the raw test and validation answers
  (the Evaluate page re-derives everything from them).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.data.duplicates import drop_duplicates, find_shared
from modeling.device import detect_device
from modeling.errors import DIVERGED_MESSAGE, TrainingDiverged
from modeling.evaluation.baselines import baseline_metrics
from modeling.evaluation.explain import keyword_baseline_top_words
from modeling.evaluation.probabilities import all_finite
from modeling.evaluation.schema import build_evaluation
from modeling.runs.keras_file import save_text_preparation
from modeling.runs.predictions import save_predictions
from modeling.runs.store import RunStore
from modeling.templates import registry
from modeling.training.family import CommonSteps, Evaluated, Fitted
from modeling.training.progress import Progress

log = logging.getLogger(__name__)

#: Keras reads the global dtype policy while it builds layers: one build at a time may change it.
_POLICY_LOCK = threading.Lock()


class KerasFamily(CommonSteps):
    """Texts and images: one Keras model with its preprocessing inside (see the module docstring)."""

    min_train_rows = 2
    #: The family's model search (:func:`modeling.training.search.find_best`): templates trained as full runs.
    search = "modeling.training.text_search:TextSearch"

    def prepare(
        self, config: ExperimentConfig, dataset: Dataset, progress: Progress
    ) -> tuple[ExperimentConfig, Dataset]:
        if dataset.deduplicated and not config.data.drop_duplicates:
            # Cleaned on the Data or Evaluate page: record it, so the saved settings reproduce this run.
            config = config.model_copy(update={"data": config.data.model_copy(update={"drop_duplicates": True})})
        elif config.data.drop_duplicates and not dataset.deduplicated:
            progress.update(phase="Removing duplicate rows")
            dataset, _ = drop_duplicates(dataset)
        return config, dataset

    def facts(self, dataset: Dataset) -> dict[str, Any]:
        facts = super().facts(dataset)
        if dataset.texts is not None:
            facts.update(text_column=dataset.text_column, label_column=dataset.label_column)
        else:
            facts["image_shape"] = list(dataset.image_shape or ())
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

        from modeling.templates import build_model
        from modeling.training.fit import train_model

        progress.update(phase="Building the model")
        keras.utils.set_random_seed(config.settings.seed)
        spec = registry.spec(config.template)
        own_fit = spec.custom_fit()
        if own_fit is not None:  # e.g. the pretrained encoder: reads texts once, trains a head
            result = own_fit(config, train, validation, progress, cancel)
            return Fitted(result.model, result.outcome, {"predict": result.predict, "mixed_precision": False})
        mixed = spec.mixed_precision and detect_device().is_gpu
        with _POLICY_LOCK:
            keras.config.set_dtype_policy("mixed_float16" if mixed else "float32")
            try:
                model = build_model(config, train)
            finally:
                keras.config.set_dtype_policy("float32")
        outcome = train_model(model, train, validation, config.settings, progress, cancel)
        return Fitted(model, outcome, {"predict": None, "mixed_precision": mixed})

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
        from modeling.templates.inference import predict_probabilities

        progress.update(phase="Looking for copies shared by the training and test splits")
        shared = _shared_copies(train, validation, test)
        progress.update(phase="Evaluating on the test split")
        predict = fitted.extra["predict"] or (lambda part: predict_probabilities(fitted.model, part))
        raw_test = predict(test)
        raw_val = predict(validation) if len(validation) else None
        if not all_finite(raw_test) or (raw_val is not None and not all_finite(raw_val)):
            # Caught here, before calibration or metrics bin them: a NaN cast to an int crashes NumPy.
            raise TrainingDiverged(DIVERGED_MESSAGE)
        report = build_evaluation(
            test.labels,
            raw_test,
            test.class_names,
            baselines=baseline_metrics(train, test, seed=config.settings.seed),
            y_validation=validation.labels,
            raw_validation=raw_val,
            shared_copies=shared,
            keywords=_telling_words(train) if train.texts is not None else None,
        )
        answers = {"y_test": test.labels, "raw_test": raw_test, "y_val": validation.labels, "raw_val": raw_val}
        return Evaluated(report, {"accuracy": report["model"]["accuracy"]}, answers)

    def save(self, run_dir: Path, store: RunStore, fitted: Fitted, evaluated: Evaluated, dataset: Dataset) -> dict:
        a = evaluated.extra
        temperature = evaluated.report["calibration"]["temperature"]
        save_predictions(run_dir, a["y_test"], a["raw_test"], a["y_val"], a["raw_val"], temperature)
        save_text_preparation(fitted.model, run_dir)  # first: a model file on disk always has its preparation
        store.save_model(run_dir, fitted.model)
        return {"mixed_precision": fitted.extra["mixed_precision"]}


def _shared_copies(train: Dataset, validation: Dataset, test: Dataset) -> dict[str, Any]:
    """Test rows with an exact or near copy among the rows the model learned from; never fails a run.

    Validation rows count as seen: they chose the best epoch, so a copy there flatters the test score too.
    """
    try:
        seen = train
        if len(validation):
            seen = Dataset(
                kind=train.kind,
                name=train.name,
                labels=np.concatenate([train.labels, validation.labels]),
                class_names=list(train.class_names),
                texts=None if train.texts is None else np.concatenate([train.texts, validation.texts]),
                images=None if train.images is None else np.concatenate([train.images, validation.images]),
            )
        return find_shared(seen, test)
    except Exception:
        log.exception("Could not look for duplicates shared by the splits")
        return {"checked": False, "exact": 0, "near": 0, "share_of_test": 0.0, "test_indices": [], "examples": []}


def _telling_words(train: Dataset) -> dict[str, list[tuple[str, float]]]:
    """The keyword baseline's most telling words per class, for the Evaluate page; never fails a run."""
    try:
        return keyword_baseline_top_words(train)
    except Exception:
        log.exception("Could not compute the telling words")
        return {}
