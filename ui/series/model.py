"""The Model and Train pages of a forecast: the horizon in words, what the template does, the search's words.

Forecasting templates are not Keras models built from settings: the statistical ones are fitted per series,
the boosted one is a tree ensemble over lags, and the network is trained on windows of every series. So the
Model page says what training will do (candidates, backtest windows, the horizon) instead of counting layers.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from modeling import format as fmt
from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.templates import registry
from modeling.templates.forecast import DEFAULT_CANDIDATES, DEFAULT_HORIZON, LABELS
from modeling.templates.forecast_specs import AUTOMATIC, TEMPLATE_MODELS
from ui import settings_view, state
from ui.kind_view import SearchWording
from ui.series import overview

#: What each template's standalone script is written with ("Show the code").
CODE_LIBRARIES = {
    AUTOMATIC: "statsforecast + scikit-learn",
    "seasonal_naive": "statsforecast",
    "auto_ets": "statsforecast",
    "auto_theta": "statsforecast",
    "auto_arima": "statsforecast",
    "boosted_lags": "pandas + scikit-learn",
    "forecast_network": "Keras",
}


def horizon(ds: Dataset, value: int | None) -> int:
    """The horizon a setting means: 0 (or none) is the usual one for the data's frequency."""
    return int(value or DEFAULT_HORIZON.get(ds.preparation.unit, 12))


def models_of(cfg: ExperimentConfig) -> list[str]:
    """The models a config's template fits (Automatic: its candidates), by their names inside a run."""
    if cfg.template in TEMPLATE_MODELS:
        return [TEMPLATE_MODELS[cfg.template]]
    chosen = list(getattr(cfg.settings, "candidates", None) or [])
    return chosen or list(DEFAULT_CANDIDATES)


def model_words(names: list[str]) -> str:
    labels = [LABELS.get(name, name) for name in names]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + f" and {labels[-1]}"


def settings_notes(ds: Dataset, values: dict[str, Any]) -> None:
    """The horizon and backtest in words under the settings, and a warning when the history is too short for them."""
    prep = ds.preparation
    steps = horizon(ds, values.get("horizon"))
    windows = int(values.get("backtest_windows") or 3)
    usual = "" if values.get("horizon") else f" (0: the usual horizon for {prep.frequency_words.split()[0]} data)"
    sizes = ds.frame.groupby("unique_id", sort=False).size()
    st.caption(
        f"Forecasts **{fmt.plural(steps, prep.unit)}** ahead{usual}. The backtest holds out the last "
        f"{fmt.plural(windows, 'window')} of {fmt.plural(steps, prep.unit)} of every series and forecasts each from "
        f"the dates before it; the longest series has {fmt.plural(int(sizes.max()), prep.unit)} of history."
    )
    if steps > int(sizes.max()):
        st.warning(
            f"A horizon of {fmt.plural(steps, prep.unit)} is longer than the history "
            f"({fmt.plural(int(sizes.max()), prep.unit)}): choose a shorter one, or upload a longer history."
        )
    elif steps * (windows + 1) > int(sizes.max()):
        st.caption(
            "Some backtest windows will be dropped: the history is too short for that many windows of this horizon."
        )


def what_you_get(ds: Dataset, cfg: ExperimentConfig) -> None:
    """What training does with these settings, in words (no layers: the templates are not built from settings)."""
    st.subheader("What training does")
    spec = registry.spec(cfg.template)
    names = models_of(cfg)
    steps = horizon(ds, getattr(cfg.settings, "horizon", 0))
    unit = ds.preparation.unit
    try:
        does = settings_view.what_it_does(spec, cfg.settings)
    except (KeyError, IndexError, ValueError):
        does = ""
    if does:
        st.markdown(f"Training {state.md_escape(does)}")
    kind = "Candidates" if cfg.template == AUTOMATIC else "Model"
    st.markdown(
        f"**{kind}:** {model_words(names)}; each forecast {fmt.plural(steps, unit)} ahead, judged against the "
        "seasonal naive on the same backtest windows."
    )
    st.caption(
        "Nothing to count layer by layer: "
        + (
            "the network is a small Keras model trained on windows of every series; its size follows the settings."
            if "network" in names
            else "statistical models are fitted per series in seconds, the boosted trees once across all series."
        )
    )


def ready_line(cfg: ExperimentConfig, ds: Dataset) -> str:
    """'**Ready to train:** template `automatic_forecast` on **Chicago rides**, which forecasts ...' (Markdown)."""
    names = models_of(cfg)
    steps = horizon(ds, getattr(cfg.settings, "horizon", 0))
    unit = ds.preparation.unit
    windows = int(getattr(cfg.settings, "backtest_windows", 3) or 3)
    what = f"Automatic chooses among {model_words(names)}" if cfg.template == AUTOMATIC else model_words(names)
    return (
        f"**Ready to train:** template `{cfg.template}` on **{fmt.md_name(ds.name)}**, which "
        f"{overview.describe_series(ds)}: {fmt.md_escape(what)}, backtested on {fmt.plural(windows, 'window')} of "
        f"{fmt.plural(steps, unit)}, then the next {fmt.plural(steps, unit)} forecast from all the history."
    )


def search_wording(ds: Dataset) -> SearchWording:
    """How "Find the best model" reads for a forecast: Automatic's candidates ranked by their backtest WAPE."""
    return SearchWording(
        key="forecast_search",
        session_key="forecast_search_id",
        place_key="forecast_search_place",
        caption=(
            "Backtests every forecasting model (seasonal naive, AutoETS, AutoTheta, AutoARIMA, boosted trees, the "
            "network when there is time) on the same windows within the time you allow, ranks them by how far off "
            "they were (WAPE), and keeps Automatic's choice or blend as a run."
        ),
        budget=(20, 900, 120, 10),
        budget_help="The search starts no new model once the budget is spent; Automatic chooses among what finished.",
        progress_caption="Backtested so far, best first:",
        stop_toast="Stopping after the current model…",
        stopped_message="The search was stopped before any model finished.",
        column_formats={"backtest WAPE (lower is better)": "%.1f%%", "bias (%)": "%+.1f%%", "MASE": "%.2f"},
        summary=search_summary,
    )


def search_summary(board: Any) -> str:
    """The leaderboard's own line ('6 models backtested on the same windows and ranked by WAPE ...')."""
    if hasattr(board, "summary"):
        return state.md_escape(board.summary())
    return (
        f"**{fmt.plural(len(board.table()), 'model')} ranked** by their backtest error in "
        f"{fmt.seconds(board.elapsed_s)} (budget {fmt.seconds(board.budget_s)}). Lower WAPE (% off) is better."
    )
