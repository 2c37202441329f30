"""The forecasting task's templates: every fact the registry holds about them, as plain data.

Forecasting (the ``series`` kind, the ``forecast`` family) has one template per model Automatic can compare,
and Automatic itself first (the default). Each single-model template names the model it fits
(:data:`TEMPLATE_MODELS`); Automatic fits the candidates in ``settings.candidates`` (empty: the default set of
:mod:`modeling.templates.forecast.settings`). Every template is judged against the seasonal naive on the same
backtest, so a lift is always shown.

The registry imports this module, so it cannot import the registry back: :func:`specs` is handed the
registry's own spec classes (``TemplateSpec``, ``SettingGroup``, ``CostModel``) and returns the specs. Nothing
here imports pandas or a model library; the config can list these templates for free.
"""

from __future__ import annotations

from typing import Any

FORECASTING = "forecasting"
LABEL = "Forecasting (e.g. next quarter's sales)"
#: What ``len(dataset)`` counts for a series dataset (rows of the long frame): "3,120 dated values".
NOUN = "dated values"

#: The model each single-model template fits (names of :data:`modeling.templates.forecast.LABELS`); Automatic
#: (``automatic_forecast``) fits several and is absent here.
TEMPLATE_MODELS: dict[str, str] = {
    "seasonal_naive": "seasonal_naive",
    "auto_ets": "auto_ets",
    "auto_theta": "auto_theta",
    "auto_arima": "auto_arima",
    "boosted_lags": "boosted",
    "forecast_network": "network",
}
AUTOMATIC = "automatic_forecast"

_BUILDERS = "modeling.templates.forecast_templates"
_FIT = "modeling.training.forecast.family:fit_template"
_CODE = "modeling.export.forecast_code:forecast_script"
_ESTIMATE = "modeling.training.forecast.search:estimate_seconds"
_FORECAST_FIELDS = ("horizon", "backtest_windows", "seed")
_NOTE = (
    "Fitted per series by maximum likelihood (no epochs, batches or learning rate): only the horizon and the "
    "backtest apply."
)
_BACKTEST_WHAT = (
    "backtests it on the last {backtest_windows} horizons of every series against the seasonal naive, calibrates "
    "80% and 90% ranges on those errors and refits it on all the history to forecast the next horizon."
)
#: Network defaults that work untuned on a few hundred series (see :class:`~.forecast.settings.NetworkSettings`).
NETWORK_DEFAULTS: dict[str, Any] = {
    "epochs": 40,
    "batch_size": 128,
    "hidden_units": 128,
    "hidden_layers": 2,
    "dropout": 0.1,
    "learning_rate": 1e-3,
    "patience": 5,
}


def specs(template_spec: type, setting_group: type, cost_model: type) -> tuple[Any, ...]:
    """The forecasting templates as ``template_spec`` objects, Automatic first (the task's default)."""
    forecast = setting_group("Forecast", _FORECAST_FIELDS)

    def single(name: str, description: str, what: str, cost: Any, **extra: Any) -> Any:
        return template_spec(
            name=name,
            task=FORECASTING,
            description=description,
            builder=f"{_BUILDERS}:{name}",
            fit=_FIT,
            cost=cost,
            setting_groups=extra.pop("setting_groups", (forecast,)),
            settings_note=extra.pop("settings_note", _NOTE),
            what_it_does=what,
            export_input="series",
            code=_CODE,
            **extra,
        )

    statistical = cost_model(fixed_s=1.0, estimator=_ESTIMATE)
    return (
        template_spec(
            name=AUTOMATIC,
            task=FORECASTING,
            description=(
                "Automatic: backtests the seasonal naive, AutoETS, AutoTheta, AutoARIMA and boosted trees on the "
                "last few horizons, then picks or blends the best by their error and says why. The default."
            ),
            builder=f"{_BUILDERS}:{AUTOMATIC}",
            fit=_FIT,
            defaults=dict(NETWORK_DEFAULTS),  # used only when "network" is among the candidates
            searchable=False,
            # ``candidates`` (a list) is a YAML and search setting; the Model page shows the scalar ones.
            setting_groups=(forecast,),
            settings_note=(
                "Each model is fitted per series (statistical) or across all series (trees, network); epochs and "
                "layers apply only when the network is among the candidates."
            ),
            what_it_does=(
                "backtests every candidate model on the last {backtest_windows} horizons of every series, picks "
                "the best or blends the best few by their error, calibrates 80% and 90% ranges on those errors "
                "and refits the choice on all the history to forecast the next horizon."
            ),
            export_input="series",
            code=_CODE,
        ),
        single(
            "seasonal_naive",
            "Seasonal naive: each period repeats the same period one season earlier (last year's week). The "
            "baseline every forecast must beat; instant.",
            "repeats the last season of every series; " + _BACKTEST_WHAT,
            cost_model(fixed_s=0.5, estimator=_ESTIMATE),
        ),
        single(
            "auto_ets",
            "AutoETS (statsforecast): exponential smoothing of level, trend and season, the best form chosen per "
            "series. A strong, fast workhorse for steady series.",
            "fits exponential smoothing to every series; " + _BACKTEST_WHAT,
            statistical,
        ),
        single(
            "auto_theta",
            "AutoTheta (statsforecast): the Theta method (a damped trend on the deseasonalised series) chosen per "
            "series. Won the M3 competition; fast and robust.",
            "fits the Theta method to every series; " + _BACKTEST_WHAT,
            statistical,
        ),
        single(
            "auto_arima",
            "AutoARIMA (statsforecast): the ARIMA model with the lowest AIC per series. Good on series with "
            "autocorrelation; the slowest of the statistical models.",
            "searches ARIMA orders for every series; " + _BACKTEST_WHAT,
            statistical,
        ),
        single(
            "boosted_lags",
            "Boosted trees over lags (one scikit-learn HistGradientBoosting model across all series): past values, "
            "rolling means, calendar and the known-ahead columns (promotions, holidays). Learns across series.",
            "learns one tree model across all series from lags, rolling means, the calendar and the known-ahead "
            "columns; " + _BACKTEST_WHAT,
            cost_model(fixed_s=2.0, estimator=_ESTIMATE),
            settings_note="The trees use settings that work untuned on retail panels; only the horizon and the "
            "backtest apply.",
        ),
        single(
            "forecast_network",
            "Neural network (Keras) over windows of all series and the known-ahead columns, trained by the app's "
            "trainer (progress, Stop, GPU). Worth it on many long series; minutes on a CPU.",
            "trains a {hidden_layers}-layer network of {hidden_units} units for up to {epochs} epochs on windows "
            "of all series; " + _BACKTEST_WHAT,
            cost_model(fixed_s=20.0, estimator=_ESTIMATE),
            defaults=dict(NETWORK_DEFAULTS),
            setting_groups=(
                forecast,
                setting_group("Network", ("hidden_units", "hidden_layers", "dropout")),
                setting_group("Training", ("epochs", "batch_size", "learning_rate", "patience")),
            ),
            settings_note="Early stopping watches the last horizon of every series' training windows.",
        ),
    )
