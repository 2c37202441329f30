"""What every loaded model answers with, whatever kind of data it reads: the :class:`Predictor` protocol.

A run is used in five places: the Predict page, the command line (``evaluate``, ``predict``), a REST server,
a batch job on a cluster and a notebook. They all get a predictor from
:func:`modeling.runs.loading.load_predictor` (looked up by the task's family in the registry) and talk to it
through this protocol only: the columns it reads (:meth:`Predictor.input_schema`), a whole table of inputs
scored at once (:meth:`Predictor.score_frame`) and a labelled file judged (:meth:`Predictor.evaluate_frame`).
The kind-specific extras (one drawing, a what-if row with each column's contribution) live on the concrete
classes and are used by that kind's own views.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from modeling.evaluation.decisions import Decision


@dataclass(frozen=True)
class InputColumn:
    """One column a model reads: its name, what a value is, and an example (for ``/schema`` and messages).

    ``type`` is ``text``, ``number``, ``category``, ``yes/no``, ``date`` or ``image`` (a PNG or JPEG, base64
    encoded in JSON). ``required`` is False for a column whose blank the model handles.
    """

    name: str
    type: str
    example: Any = None
    required: bool = True
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "example": self.example,
            "required": self.required,
            "description": self.description,
        }


@dataclass
class ScoredBatch:
    """A scored table: the input rows with the answer columns added, and what scoring had to handle.

    Answer columns, by what the task answers: classes: ``predicted_label``, ``confidence``, ``needs_review``,
    ``review_reason`` and ``probability_<class>``; numbers: ``predicted_<target>`` (or ``prediction``) and
    ``low_80``/``high_80``/``low_90``/``high_90``. Table runs add ``reason_1..3``. ``notes`` are sentences
    for the person (blank cells, unseen categories, extra columns ignored).
    """

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: The answer columns added (in order), so a caller can show them first.
    answer_columns: list[str] = field(default_factory=list)
    #: The batch compared with the training data (:func:`modeling.evaluation.drift.compare`: ``summary``, the
    #: sentence for the top of the result, and per-column ``columns``), or ``None`` where the kind has no check.
    drift: dict[str, Any] | None = None


class Predictor(Protocol):
    """A loaded run that answers under its saved decision rule; thread-safe, cheap to copy with :meth:`using`."""

    task: str
    #: Class names for classification; empty for a number.
    class_names: list[str]
    decision: Decision

    def using(self, decision: Decision) -> Predictor:
        """The same loaded model with another decision rule (the model is shared, not copied)."""
        ...

    def input_schema(self) -> list[InputColumn]:
        """The columns a table to score must have, with their types and an example value each."""
        ...

    def score_frame(self, frame: pd.DataFrame, on_progress: Callable[[float], None] | None = None) -> ScoredBatch:
        """Every row of ``frame`` (in :meth:`input_schema`'s columns; extra columns are kept) with its answers.

        A missing required column raises a ``DataError`` that names it and the columns that are there.
        """
        ...

    def evaluate_frame(self, frame: pd.DataFrame) -> dict[str, Any]:
        """Metrics on a labelled table (the run's label or target column must be there), scikit-learn's names."""
        ...
