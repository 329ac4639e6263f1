"""uvicorn's h11 protocol with TCP_NODELAY set on every accepted connection.

asyncio sets TCP_NODELAY only on sockets whose `proto` is IPPROTO_TCP. With 2+ workers uvicorn
binds the listening socket itself (`socket.socket(family=...)`, proto 0) and hands it to the
workers, so no accepted connection got it: Nagle's algorithm and the client's delayed ACK then
added ~40–50 ms to every response (p50 48 ms against 1 ms on /healthz). uvloop sets it always;
`serve` runs asyncio (docs/design.md, issue 17), so we set it here.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        set_nodelay(transport)
        super().connection_made(transport)  # type: ignore[arg-type]
