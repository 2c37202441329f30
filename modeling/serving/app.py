"""The REST application: a FastAPI app over one or several loaded runs (``python -m modeling serve``).

Routes (one run: ``/predict`` and ``/schema``; several: one pair per run name under ``/runs/{name}/``):

- ``POST /predict``: JSON rows in, one answer per row (:mod:`modeling.serving.contract`);
- ``GET /schema``: the columns a row must hold, their types, an example, and an example request;
- ``GET /health`` (never asks for the key, for load balancers), ``GET /runs``, and the OpenAPI page ``/docs``.

Every refusal and failure is JSON ``{"error": "<a sentence>"}`` with a 4xx or 5xx status: bad requests name the
row and column; an unexpected failure is logged with its traceback on the server and answered with a sentence,
never the traceback. Scoring runs in the thread pool (the predictors are thread-safe), so a slow request does
not hold up ``/health`` or the others. FastAPI is imported here at module level; nothing light imports this.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from modeling import format as fmt
from modeling.errors import DataError, ModelDeckError
from modeling.serving.contract import RequestProblem, ServedRun, request_schema
from modeling.serving.guards import ApiKey, BodyLimit

log = logging.getLogger(__name__)

#: The statuses a predict route answers besides 200, for the OpenAPI page.
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON (the error says where it stops being JSON)."},
    401: {"description": "MODELDECK_API_KEY is set and the request has no or a wrong bearer token."},
    413: {"description": "Over MODELDECK_SERVE_MAX_MB megabytes, or over MODELDECK_SERVE_MAX_ROWS rows."},
    415: {"description": "Not sent as Content-Type: application/json."},
    422: {"description": "A row lacks a column or a cell has the wrong type; the error names the row and column."},
    500: {"description": "The server could not score the rows; the reason is a sentence, details in its log."},
}
UNEXPECTED = (
    "The server could not answer this request because of a problem it did not expect; the details are in the "
    "server's log. Check the request against GET /schema, or try again."
)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _json(payload: dict[str, Any]) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False, allow_nan=False), media_type="application/json")


def _is_json(content_type: str | None) -> bool:
    main = (content_type or "").split(";", 1)[0].strip().lower()
    return main == "application/json" or main.endswith("+json")


def _predict_route(served: ServedRun, max_rows: int) -> Callable[[Request], Any]:
    async def predict(request: Request) -> Response:
        if not _is_json(request.headers.get("content-type")):
            return _error(
                415,
                "Send the rows as JSON with the header 'Content-Type: application/json' "
                f"(this request says '{fmt.clip(request.headers.get('content-type') or 'nothing', 60)}').",
            )
        try:
            body = await request.body()
        except ClientDisconnect:  # the client went away mid-request: nothing to answer, nothing lost
            log.info("A client disconnected before sending its whole request to %s", request.url.path)
            return Response(status_code=400)
        try:
            return _json(await run_in_threadpool(served.answer, body, max_rows))
        except RequestProblem as exc:
            return JSONResponse(exc.to_dict(), status_code=exc.status)
        except DataError as exc:  # the predictor refused a value (a picture that is not a picture, ...)
            return _error(422, str(exc))
        except ModelDeckError as exc:  # a sentence about the model or the run (answers NaN, damaged files)
            log.warning("Run %s could not answer: %s", served.name, exc)
            return _error(500, str(exc))
        except Exception:
            log.exception("Run %s failed on a request", served.name)
            return _error(500, UNEXPECTED)

    predict.__name__ = f"predict_{served.name}"
    return predict


def _schema_route(served: ServedRun) -> Callable[[], Any]:
    async def schema() -> Response:
        return _json(served.schema_dict())

    schema.__name__ = f"schema_{served.name}"
    return schema


def _add_run(app: FastAPI, served: ServedRun, prefix: str, max_rows: int) -> None:
    title = f" ({fmt.clip(served.title, 80)})" if served.title else ""
    body = {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": request_schema(served), "example": {"rows": served.example_rows()}}
            },
        }
    }
    app.add_api_route(
        f"{prefix}/predict",
        _predict_route(served, max_rows),
        methods=["POST"],
        summary=f"Answers of run {served.name}{title}",
        description="One answer per row, in the order of the rows: the answer columns of the run's predictor "
        "under its saved decision rule. Columns the model does not read are ignored and listed.",
        openapi_extra=body,
        responses=REFUSALS,
        tags=[served.name],
    )
    app.add_api_route(
        f"{prefix}/schema",
        _schema_route(served),
        methods=["GET"],
        summary=f"The columns run {served.name} reads",
        tags=[served.name],
    )


def build_app(runs: Sequence[ServedRun], *, api_key: str | None, max_bytes: int, max_rows: int) -> FastAPI:
    """The application serving ``runs``: one run at ``/predict``, and each under ``/runs/{name}/``."""
    names = [r.name for r in runs]
    if not runs or len(set(names)) != len(names):
        raise ModelDeckError("Serve at least one run, each under its own name.")
    app = FastAPI(
        title="ModelDeck",
        version="1",
        description="Answers of saved ModelDeck runs. Send rows in the column names the run was trained on; "
        "`GET /schema` lists them with an example. With MODELDECK_API_KEY set on the server, send "
        "`Authorization: Bearer <key>`.",
        redoc_url=None,
    )
    app.state.runs = {r.name: r for r in runs}
    for served in runs:
        _add_run(app, served, f"/runs/{served.name}", max_rows)
    if len(runs) == 1:
        _add_run(app, runs[0], "", max_rows)
    routes = [f"/runs/{n}/predict" for n in names] if len(runs) > 1 else ["/predict"]

    @app.get("/health", summary="Whether the server is up (never asks for the API key)")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "runs": len(runs)}

    @app.get("/runs", summary="The runs this server answers for, with their routes")
    async def listing() -> dict[str, Any]:
        return {
            "runs": [
                {"name": r.name, "title": r.title, "task": r.task, "predict": f"/runs/{r.name}/predict"} for r in runs
            ]
        }

    @app.get("/", include_in_schema=False)
    async def index() -> dict[str, Any]:
        return {"service": "ModelDeck", "predict": routes, "schema": "/schema" if len(runs) == 1 else None}

    _add_error_handlers(app, names)
    app.add_middleware(BodyLimit, max_bytes=max_bytes)
    app.add_middleware(ApiKey, key=api_key)  # added last: outermost, so the key is checked before anything is read
    return app


def _add_error_handlers(app: FastAPI, names: list[str]) -> None:
    served = ", ".join(names[:20])

    @app.exception_handler(HTTPException)
    async def http_problem(request: Request, exc: HTTPException) -> JSONResponse:
        path = request.url.path
        if exc.status_code == 404 and path.startswith("/runs/"):
            name = path.split("/")[2]
            message = f"No run called '{fmt.clip(name, 60)}' is served here. Runs: {served}."
        elif exc.status_code == 404:
            where = "POST /predict, GET /schema" if len(names) == 1 else "POST /runs/{name}/predict, GET /runs"
            message = f"There is nothing at {fmt.clip(path, 80)}. This server answers {where}, GET /health and /docs."
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {fmt.clip(path, 80)}: predict with POST, read with GET."
        else:
            message = str(exc.detail)
        return _error(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = (exc.errors() or [{}])[0]
        return _error(422, f"The request is not valid: {first.get('msg', 'unreadable')}.")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("Unexpected failure on %s %s", request.method, request.url.path, exc_info=exc)
        return _error(500, UNEXPECTED)
