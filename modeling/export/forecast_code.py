"""The code behind a forecast run: one standalone pandas + statsforecast (+ scikit-learn, Keras) script.

:func:`forecast_script` writes, for a forecasting config and the facts of its data (or of its saved run), a
script that reads the data file, prepares the series as ModelDeck did (dates, series, duplicates summed, gaps,
series that stop early or are too short left out), backtests the run's models and the seasonal naive on the
last horizons, blends them with the run's weights, prints WAPE, MASE and bias against the naive, and writes
the next horizon with 80% and 90% ranges to ``forecast.csv``. Nothing in it imports ModelDeck.

For ``automatic_forecast`` the script fits the models the run chose, with the run's weights, not the choice
itself; before any run exists (the Model page) it backtests the candidates and keeps the best one. The boosted
model and the network are re-implemented in a few lines each (the same features and layers); their figures
can differ slightly from the run's, the statistical models' should not.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from modeling.config import ExperimentConfig
from modeling.data.series.frequency import frequency_from_alias
from modeling.export import forecast_code_parts as parts
from modeling.runs.forecast.bundle import read_facts
from modeling.runs.store import Run
from modeling.templates.forecast import DEFAULT_HORIZON, LABELS
from modeling.templates.forecast_templates import forecast_settings

MIN_POINTS = 8


def facts_from_dataset(dataset: Any) -> dict[str, Any]:
    """What the script needs from a loaded series Dataset (the Model page): how the table was read."""
    return {
        "kind": "series",
        "source": dataset.source,
        "name": dataset.name,
        "preparation": dataset.preparation.to_dict() if dataset.preparation is not None else {},
        "choice": None,
    }


def facts_from_run(run: Run) -> dict[str, Any]:
    """The same facts for a saved run, with the models it chose, their weights and its horizon."""
    facts = read_facts(run.path)
    data = run.meta.get("dataset", {})
    return {
        "kind": "series",
        "source": data.get("source") or run.config.data.source,
        "name": data.get("name", ""),
        "preparation": facts.get("preparation") or {},
        "choice": facts.get("choice"),
        "horizon": facts.get("horizon"),
        "windows": facts.get("windows"),
        "settings": facts.get("settings") or {},
    }


def _literal(value: Any) -> str:
    """A Python literal for a JSON-like value (``None``/``True`` as Python spells them)."""
    return repr(json.loads(json.dumps(value)))


def _constants(config: ExperimentConfig, facts: dict[str, Any], data_file: str) -> tuple[str, list[str]]:
    prep = facts.get("preparation") or {}
    frequency = frequency_from_alias(prep.get("frequency") or "D")
    settings = forecast_settings(config.template, config.settings)
    saved = facts.get("settings") or {}
    horizon = int(facts.get("horizon") or settings.horizon or DEFAULT_HORIZON.get(frequency.unit, 12))
    choice = facts.get("choice")
    weights = dict(zip(choice["models"], choice["weights"], strict=True)) if choice else None
    models = sorted(weights) if weights else list(settings.candidates)
    boosted = saved.get("boosted") or vars(settings.boosted)
    network = saved.get("network") or vars(settings.network)
    order = prep.get("date_order") or "auto"
    lines = [
        f"DATA_FILE = {data_file!r}",
        f"DATE, TARGET = {prep.get('date_column')!r}, {prep.get('target_column')!r}",
        f"SERIES = {list(prep.get('series_columns') or [])!r}  # the columns that name a series",
        f"KNOWN = {list(prep.get('known_ahead_columns') or [])!r}  # known ahead (planned promotions, holidays)",
        f"DATE_ORDER = {order if order in ('iso', 'day_first', 'month_first') else 'mixed'!r}",
        f"FILL_GAPS = {prep.get('gaps_filled') or 'none'!r}  # missing dates: none (refused), zero, interpolate",
        f"FREQ, UNIT, SEASON = {frequency.alias!r}, {frequency.unit!r}, {int(prep.get('season_length') or 1)}",
        f"HORIZON, WINDOWS, MIN_POINTS = {horizon}, {int(facts.get('windows') or settings.windows)}, {MIN_POINTS}",
        f"CANDIDATES = {models!r}",
        f"CHOICE = {_literal({k: round(float(v), 6) for k, v in weights.items()}) if weights else None}"
        "  # the run's models and weights (None: keep the best candidate on the backtest)",
        f"BOOSTED = {_literal({k: boosted[k] for k in sorted(boosted)})}",
        f"NETWORK = {_literal({k: network[k] for k in sorted(network)})}",
    ]
    return "\n".join(lines), models


def _header(config: ExperimentConfig, facts: dict[str, Any], run_id: str, data_file: str, models: list[str]) -> str:
    title = f"run {run_id}" if run_id else "the settings on the Model page"
    prep = facts.get("preparation") or {}
    names = ", ".join(LABELS.get(m, m) for m in models)
    choice = facts.get("choice")
    how = (
        f"blends {names} with the weights the run chose on its backtest"
        if choice and len(models) > 1
        else (f"fits {names}" if choice or len(models) == 1 else f"backtests {names} and keeps the best")
    )
    needs = ["pandas", "numpy", "statsforecast"]
    needs += ["scikit-learn"] * ("boosted" in models) + ["keras", "tensorflow"] * ("network" in models)
    about = (
        f"Template `{config.template}` on {facts.get('name') or 'your data'}: "
        f"{prep.get('series_count', 'the')} series, {prep.get('frequency_words', '')}. It reads the data file, "
        f"prepares the series as ModelDeck did, {how}, "
        "backtests that against the seasonal naive on the last horizons (each forecast only from the rows before it) "
        f"and writes the next horizon with 80% and 90% ranges to forecast.csv. Needs: {', '.join(needs)}."
    )
    return f'''"""Reproduce ModelDeck's {title}: a forecast of '{prep.get("target_column")}' (no ModelDeck needed).

{textwrap.fill(about, 110)}

    python forecast.py [DATA_FILE]      # default: {data_file}
"""'''


def forecast_script(config: ExperimentConfig, facts: dict[str, Any], run_id: str, data_file: str) -> str:
    """The standalone script behind a forecast run (or behind the Model page's settings, before training)."""
    constants, models = _constants(config, facts, data_file)
    imports = ["import sys", "import warnings", "from pathlib import Path", "", "import numpy as np"]
    imports.append("import pandas as pd")
    if "network" in models:
        imports.append("import keras")
    pieces = [_header(config, facts, run_id, data_file, models), "\n".join(imports), constants, parts.READ]
    pieces.append(parts.STATISTICAL)
    if "boosted" in models or "network" in models:
        pieces.append(parts.PANEL)
    if "boosted" in models:
        pieces.append(parts.BOOSTED)
    if "network" in models:
        pieces.append(parts.NETWORK)
    pieces += [parts.BACKTEST, parts.MAIN]
    return "\n\n\n".join(piece.strip("\n") for piece in pieces) + "\n"
