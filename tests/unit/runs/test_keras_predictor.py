"""Texts and images through the Predictor protocol: the columns read, a scored table, metrics on a labelled one.

Uses the starter runs shipped with the code (no training): the digits CNN and the review classifier.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from modeling.errors import DataError
from modeling.runs.keras_predictor import KerasPredictor
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return RunStore(tmp_path_factory.mktemp("starters-home"))


@pytest.fixture(scope="module")
def digits(store):
    run = store.load("starter-digits")
    return run, load_predictor(run), run.load_test()


def _png(pixels: np.ndarray, scale: int = 4, invert: bool = True) -> bytes:
    """A photo-like PNG of a test digit: bigger, dark ink on light paper."""
    grey = 255 - pixels.squeeze() if invert else pixels.squeeze()
    buffer = io.BytesIO()
    Image.fromarray(np.kron(grey, np.ones((scale, scale))).astype("uint8")).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_digit_model_reads_pixels_png_bytes_and_base64_alike(digits):
    _, predictor, test = digits
    assert isinstance(predictor, KerasPredictor) and predictor.image_shape == (28, 28, 1)
    (column,) = predictor.input_schema()
    assert column.name == "image" and column.type == "image" and "28x28" in column.description
    png = _png(test.images[0])
    frame = pd.DataFrame(
        {
            "image": [
                test.images[0],
                png,
                base64.b64encode(png).decode(),
                "data:image/png;base64," + base64.b64encode(png).decode(),
            ]
        }
    )
    batch = predictor.score_frame(frame)
    assert batch.answer_columns[:4] == ["predicted_label", "confidence", "needs_review", "review_reason"]
    assert batch.answer_columns[4:] == [f"probability_{c}" for c in predictor.class_names]
    truth = test.class_names[test.labels[0]]
    assert batch.frame["predicted_label"].tolist() == [truth] * 4  # the photo is found and centred like a drawing
    pixels = predictor.predict(test.images[:1])
    assert batch.frame[f"probability_{truth}"].iloc[0] == pytest.approx(
        pixels[0, test.class_names.index(truth)], abs=1e-4
    )


def test_image_metrics_match_the_saved_test_split(digits):
    run, predictor, test = digits
    frame = pd.DataFrame({"image": list(test.images), "label": [test.class_names[i] for i in test.labels]})
    metrics = predictor.evaluate_frame(frame)
    assert metrics["n"] == len(test)
    assert metrics["accuracy"] == pytest.approx(run.evaluation["model"]["accuracy"], abs=1e-9)


def test_bad_image_cells_and_missing_columns_are_sentences(digits):
    _, predictor, _ = digits
    with pytest.raises(DataError, match="not base64"):
        predictor.score_frame(pd.DataFrame({"image": ["not a picture!"]}))
    with pytest.raises(DataError, match="not a readable PNG or JPEG"):
        predictor.score_frame(pd.DataFrame({"image": [b"\x89PNG broken"]}))
    with pytest.raises(DataError, match="no image column 'image'"):
        predictor.score_frame(pd.DataFrame({"picture": [b""]}))
    with pytest.raises(DataError, match="no label column 'label'"):
        predictor.evaluate_frame(pd.DataFrame({"image": [np.zeros((28, 28), "uint8")]}))
    with pytest.raises(DataError, match="needs a text model"):
        predictor.score_texts(pd.DataFrame({"text": ["a"]}), "text")


def test_a_text_model_reads_its_column_scores_any_column_and_matches_names(store):
    run = store.load("starter-reviews")
    predictor = load_predictor(run)
    (column,) = predictor.input_schema()
    assert column.type == "text" and column.name == run.meta["dataset"]["text_column"] and column.example
    table = pd.read_csv(REPO_ROOT / "sample_data" / "reviews.csv").head(40)
    batch = predictor.score_frame(table)
    assert len(batch.frame) == 40 and list(batch.frame.columns[: len(table.columns)]) == list(table.columns)
    other = predictor.score_texts(table.rename(columns={column.name: "comment"}), "comment")
    pd.testing.assert_series_equal(other["predicted_label"], batch.frame["predicted_label"])
    metrics = predictor.evaluate_frame(table)
    assert metrics["n"] == 40 and 0.5 < metrics["accuracy"] <= 1.0
    with pytest.raises(DataError, match="labels the model never saw: maybe"):
        label = run.meta["dataset"]["label_column"]
        predictor.evaluate_frame(table.assign(**{label: np.where(np.arange(40) % 2, "maybe", table[label])}))
    with pytest.raises(DataError, match=f"no text column '{column.name}'"):
        predictor.score_frame(table.drop(columns=[column.name]))
