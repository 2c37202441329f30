"""One training run from start to saved bundle, for every kind of data: the experiment skeleton.

The app's background jobs, ``python -m modeling train``, the model searches and a job on a Ray cluster all
call :func:`run_experiment`, so they all produce identical run folders. The skeleton does once, for every
family, what does not depend on how a model is built: load the data, let the data choose the template when
the settings named none, check that task and data agree, split, create the run folder, report progress,
write the history, the evaluation and the headline figures, and record any failure (divergence, out of
memory, an interrupted server, a bug) the same way. What depends on the model is the family's
(:class:`~modeling.training.family.ExperimentFamily`: ``prepare / facts / split / fit / evaluate / save``),
found through the task's entry in the registry (:func:`~modeling.training.families.family_for`).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.data.sources import dataset_for_config
from modeling.device import detect_device
from modeling.errors import (
    DIVERGED_MESSAGE,
    ConfigError,
    InvalidPredictions,
    ModelDeckError,
    RunStopped,
    TrainingDiverged,
)
from modeling.evaluation.probabilities import DIVERGED_HINT
from modeling.runs.store import RunStore, write_json
from modeling.templates import registry
from modeling.templates.defaults import complete_config
from modeling.training.families import family_for
from modeling.training.progress import Progress

log = logging.getLogger(__name__)

OUT_OF_MEMORY = "The machine ran out of memory while training."
OUT_OF_MEMORY_HINT = "Use a smaller batch size, fewer hidden units or a smaller template, or use less data."
FAILED_HINT = "Try the default settings; if it keeps failing, report it with the run id."


def check_fits(config: ExperimentConfig, dataset: Dataset) -> None:
    """The task must follow from the data: text settings cannot train on images, nor a price on classes."""
    if config.task != dataset.task:
        wanted, found = registry.task(config.task), registry.task(dataset.task)
        raise ConfigError(
            f"task = '{config.task}' ({wanted.label}) does not match the data, which is for "
            f"{found.label.lower()}: use task '{dataset.task}'."
        )


def choose_template(config: ExperimentConfig, dataset: Dataset, progress: Progress) -> tuple[ExperimentConfig, str]:
    """A settings file that named no template gets the one the data suggests; the reason is told in ``progress``.

    Returns the config to train and the reason (empty when the file named its template).
    """
    config, reason = complete_config(config, dataset)
    if reason:
        progress.note(f"The data chose the {config.template} template: {reason}")
    return config, reason


def dataset_facts(dataset: Dataset) -> dict[str, Any]:
    """What ``run.json`` records about the data, as the data's family writes it."""
    return family_for(dataset.task).facts(dataset)


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
    progress = progress or Progress(config.settings.epochs)
    cancel = cancel or threading.Event()
    if dataset is None:
        progress.update(phase="Loading data")
        dataset = dataset_for_config(config)
    check_fits(config, dataset)
    config, reason = choose_template(config, dataset, progress)
    family = family_for(config.task)
    config, dataset = family.prepare(config, dataset, progress)
    train, validation, test = family.split(dataset, config)
    noun = registry.task(config.task).noun
    if len(train) < family.min_train_rows or len(test) < 1:
        raise ConfigError(
            f"There are too few {noun} to train and test ({len(train):,} for training, {len(test):,} for the "
            f"test; at least {family.min_train_rows:,} and 1 are needed). Add data or lower test_share."
        )

    run_dir = store.create(config, family.facts(dataset), dataset.class_names, owner=owner)
    progress.update(run_id=run_dir.name)
    device = detect_device()
    started = time.time()
    parts = {"train": len(train), "validation": len(validation), "test": len(test)}
    store.update_meta(run_dir, device=device.label, split=parts, **({"template_reason": reason} if reason else {}))
    test.save_npz(str(run_dir / "test.npz"))
    try:
        progress.start(device.label)
        fitted = family.fit(config, train, validation, progress, cancel)
        evaluated = family.evaluate(config, fitted, train, validation, test, progress, cancel)
        progress.update(phase="Saving the model")
        extra = family.save(run_dir, store, fitted, evaluated, dataset)
        write_json(run_dir / "history.json", fitted.outcome.history)
        write_json(run_dir / "evaluation.json", evaluated.report)
        state = "stopped" if fitted.outcome.stopped_by_user else "finished"
        store.update_meta(
            run_dir,
            status=state,
            duration_s=round(time.time() - started, 2),
            epochs_run=fitted.outcome.epochs_run,
            best_epoch=fitted.outcome.best_epoch,
            epoch_unit=progress.unit,
            **evaluated.headline,
            **extra,
        )
        progress.finish(state)
        return run_dir
    except (TrainingDiverged, InvalidPredictions):
        _fail(store, run_dir, progress, DIVERGED_MESSAGE, DIVERGED_HINT, started)
        raise ModelDeckError(f"{DIVERGED_MESSAGE} {DIVERGED_HINT}") from None
    except RunStopped as exc:  # Stop before anything could be kept: stopped, not failed
        _fail(store, run_dir, progress, str(exc), None, started, state="stopped")
        raise
    except ModelDeckError as exc:
        _fail(store, run_dir, progress, str(exc), None, started)
        raise
    except BaseException as exc:  # a run must never stay "running" on disk
        if out_of_memory(exc):
            log.warning("Training run %s ran out of memory: %s", run_dir.name, exc)
            _fail(store, run_dir, progress, OUT_OF_MEMORY, OUT_OF_MEMORY_HINT, started)
            raise ModelDeckError(f"{OUT_OF_MEMORY} {OUT_OF_MEMORY_HINT}") from None
        log.exception("Training run %s failed", run_dir.name)
        reason = plain_reason(exc)
        _fail(store, run_dir, progress, reason, FAILED_HINT, started)
        if not isinstance(exc, Exception):
            raise  # KeyboardInterrupt, SystemExit: recorded, then let the process end
        raise ModelDeckError(f"{reason} {FAILED_HINT}") from exc


def out_of_memory(exc: BaseException) -> bool:
    """MemoryError, TensorFlow's ResourceExhaustedError, or a backend message that says OOM."""
    if isinstance(exc, MemoryError) or type(exc).__name__ in ("ResourceExhaustedError", "OutOfMemoryError"):
        return True
    text = str(exc)
    return bool(re.search(r"\bOOM\b|out of memory|RESOURCE_EXHAUSTED", text, re.IGNORECASE))


def plain_reason(exc: BaseException) -> str:
    """One line about an unexpected error, for the run folder and the page (never a traceback)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return "Training was interrupted because the server is shutting down."
    return f"Training stopped with an error ({type(exc).__name__}): {text[:300]}"


def _fail(
    store: RunStore,
    run_dir: Path,
    progress: Progress,
    reason: str,
    hint: str | None,
    started: float,
    state: str = "failed",
) -> None:
    """Record the failure (or an early Stop) on disk, so the run never shows as running, and in the progress."""
    try:
        store.update_meta(run_dir, status=state, error=reason, hint=hint, duration_s=round(time.time() - started, 2))
    except Exception:  # a full disk must not hide the original error; the run will read as interrupted
        log.exception("Could not record the failure of run %s", run_dir.name)
        store.forget_writer(run_dir)
    finally:
        progress.finish(state, reason, hint)
