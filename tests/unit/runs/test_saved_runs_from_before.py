"""Run folders written by earlier releases (the starters ship as such) open and predict exactly as saved.

The starters were trained before the package was split into layers; their ``evaluation.json`` holds the
test accuracy the earlier code measured. Loading them with today's code must reproduce it to the example.
"""

from __future__ import annotations

import pytest

from modeling.runs.loading import load_predictor
from modeling.runs.predictions import complete_evaluation, load_predictions
from modeling.runs.store import RunStore
from modeling.settings import STARTERS_DIR


@pytest.mark.parametrize("run_id", ["starter-digits", "starter-reviews"])
def test_a_starter_reproduces_its_saved_test_accuracy(tmp_path, run_id):
    run = RunStore(tmp_path, starters=STARTERS_DIR).load(run_id)
    test = run.load_test()
    predictor = load_predictor(run)
    inputs = test.texts if run.task == "text_classification" else test.images
    probs = predictor.predict(inputs, calibrated=False)
    right = int((probs.argmax(axis=1) == test.labels).sum())
    assert right == round(run.evaluation["model"]["accuracy"] * len(test))
    completed = complete_evaluation(run.evaluation, load_predictions(run), run.class_names)
    assert completed["intervals"]["accuracy"]["n"] == len(test)
    assert completed["calibration"]["validation_n"] >= 0
