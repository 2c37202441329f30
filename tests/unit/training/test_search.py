"""Automatic model choice: same split for all, budget respected, ranked leaderboard, chosen one becomes a run."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from modeling.data.dataset import Dataset
from modeling.runs.store import RunStore
from modeling.training import text_search as automl
from modeling.training.jobs import JOBS
from tests.conftest import make_text_dataset


def _chinese(n: int = 60) -> Dataset:
    texts = ["这个东西很好用" if i % 2 else "质量太差了不好" for i in range(n)]
    return Dataset(kind="text", name="zh", labels=np.arange(n) % 2, class_names=["neg", "pos"], texts=np.array(texts))


def test_candidates_follow_the_data_size_and_language():
    chosen, left_out = automl.candidate_templates(make_text_dataset(120))
    assert "ngram_bag" in chosen and "embedding_bag" in chosen
    assert "conv1d" in left_out and "1,000" in left_out["conv1d"]
    assert "ngram_nb" in chosen
    chosen, left_out = automl.candidate_templates(_chinese())
    assert "minilm" not in chosen and "minilm_ngrams" not in chosen and "ngram_nb" in chosen


def test_a_tiny_budget_skips_everything_with_a_note(tmp_path):
    board = automl.find_best_text_model(
        make_text_dataset(120), budget_s=0.5, store=RunStore(tmp_path), templates=["ngram_bag", "embedding_bag"]
    )
    assert board.best is None
    assert all(r.status == "skipped" and r.note for r in board.rows)
    assert any("budget" in r.note for r in board.rows)
    assert board.notes


def test_search_ranks_templates_and_the_chosen_one_becomes_a_normal_run(tmp_path):
    from modeling.runs.loading import load_predictor

    store = RunStore(tmp_path, starters=None)
    ds = make_text_dataset(200, seed=4)
    seen: list[dict] = []
    board = automl.find_best_text_model(
        ds, budget_s=300, seed=7, progress_cb=seen.append, store=store, templates=["ngram_bag", "embedding_bag"]
    )
    trained = [r for r in board.rows if r.usable]
    assert {r.template for r in trained} == {"ngram_bag", "embedding_bag"}
    for row in trained:
        assert 0 <= row.accuracy <= 1 and row.f1_macro is not None and row.train_seconds > 0
        assert row.parameters > 0 and row.megabytes > 0 and row.predict_seconds_per_1000 > 0
        assert row.lift_points == pytest.approx(100 * (row.accuracy - board.baseline_accuracy), abs=0.05)
    assert board.best.accuracy == max(r.accuracy for r in trained) > 0.9
    assert board.split == {"train": 136, "validation": 24, "test": 40}
    # Same split for every candidate: identical saved test sets.
    tests = [np.load(r.run_path / "test.npz", allow_pickle=False)["labels"] for r in trained]
    np.testing.assert_array_equal(tests[0], tests[1])
    assert seen and seen[-1]["phase"] == "Done"
    assert board.table()[0]["template"] == board.best.template
    assert store.list_runs() == []  # candidates stay out of the user's runs until one is chosen

    run_id = board.keep(board.best.template, store)
    assert [i.run_id for i in store.list_runs()] == [run_id]
    run = store.load(run_id)
    assert run.meta["automl"]["rank"] == 1 and run.info.usable
    assert load_predictor(run).predict_one("excellent, love it").label == "positive"


def test_search_runs_in_the_background(tmp_path):
    search = JOBS.start_search(
        make_text_dataset(80, seed=5), budget_s=120, store=RunStore(tmp_path), templates=["ngram_bag"]
    )
    deadline = time.monotonic() + 120
    while not search.done and time.monotonic() < deadline:
        time.sleep(0.2)
    assert search.state == "finished", search.error
    assert search.board is not None and search.board.best.template == "ngram_bag"
    assert JOBS.get_search(search.search_id) is search
    assert JOBS.get_search(search.search_id, owner="someone else") is None  # owner check, as for trainings


def test_the_command_line_search_prints_the_leaderboard_and_keeps_the_winner(tmp_path, monkeypatch, capsys):
    import pandas as pd

    from modeling.__main__ import main
    from modeling.config import default_config

    ds = make_text_dataset(160, seed=9)
    data = tmp_path / "reviews.csv"
    pd.DataFrame({"review": ds.texts, "sentiment": [ds.class_names[i] for i in ds.labels]}).to_csv(data, index=False)
    cfg = default_config("text_classification", str(data), text_column="review", label_column="sentiment")
    (tmp_path / "search.yaml").write_text(cfg.to_yaml())
    # Two quick templates keep the test short; which ones run is the search's own business (tested above).
    monkeypatch.setattr(automl, "candidate_templates", lambda d: (["ngram_nb", "ngram_bag"], {"conv1d": "too few"}))
    code = main(["--home", str(tmp_path / "ws"), "search", str(tmp_path / "search.yaml"), "--budget", "120"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.strip().splitlines()
    assert "Keyword baseline accuracy" in lines[0] and "Same split for every template" in lines[0]
    table = "\n".join(lines)
    assert "ngram_nb" in table and "ngram_bag" in table and "conv1d" in table and "too few" in table
    kept = Path(lines[-1])
    assert kept.is_dir() and (kept / "model.keras").exists()
    store = RunStore(tmp_path / "ws", starters=None)
    assert [info.run_id for info in store.list_runs()] == [kept.name]
    assert store.load(kept.name).meta["automl"]["rank"] == 1
    assert "kept" in err


def test_the_command_line_search_refuses_images_and_a_bad_budget(tmp_path, capsys):
    from modeling.__main__ import main
    from modeling.config import default_config

    images = tmp_path / "digits.yaml"
    images.write_text(default_config("image_classification", "sample:digits").to_yaml())
    assert main(["--home", str(tmp_path), "search", str(images)]) == 2
    assert "image classification templates" in capsys.readouterr().err  # the family says why, no traceback
    text = tmp_path / "text.yaml"
    text.write_text(default_config("text_classification", "sample:reviews").to_yaml())
    assert main(["--home", str(tmp_path), "search", str(text), "--budget", "0"]) == 2
    assert "--budget 0 is not valid" in capsys.readouterr().err
