"""The Serve box on Saved runs, through AppTest: the command, an example request and that request's real answer."""

from __future__ import annotations

import json

from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from modeling.serving.contract import ServedRun
from tests.app.helpers import app, goto, no_exception


def test_the_serve_box_shows_the_command_an_example_request_and_its_real_answer(local_home):
    at = goto(app(), "pages/runs.py")
    next(s for s in at.selectbox if s.label == "Run").set_value("starter-digits").run()
    no_exception(at)
    assert any("Serve it as a REST API" in e.label for e in at.expander)
    assert any(c.value == "python -m modeling serve starter-digits --port 8000" for c in at.code)
    at.button(key="serve_starter-digits").click().run()
    no_exception(at)
    curl = next(c.value for c in at.code if c.value.startswith("curl -s http://127.0.0.1:8000/predict"))
    assert "Content-Type: application/json" in curl
    assert any("requests.post(" in c.value for c in at.code)
    shown = at.json[0].value
    answer = json.loads(shown) if isinstance(shown, str) else shown
    body = json.loads(curl.split("-d ", 1)[1].strip("'"))  # the picture the example sends
    run = RunStore(local_home).load("starter-digits")
    expected = ServedRun("starter-digits", load_predictor(run)).answer(json.dumps(body).encode(), max_rows=1)
    assert answer == expected and answer["answers"][0]["predicted_label"] in [str(d) for d in range(10)]
