"""Backtest frames to the figures a page shows: each model's WAPE, MASE and bias with lift, and the worst series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from modeling.evaluation.forecast.metrics import bias, lift, panel_mase, wape

#: The model every other is compared with.
BASELINE = "seasonal_naive"


def model_scores(cv: pd.DataFrame, models: Sequence[str], baseline: str = BASELINE) -> dict[str, dict[str, Any]]:
    """``{model: {wape, mase, bias, wape_lift, mase_lift, rows}}`` over the rows of ``cv`` every model answered."""
    rows = cv.dropna(subset=list(models))
    out: dict[str, dict[str, Any]] = {}
    for model in models:
        out[model] = {
            "wape": wape(rows["y"], rows[model]),
            "mase": panel_mase(rows, model),
            "bias": bias(rows["y"], rows[model]),
            "rows": len(rows),
        }
    base = out.get(baseline)
    for figures in out.values():
        figures["wape_lift"] = lift(figures["wape"], base["wape"]) if base else None
        figures["mase_lift"] = lift(figures["mase"], base["mase"]) if base else None
    return out


def series_table(cv: pd.DataFrame, model: str, baseline: str = BASELINE) -> pd.DataFrame:
    """One row per series, worst first: ``unique_id``, ``actual`` (total), ``wape``, ``mase``, ``bias`` and the
    baseline's ``baseline_wape``, so a page can name the series the forecast serves worst."""
    rows = cv.dropna(subset=[model])
    records = []
    for uid, part in rows.groupby("unique_id", sort=False):
        scale = part["scale"].to_numpy()
        scaled = np.abs(part["y"] - part[model]).to_numpy() / np.where(scale > 0, scale, np.nan)
        records.append(
            {
                "unique_id": uid,
                "actual": float(part["y"].sum()),
                "wape": wape(part["y"], part[model]),
                "mase": float(np.nanmean(scaled)) if np.isfinite(scaled).any() else None,
                "bias": bias(part["y"], part[model]),
                "baseline_wape": wape(part["y"], part[baseline]) if baseline in part else None,
            }
        )
    table = pd.DataFrame.from_records(records, columns=["unique_id", "actual", "wape", "mase", "bias", "baseline_wape"])
    order = table["wape"].astype(np.float64).fillna(np.inf)
    return table.iloc[np.argsort(-order.to_numpy(), kind="stable")].reset_index(drop=True)


def worst_series(table: pd.DataFrame) -> dict[str, Any] | None:
    """The first row of :func:`series_table` as a dict (the series served worst), or ``None`` when empty."""
    if table.empty:
        return None
    return {key: (value.item() if hasattr(value, "item") else value) for key, value in table.iloc[0].items()}
