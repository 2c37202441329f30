"""Every setting of a forecast run, as plain data: ``to_dict`` for the run folder, ``from_dict`` with checks.

A saved forecast run keeps the history and these settings, never a fitted object: refitting the chosen models
on the history takes seconds (statsforecast and the boosted trees), and the network is saved as ``.keras``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from modeling.errors import ConfigError

#: Model names, in the order a page lists them, with the label people read.
LABELS = {
    "seasonal_naive": "Seasonal naive",
    "auto_ets": "AutoETS",
    "auto_theta": "AutoTheta",
    "auto_arima": "AutoARIMA",
    "boosted": "Boosted trees",
    "network": "Neural network",
}
STATISTICAL = ("seasonal_naive", "auto_ets", "auto_theta", "auto_arima")
#: What Automatic tries by default. The network is left to a GPU or to a person who asks (minutes on a CPU).
DEFAULT_CANDIDATES = ("seasonal_naive", "auto_ets", "auto_theta", "auto_arima", "boosted")
#: Horizon per unit when none is given: two weeks of days, a quarter of weeks, a year of months or quarters.
DEFAULT_HORIZON = {"day": 14, "week": 12, "month": 12, "quarter": 4, "year": 2}


def _checked(cls: type, data: dict[str, Any] | None, where: str) -> Any:
    data = dict(data or {})
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        names = ", ".join(repr(u) for u in unknown)
        raise ConfigError(f"{where} has no setting {names}; it has {', '.join(sorted(known))}.")
    value = cls(**data)
    value.check()
    return value


def _between(name: str, value: float, low: float, high: float, where: str) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{where}.{name} must lie between {low:g} and {high:g}; got {value!r}.")


@dataclass
class BoostedSettings:
    """The global gradient-boosted model (scikit-learn's HistGradientBoostingRegressor over lags and calendar)."""

    #: 150 trees: as accurate as 300 on the benchmark's backtest windows (mean WAPE of four windows within 0.3
    #: points on every set, mostly lower) in half the time.
    max_iter: int = 150
    learning_rate: float = 0.05
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 20
    l2_regularization: float = 1.0
    #: Most consecutive lags (1, 2, ... n) besides the seasonal one; ``None``: a season, at most 13.
    max_lags: int | None = None
    #: Most training rows (later rows kept), so 10,000 long daily series still fit in memory and time.
    max_rows: int = 400_000
    seed: int = 42

    def check(self) -> None:
        _between("max_iter", self.max_iter, 10, 5000, "boosted")
        _between("learning_rate", self.learning_rate, 0.001, 1.0, "boosted")
        _between("max_leaf_nodes", self.max_leaf_nodes, 4, 1024, "boosted")
        _between("min_samples_leaf", self.min_samples_leaf, 1, 10_000, "boosted")
        _between("l2_regularization", self.l2_regularization, 0.0, 100.0, "boosted")
        if self.max_lags is not None:
            _between("max_lags", self.max_lags, 1, 400, "boosted")
        _between("max_rows", self.max_rows, 1000, 10_000_000, "boosted")


@dataclass
class NetworkSettings:
    """The global Keras network over windows of every series (trained by the app's trainer).

    The fields in :data:`SHARED_WITH_TRAINING` have the same name and meaning as in the config's
    ``TrainingSettings``, so the two convert field by field in one place each way.
    """

    hidden_units: int = 128
    hidden_layers: int = 2
    dropout: float = 0.1
    epochs: int = 40
    batch_size: int = 128
    learning_rate: float = 1e-3
    patience: int = 5
    #: Past values the network reads; ``None``: the larger of two horizons and a season.
    window: int | None = None
    seed: int = 42

    def check(self) -> None:
        _between("hidden_units", self.hidden_units, 8, 2048, "network")
        _between("hidden_layers", self.hidden_layers, 1, 4, "network")
        _between("dropout", self.dropout, 0.0, 0.9, "network")
        _between("epochs", self.epochs, 1, 500, "network")
        _between("batch_size", self.batch_size, 1, 4096, "network")
        _between("learning_rate", self.learning_rate, 1e-6, 1.0, "network")
        _between("patience", self.patience, 0, 100, "network")
        if self.window is not None:
            _between("window", self.window, 2, 2000, "network")


@dataclass
class ForecastSettings:
    """What to forecast and how Automatic chooses: horizon, candidates, backtest windows, range levels."""

    #: Steps ahead; ``None``: :data:`DEFAULT_HORIZON` for the data's unit.
    horizon: int | None = None
    candidates: list[str] = field(default_factory=lambda: list(DEFAULT_CANDIDATES))
    #: Backtest windows of one horizon each (fewer when the history is short).
    windows: int = 3
    levels: list[float] = field(default_factory=lambda: [0.8, 0.9])
    #: AutoARIMA stays among several candidates only while its estimated time over every backtest window and the
    #: final forecast fits this many seconds (it searches its orders series by series: seconds a series for
    #: monthly data), so Automatic answers in about a minute; it rarely won a backtest where it was that slow.
    #: A template that fits AutoARIMA alone always fits it.
    arima_budget_s: float = 45.0
    boosted: BoostedSettings = field(default_factory=BoostedSettings)
    network: NetworkSettings = field(default_factory=NetworkSettings)

    def check(self) -> None:
        unknown = [c for c in self.candidates if c not in LABELS]
        if unknown or not self.candidates:
            got = ", ".join(map(str, unknown)) or "none"
            raise ConfigError(f"candidates must name at least one of {', '.join(LABELS)}; got {got}.")
        if self.horizon is not None:
            _between("horizon", self.horizon, 1, 400, "forecast")
        _between("windows", self.windows, 1, 20, "forecast")
        for level in self.levels:
            _between("levels", level, 0.5, 0.99, "forecast")
        _between("arima_budget_s", self.arima_budget_s, 0.0, 1e6, "forecast")
        self.boosted.check()
        self.network.check()

    def horizon_for(self, unit: str) -> int:
        return self.horizon or DEFAULT_HORIZON.get(unit, 12)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ForecastSettings:
        """Settings from a run folder or a YAML config; :class:`ConfigError` naming any bad field."""
        data = dict(data or {})
        boosted = _checked(BoostedSettings, data.pop("boosted", None), "boosted")
        network = _checked(NetworkSettings, data.pop("network", None), "network")
        known = {f.name for f in fields(cls)} - {"boosted", "network"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"forecast has no setting {', '.join(repr(u) for u in unknown)}.")
        settings = cls(**data, boosted=boosted, network=network)
        settings.candidates = list(settings.candidates)
        settings.levels = [float(v) for v in settings.levels]
        settings.arima_budget_s = float(settings.arima_budget_s)
        settings.check()
        return settings


#: The network settings that are also ``TrainingSettings`` fields (same names, same meaning).
SHARED_WITH_TRAINING = (
    "hidden_units", "hidden_layers", "dropout", "epochs", "batch_size", "learning_rate", "patience", "seed",
)  # fmt: skip


def shared_fields(settings: Any) -> dict[str, Any]:
    """The :data:`SHARED_WITH_TRAINING` fields of ``settings`` (network or training settings), by name."""
    return {name: getattr(settings, name) for name in SHARED_WITH_TRAINING}
