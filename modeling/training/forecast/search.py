"""*Find the best model* for forecasts: Automatic with every candidate the budget allows, as one run.

A forecast search is what Automatic already does (backtest every candidate on the same windows, then pick or
blend), so the search chooses which candidates fit the time budget (:func:`plan_candidates`, cheapest first;
the seasonal naive always, as the baseline), trains ``automatic_forecast`` with them as one ordinary run in a
scratch folder, and ranks every candidate by its backtest WAPE. What can be kept is that run: Automatic's
forecast (:class:`ForecastLeaderboard` implements :class:`~modeling.training.leaderboard.Leaderboard`).

Costs (:func:`estimate_seconds`, named by each single-model template's ``CostModel.estimator`` in the
registry) are per model fit, from the number of dated values and the season's length, measured on the
Chicago sample on a 2-core machine; a fit runs once per backtest window and once more on all the history.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modeling import format as fmt
from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.errors import RunError
from modeling.runs.store import RunStore, default_store
from modeling.templates import registry
from modeling.templates.defaults import config_for_data
from modeling.templates.forecast import LABELS
from modeling.templates.forecast_specs import AUTOMATIC, TEMPLATE_MODELS
from modeling.training import plain_json
from modeling.training.experiment import run_experiment
from modeling.training.leaderboard import OneRunBoard, ProgressCallback, run_watched
from modeling.training.progress import Progress
from modeling.training.search_folders import new_search_dir

#: Seconds per model fit per thousand dated values (2 cores; seasons up to 24 steps; measured on the sample).
PER_THOUSAND = {
    "seasonal_naive": 0.02,
    "auto_theta": 0.22,
    "auto_ets": 0.1,
    "boosted": 0.6,
    "auto_arima": 1.2,
    "network": 4.0,
}
#: Long seasons (weekly data: 52) go through an STL decomposition first: ETS and ARIMA cost more.
LONG_SEASON_FACTOR = {"auto_ets": 2.0, "auto_arima": 2.5}
#: Candidates in the order a search adds them (cheapest first; the network only when asked for by name).
ORDER = ("seasonal_naive", "auto_theta", "auto_ets", "boosted", "auto_arima")
KEEP = "automatic"


def model_seconds(name: str, dataset: Dataset, windows: int) -> float:
    """Seconds ``name`` takes on ``dataset`` over ``windows`` backtest windows and the final refit."""
    values = len(dataset) / 1000
    season = int(getattr(dataset.preparation, "season_length", 1) or 1)
    factor = LONG_SEASON_FACTOR.get(name, 1.0) if season > 24 else 1.0
    return PER_THOUSAND.get(name, 1.0) * factor * max(values, 0.2) * (windows + 1)


def estimate_seconds(dataset: Dataset, config: ExperimentConfig) -> float:
    """How long ``config``'s template takes on ``dataset`` here (the registry's cost estimator)."""
    spec = registry.spec(config.template)
    fixed = spec.cost.fixed_s if spec.cost else 0.0
    names = [TEMPLATE_MODELS[config.template]] if config.template in TEMPLATE_MODELS else list(ORDER)
    windows = config.settings.backtest_windows
    return fixed + sum(model_seconds(name, dataset, windows) for name in {*names, "seasonal_naive"})


def plan_candidates(
    dataset: Dataset, budget_s: float, windows: int, asked: list[str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The candidates that fit ``budget_s`` (cheapest first; the seasonal naive always) and why others do not."""
    wanted = [m for m in ORDER if not asked or m in asked] + [m for m in (asked or []) if m not in ORDER]
    chosen, left_out, spent = [], {}, 0.0
    for name in ["seasonal_naive", *[m for m in wanted if m != "seasonal_naive"]]:
        cost = model_seconds(name, dataset, windows)
        if name == "seasonal_naive" or spent + cost <= budget_s:
            chosen.append(name)
            spent += cost
        else:
            left_out[name] = f"about {fmt.seconds(cost)} here, more than the budget leaves"
    return chosen, left_out


@dataclass
class ForecastLeaderboard(OneRunBoard):
    """Every candidate of the search's Automatic run by backtest WAPE, and the run to keep."""

    keeps = KEEP

    rows: list[dict[str, Any]]
    run_path: Path | None
    budget_s: float
    elapsed_s: float
    search_dir: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ranked(self) -> list[dict[str, Any]]:
        return sorted(self.rows, key=lambda r: math.inf if r.get("wape") is None else float(r["wape"]))

    def table(self) -> list[dict[str, Any]]:
        return [
            {
                "model": r.get("label") or r.get("name"),
                "backtest WAPE (lower is better)": None if r.get("wape") is None else round(100 * float(r["wape"]), 2),
                "MASE": None if r.get("mase") is None else round(float(r["mase"]), 3),
                "bias (%)": None if r.get("bias") is None else round(100 * float(r["bias"]), 2),
                "weight in the forecast": "—" if r.get("name") == KEEP else f"{float(r.get('weight') or 0):.0%}",
            }
            for r in self.ranked
        ]

    def summary(self) -> str:
        models = sum(1 for r in self.rows if r.get("name") != KEEP)
        return (
            f"{fmt.plural(models, 'model')} backtested on the same windows and ranked by WAPE (lower is better) in "
            f"{self.elapsed_s:.0f} s of {self.budget_s:.0f} s; Automatic's forecast picks or blends the best."
        )

    def text(self) -> str:
        lines = [self.summary(), "", f"{'rank':<5}{'model':<28}{'WAPE':>9}{'MASE':>8}{'weight':>8}"]
        for rank, row in enumerate(self.ranked, start=1):
            wape = "" if row.get("wape") is None else fmt.percent(row["wape"])
            mase = "" if row.get("mase") is None else f"{float(row['mase']):.2f}"
            weight = "" if row.get("name") == KEEP else f"{float(row.get('weight') or 0):.0%}"
            lines.append(f"{rank:<5}{str(row.get('label') or row.get('name'))[:27]:<28}{wape:>9}{mase:>8}{weight:>8}")
        lines.extend(self.notes)
        return "\n".join(lines)

    def describe_choice(self, choice: str) -> str:
        best = next((r for r in self.rows if r.get("name") == KEEP), {})
        wape = f" ({fmt.percent(best['wape'])} off on the backtest)" if best.get("wape") is not None else ""
        return f"{choice}: Automatic's forecast{wape}."

    def keep(self, choice: str = KEEP, store: RunStore | None = None, owner: str | None = None) -> str:
        if choice != KEEP:
            raise RunError(f"A forecast search keeps Automatic's forecast; it has no model called '{choice[:60]}'.")
        return self.move_run(store, owner, len(self.rows) - 1)

    def to_json(self, sent: set[str] | None = None) -> dict[str, Any]:
        return {
            "kind": "forecast",
            "rows": self.rows,
            "run_folder": self.sent_folder(sent),
            "budget_s": self.budget_s,
            "elapsed_s": self.elapsed_s,
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], folders: dict[str, Path]) -> ForecastLeaderboard:
        """The leaderboard a job printed, checked field by field; ``folders`` maps run folder names to local copies."""
        rows = [
            {
                "name": plain_json.text(r.get("name"), 40),
                "label": plain_json.text(r.get("label"), 60),
                **{k: plain_json.number(r.get(k)) for k in ("wape", "mase", "bias", "weight")},
            }
            for r in plain_json.as_list(data.get("rows"))[: plain_json.MAX_ROWS]
            if isinstance(r, dict)
        ]
        return cls(rows=rows, **cls.job_fields(data, folders))


class ForecastSearch:
    """The forecast family's search (:func:`modeling.training.search.find_best` finds it on the family)."""

    def refusal(self, task: str) -> str:
        return ""

    def templates(self, dataset: Dataset, asked: list[str] | None = None) -> list[str]:
        return [AUTOMATIC]

    def run(
        self,
        dataset: Dataset,
        budget_s: float,
        config: ExperimentConfig,
        store: RunStore,
        progress_cb: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        templates: list[str] | None = None,
    ) -> ForecastLeaderboard:
        asked = [TEMPLATE_MODELS.get(t, t) for t in templates or [] if TEMPLATE_MODELS.get(t, t) in LABELS]
        return find_best_forecast(dataset, budget_s, config, store, progress_cb, cancel, asked or None)


def find_best_forecast(
    dataset: Dataset,
    budget_s: float,
    config: ExperimentConfig,
    store: RunStore | None = None,
    progress_cb: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    asked: list[str] | None = None,
) -> ForecastLeaderboard:
    """Automatic with the candidates that fit ``budget_s``, as one run; the leaderboard ranks every candidate."""
    store = store or default_store()
    started = time.monotonic()
    windows = config.settings.backtest_windows
    candidates, left_out = plan_candidates(dataset, budget_s, windows, asked)
    base = config_for_data(dataset, template=AUTOMATIC, source=config.data.source).config
    named = {k: getattr(config.settings, k) for k in ("horizon", "backtest_windows", "seed")}
    run_config = base.model_copy(
        update={"settings": base.settings.model_copy(update={**named, "candidates": candidates})}
    )
    scratch = RunStore(new_search_dir(store), starters=None)
    progress = Progress(1)
    run_dir = run_watched(
        lambda: run_experiment(run_config, dataset, store=scratch, progress=progress, cancel=cancel),
        progress,
        progress_cb,
        budget_s,
        started,
        fraction=lambda snap, elapsed: snap["fraction"],
        live_rows=lambda elapsed: [],  # Automatic reports its candidates only when the run ends
        thread_name="forecast-search-watch",
    )
    run = scratch.load(run_dir.name)
    rows = [dict(r) for r in run.meta.get("candidates") or []]
    model = (run.evaluation or {}).get("model") or {}
    rows.append(
        {"name": KEEP, "label": "Automatic (the forecast)", **{k: model.get(k) for k in ("wape", "mase", "bias")}}
    )
    board = ForecastLeaderboard(rows, run_dir, budget_s, time.monotonic() - started, scratch.root)
    board.notes = [f"Left out: {LABELS.get(name, name)}, {why}." for name, why in left_out.items()]
    board.notes += list(run.meta.get("training_notes") or [])
    return board
