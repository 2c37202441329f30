"""What was decided on the way from a table to the forecasting frame, kept as plain JSON with the run.

A :class:`SeriesPreparation` is the record a person (and a later refit) needs: which column held the dates and
how they were read, which number is forecast, which columns name a series, which outside columns are known
ahead (and which were left out, with why), the frequency and its season, and what was done about duplicates,
gaps and short series. It is data, never code or a pickle, so a saved run reloads it with ``from_dict``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from modeling import format as fmt

#: The identifier of the only series when a table names none.
SINGLE_SERIES = "all"


@dataclass
class SeriesPreparation:
    """Every choice made when a table became a forecasting frame (``unique_id``, ``ds``, ``y``, known-ahead)."""

    date_column: str
    target_column: str
    series_columns: list[str] = field(default_factory=list)
    known_ahead_columns: list[str] = field(default_factory=list)
    #: Column -> why it is not used ("not known ahead: its future values are not in the file").
    left_out: dict[str, str] = field(default_factory=dict)
    date_order: str = "iso"
    date_order_reason: str = ""
    frequency: str = "D"
    frequency_words: str = "daily"
    season_length: int = 7
    unit: str = "day"
    series_count: int = 0
    first_date: str = ""
    last_date: str = ""
    rows: int = 0
    #: ``sum`` or ``refuse``: what happens to two rows of one series on one date.
    duplicates: str = "sum"
    duplicate_dates: int = 0
    missing_targets: int = 0
    gaps_found: int = 0
    gap_series: list[str] = field(default_factory=list)
    #: ``none`` (left as gaps), ``zero`` or ``interpolate``.
    gaps_filled: str = "none"
    #: Series with fewer than two seasons of history: seasonal models fall back to non-seasonal ones for them.
    short_for_season: list[str] = field(default_factory=list)
    #: Series left out, with why (too short, stopped early).
    series_left_out: dict[str, str] = field(default_factory=dict)
    started_late: int = 0
    #: Value a known-ahead column takes on future dates nobody filled in (0 for flags, the last value otherwise).
    known_ahead_defaults: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def series_label(self) -> str:
        """``"per 'shop'"`` or ``"per 'shop' and 'product'"``; empty for a single series."""
        if not self.series_columns:
            return ""
        names = [f"'{name}'" for name in self.series_columns]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
        return f"per {joined}"

    def sentence(self) -> str:
        """``"'units' per 'shop', 12 series, weekly on Mondays, 2021-01-04 to 2024-06-24"``."""
        head = f"'{self.target_column}'" + (f" {self.series_label}" if self.series_columns else "")
        return (
            f"{head}, {fmt.plural(self.series_count, 'series', 'series')}, {self.frequency_words}, "
            f"{self.first_date} to {self.last_date}"
        )

    def known_ahead_sentence(self) -> str:
        """Which outside columns are used and which are not, and why: one sentence, or empty when there are none."""
        parts = []
        if self.known_ahead_columns:
            names = ", ".join(f"'{c}'" for c in self.known_ahead_columns)
            parts.append(
                f"{names} {'is' if len(self.known_ahead_columns) == 1 else 'are'} known ahead, so the boosted and "
                "network models use the planned values for the forecast dates"
            )
        outside = {name: why for name, why in self.left_out.items() if why.startswith("not known ahead")}
        if outside:
            names = ", ".join(f"'{c}'" for c in outside)
            parts.append(
                f"{names} {'is' if len(outside) == 1 else 'are'} left out: not known ahead, so using "
                f"{'it' if len(outside) == 1 else 'them'} would need tomorrow's values"
            )
        return ("; ".join(parts) + ".") if parts else ""

    def data_fields(self) -> dict[str, Any]:
        """The settings file's ``data`` fields that read the same table the same way (the frequency is left to be
        inferred again: dates on the 15th read as months would not pass as an explicit ``MS``)."""
        return {
            "date_column": self.date_column,
            "target_column": self.target_column,
            "series_columns": list(self.series_columns),
            "known_ahead_columns": list(self.known_ahead_columns),
            "date_order": self.date_order if self.date_order in ("day_first", "month_first") else "auto",
            "duplicate_dates": self.duplicates,
            "fill_gaps": self.gaps_filled,
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeriesPreparation:
        """The preparation saved with ``to_dict``; unknown keys (from a newer version) are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})
