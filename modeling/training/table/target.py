"""What differs between predicting classes and predicting a number, decided once per table.

The table family asks :func:`target_for` once and then calls the object it gets: how a candidate is scored
on the validation rows, which report the run gets, which headline figures ``run.json`` shows, how the raw
answers are saved, what the run records about the target. Nothing else in the family asks whether a table
is a regression; the answer comes from the task in the registry (``answers == "number"``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from modeling.data.dataset import Dataset
from modeling.runs.predictions import save_predictions
from modeling.templates import registry
from modeling.templates.tabular.model import TableModel
from modeling.training.table import evaluate


class Classes:
    """A table whose target is a class: log loss on the validation rows, accuracy as the headline."""

    regression = False
    #: How candidates are compared on the validation rows (lower is better).
    metric = "log_loss"

    def validation_score(self, y: np.ndarray, answers: np.ndarray) -> float:
        p = np.clip(answers, 1e-12, 1.0)
        return float(-np.mean(np.log(p[np.arange(len(y)), y.astype(int)])))

    def facts(self, dataset: Dataset) -> dict[str, Any]:
        return {}

    def report(self, config, model: TableModel, train, validation, test, raw_test, raw_val):
        """``(evaluation.json, interval widths or None)``."""
        return evaluate.classification_report(config, train, validation, test, raw_test, raw_val), None

    def headline(self, report: dict[str, Any]) -> dict[str, Any]:
        return {"accuracy": report["model"]["accuracy"]}

    def save_answers(self, run_dir: Path, report: dict[str, Any], y_test, raw_test, y_val, raw_val) -> None:
        temperature = report["calibration"]["temperature"]
        save_predictions(run_dir, y_test, raw_test, y_val, raw_val, temperature)


class Numbers:
    """A table whose target is a number: RMSE on the validation rows, RMSE, MAE and R² as the headline."""

    regression = True
    metric = "rmse"

    def validation_score(self, y: np.ndarray, answers: np.ndarray) -> float:
        return float(math.sqrt(np.mean((answers - y) ** 2)))

    def facts(self, dataset: Dataset) -> dict[str, Any]:
        return {"target": evaluate.target_summary(dataset)}

    def report(self, config, model: TableModel, train, validation, test, raw_test, raw_val):
        return evaluate.regression_report(config, model, train, validation, test, raw_test, raw_val)

    def headline(self, report: dict[str, Any]) -> dict[str, Any]:
        return {key: report["model"][key] for key in ("rmse", "mae", "r2")}

    def save_answers(self, run_dir: Path, report: dict[str, Any], y_test, raw_test, y_val, raw_val) -> None:
        evaluate.save_regression_predictions(run_dir, y_test, raw_test, y_val, raw_val)


TableTarget = Classes | Numbers


def target_for(dataset: Dataset) -> TableTarget:
    """The target's strategy for ``dataset``'s task (the one place the table family asks classes or number)."""
    return Numbers() if registry.task(dataset.task).predicts_number else Classes()
