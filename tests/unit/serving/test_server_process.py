"""``python -m modeling serve`` as a real uvicorn process on a free port of 127.0.0.1, always stopped at the end:
it answers, survives a client that disconnects mid-request, and says what binding beyond this machine means."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

pytest.importorskip("uvicorn", reason="uvicorn comes with Streamlit's requirements")

from modeling.serving.server import exposure_warning, is_loopback
from tests.conftest import REPO_ROOT
from tests.unit.serving.helpers import drawn_one, free_port, png_base64


def _get(url: str, timeout: float = 5.0) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _post(url: str, body: dict, timeout: float = 30.0) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def server():
    port = free_port()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("MODELDECK_API_KEY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "modeling", "serve", "starter-digits", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            assert process.poll() is None, process.communicate(timeout=10)
            try:
                if _get(f"{base}/health", timeout=1)[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the server did not answer /health within 180 s")
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def test_a_served_run_answers_survives_a_client_that_goes_away_and_stops_cleanly(server):
    base, process = server
    body = {"rows": [{"image": png_base64(drawn_one())}]}
    status, reply = _post(f"{base}/predict", body)
    assert status == 200 and reply["answers"][0]["predicted_label"] == "1"
    with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=5) as raw:
        raw.sendall(
            b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n" + b'{"rows": [{"image": "iVBOR'
        )  # then the client disconnects, 99,970 bytes short
    status, reply = _post(f"{base}/predict", body)
    assert status == 200 and reply["answers"][0]["predicted_label"] == "1"
    status, reply = _post(f"{base}/predict", {"rows": [{"picture": "x"}]})
    assert status == 422 and "no column 'image'" in reply["error"]
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err[-2000:]
    assert f"serving starter-digits (image_classification): POST {base}/predict" in err
    assert f"Uvicorn running on {base}" in err and "Traceback" not in err


def test_binding_beyond_this_machine_is_said_plainly():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.5")
    assert exposure_warning("127.0.0.1", None) is None
    assert "WITHOUT an API key" in exposure_warning("0.0.0.0", None)
    assert "TLS" in exposure_warning("0.0.0.0", "key")


def test_a_taken_port_is_said_in_a_sentence_before_anything_loads(capsys):
    from modeling.__main__ import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "starter-digits", "--port", str(port)]) == 2
    said = capsys.readouterr().err
    assert f"Cannot listen on 127.0.0.1:{port}" in said and "--port" in said and "Traceback" not in said
