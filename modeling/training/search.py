"""*Find the best model*: one search for every family, through the :class:`~modeling.training.leaderboard.ModelSearch`
its family names (texts: several templates as full runs, :mod:`modeling.training.text_search`; tables: the
automatic blend's candidates, :mod:`modeling.training.table.search`).

The app's job manager, the command line (``python -m modeling search``) and a Ray job all call
:func:`find_best`, and get a :class:`~modeling.training.leaderboard.Leaderboard` they use without asking which
family it came from. A task whose family cannot search (images) is refused with its family's sentence.
"""

from __future__ import annotations

import threading

from modeling.config import ExperimentConfig
from modeling.data.dataset import Dataset
from modeling.data.sources import dataset_for_config
from modeling.errors import ModelDeckError
from modeling.runs.store import RunStore
from modeling.templates import registry
from modeling.training.families import family_for
from modeling.training.leaderboard import Leaderboard, ModelSearch, ProgressCallback
from modeling.training.progress import Progress


def searcher_for(task: str) -> ModelSearch:
    """The search of ``task``'s family; a :class:`ModelDeckError` with its sentence when the task cannot be searched."""
    path = getattr(family_for(task), "search", None)
    if not path:
        raise ModelDeckError(
            f"A model search cannot compare {registry.task(task).label.lower()} templates; train one directly."
        )
    search: ModelSearch = registry.resolve(path)()
    refusal = search.refusal(task)
    if refusal:
        raise ModelDeckError(refusal)
    return search


def find_best(
    dataset: Dataset,
    budget_s: float,
    config: ExperimentConfig,
    store: RunStore,
    progress_cb: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    templates: list[str] | None = None,
) -> Leaderboard:
    """Search ``dataset`` within ``budget_s`` seconds with ``config``'s seed and split shares; the leaderboard.

    ``progress_cb`` receives dicts (``phase``, ``elapsed_s``, ``budget_s``, ``fraction``, ``leaderboard``: the
    rows so far) from the searching thread; ``cancel`` stops the search (what finished is kept);
    ``templates`` limits which templates a search that compares templates may train.
    """
    return searcher_for(dataset.task).run(dataset, budget_s, config, store, progress_cb, cancel, templates)


def search_dataset(config: ExperimentConfig) -> Dataset:
    """The data a settings file names, prepared as its family trains it (refused at once if it cannot be searched)."""
    searcher_for(config.task)
    dataset = dataset_for_config(config)
    _, dataset = family_for(config.task).prepare(config, dataset, Progress())
    return dataset
