"""``python -m modeling serve RUN [RUN ...]``: load the runs, check each answers its own example, run uvicorn.

Every run is loaded (``load_predictor``) and scores its schema's example once before the port opens, so the
first request is as quick as the rest and a run that cannot answer stops the command with its reason instead
of failing requests later. The server binds 127.0.0.1 unless ``--host`` says otherwise; bound anywhere else
without ``MODELDECK_API_KEY`` it says what that means. uvicorn is imported only when the server starts.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import sys
from collections.abc import Sequence

from modeling import settings
from modeling.errors import ModelDeckError, RunError
from modeling.runs.loading import load_predictor
from modeling.runs.store import RunStore
from modeling.serving.contract import ServedRun
from modeling.serving.guards import MB

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
LOOPBACK_NAMES = ("localhost",)


def served_runs(refs: Sequence[str], store: RunStore, warm: bool = True) -> list[ServedRun]:
    """Each run id (or folder) loaded behind the REST contract, named by its run id; ``warm``: score its example."""
    runs: list[ServedRun] = []
    for ref in refs:
        run = store.load(ref)
        if not run.info.usable:
            raise RunError(f"Run '{run.info.run_id}' has no finished model to serve (it is {run.info.status}).")
        name = run.info.run_id if _NAME.match(run.info.run_id) else re.sub(r"[^A-Za-z0-9_.-]", "-", run.path.name)
        if any(r.name == name for r in runs):
            raise ModelDeckError(f"Run '{name}' is named twice; serve each run once.")
        served = ServedRun(name, load_predictor(run), title=run.info.title)
        if warm:
            served.answer_rows(served.example_rows())  # compiles the model now, and proves the run answers
        runs.append(served)
    return runs


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host.strip().lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, api_key: str | None) -> str | None:
    """What binding ``host`` means, when it is more than this machine (``None`` on loopback)."""
    if is_loopback(host):
        return None
    if api_key:
        return (
            f"Listening on {host}: other machines can reach this server. Requests need the API key; the traffic "
            "itself is plain HTTP, so put the server behind a TLS proxy before it leaves a private network."
        )
    return (
        f"Listening on {host} WITHOUT an API key: anyone who can reach this port can use the model. Set "
        "MODELDECK_API_KEY and put the server behind a TLS proxy (see docs/serving.md)."
    )


def check_free(host: str, port: int) -> None:
    """Refuse at once, with a sentence, an address this machine cannot listen on."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host.strip("[]"), port))
    except OSError as exc:
        raise ModelDeckError(
            f"Cannot listen on {host}:{port} ({exc.strerror or exc}): the port is taken or the address is not "
            "this machine's. Pick another with --port or --host."
        ) from None


def serve(refs: Sequence[str], store: RunStore, host: str = "127.0.0.1", port: int = 8000) -> int:
    """Load the runs and serve them until stopped (Ctrl+C); returns the exit code."""
    import uvicorn

    from modeling.serving.app import build_app

    if not 0 < port < 65536:
        raise ModelDeckError(f"--port {port} is not a port number (1 to 65535).")
    check_free(host, port)  # before the runs load: a busy port is said at once, in a sentence
    print(f"loading {len(refs)} run(s)...", file=sys.stderr)
    runs = served_runs(refs, store)
    api_key = settings.api_key()
    app = build_app(runs, api_key=api_key, max_bytes=settings.serve_max_mb() * MB, max_rows=settings.serve_max_rows())
    base = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    for served in runs:
        route = "/predict" if len(runs) == 1 else f"/runs/{served.name}/predict"
        print(f"serving {served.name} ({served.task}): POST {base}{route}", file=sys.stderr)
    schema = f"{base}/schema" if len(runs) == 1 else f"{base}/runs/RUN/schema"
    print(f"columns and an example: GET {schema}; OpenAPI page: {base}/docs", file=sys.stderr)
    print(
        f"API key: {'required (MODELDECK_API_KEY)' if api_key else 'none'}; at most {settings.serve_max_mb()} MB and "
        f"{settings.serve_max_rows():,} rows per request",
        file=sys.stderr,
    )
    warning = exposure_warning(host, api_key)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_keep_alive=5, server_header=False)
    return 0
