"""The event loop and HTTP protocol `serve` gives uvicorn, in a module that imports nothing else,
so the bench floor (bench/floor.py) runs under the same stack without loading the service."""

from __future__ import annotations

from typing import Any

# uvicorn's h11 protocol with TCP_NODELAY on each connection (web/tcp.py says why); named as a
# string, as uvicorn imports it in each worker (startup.py never imports `web`).
H11_NODELAY = "sarcoma_cds.web.tcp:NoDelayH11Protocol"
# named as a string like the protocol: web/tcp.py says why one connection per wake-up
FAIR_ACCEPT_LOOP = "sarcoma_cds.web.tcp:FairAcceptLoop"
MAX_HEADER_BYTES = 32 * 1024  # the request line and all headers together (400 above)

SERVER_STACK: dict[str, Any] = {
    # asyncio, not uvloop: under uvloop a paused fallback-fetch socket kept reading, and a
    # hostile FHIR server's endless body queued ~200 MB per worker (docs/design.md). Its selector
    # loop, each worker taking one new connection per wake-up.
    "loop": FAIR_ACCEPT_LOOP,
    # h11, not httptools: h11 bounds a request's header block (httptools kept 64 MB of
    # headers before any authentication; issue 17, F5). 32 KB fits a 16 KB client JWT.
    "http": H11_NODELAY,
    "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
}
