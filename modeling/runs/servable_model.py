"""MLflow "models from code": a ModelDeck run folder as a pyfunc model (see :mod:`modeling.runs.servable`).

MLflow runs this file when the model is saved and when it is loaded; nothing in ModelDeck imports it. The model
is the run's own predictor (``load_predictor`` over the run folder shipped as the artifact ``run``), so
``mlflow models serve`` and ``mlflow.pyfunc.load_model(...).predict(rows)`` answer what the Predict page
answers: one row of answer columns per input row, under the run's saved decision rule.
"""

from pathlib import Path

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class ModelDeckRun(PythonModel):
    """A saved ModelDeck run: loaded once in :meth:`load_context`, then scores table after table."""

    def load_context(self, context):
        from modeling.runs.loading import load_predictor
        from modeling.runs.store import RunStore

        folder = Path(context.artifacts["run"])
        self.predictor = load_predictor(RunStore(folder.parent, starters=None).load(str(folder)))

    # The one type hint MLflow reads here (others would become a second signature): rows come as a table.
    def predict(self, context, model_input: pd.DataFrame, params=None):
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        batch = self.predictor.score_frame(frame)
        return batch.frame[batch.answer_columns].reset_index(drop=True)


mlflow.models.set_model(ModelDeckRun())
