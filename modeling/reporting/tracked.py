"""A run logged in MLflow together with its shareable HTML report.

Tracking itself lives in :mod:`modeling.runs.tracking` (it reads run folders); the report is drawn here,
one layer up, so the command line and the app's background jobs hand this function to whoever saves a run.
"""

from __future__ import annotations

import logging
from pathlib import Path

from modeling import settings
from modeling.runs.store import RunStore
from modeling.runs.tracking import track_quietly

log = logging.getLogger(__name__)


def track_with_report(store: RunStore, run_dir: Path | None) -> str | None:
    """Track ``run_dir`` in MLflow with its HTML report when ``MODELDECK_MLFLOW_URI`` is set; never raises.

    The report is drawn only for runs that have an evaluation; a failed run is tracked with its reason.
    Returns the MLflow run id, or ``None`` when tracking is off or did not work (logged).
    """
    if run_dir is None or not settings.mlflow_uri():
        return None
    report = None
    try:
        run = store.load(str(run_dir))
        if run.evaluation:
            from modeling.reporting.run_report import run_report_html

            report = run_report_html(run)
    except Exception:  # the report is a bonus: the run is tracked without it
        log.warning("The report of run %s could not be drawn for MLflow", Path(run_dir).name, exc_info=True)
    return track_quietly(run_dir, report_html=report)


def after_save(store: RunStore):
    """The hook a job manager calls with each saved run folder (see ``JobManager.start(after_save=...)``)."""

    def hook(run_dir: Path | None) -> None:
        track_with_report(store, run_dir)

    return hook
