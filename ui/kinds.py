"""The views of each kind of data, by name: one line each ("add to the bottom").

A page never asks "is this a table?": it asks this registry for the view of the active kind
(:func:`view_for_data`, :func:`view_for_task`, :func:`view_for`) and lets that view draw what differs
(:class:`ui.kind_view.KindView`). A new kind of data is one package under ``ui/`` and one line here.

Views are named by dotted path and imported on first use, so the router and the Start page, which import
this module, load no view (and so neither pandas nor the charts) until someone clicks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modeling.templates import registry

if TYPE_CHECKING:
    from ui.kind_view import KindView

#: Kind of data (``Dataset.kind``, ``TaskSpec.kind``) -> ``"module:Class"`` implementing :class:`KindView`.
VIEWS: dict[str, str] = {
    "text": "ui.text.view:TextView",
    "image": "ui.image.view:ImageView",
    "table": "ui.table.view:TableView",
    "series": "ui.series.view:SeriesView",
}

_loaded: dict[str, KindView] = {}


def view_for(kind: str) -> KindView:
    """The view of ``kind`` (one shared, stateless instance; its module is imported now)."""
    if kind not in _loaded:
        _loaded[kind] = registry.resolve(VIEWS[kind])()
    return _loaded[kind]


def view_for_task(task: str) -> KindView:
    """The view of the kind of data ``task`` reads (a run's or a job's task)."""
    return view_for(registry.task(task).kind)


def view_for_data(dataset: Any, prefer: str | None = None) -> KindView | None:
    """The view of the active data; with none, the view of a kind whose set-up awaits a choice (or ``None``).

    A table whose chosen target cannot be predicted leaves no active dataset, yet the Data page must keep
    showing that table's set-up so the person can fix the choice: its view says so with ``pending()``. When
    several kinds await one (a file read as a table, then as time series), ``prefer`` (the kind the upload is
    read as now) is asked first.
    """
    if dataset is not None:
        return view_for(dataset.kind)
    order = sorted(VIEWS, key=lambda kind: kind != prefer)
    return next((view_for(kind) for kind in order if view_for(kind).pending()), None)
