"""How much a forecasting table may hold, as numbers a sentence can quote.

They live here rather than in :mod:`modeling.settings` because they are facts of the method, not of a server:
a series of six points cannot be forecast however large the machine is. The series cap bounds the work of one
training (every candidate model is fitted once per series and backtest window).
"""

from __future__ import annotations

#: Most series (combinations of the series columns) one forecast may hold.
MAX_SERIES = 10_000

#: Fewest dated values a series needs to be forecast at all; shorter series are left out, and named.
MIN_POINTS = 8

#: Longest horizon, in steps of the series' frequency (a year of days, ten years of months).
MAX_HORIZON = 400

#: Series whose dates are listed in an error message, at most.
SHOWN = 5
