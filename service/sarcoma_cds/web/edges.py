"""Two ASGI edges an EHR's browser or proxy meets before any route.

- `TrailingSlash`: `/cds-services/` is served as `/cds-services`, never redirected; behind a TLS
  proxy a redirect built from the request would send the client to an `http://` URL. The JWT
  audience stays the URL the client called (`called_path`).
- `PreflightLog`: one log line per CORS preflight (method asked for, path, origin, outcome), so
  an integrator can see why a browser refused a call. The origin is the browser's, never a token.
"""

from __future__ import annotations

import logging
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("sarcoma_cds.web.cors")

_PRINTABLE = re.compile(r"[^\x20-\x7e]")


def called_path(scope: Scope) -> str:
    """The path as the client called it (before `TrailingSlash` trimmed it)."""
    state = scope.get("state") or {}
    path = state.get("called_path") if isinstance(state, dict) else None
    return path if isinstance(path, str) else str(scope["path"])


class TrailingSlash:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            scope.setdefault("state", {})["called_path"] = path
            trimmed = path.rstrip("/") or "/"
            scope = {**scope, "path": trimmed, "raw_path": trimmed.encode()}
        await self.app(scope, receive, send)


def _clean(value: bytes, limit: int = 200) -> str:
    return _PRINTABLE.sub("?", value.decode("latin-1"))[:limit]


class PreflightLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", ())) if scope["type"] == "http" else {}
        asked = headers.get(b"access-control-request-method")
        if scope.get("method") != "OPTIONS" or b"origin" not in headers or asked is None:
            await self.app(scope, receive, send)
            return
        status = 0
        body = b""

        async def watch(message: Message) -> None:
            nonlocal status, body
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body += message.get("body", b"")[:200]
            await send(message)

        await self.app(scope, receive, watch)
        # Starlette answers a refused preflight 400 with a fixed text ("Disallowed CORS origin").
        outcome = "allowed" if status == 200 else f"refused ({status}): {_clean(body) or '-'}"
        logger.info(
            "cors preflight %s %s from %s: %s",
            _clean(asked, 20),
            scope.get("path"),
            _clean(headers[b"origin"]),
            outcome,
            extra={"method": _clean(asked, 20), "path": scope.get("path"), "status": status},
        )
