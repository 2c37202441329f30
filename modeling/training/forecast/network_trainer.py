"""The network trained by the app's trainer: progress per epoch, Stop, best weights, early stopping, GPU.

:func:`network_trainer` adapts :func:`modeling.training.fit.fit_with_controls` to the ``trainer`` the
forecasting network accepts (:data:`modeling.templates.forecast.network.Trainer`). The network reports its
epochs to a :class:`Progress` of its own, so the forecast run's count of finished models stays right.
"""

from __future__ import annotations

import threading
from typing import Any

from modeling.config import TrainingSettings
from modeling.templates.forecast.network import Trainer
from modeling.templates.forecast.settings import NetworkSettings, shared_fields
from modeling.training.progress import Progress


def training_settings(settings: NetworkSettings) -> TrainingSettings:
    """The trainer's settings for the network's (optimizer Adam, constant learning rate)."""
    return TrainingSettings(**shared_fields(settings))


def network_trainer(
    settings: NetworkSettings, cancel: threading.Event | None = None, progress: Progress | None = None
) -> Trainer:
    """A trainer for :class:`~modeling.templates.forecast.network.NetworkForecaster` built on ``fit_with_controls``."""
    cancel = cancel or threading.Event()
    own = progress or Progress(settings.epochs)

    def train(model: Any, rows: int, has_validation: bool, data: Any, loss: Any) -> Any:
        from modeling.training.fit import fit_with_controls

        return fit_with_controls(
            model, rows, has_validation, data, training_settings(settings), own, cancel, loss=loss, metrics=[]
        )

    return train
