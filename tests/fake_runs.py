"""Saved runs made by hand (no training), for the report and Compare runs tests.

A run folder is only files, so a test can write one in milliseconds with exactly the class names, texts
and settings it needs — hostile ones included — instead of training a model for a minute. Only
``model.keras`` is missing (nothing here loads a model); ``usable=True`` copies the starter's model file
so that run pickers, which list usable runs only, offer the run.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from modeling.config import default_config
from modeling.data.dataset import Dataset
from modeling.runs.store import STARTERS_DIR, write_json

HOSTILE_CLASS = "<script>alert(1)</script>"
HOSTILE_TEXT = "<script>steal()</script> [click](javascript:alert(2)) **bold** & more"
HOSTILE_DATA = '<img src=x onerror="alert(3)">'


def make_run(
    root: Path,
    run_id: str,
    *,
    class_names: list[str] | None = None,
    n: int = 60,
    accuracy: float = 0.8,
    settings: dict[str, Any] | None = None,
    template: str = "ngram_bag",
    kind: str = "text",
    data_name: str = "Product reviews",
    title: str | None = None,
    predictions: bool = True,
    usable: bool = False,
    evaluation_extra: dict[str, Any] | None = None,
    seed: int = 0,
) -> Path:
    """Write ``root/runs/run_id`` with run.json, config.yaml, history.json, evaluation.json, test.npz.

    The model is right on about ``accuracy`` of the ``n`` test examples; its probabilities are saved in
    predictions.npz unless ``predictions=False`` (an older run).
    """
    from modeling.evaluation.metrics import evaluate_predictions, misclassified

    names = class_names or ["negative", "positive"]
    k = len(names)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    right = rng.random(n) < accuracy
    predicted = np.where(right, y, (y + 1) % k)
    probs = np.full((n, k), 0.0)
    confidence = rng.uniform(0.55, 0.95, n)
    probs[np.arange(n), predicted] = confidence
    for row in range(n):
        others = [c for c in range(k) if c != predicted[row]]
        probs[row, others] = (1.0 - confidence[row]) / len(others)

    task = "text_classification" if kind == "text" else "image_classification"
    if kind == "text":
        texts = np.array([f"review number {i} {HOSTILE_TEXT}" for i in range(n)])
        test = Dataset(kind="text", name=data_name, labels=y, class_names=names, texts=texts)
        source = "sample:reviews"
    else:
        images = rng.integers(0, 255, size=(n, 28, 28, 1)).astype("uint8")
        test = Dataset(kind="image", name=data_name, labels=y, class_names=names, images=images)
        source = "sample:digits"
        template = template if template in ("small_cnn", "dense") else "small_cnn"
    config = default_config(task, source, template)
    if settings:
        config = config.model_copy(update={"settings": config.settings.model_copy(update=settings)})

    majority = np.zeros((n, k))
    majority[:, 0] = 1.0
    baselines = {
        "majority": {
            **evaluate_predictions(y, majority, names, None)["model"],
            "title": "Always the majority class",
            "description": f"Always answers '{names[0]}', the most common label",
            "always_answers": names[0],
        }
    }
    evaluation = evaluate_predictions(y, probs, names, baselines)
    evaluation["misclassified"] = misclassified(y, probs, names)
    evaluation.update(evaluation_extra or {})

    path = Path(root) / "runs" / run_id
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(config.to_yaml())
    counts = {name: int((y == i).sum()) * 5 for i, name in enumerate(names)}
    write_json(
        path / "run.json",
        {
            "run_id": run_id,
            "title": title or f"{template} on {data_name}",
            "task": task,
            "template": template,
            "created": time.strftime("%Y-%m-%d %H:%M"),
            "status": "finished",
            "pid": 0,
            "class_names": names,
            "dataset": {"name": data_name, "kind": kind, "rows": 5 * n, "source": source, "class_counts": counts},
            "split": {"train": 3 * n, "validation": n, "test": n},
            "accuracy": evaluation["model"]["accuracy"],
            "duration_s": 3.5 + seed,
            "epochs_run": 4,
            "best_epoch": 3,
            "device": "CPU (test)",
        },
    )
    write_json(
        path / "history.json",
        {
            "loss": [0.7, 0.5, 0.4, 0.35],
            "val_loss": [0.72, 0.6, 0.55, 0.58],
            "accuracy": [0.6, 0.8, 0.9, 0.95],
            "val_accuracy": [0.55, 0.7, 0.75, 0.74],
        },
    )
    write_json(path / "evaluation.json", evaluation)
    test.save_npz(str(path / "test.npz"))
    if predictions:
        from modeling.runs.predictions import save_predictions

        save_predictions(path, y, probs, None, None, 1.0)
    if usable:
        shutil.copyfile(STARTERS_DIR / "starter-reviews" / "model.keras", path / "model.keras")
    return path


def copy_starter(root: Path, run_id: str, learning_rate: float, title: str) -> Path:
    """The sentiment starter copied as an own run with another learning rate: a real, usable run in a second."""
    path = Path(root) / "runs" / run_id
    shutil.copytree(STARTERS_DIR / "starter-reviews", path)
    meta = json.loads((path / "run.json").read_text())
    meta.update(run_id=run_id, title=title, starter=False, created=time.strftime("%Y-%m-%d %H:%M"))
    write_json(path / "run.json", meta)
    config = yaml.safe_load((path / "config.yaml").read_text())
    config["settings"]["learning_rate"] = learning_rate
    (path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return path
