"""ASGI middleware: request id, one access log line per request, and the last-resort 500.

An unexpected exception is answered with a generic OperationOutcome and logged as its class and
the request id only: the message or traceback could carry patient data.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sarcoma_cds.cds_hooks.problems import INTERNAL_ERROR, operation_outcome

logger = logging.getLogger("sarcoma_cds.web.access")

REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def safe_identifier(value: object) -> str | None:
    """A client-given id fit for a log line (no injection, bounded length), else None."""
    return value if isinstance(value, str) and _SAFE_ID.match(value) else None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = safe_identifier(given) or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            logger.error(
                "unhandled exception",
                extra={"request_id": request_id, "error": type(exc).__name__},
            )
            if response_started:
                raise  # the server can only drop the connection now
            status = 500
            body = orjson.dumps(operation_outcome([INTERNAL_ERROR]))
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
        finally:
            logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "hook_instance": safe_identifier(state.get("hook_instance")),
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
