"""Automatic picks the best model or blend, says why, and is scored honestly by walking forward."""

from __future__ import annotations

import numpy as np
import pandas as pd

from modeling.evaluation.forecast import choose, walk_forward


def _cv(seed: int = 0, windows: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 120 * windows
    y = rng.uniform(50, 150, n)
    noise = rng.normal(0, 10, n)
    return pd.DataFrame(
        {
            "cutoff": np.repeat(np.arange(windows), 120),
            "y": y,
            "good": y + rng.normal(0, 5, n),
            "bad": y + rng.normal(0, 30, n),
            # two models wrong in opposite directions: their average is nearly right
            "high": y + 15 + noise,
            "low": y - 15 + noise,
        }
    )


def test_a_dominant_model_is_chosen_alone_with_its_reason():
    choice = choose(_cv(), ["good", "bad"], {"good": "AutoETS", "bad": "Seasonal naive"}, "the last 3 windows")
    assert choice.models == ["good"] and choice.method == "single"
    assert choice.sentence.startswith("AutoETS alone: it had the lowest error on the last 3 windows")


def test_complementary_models_are_blended_and_the_gain_is_said():
    choice = choose(_cv(), ["high", "low", "bad"], {"high": "AutoETS", "low": "Boosted trees"})
    weights = dict(zip(choice.models, choice.weights, strict=True))
    assert weights["high"] >= 0.4 and weights["low"] >= 0.4 and sum(weights.values()) == 1.0
    assert "blended" in choice.sentence and "lower WAPE than the best single model" in choice.sentence
    assert choice.wape < choice.best_single_wape * 0.9


def test_walk_forward_uses_only_earlier_windows():
    cv = _cv(windows=3)
    cv.loc[cv["cutoff"] == 2, "bad"] = cv.loc[cv["cutoff"] == 2, "y"]  # perfect only in the last window
    honest = walk_forward(cv, ["good", "bad"])
    assert honest[cv["cutoff"] == 0].isna().all()
    # the choice for window 2 was made on windows 0 and 1, where 'good' was better
    np.testing.assert_allclose(honest[cv["cutoff"] == 2], cv.loc[cv["cutoff"] == 2, "good"])


def test_two_similar_models_are_blended_by_their_errors_by_default():
    cv = _cv()
    rng = np.random.default_rng(5)
    cv["twin"] = cv["y"] + rng.normal(0, 5, len(cv))
    choice = choose(cv, ["good", "twin", "bad"], {"good": "AutoETS", "twin": "AutoTheta"})
    assert choice.method == "inverse_error" and set(choice.models) >= {"good", "twin"}
    assert "by their backtest errors" in choice.sentence


def test_the_last_window_never_changes_an_earlier_choice_or_its_own_forecast():
    models = ["good", "bad", "high", "low"]
    cv = _cv(windows=4)
    honest = walk_forward(cv, models)
    scrambled = cv.copy()
    last = scrambled["cutoff"] == 3
    scrambled.loc[last, "y"] = scrambled.loc[last, "y"].to_numpy()[::-1] * 5  # nonsense actuals in the last window
    pd.testing.assert_series_equal(walk_forward(scrambled, models), honest)
    # and a choice made on every window but the last is the same whatever happened in it
    assert choose(scrambled[~last], models) == choose(cv[cv["cutoff"] < 3], models)
