"""Why a forecast run has no model file to export, and what to take instead.

A forecast is not one network that answers an input: it is statistical models refitted per series on the
history, boosted trees over lags computed from it, or a blend of several, with ranges calibrated on a
backtest. No Keras, SavedModel, ONNX or LiteRT file holds that whole answer, so no format is offered
(:data:`modeling.export.formats.SUPPORTED` has none for ``series``) and each says why (``NOT_OFFERED``).
What travels instead: the forecast as CSV (Predict, or ``python -m modeling predict``) and the code behind the
run (``python -m modeling code RUN``), which reproduces it with plain statsforecast and scikit-learn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modeling.errors import RunError
from modeling.export.formats import NOT_OFFERED

#: Said when an export is asked for anyway (the Export box and ``build_export`` refuse earlier, with the same words).
REASON = NOT_OFFERED[("series", "onnx")]


def build_forecast_export(run: Any, fmt: str, model_card: str = "", out_dir: Path | None = None) -> Any:
    """No format is offered for forecasts (see the module docstring); this says so if asked anyway."""
    raise RunError(REASON)
