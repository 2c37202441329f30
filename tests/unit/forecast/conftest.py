"""Small synthetic panels for the forecasting tests, made on the fly (seeded), each a few hundred rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def seasonal_panel(
    series: int = 4, periods: int = 60, freq: str = "MS", season: int = 12, seed: int = 0, promo_effect: float = 0.0
) -> pd.DataFrame:
    """A table (``date``, ``shop``, ``units``, ``promo``, ``temperature``): level x season x promotions x noise."""
    rng = np.random.default_rng(seed)
    frames = []
    for shop in range(series):
        dates = pd.date_range("2019-01-01" if freq != "W-MON" else "2021-01-04", periods=periods, freq=freq)
        t = np.arange(periods)
        promo = (rng.random(periods) < 0.2).astype(int)
        level = 50.0 * (shop + 1)
        units = level * (1 + 0.3 * np.sin(2 * np.pi * t / season)) * (1 + promo_effect * promo)
        units = units * rng.lognormal(0, 0.05, periods)
        frames.append(
            pd.DataFrame(
                {
                    "date": dates.strftime("%Y-%m-%d"),
                    "shop": f"shop {shop}",
                    "units": units.round(2),
                    "promo": promo,
                    "temperature": rng.normal(12, 6, periods).round(1),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def monthly_table() -> pd.DataFrame:
    return seasonal_panel()


@pytest.fixture(scope="module")
def monthly(monthly_table: pd.DataFrame):
    from modeling.data.series import prepare_series

    return prepare_series(monthly_table, "date", "units", ["shop"], ["promo"])
