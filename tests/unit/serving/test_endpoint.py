"""The REST endpoint in-process (FastAPI's TestClient): valid requests for a text, an image and a table run answer
exactly what the Predict page answers; hostile requests get a 4xx/5xx with a sentence and the server keeps serving.

The runs: the two starters (real runs shipped with the code) and a tiny table run trained once for the module.
"""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("fastapi", reason="FastAPI comes with mlflow-skinny: pip install -r requirements-team.txt")

from fastapi.testclient import TestClient

from modeling.data.digits import locate_digit
from modeling.data.readers.picture import open_picture
from modeling.runs.loading import load_predictor
from modeling.runs.store import default_store
from modeling.serving.app import build_app
from modeling.serving.contract import ServedRun
from modeling.serving.examples import example_request
from modeling.serving.guards import MB
from tests.unit.serving.helpers import TABLE_ROWS, drawn_one, png_base64, table_run

REVIEWS = ["I love this blender, it crushes ice in seconds.", "Broke after two days and support never answered."]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, ServedRun]:
    store = default_store()
    served = {name: ServedRun(name, load_predictor(store.load(name))) for name in ("starter-reviews", "starter-digits")}
    table = table_run(tmp_path_factory.mktemp("table"))
    served["houses"] = ServedRun("houses", load_predictor(table))
    return served


@pytest.fixture(scope="module")
def client(runs) -> TestClient:
    app = build_app(list(runs.values()), api_key=None, max_bytes=10 * MB, max_rows=10_000)
    return TestClient(app, raise_server_exceptions=False)


def _predict(client: TestClient, name: str, rows) -> dict:
    response = client.post(f"/runs/{name}/predict", json={"rows": rows})
    assert response.status_code == 200, response.text
    return response.json()


def _still_serving(client: TestClient) -> None:
    """After a refusal, a valid request is answered as before."""
    assert _predict(client, "starter-reviews", [{"text": REVIEWS[0]}])["answers"][0]["predicted_label"] == "positive"


# ---- valid requests: the Predict page's answers ------------------------------------------------------------------
def test_health_runs_schema_and_openapi_page(client, runs):
    assert client.get("/health").json() == {"status": "ok", "runs": 3}
    assert {r["name"] for r in client.get("/runs").json()["runs"]} == set(runs)
    schema = client.get("/runs/houses/schema").json()
    assert [(c["name"], c["type"]) for c in schema["columns"]] == [
        ("size", "number"),
        ("city", "category"),
        ("garden", "yes/no"),
        ("noise", "number"),
    ]
    assert schema["classes"] == ["no", "yes"]
    assert set(schema["example"]["rows"][0]) == {"size", "city", "garden", "noise"}
    digits = client.get("/runs/starter-digits/schema").json()
    base64.b64decode(digits["columns"][0]["example"], validate=True)  # a real PNG example, not a placeholder
    paths = client.get("/openapi.json").json()["paths"]
    assert {f"/runs/{name}/predict" for name in runs} <= set(paths)
    body = paths["/runs/houses/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"]["rows"]["items"]["required"] == ["size", "city", "garden", "noise"]
    assert "swagger" in client.get("/docs").text.lower()


def test_a_text_gets_the_predict_pages_answer(client, runs):
    answers = _predict(client, "starter-reviews", [{"text": t} for t in REVIEWS])["answers"]
    predictor = runs["starter-reviews"].predictor
    for text, answer in zip(REVIEWS, answers, strict=True):
        page = predictor.predict_one(text)  # what the Predict page shows for one text
        assert answer["predicted_label"] == page.label and answer["needs_review"] == page.needs_review
        assert answer["confidence"] == pytest.approx(page.confidence, abs=1e-4)
        for name, value in page.probabilities.items():
            assert answer[f"probability_{name}"] == pytest.approx(value, abs=1e-4)
    assert [a["predicted_label"] for a in answers] == ["positive", "negative"]


def test_a_photo_of_a_digit_gets_the_predict_pages_answer(client, runs):
    photo = png_base64(drawn_one())
    answer = _predict(client, "starter-digits", [{"image": f"data:image/png;base64,{photo}"}])["answers"][0]
    seen = locate_digit(open_picture(base64.b64decode(photo))).image[..., None]  # the Predict page's photo path
    page = runs["starter-digits"].predictor.predict_one(seen)
    assert answer["predicted_label"] == page.label == "1"
    assert answer["confidence"] == pytest.approx(page.confidence, abs=1e-4)


def test_table_rows_get_answers_reasons_and_the_saved_rule(client, runs):
    reply = _predict(client, "houses", TABLE_ROWS)
    predictor = runs["houses"].predictor
    local = predictor.score_frame(pd.DataFrame(TABLE_ROWS))
    expected = local.frame[local.answer_columns].to_dict("records")
    assert len(reply["answers"]) == 3 and list(reply["answers"][0]) == local.answer_columns
    for got, want in zip(reply["answers"], expected, strict=True):
        for key, value in want.items():
            assert got[key] == (pytest.approx(value, abs=1e-6) if isinstance(value, float) else value), key
        assert got["needs_review"] == (got["confidence"] < 0.9)  # the rule saved with the run
        assert any(got[f"reason_{i}"] for i in (1, 2, 3))
    what_if = predictor.predict_row(TABLE_ROWS[0])  # the Predict page's what-if row
    assert reply["answers"][0]["predicted_label"] == what_if.label
    assert reply["answers"][0]["confidence"] == pytest.approx(what_if.confidence, abs=1e-4)


def test_extra_columns_are_ignored_and_said_so(client):
    reply = _predict(client, "starter-reviews", [{"text": REVIEWS[0], "customer_id": 7, "channel": "email"}])
    assert reply["ignored_columns"] == ["customer_id", "channel"]
    assert any("customer_id" in note for note in reply["notes"])


def test_one_run_is_served_at_predict_and_the_example_request_gets_its_real_answer(runs):
    served = runs["houses"]
    client = TestClient(build_app([served], api_key=None, max_bytes=MB, max_rows=100))
    example = example_request(served)
    response = client.post("/predict", json=example.body)
    assert response.status_code == 200 and response.json() == example.answer
    assert client.get("/schema").json()["run"] == "houses"
    assert "curl -s http://127.0.0.1:8000/predict" in example.curl and "requests.post" in example.python
    assert example.command == "python -m modeling serve houses --port 8000"


# ---- hostile requests: a sentence each, and the server keeps serving ----------------------------------------------
BAD = [
    ("malformed JSON", b'{"rows": [{"text": "unclosed', 400, "not valid JSON"),
    ("NaN is not JSON", b'{"rows": [{"text": NaN}]}', 400, "NaN"),
    ("nested too deep", b"[" * 100_000 + b"]" * 100_000, 400, "too deeply"),
    ("no rows", b'{"rows": []}', 422, "no rows"),
    ("rows not a list", b'{"rows": {"text": "a"}}', 422, "list of objects"),
    ("a row not an object", b'{"rows": ["just a text"]}', 422, "Row 1 is the text"),
    ("unknown key", b'{"data": [{"text": "a"}]}', 422, "'data'"),
    ("wrong type", b'{"rows": [{"text": "ok"}, {"text": 42}]}', 422, "Row 2, column 'text': expected text"),
    ("a list in a cell", b'{"rows": [{"text": ["a", "b"]}]}', 422, "holds a list"),
    ("missing column", b'{"rows": [{"Text": "capital T"}]}', 422, "no column 'text'"),
    ("null text", b'{"rows": [{"text": null}]}', 422, "is empty"),
]


@pytest.mark.parametrize(("body", "status", "said"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_a_bad_request_gets_a_sentence_and_the_server_keeps_serving(client, body, status, said):
    response = client.post("/runs/starter-reviews/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert said in response.json()["error"] and "Traceback" not in response.text
    _still_serving(client)


def test_wrong_table_cells_name_the_row_and_column(client):
    rows = [dict(TABLE_ROWS[0]), {**TABLE_ROWS[1], "size": "big"}]
    response = client.post("/runs/houses/predict", json={"rows": rows})
    assert response.status_code == 422
    assert response.json() == {
        "error": "Row 2, column 'size': expected a number (or a number as text, such as \"1,200\"), "
        "got the text 'big'.",
        "column": "size",
        "row": 2,
    }
    huge = b'{"rows": [{"size": 1e999, "city": "Paris", "garden": "no", "noise": 0}]}'  # parses as infinity
    refused = client.post("/runs/houses/predict", content=huge, headers={"content-type": "application/json"})
    assert refused.status_code == 422 and "'size': is not a finite number" in refused.json()["error"]
    missing = client.post("/runs/houses/predict", json={"rows": [{"size": 1, "city": "Paris", "garden": "no"}]})
    assert missing.status_code == 422 and "no column 'noise'" in missing.json()["error"]
    assert "Send null where the value is unknown" in missing.json()["error"]
    _still_serving(client)


def test_a_picture_that_is_not_a_picture_is_refused(client):
    for cell, said in ((base64.b64encode(b"just some text").decode(), "not a readable PNG"), ("%%%", "not base64")):
        response = client.post("/runs/starter-digits/predict", json={"rows": [{"image": cell}]})
        assert response.status_code == 422 and said in response.json()["error"]
    _still_serving(client)


def test_a_100_mb_body_is_refused_by_its_size_before_it_is_read(client):
    started = time.perf_counter()
    response = client.post(
        "/runs/starter-reviews/predict", content=b" " * (100 * MB), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413 and "at most 10 MB" in response.json()["error"]
    assert time.perf_counter() - started < 5
    chunks = (b" " * MB for _ in range(12))  # no Content-Length: counted as it arrives
    streamed = client.post(
        "/runs/starter-reviews/predict", content=chunks, headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    _still_serving(client)


def test_a_million_rows_are_refused_by_their_count(runs):
    client = TestClient(build_app([runs["starter-reviews"]], api_key=None, max_bytes=64 * MB, max_rows=10_000))
    body = b'{"rows": [' + b",".join([b'{"text": "a"}'] * 1_000_000) + b"]}"
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"].startswith("The request holds 1,000,000 rows; this server takes at most 10,000")
    assert client.post("/predict", json={"rows": [{"text": REVIEWS[1]}]}).status_code == 200


def test_unknown_routes_methods_and_content_types_get_sentences(client):
    unknown = client.post("/runs/no-such-run/predict", json={"rows": [{"text": "a"}]})
    assert unknown.status_code == 404 and "No run called 'no-such-run'" in unknown.json()["error"]
    assert "starter-reviews" in unknown.json()["error"]
    assert client.get("/runs/houses/predict").status_code == 405
    assert "POST" in client.get("/runs/houses/predict").json()["error"]
    form = client.post("/runs/houses/predict", content=b"text=hello", headers={"content-type": "text/plain"})
    assert form.status_code == 415 and "application/json" in form.json()["error"]
    _still_serving(client)


def test_the_api_key_is_required_when_set(runs):
    client = TestClient(build_app([runs["starter-reviews"]], api_key="s3cret-key", max_bytes=MB, max_rows=10))
    body = {"rows": [{"text": REVIEWS[0]}]}
    missing = client.post("/predict", json=body)
    wrong = client.post("/predict", json=body, headers={"Authorization": "Bearer guess"})
    assert missing.status_code == wrong.status_code == 401
    assert "no API key" in missing.json()["error"] and "wrong API key" in wrong.json()["error"]
    assert missing.headers["www-authenticate"] == "Bearer"
    assert client.get("/schema").status_code == 401 and client.get("/health").status_code == 200
    right = client.post("/predict", json=body, headers={"Authorization": "Bearer s3cret-key"})
    assert right.status_code == 200 and right.json()["answers"][0]["predicted_label"] == "positive"


def test_an_unexpected_failure_is_a_sentence_without_the_traceback(client, runs, monkeypatch):
    def broken(frame, on_progress=None):
        raise RuntimeError("/secret/server/path exploded")

    monkeypatch.setattr(runs["houses"].predictor, "score_frame", broken)
    response = client.post("/runs/houses/predict", json={"rows": TABLE_ROWS})
    assert response.status_code == 500
    assert "did not expect" in response.json()["error"]
    assert "secret" not in response.text and "Traceback" not in response.text
    monkeypatch.undo()
    assert _predict(client, "houses", TABLE_ROWS[:1])["answers"][0]["predicted_label"] in ("yes", "no")


def test_answers_are_json_with_null_for_missing_numbers(runs):
    served = runs["houses"]
    reply = served.answer(json.dumps({"rows": TABLE_ROWS}).encode(), max_rows=10)
    text = json.dumps(reply, allow_nan=False)  # no NaN can reach a client
    assert json.loads(text)["answers"][2]["predicted_label"] in ("yes", "no")
    assert np.isfinite([a["confidence"] for a in reply["answers"]]).all()
