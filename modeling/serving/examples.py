"""The example request a person copies to call a served run, with the answer it really gets.

The Serve box on Saved runs and ``docs/serving.md`` show the command that starts the server, one request built
from the run's ``input_schema()`` examples (as ``curl`` and as Python) and that request's answer. The answer is
computed here in-process by :meth:`ServedRun.answer` on the very body the examples send: the same code the
server runs for ``POST /predict``, so the page shows what the server answers, not an illustration.
"""

from __future__ import annotations

import json
import pprint
import shlex
from dataclasses import dataclass
from typing import Any

from modeling.serving.contract import ServedRun

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class ExampleRequest:
    """How to start the server for a run and call it, and what that call answers."""

    command: str
    url: str
    body: dict[str, Any]
    curl: str
    python: str
    answer: dict[str, Any]


def serve_command(run_id: str, home: str | None = None) -> str:
    """``python -m modeling serve RUN`` (with ``--home`` when the runs are not in the default workspace)."""
    where = f" --home {shlex.quote(home)}" if home else ""
    return f"python -m modeling{where} serve {shlex.quote(run_id)} --port 8000"


def example_request(
    served: ServedRun, *, base_url: str = DEFAULT_BASE_URL, with_key: bool = False, home: str | None = None
) -> ExampleRequest:
    """The example request for ``served`` and its real answer (``with_key``: the requests send the API key)."""
    body = {"rows": served.example_rows()}
    url = f"{base_url.rstrip('/')}/predict"
    text = json.dumps(body, ensure_ascii=False)
    key_header = ' -H "Authorization: Bearer $MODELDECK_API_KEY"' if with_key else ""
    curl = f"curl -s {url} -H 'Content-Type: application/json'{key_header} \\\n  -d {shlex.quote(text)}"
    headers = '\n    headers={"Authorization": f"Bearer {os.environ[\'MODELDECK_API_KEY\']}"},' if with_key else ""
    imports = "import os\n\n" if with_key else ""
    python = (
        f"{imports}import requests\n\n"
        f"rows = {pprint.pformat(body['rows'], width=100, sort_dicts=False)}\n"
        f'response = requests.post(\n    {url!r},\n    json={{"rows": rows}},{headers}\n    timeout=30,\n)\n'
        "response.raise_for_status()\n"
        'for answer in response.json()["answers"]:\n    print(answer)\n'
    )
    answer = served.answer(text.encode("utf-8"), max_rows=len(body["rows"]))
    return ExampleRequest(serve_command(served.name, home), url, body, curl, python, answer)
