"""A raw table -> the typed feature frame a model reads, the same way at training and at prediction time.

:class:`TablePreparation` is fitted once, on the table a model is trained from, and saved beside the
model as JSON (no pickle): which columns are used and how their cells are written (``$1,200``,
``12%``, ``yes``/``no``, ``31/12/2024``), the categories seen, and the reference date that
"days since" counts from. Any later table (a batch to score, a what-if row, a table to evaluate on)
goes through :meth:`TablePreparation.prepare`, which gives the feature frame and counts everything it
had to handle: blanks, categories never seen in training, unreadable cells, extra columns. A column the
model needs but the table lacks is a :class:`~modeling.errors.DataError` that names it.

It is fitted on the whole table the person gave (before ModelDeck cuts its test rows): it learns how cells
are written, which categories exist and the earliest date, nothing a model could over-fit on; scaling and
encodings are fitted by the templates on their training rows.

The feature frame's contract (what templates may rely on): one row per input row, columns in
:attr:`TablePreparation.feature_names` order; ``number`` and ``boolean`` features are float64 with NaN
for missing (yes = 1.0, no = 0.0); ``category`` features are strings (missing kept missing), always one
of :attr:`TablePreparation.categories` for that feature or :data:`OTHER`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from modeling import format as fmt
from modeling.data.tabular.columns import ColumnInfo
from modeling.data.tabular.values import missing_mask, parse_booleans, parse_dates, parse_numbers, show_value
from modeling.errors import DataError

#: The value every rare or never-seen category becomes.
OTHER = "(other)"
#: Most categories kept per column (the most frequent); the rest become OTHER. Trees bin at most 255 values.
MAX_CATEGORIES = 200
#: Rows a typical row (to pre-fill a what-if form) is computed from.
TYPICAL_ROWS = 20_000
#: Parts each date/time column is expanded into (hour only when the column has times).
DATE_PARTS = ("year", "month", "weekday", "day", "hour", "days_since")
_PART_WORDS = {
    "year": "year",
    "month": "month",
    "weekday": "weekday (0 = Monday)",
    "day": "day of month",
    "hour": "hour",
    "days_since": "days since",
}
FORMAT_VERSION = 1

FeatureKind = Literal["number", "boolean", "category"]


@dataclass(frozen=True)
class Feature:
    """One column of the feature frame: where it comes from and what kind of values it holds."""

    name: str
    source: str
    kind: FeatureKind
    part: str = ""

    @property
    def label(self) -> str:
        """How the feature is named for people: 'signup: day of month'."""
        return f"{self.source}: {_PART_WORDS[self.part]}" if self.part else self.source


@dataclass
class PreparedTable:
    """The feature frame of a table, and what had to be handled on the way (counts per input column)."""

    frame: pd.DataFrame
    extra_columns: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    blanks: dict[str, int] = field(default_factory=dict)
    unseen: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """Sentences for the person scoring a table: what was ignored, matched, filled or not recognised."""
        notes: list[str] = []
        if self.extra_columns:
            shown = ", ".join(f"'{fmt.clip(c, 30)}'" for c in self.extra_columns[:8])
            more = ", ..." if len(self.extra_columns) > 8 else ""
            notes.append(
                f"{fmt.plural(len(self.extra_columns), 'column')} the model does not use "
                f"{fmt.was_were(len(self.extra_columns))} "
                f"ignored: {shown}{more}."
            )
        if self.renamed:
            shown = ", ".join(f"'{a}' as '{b}'" for a, b in list(self.renamed.items())[:5])
            notes.append(f"Columns matched despite different spelling or case: {shown}.")
        for word, what, counts in (
            ("blank cell", "the model handles them as missing", self.blanks),
            ("value the model never saw in training", f"handled as '{OTHER}'", self.unseen),
            ("cell that could not be read", "handled as missing", self.unreadable),
        ):
            if counts:
                total = sum(counts.values())
                parts = ", ".join(f"'{fmt.clip(c, 30)}' {fmt.count(n)}" for c, n in list(counts.items())[:6])
                notes.append(
                    f"{fmt.plural(total, word, word.replace('cell', 'cells').replace('value ', 'values '))} "
                    f"({what}): {parts}."
                )
        return notes


class TablePreparation:
    """Turns raw tables into the feature frame; fitted once (:meth:`fit`), saved as JSON (:meth:`to_dict`)."""

    def __init__(
        self,
        columns: list[ColumnInfo],
        target_column: str | None,
        categories: dict[str, list[str]],
        date_reference: dict[str, str],
        typical: dict[str, Any],
        ignored: list[str] | None = None,
    ) -> None:
        self.columns = list(columns)
        self.target_column = target_column
        self.categories = {k: list(v) for k, v in categories.items()}
        self.date_reference = dict(date_reference)
        self.typical = dict(typical)
        self.ignored = list(ignored or [])
        self.features = self._features()

    # ---- fitting ------------------------------------------------------------------------------------------
    @classmethod
    def fit(cls, df: pd.DataFrame, columns: list[ColumnInfo], target_column: str | None = None) -> TablePreparation:
        """Learn categories, date references and a typical row from ``df`` for the columns whose role is 'use'."""
        used = [c for c in columns if c.role == "use" and c.name != target_column]
        if not used:
            raise DataError(
                "No column is left to learn from: every column is ignored or is the target. Set at least one column "
                "to 'use'."
            )
        categories: dict[str, list[str]] = {}
        references: dict[str, str] = {}
        typical: dict[str, Any] = {}
        # Typical values (medians, the most frequent answer) from a fixed sample keep 200,000-row tables quick;
        # categories and the earliest date always read every row.
        sample = df.sample(n=TYPICAL_ROWS, random_state=0) if len(df) > TYPICAL_ROWS else df
        for info in used:
            series = df[info.name]
            kind = value_kind(info)
            if kind == "category":
                counts = _category_text(series).value_counts()
                categories[info.name] = [str(v) for v in counts.index[:MAX_CATEGORIES]]
                typical[info.name] = str(counts.index[0]) if len(counts) else None
            elif kind == "datetime":
                dates = parse_dates(series, info.format)[0].dropna()
                earliest = dates.min() if len(dates) else pd.Timestamp("2000-01-01")
                references[info.name] = pd.Timestamp(earliest).isoformat()
                typical[info.name] = pd.Timestamp(dates.median()).isoformat() if len(dates) else None
            elif kind == "boolean":
                values = parse_booleans(sample[info.name], info.format)[0]
                values = values[np.isfinite(values)]
                typical[info.name] = bool(values.mean() >= 0.5) if len(values) else None
            else:
                values = parse_numbers(sample[info.name], info.format)[0]
                values = values[np.isfinite(values)]
                typical[info.name] = float(np.median(values)) if len(values) else None
        ignored = [c.name for c in columns if c.role == "ignore"]
        return cls(used, target_column, categories, references, typical, ignored)

    # ---- what the model reads -----------------------------------------------------------------------------
    def _features(self) -> list[Feature]:
        features: list[Feature] = []
        taken = {c.name for c in self.columns}
        for info in self.columns:
            kind = value_kind(info)
            if kind != "datetime":
                features.append(Feature(info.name, info.name, kind))
                continue
            for part in DATE_PARTS:
                if part == "hour" and not info.format.has_time:
                    continue
                name = f"{info.name}_{part}"
                while name in taken:
                    name += "_"
                taken.add(name)
                features.append(Feature(name, info.name, "number", part))
        return features

    @property
    def input_columns(self) -> list[str]:
        """The columns a table must have (in training's order)."""
        return [c.name for c in self.columns]

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def categorical_features(self) -> list[str]:
        return [f.name for f in self.features if f.kind == "category"]

    @property
    def numeric_features(self) -> list[str]:
        """Numbers, yes/no (1.0 / 0.0) and date parts: everything that is not a category."""
        return [f.name for f in self.features if f.kind != "category"]

    def typical_row(self) -> dict[str, Any]:
        """A plausible input row (median numbers and dates, most frequent categories) to pre-fill a what-if form."""
        return dict(self.typical)

    # ---- applying -----------------------------------------------------------------------------------------
    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """The feature frame of ``df`` (see :meth:`prepare` for the counts of what was handled)."""
        return self.prepare(df).frame

    def prepare(self, df: pd.DataFrame) -> PreparedTable:
        """The feature frame of ``df`` with counts of blanks, unseen categories, unreadable cells, extra columns."""
        table, renamed = self._match_columns(df)
        result = PreparedTable(frame=pd.DataFrame(index=pd.RangeIndex(len(table))), renamed=renamed)
        # Columns left out in training (by the person or as IDs) are listed too: nothing is dropped without a word.
        known = set(self.input_columns) | {self.target_column}
        result.extra_columns = [str(c) for c in table.columns if str(c) not in known]
        data: dict[str, Any] = {}
        for info in self.columns:
            series = table[info.name].reset_index(drop=True)
            kind = value_kind(info)
            native = kind == "number" and pd.api.types.is_numeric_dtype(series)
            blanks = int(series.isna().sum()) if native else int(missing_mask(series).sum())
            if blanks:
                result.blanks[info.name] = blanks
            if kind == "category":
                values, unseen = self._categories(series, info.name)
                data[info.name] = values
                if unseen:
                    result.unseen[info.name] = unseen
                continue
            if kind == "datetime":
                dates, bad = parse_dates(series, info.format)
                data.update(self._date_parts(info.name, dates))
            else:
                parse = parse_booleans if kind == "boolean" else parse_numbers
                values, bad = parse(series, info.format)
                data[info.name] = values
            if bad.any():
                result.unreadable[info.name] = int(bad.sum())
        frame = pd.DataFrame(data, index=pd.RangeIndex(len(table)))
        result.frame = frame[self.feature_names]
        return result

    def _match_columns(self, df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
        """``df`` with the needed columns found: exactly, or ignoring case and spaces (noted); else a DataError."""
        names = [str(c) for c in df.columns]
        table = df.copy(deep=False)
        table.columns = names
        loose = {_loose(n): n for n in names}
        renamed: dict[str, str] = {}
        missing: list[str] = []
        for wanted in self.input_columns:
            if wanted in names:
                continue
            found = loose.get(_loose(wanted))
            if found is not None and found not in self.input_columns:
                renamed[found] = wanted
            else:
                missing.append(wanted)
        if missing:
            shown = ", ".join(f"'{fmt.clip(c, 30)}'" for c in missing[:10]) + (", ..." if len(missing) > 10 else "")
            raise DataError(
                f"The table lacks {fmt.plural(len(missing), 'column')} the model needs: {shown}. Add "
                f"{'it' if len(missing) == 1 else 'them'} (blank cells are fine) with the same names as in training."
            )
        return table.rename(columns=renamed), renamed

    def _categories(self, series: pd.Series, name: str) -> tuple[pd.Series, int]:
        text = _category_text(series)
        known = self.categories.get(name, [])
        present = text.notna()
        inside = text.isin(known)
        if (present & ~inside).any():
            # 'Basic' where training saw 'basic': the same category, written in another case.
            folded = {}
            for value in known:
                folded.setdefault(value.casefold(), value)
            text = text.where(inside | ~present, text.str.casefold().map(folded).fillna(text))
            inside = text.isin(known)
        outside = present & ~inside
        values = text.where(~outside, OTHER).astype("str")
        return values, int(outside.sum())

    def _date_parts(self, name: str, dates: pd.Series) -> dict[str, np.ndarray]:
        reference = pd.Timestamp(self.date_reference.get(name, "2000-01-01"))
        parts: dict[str, np.ndarray] = {}
        for feature in self.features:
            if feature.source != name or not feature.part:
                continue
            if feature.part == "days_since":
                values = (dates - reference) / pd.Timedelta(days=1)
            elif feature.part == "weekday":
                values = dates.dt.day_of_week
            else:
                values = getattr(dates.dt, feature.part)
            parts[feature.name] = pd.Series(values).to_numpy(dtype=np.float64, na_value=np.nan)
        return parts

    def as_written(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (feature columns) as text the way the table wrote it: ``yes`` not ``1.0``, ``$1,200``, ``12%``.

        For quoting rows to people (a report's mistakes, the largest misses); date parts and categories read
        as they are, blanks as ``""``.
        """
        infos = {c.name: c for c in self.columns}
        shown: dict[str, list[str]] = {}
        for feature in self.features:
            if feature.name not in frame.columns:
                continue
            info = infos.get(feature.source)
            values = frame[feature.name].tolist()
            if info is None or feature.part:
                shown[feature.name] = ["" if _blank(v) else _plain_value(v) for v in values]
            else:
                shown[feature.name] = [show_value(v, info.format, info.example) for v in values]
        return pd.DataFrame(shown, index=frame.index, dtype="str")

    # ---- saving -------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "target_column": self.target_column,
            "columns": [c.to_dict() for c in self.columns],
            "categories": self.categories,
            "date_reference": self.date_reference,
            "typical": self.typical,
            "ignored": self.ignored,
            "features": [asdict(f) for f in self.features],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TablePreparation:
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise DataError("The saved table preparation is not one this version of ModelDeck wrote; train again.")
        return cls(
            columns=[ColumnInfo.from_dict(c) for c in data["columns"]],
            target_column=data.get("target_column"),
            categories=data.get("categories", {}),
            date_reference=data.get("date_reference", {}),
            typical=data.get("typical", {}),
            ignored=data.get("ignored", []),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> TablePreparation:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise DataError("The saved table preparation is damaged (not valid JSON); train again.") from None
        return cls.from_dict(data)


def value_kind(info: ColumnInfo) -> Literal["number", "boolean", "category", "datetime"]:
    """How a used column is fed to a model, from how its cells are read (an ID switched on reads as written)."""
    kind = info.format.kind
    return "category" if kind == "text" else kind


def _category_text(series: pd.Series) -> pd.Series:
    """Category values as stripped strings with missing cells (blank, N/A, ...) as missing."""
    missing = missing_mask(series)
    if pd.api.types.is_float_dtype(series):
        text = pd.Series([_plain_number(v) for v in series.to_numpy(dtype=np.float64)], dtype="str")
    else:
        text = series.astype("str").str.strip().reset_index(drop=True)
    return text.where(~pd.Series(missing))


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value))


def _plain_value(value: Any) -> str:
    return _plain_number(float(value)) if isinstance(value, int | float | np.number) else str(value)


def _plain_number(value: float) -> str:
    return str(int(value)) if np.isfinite(value) and float(value).is_integer() else str(value)


def _loose(name: str) -> str:
    return "".join(name.lower().split()).replace("_", "")
