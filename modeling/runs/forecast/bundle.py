"""A forecast run on disk, loadable without running code: JSON, CSV and (for the network) ``.keras`` in safe mode.

A forecast run keeps ``forecast_model/`` inside the run folder:

    bundle.json     template, models chosen and their weights, the settings, the series preparation (how the
                    table was read), the horizon and frequency, the calibrated ranges (per series and for the
                    total), each series' scale and, when the network was chosen, its window
    history.csv     the long frame the models learned from (``unique_id``, ``ds``, ``y``, known-ahead columns)
    backtest.csv    every backtest window: actuals, each model's forecast and Automatic's
    forecast.csv    the next horizon from all the history, with the 80% and 90% ranges
    series.csv      the per-series error table, worst first
    network.keras   the network of the final refit (only when it is among the chosen models)

Statistical and boosted models are not saved: refitting them on the history takes seconds and leaves nothing
to unpickle. The folder is written beside the final one and renamed into place, so a killed process never
leaves half a bundle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modeling.errors import RunError
from modeling.runs.bundle_folder import atomic_folder, plain, read_bundle_json

BUNDLE_DIR = "forecast_model"
BUNDLE_FILE = "bundle.json"
BUNDLE_VERSION = 1
NETWORK_FILE = "network.keras"
FRAMES = ("history", "backtest", "forecast", "series")
#: Columns read as dates, and as text, in the saved frames.
_DATES = ("ds", "cutoff")
_TEXT = ("unique_id",)


@dataclass
class ForecastBundle:
    """What ``forecast_model/`` holds, read back (frames typed: ``unique_id`` text, ``ds`` dates)."""

    facts: dict[str, Any]
    history: pd.DataFrame
    backtest: pd.DataFrame
    forecast: pd.DataFrame
    series: pd.DataFrame
    folder: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def network_path(self) -> Path | None:
        name = (self.facts.get("network") or {}).get("file")
        return self.folder / NETWORK_FILE if name == NETWORK_FILE else None


def has_forecast_model(run_dir: Path) -> bool:
    return (Path(run_dir) / BUNDLE_DIR / BUNDLE_FILE).is_file()


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    for column in _DATES:
        if column in out:
            out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False, float_format="%.10g")


def save_forecast_model(
    run_dir: Path,
    facts: dict[str, Any],
    frames: dict[str, pd.DataFrame],
    network: Any = None,
) -> Path:
    """Write ``forecast_model/`` atomically; ``network`` is the fitted network forecaster to keep (or ``None``)."""
    run_dir = Path(run_dir)
    with atomic_folder(run_dir, BUNDLE_DIR) as partial:
        facts = dict(facts)
        if network is not None:
            network.save(partial / NETWORK_FILE)
            facts["network"] = {**(facts.get("network") or {}), "file": NETWORK_FILE}
        for name in FRAMES:
            _write_frame(frames[name], partial / f"{name}.csv")
        (partial / BUNDLE_FILE).write_text(
            json.dumps({"version": BUNDLE_VERSION, **plain(facts)}, indent=1), encoding="utf-8"
        )
    return run_dir / BUNDLE_DIR


def read_facts(run_dir: Path) -> dict[str, Any]:
    """``bundle.json`` of a forecast run; a :class:`RunError` with a sentence when it is missing or damaged."""
    path = Path(run_dir) / BUNDLE_DIR / BUNDLE_FILE
    return read_bundle_json(path, "forecast", BUNDLE_VERSION, lambda exc: type(exc).__name__)


def _read_frame(path: Path) -> pd.DataFrame:
    if path.is_symlink() or not path.is_file():
        raise RunError(f"The saved forecast model lacks {path.name}; train the run again.")
    try:
        frame = pd.read_csv(path, dtype={c: "str" for c in _TEXT}, keep_default_na=True)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise RunError(f"The saved forecast file {path.name} is damaged ({type(exc).__name__}).") from None
    for column in _DATES:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d").astype("datetime64[ns]")
    for column in frame.columns:
        if column not in (*_DATES, *_TEXT) and not pd.api.types.is_numeric_dtype(frame[column]):
            raise RunError(f"The saved forecast file {path.name} has text in '{column}'; it is damaged.")
        if column not in (*_DATES, *_TEXT):
            frame[column] = frame[column].astype(np.float64)
    if "step" in frame:
        frame["step"] = frame["step"].astype(np.int64)
    return frame


def load_forecast_bundle(run_dir: Path) -> ForecastBundle:
    """The saved facts and frames of a forecast run (the network is loaded separately, on demand)."""
    folder = Path(run_dir) / BUNDLE_DIR
    facts = read_facts(run_dir)
    frames = {name: _read_frame(folder / f"{name}.csv") for name in FRAMES}
    return ForecastBundle(facts, frames["history"], frames["backtest"], frames["forecast"], frames["series"], folder)


def load_network_file(path: Path) -> Any:
    """The saved network (``.keras``, ``safe_mode=True``, ModelDeck's two forecast layers registered)."""
    from modeling.templates.forecast.network import load_network

    path = Path(path)
    if path.suffix != ".keras" or path.is_symlink() or not path.is_file():
        raise RunError("Only ModelDeck's own .keras forecast network can be loaded.")
    try:
        return load_network(path)
    except Exception as exc:
        raise RunError(
            f"The saved forecast network could not be loaded safely ({type(exc).__name__}); train the run again."
        ) from None
