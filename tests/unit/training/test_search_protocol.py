"""One search for every family: ``find_best`` returns a Leaderboard whose JSON comes back through ``from_json``."""

from __future__ import annotations

import pytest

from modeling.errors import ModelDeckError
from modeling.runs.store import RunStore
from modeling.training.leaderboard import LEADERBOARDS
from modeling.training.search import find_best, searcher_for
from modeling.training.search_job import board_from_json, search_config
from tests.conftest import make_image_dataset, make_text_dataset
from tests.unit.training.table_data import frame_dataset


def _same_board(board, back) -> None:
    assert back.table() == board.table()
    assert back.choices() == board.choices()
    assert back.notes == board.notes and back.budget_s == board.budget_s
    assert back.run_folders() == board.run_folders()
    assert back.to_json() == board.to_json()
    for choice in board.choices():
        assert back.describe_choice(choice) == board.describe_choice(choice)


@pytest.mark.parametrize(
    ("dataset", "budget", "templates", "kind"),
    [
        (lambda: make_text_dataset(120, seed=2), 60, ["ngram_nb"], "text"),
        (lambda: frame_dataset(200, regression=False), 5, None, "table"),
    ],
    ids=["texts", "table"],
)
def test_the_search_returns_a_leaderboard_that_round_trips_through_json(tmp_path, dataset, budget, templates, kind):
    ds = dataset()
    store = RunStore(tmp_path, starters=None)
    seen: list[dict] = []
    board = find_best(ds, budget, search_config(ds, seed=3), store, seen.append, None, templates)
    assert board.choices(), board.text()
    assert seen and all("leaderboard" in event for event in seen)
    assert board.summary() and board.text().count("\n") >= len(board.table())
    data = board.to_json()
    assert data["kind"] == kind and kind in LEADERBOARDS
    folders = {path.name: path for path in board.run_folders()}
    back = board_from_json(data, folders)
    assert type(back) is type(board)
    _same_board(board, back)
    # Only the folders that were sent are named; without them nothing can be kept.
    nothing = board_from_json(board.to_json(sent=set()), {})
    assert nothing.choices() == [] and nothing.table()
    # The best choice becomes an ordinary run of the store.
    best = board.choices()[0]
    run_id = back.keep(best, store, owner="ab" * 8)
    run = store.load(run_id)
    assert run.info.usable and run.info.owner == "ab" * 8
    assert [info.run_id for info in store.list_runs()] == [run_id]


def test_a_task_its_family_cannot_search_is_refused_with_a_sentence(tmp_path):
    with pytest.raises(ModelDeckError, match="Train one directly"):
        searcher_for("image_classification")
    ds = make_image_dataset(30)
    with pytest.raises(ModelDeckError, match="image classification"):
        find_best(ds, 30, search_config(ds), RunStore(tmp_path, starters=None))


def test_templates_a_search_cannot_train_are_refused_before_anything_runs():
    from modeling.errors import RunError

    search = searcher_for("text_classification")
    with pytest.raises(RunError, match="None of the templates"):
        search.templates(make_text_dataset(60), ["conv1d"])  # needs 1,000 texts
    assert search.templates(make_text_dataset(60), ["ngram_nb", "conv1d"]) == ["ngram_nb"]
    assert searcher_for("tabular_regression").templates(frame_dataset(60)) == ["automatic"]


def test_a_leaderboard_of_unknown_kind_is_refused():
    from modeling.errors import RunError

    for data in ({"kind": "pickle"}, {"kind": ["text"]}, [], {"rows": []}):
        with pytest.raises(RunError, match="not one ModelDeck wrote"):
            board_from_json(data, {})  # type: ignore[arg-type]
