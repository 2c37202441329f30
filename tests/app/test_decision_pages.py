"""Evaluate turns scores into decisions (confidence level, money on the threshold, cost matrix, copies);
Predict and its batch export obey the rule saved with the run. Driven through Streamlit's AppTest."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from modeling.evaluation.decisions import Decision, value_at, value_curve
from modeling.runs.decision_rules import load_decision, save_decision
from modeling.runs.predictions import load_predictions
from modeling.runs.store import STARTERS_DIR, RunStore, write_json
from tests.app.helpers import app, goto, texts
from tests.fake_runs import copy_starter, make_run

REVIEWS_RUN = "20990101-000000-ngram_bag-aaaaaa"
DIGITS_RUN = "20990101-000000-small_cnn-dddddd"


@pytest.fixture
def reviews_run(local_home: Path) -> Path:
    return copy_starter(local_home, REVIEWS_RUN, 0.03, "Reviews (own copy)")


def _summary(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("On "))


def test_evaluate_shows_intervals_and_calibration(reviews_run: Path):
    at = goto(app(), "pages/evaluate.py")
    assert at.selectbox(key="run_picker").value == REVIEWS_RUN
    said = texts(at)
    n = json.loads((reviews_run / "evaluation.json").read_text())["model"]["n"]
    assert f"n = {n:,} test examples, 95% interval " in said
    assert "95% interval" in _summary(at)
    assert "The test set is small" in _summary(at)  # about a hundred reviews: the summary says so
    assert any(m.label == "Calibration error (before)" for m in at.metric)
    assert "Well calibrated" in said or "confident" in said


def test_evaluate_saves_the_confidence_level_and_the_threshold(reviews_run: Path):
    at = goto(app(), "pages/evaluate.py")
    at.slider(key=f"coverage_level_{REVIEWS_RUN}").set_value(70).run()
    assert not at.exception
    assert "If the model only answers when it is at least 70% sure, it answers " in texts(at)
    at.button(key="save_coverage").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Saved: answers below 70% sure now go to a person" in texts(at)
    saved = load_decision(reviews_run)
    assert saved.min_confidence == 0.7 and saved.coverage["level"] == 0.7

    at.selectbox(key=f"money_positive_{REVIEWS_RUN}").set_value("negative").run()
    at.text_input(key=f"money_currency_{REVIEWS_RUN}").input("€").run()
    at.text_input(key=f"money_fp_name_{REVIEWS_RUN}").input("wasted offer").run()
    at.number_input(key=f"money_tp_value_{REVIEWS_RUN}").set_value(40.0).run()
    at.number_input(key=f"money_fp_value_{REVIEWS_RUN}").set_value(-5.0).run()
    at.number_input(key=f"money_fn_value_{REVIEWS_RUN}").set_value(-40.0).run()
    # Untouched, the threshold slider follows the best threshold for the values entered.
    best = int(re.search(r"At a threshold of (\d+)%", texts(at)).group(1))
    assert at.slider(key=f"money_threshold_{REVIEWS_RUN}").value == best
    at.slider(key=f"money_threshold_{REVIEWS_RUN}").set_value(40).run()
    assert not at.exception
    if best != 40:  # moved by hand: it stays, and a button offers the best one
        at.number_input(key=f"money_tn_value_{REVIEWS_RUN}").set_value(1.0).run()
        assert at.slider(key=f"money_threshold_{REVIEWS_RUN}").value == 40
        assert at.button(key="use_best_threshold").label.startswith("Use the best threshold (")
        at.number_input(key=f"money_tn_value_{REVIEWS_RUN}").set_value(0.0).run()
    assert "per 1,000 cases" in texts(at)
    at.button(key="save_threshold").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "the model now answers 'negative' from 40%" in texts(at)

    rule = load_decision(reviews_run)
    assert (rule.threshold, rule.positive_class, rule.currency) == (0.4, "negative", "€")
    assert rule.min_confidence == 0.7  # the earlier save is kept
    assert (rule.outcome_values.tp, rule.outcome_values.fp, rule.outcome_values.fn) == (40.0, -5.0, -40.0)
    assert rule.outcome_names.fp == "wasted offer"
    # The saved money is what the curve says on the saved test probabilities.
    run = RunStore(reviews_run.parents[1]).load(REVIEWS_RUN)
    preds = load_predictions(run)
    curve = value_curve(preds.test_labels, preds.test_probs, rule.outcome_values, positive=0)
    assert rule.expected_value_per_1000 == pytest.approx(value_at(curve, 0.4), abs=1e-3)
    assert rule.expected_value_default_per_1000 == pytest.approx(value_at(curve, 0.5), abs=1e-3)
    # The summary now says what the rule means.
    summary = _summary(at)
    assert "If the model only answers when it is at least 70% sure" in summary
    assert "With the saved threshold (answer 'negative' from 40%)" in summary
    assert "Saved rule" in texts(at)

    at.button(key="forget_rule").click().run()
    assert not at.exception
    assert "The saved rule was removed" in texts(at)
    assert not (reviews_run / "decision.json").exists()


def test_bad_money_values_and_starters_are_handled(local_home: Path):
    at = goto(app(), "pages/evaluate.py")
    at.selectbox(key="run_picker").set_value("starter-reviews").run()
    assert not at.exception
    assert at.button(key="save_threshold").disabled
    assert at.button(key="save_coverage").disabled
    assert "Starter models are read-only" in texts(at)
    at.number_input(key="money_tp_value_starter-reviews").set_value(1e15).run()
    assert not at.exception
    assert "These values cannot be used" in " ".join(e.value for e in at.error)


def test_predict_obeys_the_saved_rule(reviews_run: Path):
    save_decision(reviews_run, Decision(), threshold=0.0, positive_class="negative", min_confidence=0.999)
    at = goto(app(), "pages/predict.py")
    at.radio(key="predict_task").set_value("text_classification").run()
    assert at.selectbox(key="predict_run_text_classification").value == REVIEWS_RUN
    assert "Rule saved with this run" in texts(at)
    at.text_area(key="predict_text").input("Absolutely love it, works perfectly.").run()
    next(b for b in at.button if b.label == "Predict").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (metric,) = [m for m in at.metric if m.label == "Prediction"]
    assert metric.value == "negative"  # threshold 0 for 'negative': every text is 'negative'
    assert "Not sure — send to a person" in " ".join(w.value for w in at.warning)

    table = b"text\nAbsolutely love it\nBroke in a week\n"
    at.file_uploader(key="score_upload").upload("to_score.csv", table, "text/csv").run()
    next(b for b in at.button if b.label == "Score the table").click().run()
    assert not at.exception, [e.value for e in at.exception]
    scored = at.session_state["scored"][1]
    assert scored["predicted_label"].tolist() == ["negative", "negative"]
    assert scored["needs_review"].tolist() == [True, True]
    assert scored["review_reason"].str.contains("below the 100%").all()
    assert "2 need a person" in texts(at)


def test_predict_without_a_rule_answers_the_most_probable_class(reviews_run: Path):
    at = goto(app(), "pages/predict.py")
    at.radio(key="predict_task").set_value("text_classification").run()
    assert "The model answers its most probable class" in texts(at)
    at.text_area(key="predict_text").input("Absolutely love it, works perfectly.").run()
    next(b for b in at.button if b.label == "Predict").click().run()
    assert not at.warning or "Not sure" not in " ".join(w.value for w in at.warning)


def _copy_digits(root: Path) -> Path:
    path = root / "runs" / DIGITS_RUN
    shutil.copytree(STARTERS_DIR / "starter-digits", path)
    meta = json.loads((path / "run.json").read_text())
    meta.update(run_id=DIGITS_RUN, title="Digits (own copy)", starter=False)
    write_json(path / "run.json", meta)
    return path


def test_several_classes_get_a_cost_matrix_that_can_be_saved(local_home: Path):
    path = _copy_digits(local_home)
    at = goto(app(), "pages/evaluate.py")
    assert at.selectbox(key="run_picker").value == DIGITS_RUN
    labels = [m.label for m in at.metric]
    assert "Cost per 1,000 cases, lowest-cost rule" in labels
    assert "Money on the threshold" not in texts(at)
    at.button(key="save_cost_matrix").click().run()
    assert not at.exception, [e.value for e in at.exception]
    rule = load_decision(path)
    matrix = np.asarray(rule.cost_matrix)
    assert matrix.shape == (10, 10) and np.all(np.diag(matrix) == 0) and matrix.sum() == 90
    assert "lowest expected cost" in texts(at)


def test_copies_shared_by_the_splits_are_reported_and_can_be_dropped(local_home: Path):
    duplicates = {
        "checked": True,
        "method": "normalised exact text, and character 3-5-gram cosine >= 0.9",
        "exact": 3,
        "near": 1,
        "test_n": 60,
        "share_of_test": 4 / 60,
        "test_indices": [0, 1, 2, 3],
        "accuracy_with": 0.8,
        "accuracy_without": 0.7857,
        "n_without": 56,
        "examples": [
            {
                "test_index": 0,
                "train_index": 5,
                "kind": "exact",
                "similarity": 1.0,
                "test_label": "positive",
                "train_label": "positive",
                "test_text": "Great phone!",
                "train_text": "great phone",
            }
        ],
    }
    make_run(local_home, "20990101-000000-ngram_bag-cccccc", usable=True, evaluation_extra={"duplicates": duplicates})
    at = goto(app(), "pages/evaluate.py")
    warning = " ".join(w.value for w in at.warning)
    assert "4 of the 60 test texts (6.7%) have a copy in the training data" in warning
    assert "78.6%" in warning
    assert "have a copy or near-copy in the training data" in _summary(at)
    at.button(key="drop_duplicates_eval").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Removed 0 duplicate rows" in texts(at)  # the built-in reviews hold no copies
    assert at.session_state["dataset"].name == "Product reviews"


def test_data_page_drops_copies_before_training(local_home: Path):
    import pandas as pd

    reviews = pd.read_csv(Path(__file__).resolve().parents[2] / "sample_data" / "reviews.csv")
    copies = reviews.iloc[[3, 10]].copy()
    copies.iloc[0, 0] = str(copies.iloc[0, 0]).upper() + "!!"  # a copy after normalising case and punctuation
    table = pd.concat([reviews, copies], ignore_index=True)
    at = goto(app(), "pages/data.py")
    at.file_uploader(key="data_upload").upload("dups.csv", table.to_csv(index=False).encode(), "text/csv").run()
    next(b for b in at.button if b.label == "Use these columns").click().run()
    assert len(at.session_state["dataset"]) == len(reviews) + 2
    at.button(key="drop_duplicates_data").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.session_state["dataset"]) == len(reviews)
    assert "Removed 2 rows (2 exact and 0 near copies)" in texts(at)
