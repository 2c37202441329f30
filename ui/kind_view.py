"""What differs between kinds of data on the pages: the :class:`KindView` protocol (one view per kind).

Every page draws what all kinds share itself (or through a shared ``ui`` module) and asks the view of the
active kind (:mod:`ui.kinds`) for the rest: whether an uploaded table is of its kind (:class:`TableClaim`), the
Data page's active-data section, the Model page's task line, default settings, what is held out, notes and
summary, the Train page's "ready" line, the whole Evaluate and Predict bodies, the run lists' headline figure
and the Compare page's figures and sentences. :class:`ui.common_view.CommonView` implements
it for data whose answers are classes read by one Keras model (texts, images); the table view builds on it.
A method a kind has nothing to say in draws nothing. (How training steps are named and drawn follows the
trainer's unit, the same for every kind: :mod:`ui.curves`.)

``SearchWording`` is how "Find the best model" reads for a kind: one search view (:mod:`ui.search_view`)
draws every kind's search over the :class:`~modeling.training.leaderboard.Leaderboard` protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from modeling.config import ExperimentConfig
    from modeling.data.dataset import Dataset
    from modeling.runs.protocol import Predictor
    from modeling.runs.store import Run, RunInfo


@dataclass(frozen=True)
class SearchWording:
    """The words, budget and widget keys of one kind's "Find the best model" (the search view is shared)."""

    #: Prefix of the widget keys (``<key>_budget``, ``<key>_start``, ``<key>_stop_<id>``, ...).
    key: str
    #: Session key of the search this session started.
    session_key: str
    #: Widget key of the "Where to search" choice (shown only with a Ray cluster).
    place_key: str
    #: What the search does, under the heading.
    caption: str
    #: The budget slider: lowest, highest, default and step, in seconds.
    budget: tuple[int, int, int, int]
    budget_help: str
    #: Above the rows finished so far while the search runs.
    progress_caption: str
    stop_toast: str
    #: Said when the search ended with nothing to show.
    stopped_message: str
    #: A finished leaderboard's notes as warnings (something to act on) rather than information.
    notes_as_warnings: bool = False
    #: Column name -> number format of the leaderboard's columns (``"percent"``, ``"%.3f"``).
    column_formats: dict[str, str] = field(default_factory=dict)
    #: The label of the radio that picks what to keep; ``None``: keep the first choice, no radio.
    pick_label: str | None = None
    #: The Markdown line above the finished leaderboard (split sizes, baseline, time) from the leaderboard.
    summary: Callable[[Any], str] = lambda board: ""
    #: The Markdown line below it (the kept model's test score), or ``""``.
    result: Callable[[Any], str] = lambda board: ""


@dataclass(frozen=True)
class TableClaim:
    """An uploaded table a kind can read besides texts and business tables (a time series has dates and a number).

    The upload tab offers ``option`` in "How should ModelDeck read this file?"; with ``proposed`` it is the
    preselected reading, and ``why`` is the sentence under the choice.
    """

    option: str
    proposed: bool
    why: str = ""


class KindView(Protocol):
    """What the pages ask the view of a kind of data to draw or say (see the module docstring)."""

    # ---- Data page ---------------------------------------------------------------------------------------------
    def use_sample(self, key: str, then: str | None = None) -> None:
        """The "Use this sample" button: make the built-in sample active (``then``: open that page after)."""
        ...

    def claim_table(self, df: pd.DataFrame, signature: str) -> TableClaim | None:
        """Whether an uploaded table can be read as this kind (beyond texts and business tables, which every table
        can be read as), proposed or only offered; ``None``: not this kind. ``signature`` names file and sheet."""
        ...

    def read_table(self, df: pd.DataFrame, name: str, signature: str, sheet: str | None) -> None:
        """An uploaded table the person chose to read as this kind: set it up (only kinds read from tables)."""
        ...

    def pending(self) -> bool:
        """True when this kind's set-up awaits a choice and no dataset is active (the Data page shows it)."""
        ...

    def data_section(self, ds: Dataset | None, shown_notes: set[str]) -> None:
        """The Data page below the samples and upload: what the active data holds and its checks."""
        ...

    # ---- Model page --------------------------------------------------------------------------------------------
    def task_line(self, ds: Dataset) -> str:
        """'**Task:** ... — ...': what will be learnt from the active data, in Markdown."""
        ...

    def default_config(self, ds: Dataset) -> ExperimentConfig:
        """The settings a person gets for ``ds`` before changing anything."""
        ...

    def data_fields(self, ds: Dataset) -> dict[str, Any]:
        """The config's ``data`` fields that rebuild ``ds`` from its source (they travel in the YAML)."""
        ...

    def holdout_setting(self, test_share: float) -> float:
        """The Model page's choice of what is kept aside for the final score (a share of rows, or what the kind
        holds out instead, in words); returns the config's ``data.test_share``."""
        ...

    def settings_notes(self, ds: Dataset, values: dict[str, Any]) -> None:
        """Notes under the settings about what the chosen ``values`` mean for this data (time, language)."""
        ...

    def model_summary(self, ds: Dataset, cfg: ExperimentConfig) -> None:
        """What the chosen model is before training: its size, or what training will do with the rows."""
        ...

    def search_wording(self, ds: Dataset) -> SearchWording | None:
        """How "Find the best model" reads for ``ds``; ``None``: no search for this kind."""
        ...

    # ---- Train page --------------------------------------------------------------------------------------------
    def ready_line(self, cfg: ExperimentConfig, ds: Dataset) -> str:
        """'**Ready to train:** ...' in Markdown."""
        ...

    # ---- Evaluate page -----------------------------------------------------------------------------------------
    def evaluate(self, run: Run) -> None:
        """The Evaluate page's body for a run with a saved evaluation (after the run picker)."""
        ...

    def show_mistakes(self, run: Run, wrong: list[dict[str, Any]]) -> None:
        """The most confident mistakes on the test split, as this kind's examples are best seen."""
        ...

    def mistakes_extra(self, run: Run, ev: dict[str, Any]) -> None:
        """Below the mistakes (texts: the most telling words)."""
        ...

    def classes_extra(self, run: Run, ev: dict[str, Any]) -> None:
        """Below the tabs of a classification run (tables: which columns matter)."""
        ...

    def copies_fix(self, run: Run) -> None:
        """How to remove copies shared by the training and test splits, for this kind's data."""
        ...

    # ---- Predict page ------------------------------------------------------------------------------------------
    def predict(self, run: Run, predictor: Predictor) -> None:
        """The Predict page's body for a loaded run (one example, a whole file)."""
        ...

    # ---- run lists and code ------------------------------------------------------------------------------------
    def headline(self, info: RunInfo) -> str:
        """A run's headline figure for the run list ('accuracy 79.2%', 'RMSE 31,155 · R² 0.843')."""
        ...

    def compare_figures(self, runs: list[Run], figures: list[Any]) -> None:
        """The Compare page's figures side by side for runs of one task."""
        ...

    def compare_sentences(self, runs: list[Run], figures: list[Any], same_split: bool) -> list[str]:
        """The Compare page's plain sentences: which run did best, and whether the difference can be trusted."""
        ...

    def code_libraries(self, template: str) -> str:
        """What a run's standalone script is written in ('Keras', 'pandas + scikit-learn')."""
        ...

    def code_steps(self, template: str) -> str:
        """What the script reproduces, for "Show the code"."""
        ...
