"""A Keras network across all series: it reads a window of past values and the next steps' calendar and
known-ahead values, and answers the whole horizon at once.

Each window is divided by its own level (mean absolute value) inside the model, and the answer is added to
the window's last value and multiplied back (layers :class:`SplitAndScale` and :class:`Rescale`), so the same
weights serve series of any size and the saved ``.keras`` file is the whole model: no scaler beside it. Only
``keras.layers`` and ``keras.ops`` are used, so it trains on TensorFlow, JAX or PyTorch. Training goes through a
``trainer`` the caller injects (the app passes ``modeling.training.fit.fit_with_controls``: progress, Stop,
best weights, early stopping, GPU); without one, a plain ``fit`` with early stopping is used (notebooks, tests).

The answer is *direct* (all steps in one output), the natural shape for a network; the training windows are
every position of every series where a full window and horizon are known, and the last positions of each
series watch for over-fitting.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modeling.templates.forecast.base import ForecastSpec
from modeling.templates.forecast.panel import Panel, calendar_waves, to_panel
from modeling.templates.forecast.settings import NetworkSettings

#: ``trainer(model, rows, has_validation, data, loss)``; ``data(batch_size) -> (fit kwargs, validation data)``.
Trainer = Callable[[Any, int, bool, Callable[[int], tuple[dict[str, Any], Any]], Any], Any]


@functools.cache
def network_layers() -> tuple[type, type]:
    """The two layers the network needs, registered with Keras so ``safe_mode`` loading finds them."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="modeldeck_forecast")
    class SplitAndScale(keras.layers.Layer):
        """Splits the input into the past window and the future features; divides the window by its level."""

        def __init__(self, window: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.window = int(window)

        def call(self, inputs: Any) -> tuple[Any, Any, Any]:
            history, future = inputs[:, : self.window], inputs[:, self.window :]
            level = ops.maximum(ops.mean(ops.abs(history), axis=-1, keepdims=True), 1e-6)
            scaled = history / level
            return ops.concatenate([scaled, future], axis=-1), scaled[:, -1:], level

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "window": self.window}

    @keras.saving.register_keras_serializable(package="modeldeck_forecast")
    class Rescale(keras.layers.Layer):
        """(answer + last scaled value) x level: back to the series' own units."""

        def call(self, inputs: list[Any]) -> Any:
            answer, last, level = inputs
            return (answer + last) * level

    return SplitAndScale, Rescale


def build_network(settings: NetworkSettings, window: int, horizon: int, future_features: int) -> Any:
    """An untrained network: input ``window + horizon * future_features`` numbers, output ``horizon`` values."""
    import keras

    split_and_scale, rescale = network_layers()
    inputs = keras.Input((window + horizon * future_features,), name="window")
    x, last, level = split_and_scale(window, name="split_and_scale")(inputs)
    for i in range(settings.hidden_layers):
        x = keras.layers.Dense(settings.hidden_units, activation="relu", name=f"hidden_{i + 1}")(x)
        if settings.dropout > 0:
            x = keras.layers.Dropout(settings.dropout, seed=settings.seed + i)(x)
    answer = keras.layers.Dense(horizon, name="steps")(x)
    outputs = rescale(name="rescale")([answer, last, level])
    return keras.Model(inputs, outputs, name="forecast_network")


def load_network(path: str | Path) -> Any:
    """A network saved with :meth:`NetworkForecaster.save`, loaded with ``safe_mode=True``."""
    import keras

    network_layers()
    return keras.saving.load_model(Path(path), safe_mode=True, compile=False)


def _plain_trainer(settings: NetworkSettings) -> Trainer:
    def train(model: Any, rows: int, has_validation: bool, data: Callable, loss: Any) -> Any:
        import keras

        fit_kwargs, validation = data(min(settings.batch_size, max(1, rows)))
        model.compile(optimizer=keras.optimizers.Adam(settings.learning_rate), loss=loss)
        callbacks = []
        if has_validation and settings.patience > 0:
            callbacks.append(keras.callbacks.EarlyStopping(patience=settings.patience, restore_best_weights=True))
        epochs = settings.epochs
        return model.fit(**fit_kwargs, validation_data=validation, epochs=epochs, callbacks=callbacks, verbose=0)

    return train


class NetworkForecaster:
    """The global Keras network (see the module docstring)."""

    names = ("network",)

    def __init__(self, settings: NetworkSettings | None = None, trainer: Trainer | None = None) -> None:
        self.settings = settings or NetworkSettings()
        self.trainer = trainer
        self.model_: Any = None
        self.outcome_: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "network", "settings": dict(vars(self.settings))}

    def _future_features(self, panel: Panel, rows: np.ndarray, origins: np.ndarray) -> np.ndarray:
        """Calendar and known-ahead values of the ``horizon`` steps from each origin, flattened per sample."""
        h = self.spec_.horizon
        steps = origins[:, None] + np.arange(h)[None, :]
        parts = [calendar_waves(panel.dates, panel.frequency.unit)[steps]]  # samples x h x waves
        for name in self.spec_.known_ahead:
            parts.append(panel.known[name][rows[:, None], steps][..., None])
        return np.concatenate(parts, axis=2).reshape(len(origins), -1)

    def fit(self, train: pd.DataFrame, spec: ForecastSpec) -> NetworkForecaster:
        import keras

        self.spec_ = spec
        self.panel_ = to_panel(train, spec.freq, spec.known_ahead)
        values = self.panel_.values
        h = spec.horizon
        longest = int(np.isfinite(values).sum(axis=1).max())
        self.window_ = int(max(2, min(self.settings.window or max(2 * h, spec.season_length), longest - h)))
        span = self.window_ + h
        if values.shape[1] < span:
            raise ValueError(f"the network needs {span} steps of history; the longest series has {values.shape[1]}")
        windows = np.lib.stride_tricks.sliding_window_view(values, span, axis=1)  # series x positions x span
        rows, positions = np.nonzero(np.isfinite(windows).all(axis=2))
        x_past = windows[rows, positions, : self.window_]
        y = windows[rows, positions, self.window_ :]
        x = np.concatenate([x_past, self._future_features(self.panel_, rows, positions + self.window_)], axis=1)
        last = positions.max() if len(positions) else 0
        validation = positions > last - max(1, min(h, (last + 1) // 5))
        cut = positions.min(initial=0) if not validation.any() else positions[validation].min()
        training = positions <= cut - h
        if not training.any():
            training, validation = np.ones_like(validation), np.zeros_like(validation)
        keras.utils.set_random_seed(self.settings.seed)
        features = (x.shape[1] - self.window_) // h
        self.model_ = build_network(self.settings, self.window_, h, features)
        has_validation = bool(validation.any())
        train_x, train_y = x[training].astype(np.float32), y[training].astype(np.float32)
        val = (x[validation].astype(np.float32), y[validation].astype(np.float32)) if has_validation else None

        def data(batch_size: int) -> tuple[dict[str, Any], Any]:
            return {"x": train_x, "y": train_y, "batch_size": batch_size, "shuffle": True}, val

        trainer = self.trainer or _plain_trainer(self.settings)
        self.outcome_ = trainer(self.model_, len(train_x), has_validation, data, "mae")
        return self

    def predict(self, future: pd.DataFrame) -> pd.DataFrame:
        if self.model_ is None:
            raise RuntimeError("fit the forecaster before predicting")
        start, h = len(self.panel_.dates), self.spec_.horizon
        panel, positions = self.panel_.extend(future, self.spec_.known_ahead, at_least=h)
        history = _last_window(self.panel_.values, self.window_)
        rows = np.arange(len(panel.ids))
        x = np.concatenate([history, self._future_features(panel, rows, np.full(len(rows), start))], axis=1)
        answers = np.asarray(self.model_.predict(x.astype(np.float32), verbose=0, batch_size=1024))
        index = pd.Series(rows, index=panel.ids).reindex(future["unique_id"].to_numpy()).fillna(-1)
        series = index.to_numpy(dtype=np.int64)
        step = positions - start
        found = (series >= 0) & (step >= 0) & (step < h)
        values = np.full(len(future), np.nan)
        values[found] = answers[series[found], step[found]]
        out = future[["unique_id", "ds"]].reset_index(drop=True)
        out["network"] = values
        return out

    def save(self, path: str | Path) -> None:
        """The trained network as ``.keras`` (its settings and window travel in ``to_dict`` and the run's JSON)."""
        self.model_.save(Path(path))


def _last_window(values: np.ndarray, window: int) -> np.ndarray:
    """Each series' last ``window`` values; missing early ones take the first known value (0 if none)."""
    out = np.empty((values.shape[0], window))
    for i, row in enumerate(values):
        known = row[np.isfinite(row)][-window:]
        first = known[0] if len(known) else 0.0
        out[i] = np.concatenate([np.full(window - len(known), first), known])
    return out
