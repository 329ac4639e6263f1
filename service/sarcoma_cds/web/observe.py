"""Request latency by route template, method and status, as a pure ASGI middleware.

Starlette's `@app.middleware("http")` (BaseHTTPMiddleware) runs each request through an extra
task group and memory stream; this wrapper only notes the status as the response starts and
times the call (bench/README.md, issue 18).
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sarcoma_cds.web.metrics import Metrics, route_template_of


class ObserveRequests:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        # An exception escaping the app is answered (500) and logged outside this middleware,
        # as it was with BaseHTTPMiddleware: only answered requests are timed here.
        await self.app(scope, receive, note_status)
        self.metrics.record_request(
            route_template_of(scope), scope["method"], status, time.perf_counter() - started
        )
