"""What stands in front of every route: the request-size limit and the API key, as plain ASGI middleware.

Both answer before the application reads anything: a request without the right key is refused before its body
is read, and a body larger than the limit is refused by its ``Content-Length`` before a byte of it is read (a
body sent in chunks without a length is counted as it arrives and refused the moment it passes the limit), so
a 100 MB request costs the server nothing. Plain ASGI (no web framework imported) keeps them small and testable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

#: A megabyte as the upload limits count it (:data:`modeling.data.readers.limits.MB`).
MB = 1024 * 1024

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


async def send_json(send: Send, status: int, payload: dict[str, Any], headers: Iterable[tuple[bytes, bytes]] = ()):
    """Answer ``payload`` as JSON with ``status`` (the whole response, in two ASGI messages)."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class BodyTooLarge(Exception):
    """Raised inside the application when a body sent without a length passes the limit."""


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 and a sentence, before or while reading them."""

    def __init__(self, app: App, max_bytes: int) -> None:
        self.app, self.max_bytes = app, int(max_bytes)

    def _too_large(self, size: str) -> dict[str, Any]:
        limit = self.max_bytes / MB
        return {
            "error": f"The request is {size}; this server reads at most {limit:g} MB per request "
            "(MODELDECK_SERVE_MAX_MB). Send fewer rows per request."
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await send_json(send, 400, {"error": f"The Content-Length header '{declared[:20]}' is not a number."})
                return
            if length > self.max_bytes:
                log.info("Refused a %d-byte request to %s", length, scope.get("path"))
                await send_json(send, 413, self._too_large(f"{length / MB:.1f} MB"))
                return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body") or b"")
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            log.info("Refused a request to %s over %d bytes (sent without a length)", scope.get("path"), received)
            if not started:
                await send_json(send, 413, self._too_large(f"over {self.max_bytes / MB:g} MB"))


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class ApiKey:
    """With a key set, refuse every request but ``open_paths`` unless it says ``Authorization: Bearer <key>``.

    The key is compared in constant time (both sides hashed first, so not even its length shows in the timing).
    """

    def __init__(self, app: App, key: str | None, open_paths: Iterable[str] = ("/health",)) -> None:
        self.app = app
        self.key = _digest(key) if key else None
        self.open_paths = set(open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.key is None or scope.get("path") in self.open_paths:
            await self.app(scope, receive, send)
            return
        scheme, _, token = (_header(scope, b"authorization") or "").strip().partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(_digest(token.strip()), self.key):
            await self.app(scope, receive, send)
            return
        said = "a wrong API key" if token.strip() else "no API key"
        log.info("Refused a request to %s with %s", scope.get("path"), said)
        await send_json(
            send,
            401,
            {
                "error": f"This server needs an API key and the request has {said}. Send the header "
                "'Authorization: Bearer <key>' with the key set in MODELDECK_API_KEY on the server."
            },
            [(b"www-authenticate", b"Bearer")],
        )
