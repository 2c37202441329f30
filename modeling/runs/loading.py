"""``load_predictor(run)``: a saved run as a :class:`~modeling.runs.protocol.Predictor`, by its task's family.

One line per family ("add to the bottom"). Paths are resolved on first use, so importing this module loads
neither Keras nor scikit-learn.
"""

from __future__ import annotations

from modeling.runs.protocol import Predictor
from modeling.runs.store import Run
from modeling.templates import registry

#: Family name -> ``"module:function"`` taking a :class:`~modeling.runs.store.Run` and returning its predictor.
PREDICTORS: dict[str, str] = {
    "keras": "modeling.runs.keras_predictor:KerasPredictor.from_run",
    "table": "modeling.runs.table.predictor:TablePredictor.from_run",
    "forecast": "modeling.runs.forecast.predictor:ForecastPredictor.from_run",
}


def load_predictor(run: Run) -> Predictor:
    """The run's model, loaded safely, with its calibration and saved decision rule."""
    module, _, attribute = PREDICTORS[registry.task(run.task).family].partition(":")
    target = registry.resolve(f"{module}:{attribute.split('.')[0]}")
    for part in attribute.split(".")[1:]:
        target = getattr(target, part)
    return target(run)
