"""Errors that carry a sentence meant for the user.

Pages catch these and show ``str(error)`` with ``st.error``; anything else is a
bug and goes to the server log with its traceback.
"""


class ModelDeckError(Exception):
    """Base class: the message is written for a person, not a developer."""


class DataError(ModelDeckError):
    """The data cannot be used as given; the message says what is wrong and what to do."""


class ConfigError(ModelDeckError):
    """A setting is invalid; the message names the field, the value and the allowed range."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class RunError(ModelDeckError):
    """A saved run is missing, incomplete or not one of ModelDeck's own bundles."""


class InvalidPredictions(ModelDeckError):
    """A model produced probabilities that are not numbers (NaN or infinity), usually after training diverged.

    Raised by every function that receives probabilities, so a broken model is reported in one sentence
    instead of crashing deep inside NumPy (``np.bincount`` on a NaN cast to an integer, for example).
    """


class TrainingDiverged(ModelDeckError):
    """The loss, the weights or the model's answers became NaN or infinite while training.

    A ``ModelDeckError`` (its message is a sentence), caught by class in the one experiment skeleton
    (:func:`modeling.training.experiment.run_experiment`), which adds the hint to lower the learning rate.
    """


DIVERGED_MESSAGE = (
    "Training diverged: the loss, the model's weights or its answers became NaN (not a number), "
    "so no model of this run was kept."
)


class RunStopped(ModelDeckError):
    """The person pressed Stop before the run had anything worth keeping (for example mid-backtest).

    The run is recorded as *stopped* with this sentence, not as failed: nothing went wrong.
    """
