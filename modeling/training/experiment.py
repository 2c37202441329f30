"""One training run from start to saved bundle: split, train, evaluate, compare, save.

The app's background jobs and ``python -m modeling train`` both call
:func:`run_experiment`, so both produce identical run folders.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path

import numpy as np

from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.data.duplicates import drop_duplicates, find_shared
from modeling.data.sources import dataset_for_config
from modeling.data.split import split_indices, train_validation_split
from modeling.device import detect_device
from modeling.errors import ConfigError, InvalidPredictions, ModelDeckError
from modeling.evaluation.baselines import baseline_metrics
from modeling.evaluation.explain import keyword_baseline_top_words
from modeling.evaluation.probabilities import DIVERGED_HINT, all_finite
from modeling.evaluation.schema import build_evaluation
from modeling.runs.predictions import save_predictions
from modeling.runs.store import RunStore, write_json
from modeling.templates import build_model, custom_fit
from modeling.training.progress import Progress
from modeling.training.table_experiment import run_table_experiment

log = logging.getLogger(__name__)

_POLICY_LOCK = threading.Lock()


def check_fits(config: ExperimentConfig, dataset: Dataset) -> None:
    """The task must follow from the data: text settings cannot train on images."""
    if config.task != dataset.task:
        raise ConfigError(
            f"task = '{config.task}' does not match the data, which holds {dataset.kind}s (use task '{dataset.task}')."
        )


def split(dataset: Dataset, config: ExperimentConfig) -> tuple[Dataset, Dataset, Dataset]:
    """Train, validation and test parts. The test part is cut first and never seen in training."""

    seed = config.settings.seed
    rest_idx, test_idx = split_indices(dataset.labels, config.data.test_share, seed)
    rest = dataset.subset(rest_idx)
    train_idx, val_idx = train_validation_split(rest.labels, config.settings.validation_share, seed)
    return rest.subset(train_idx), rest.subset(val_idx), dataset.subset(test_idx)


def dataset_facts(dataset: Dataset) -> dict[str, object]:
    facts: dict[str, object] = {
        "name": dataset.name,
        "kind": dataset.kind,
        "rows": len(dataset),
        "source": dataset.source,
        "class_counts": dataset.class_counts(),
    }
    if dataset.kind == "text":
        facts.update(text_column=dataset.text_column, label_column=dataset.label_column)
    else:
        facts["image_shape"] = list(dataset.image_shape or ())
    return facts


def run_experiment(
    config: ExperimentConfig,
    dataset: Dataset | None = None,
    *,
    store: RunStore,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    owner: str | None = None,
) -> Path:
    """Train ``config`` on ``dataset`` (or on ``config.data.source``) and save the run; return its folder.

    The run belongs to ``owner`` (see :class:`~modeling.runs.store.RunStore`). Failures are recorded
    in the run folder with a reason and a hint before the error is raised again, so a failed
    run is listed as failed, never as running.
    """
    import keras

    from modeling.templates.inference import predict_probabilities
    from modeling.training.fit import DIVERGED_MESSAGE, TrainingDiverged, train_model

    progress = progress or Progress(config.settings.epochs)
    cancel = cancel or threading.Event()
    if dataset is None:
        progress.update(phase="Loading data")
        dataset = dataset_for_config(config)  # tables too: target column, roles, sheet, task
    if dataset.kind == "table":  # tables have their own split, evaluation and bundle
        return run_table_experiment(
            config, dataset, store=store, progress=progress, cancel=cancel, owner=owner, fail=_fail
        )
    if dataset.deduplicated and not config.data.drop_duplicates:
        # Cleaned on the Data or Evaluate page: record it, so the saved settings reproduce this run.
        config = config.model_copy(update={"data": config.data.model_copy(update={"drop_duplicates": True})})
    elif config.data.drop_duplicates and not dataset.deduplicated:
        progress.update(phase="Removing duplicate rows")
        dataset, _ = drop_duplicates(dataset)
    check_fits(config, dataset)
    train, validation, test = split(dataset, config)
    if len(train) < 2 or len(test) < 1:
        raise ConfigError("There are too few rows to train and test. Add data or lower test_share.")

    run_dir = store.create(config, dataset_facts(dataset), dataset.class_names, owner=owner)
    progress.update(run_id=run_dir.name)
    device = detect_device()
    started = time.time()
    store.update_meta(
        run_dir, device=device.label, split={"train": len(train), "validation": len(validation), "test": len(test)}
    )
    test.save_npz(str(run_dir / "test.npz"))
    try:
        progress.update(phase="Looking for copies shared by the training and test splits")
        shared = _shared_copies(train, validation, test)
        progress.start(device.label)
        progress.update(phase="Building the model")
        keras.utils.set_random_seed(config.settings.seed)
        use_mixed = device.kind == "GPU" and config.task == "image_classification"
        own_fit = custom_fit(config)
        fast_predict = None
        if own_fit is not None:  # e.g. the pretrained encoder: reads texts once, trains a head
            result = own_fit(config, train, validation, progress, cancel)
            model, outcome, fast_predict = result.model, result.outcome, result.predict
        else:
            with _POLICY_LOCK:
                keras.config.set_dtype_policy("mixed_float16" if use_mixed else "float32")
                try:
                    model = build_model(config, train)
                finally:
                    keras.config.set_dtype_policy("float32")
            outcome = train_model(model, train, validation, config.settings, progress, cancel)
        progress.update(phase="Evaluating on the test split")
        predict = fast_predict or (lambda part: predict_probabilities(model, part))
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
            keywords=_keywords(train) if train.kind == "text" else None,
        )
        save_predictions(
            run_dir, test.labels, raw_test, validation.labels, raw_val, report["calibration"]["temperature"]
        )
        progress.update(phase="Saving the model")
        store.save_model(run_dir, model)
        write_json(run_dir / "history.json", outcome.history)
        write_json(run_dir / "evaluation.json", report)
        state = "stopped" if outcome.stopped_by_user else "finished"
        store.update_meta(
            run_dir,
            status=state,
            accuracy=report["model"]["accuracy"],
            duration_s=round(time.time() - started, 2),
            epochs_run=outcome.epochs_run,
            best_epoch=outcome.best_epoch,
            mixed_precision=use_mixed,
        )
        progress.finish(state)
        return run_dir
    except (TrainingDiverged, InvalidPredictions):
        _fail(store, run_dir, progress, DIVERGED_MESSAGE, DIVERGED_HINT, started)
        raise ModelDeckError(f"{DIVERGED_MESSAGE} {DIVERGED_HINT}") from None
    except ModelDeckError as exc:
        _fail(store, run_dir, progress, str(exc), None, started)
        raise
    except BaseException as exc:  # a run must never stay "running" on disk
        if _out_of_memory(exc):
            log.warning("Training run %s ran out of memory: %s", run_dir.name, exc)
            _fail(store, run_dir, progress, OUT_OF_MEMORY, OUT_OF_MEMORY_HINT, started)
            raise ModelDeckError(f"{OUT_OF_MEMORY} {OUT_OF_MEMORY_HINT}") from None
        log.exception("Training run %s failed", run_dir.name)
        hint = "Try the default settings; if it keeps failing, report it with the run id."
        reason = _plain_reason(exc)
        _fail(store, run_dir, progress, reason, hint, started)
        if not isinstance(exc, Exception):
            raise  # KeyboardInterrupt, SystemExit: recorded, then let the process end
        raise ModelDeckError(f"{reason} {hint}") from exc


def _shared_copies(train: Dataset, validation: Dataset, test: Dataset) -> dict[str, object]:
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


def _keywords(train: Dataset) -> dict[str, list[tuple[str, float]]]:
    """The keyword baseline's most telling words per class, for the Evaluate page; never fails a run."""
    try:
        return keyword_baseline_top_words(train)
    except Exception:
        log.exception("Could not compute the telling words")
        return {}


OUT_OF_MEMORY = "The machine ran out of memory while training."
OUT_OF_MEMORY_HINT = "Use a smaller batch size, fewer hidden units or a smaller template, or use less data."


def _out_of_memory(exc: BaseException) -> bool:
    """MemoryError, TensorFlow's ResourceExhaustedError, or a backend message that says OOM."""
    if isinstance(exc, MemoryError) or type(exc).__name__ in ("ResourceExhaustedError", "OutOfMemoryError"):
        return True
    text = str(exc)
    return bool(re.search(r"\bOOM\b|out of memory|RESOURCE_EXHAUSTED", text, re.IGNORECASE))


def _plain_reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return "Training was interrupted because the server is shutting down."
    return f"Training stopped with an error ({type(exc).__name__}): {text[:300]}"


def _fail(store: RunStore, run_dir: Path, progress: Progress, reason: str, hint: str | None, started: float) -> None:
    """Record the failure on disk (so the run never shows as running) and in the live progress."""
    try:
        store.update_meta(run_dir, status="failed", error=reason, hint=hint, duration_s=round(time.time() - started, 2))
    except Exception:  # a full disk must not hide the original error; the run will read as interrupted
        log.exception("Could not record the failure of run %s", run_dir.name)
        store.forget_writer(run_dir)
    finally:
        progress.finish("failed", reason, hint)
