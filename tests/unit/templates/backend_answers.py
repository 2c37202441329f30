"""Run as ``KERAS_BACKEND=jax python -m tests.unit.templates.backend_answers JOB.json``: a run's answers on a backend.

Keras picks its backend once, at import, so each backend needs a process of its own. The job file lists run
folders (each with the inputs to score, as Parquet) and, optionally, one template to train here first; the
answers' number columns are written to an ``.npz`` per run, and a trained run's folder is reported back, for
:mod:`tests.unit.templates.test_backends` to compare with TensorFlow's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def save_inputs(frame: pd.DataFrame, path: Path) -> Path:
    """A table of inputs as Parquet, or (a column of pictures) as an ``.npz`` of stacked arrays."""
    if any(isinstance(value, np.ndarray) for value in frame.iloc[0]):
        path = path.with_suffix(".npz")
        np.savez(path, **{column: np.stack(frame[column].to_list()) for column in frame.columns})
    else:
        path = path.with_suffix(".parquet")
        frame.to_parquet(path)
    return path


def load_inputs(path: Path) -> pd.DataFrame:
    if path.suffix == ".npz":
        with np.load(path) as arrays:
            return pd.DataFrame({column: list(arrays[column]) for column in arrays.files})
    return pd.read_parquet(path)


def number_answers(batch) -> dict[str, np.ndarray]:
    """The answer columns that are numbers (probabilities, predicted values, ranges), by name."""
    numbers = batch.frame[batch.answer_columns].select_dtypes("number")
    return {column: numbers[column].to_numpy(dtype=np.float64) for column in numbers.columns}


def answers(run_dir: Path, inputs: Path, out: Path) -> None:
    from modeling.runs import loading
    from modeling.runs.store import RunStore

    run = RunStore(run_dir.parent.parent, starters=None).load(run_dir.name)
    np.savez(out, **number_answers(loading.load_predictor(run).score_frame(load_inputs(inputs))))


def train(job: dict, home: Path) -> str:
    from modeling.config import ExperimentConfig, template_settings
    from modeling.runs.store import RunStore
    from modeling.training.experiment import run_experiment
    from tests.conftest import make_text_dataset

    settings = template_settings(job["template"]).model_copy(update=job["settings"])
    config = ExperimentConfig(
        task=job["task"], template=job["template"], settings=settings, data={"source": "session:tiny"}
    )
    store = RunStore(home, starters=None)
    return str(store.find(run_experiment(config, make_text_dataset(160), store=store).name))


def main(job_path: str) -> None:
    import keras

    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    report: dict = {"backend": keras.backend.backend()}
    if job.get("train"):
        report["trained"] = train(job["train"], Path(job["train"]["home"]))
    for item in job["runs"]:
        answers(Path(item["run"]), Path(item["inputs"]), Path(item["out"]))
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
