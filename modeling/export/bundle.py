"""A run -> one verified export ZIP, whatever its family: the checks every format shares, then its exporter.

:func:`build_export` refuses an unknown format, a format the template does not offer here (or that the run's
8-bit layers rule out), and a run without a finished model, each with its sentence; then it hands the run to
its family's exporter (:mod:`modeling.export.families`: :mod:`~modeling.export.keras_export` for texts and
images, :mod:`~modeling.export.table_export` for tables), which writes everything into a scratch folder,
checks it in a fresh process against the app's own answers and only then zips it. A failed check raises
:class:`ExportFailed` with the reason, and no ZIP exists. The finished ZIP is kept in the run's ``exports/``
folder (starters: under ``$MODELDECK_HOME/exports/``), so asking again is instant while the model is unchanged.
"""

from __future__ import annotations

from pathlib import Path

from modeling.errors import RunError
from modeling.export.archive import ExportFailed, ExportResult, cached_export, export_folder
from modeling.export.families import family_for
from modeling.export.formats import FORMATS, Offer, offer, offers
from modeling.export.models import quantized_model_file
from modeling.runs.store import Run

#: Re-exported: callers import the result types and the cache from here.
__all__ = ["ExportFailed", "ExportResult", "build_export", "cached_export", "export_folder", "run_offers"]


def run_offers(run: Run) -> list[Offer]:
    """Every format for this run, offered or with the sentence why not (a model stored in 8 bits gets Keras only)."""
    return offers(run.config.template, quantized=quantized_model_file(run.model_path))


def build_export(run: Run, fmt: str, model_card: str = "", out_dir: Path | None = None) -> ExportResult:
    """Export ``run`` as ``fmt`` (a key of :data:`FORMATS`), verify it, zip it; raise on any failure.

    ``model_card`` is the Markdown model card (``modeling.reporting.model_card``), written as
    ``MODEL_CARD.md``. The ZIP goes to ``out_dir`` (default: :func:`export_folder`).
    """
    if fmt not in FORMATS:
        raise RunError(f"There is no export format '{fmt}'. Choose one of: {', '.join(FORMATS)}.")
    offered = offer(run.config.template, fmt, quantized=quantized_model_file(run.model_path))
    if not offered.supported:
        raise RunError(offered.reason)
    if not run.info.usable:
        raise RunError("This run has no finished model to export.")
    return family_for(run.task).resolve("build")(run, fmt, model_card, out_dir)
