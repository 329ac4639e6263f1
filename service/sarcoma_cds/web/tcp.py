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
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        set_nodelay(transport)
        super().connection_made(transport)  # type: ignore[arg-type]


# After each accepted connection: one worker takes at most ~1,000 new connections a second
# (kept-alive connections are not affected).
ACCEPT_PAUSE_SECONDS = 0.001


class FairAcceptLoop(asyncio.SelectorEventLoop):
    """asyncio's selector loop, taking one new connection per wake-up, then pausing for 1 ms.

    `serve`'s workers share one listening socket, and asyncio accepts up to `backlog` (2,048)
    queued connections per wake-up: the first idle worker took every connection a client opened
    at once (an EHR's or a proxy's keep-alive pool), and the other workers idled. In the bench,
    one of two workers served all 8 connections in every run (issue 18). One per wake-up was not
    enough on two busy cores (the first worker was back before the second had run); with the
    pause, the 8 connections spread over both workers in 6 of 6 runs. The kernel's queue (the
    listen backlog) is unchanged; connections wait there, not refused, while a worker pauses.
    """

    def _accept_connection(
        self,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        sock: socket.socket,
        sslcontext: Any = None,
        server: Any = None,
        backlog: int = 100,
        *timeouts: float,
    ) -> None:
        # asyncio's own accept loop, told to take just one: a private method, with this signature
        # in Python 3.10-3.13 (tests/web/test_web_tcp.py checks its effect)
        super()._accept_connection(  # type: ignore[misc]
            protocol_factory, sock, sslcontext, server, 1, *timeouts
        )
        fd = sock.fileno()
        if fd == -1:
            return  # the server closed meanwhile
        # Then a moment's pause: a worker woken by the same new connections gets its turn.
        self.remove_reader(fd)
        self.call_later(
            ACCEPT_PAUSE_SECONDS,
            self._resume_accepting,
            protocol_factory,
            sock,
            sslcontext,
            server,
            backlog,
            *timeouts,
        )

    def _resume_accepting(
        self,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        sock: socket.socket,
        sslcontext: Any,
        server: Any,
        backlog: int,
        *timeouts: float,
    ) -> None:
        if sock.fileno() == -1 or (server is not None and not server.is_serving()):
            return  # closed while paused
        self.add_reader(
            sock.fileno(),
            self._accept_connection,
            protocol_factory,
            sock,
            sslcontext,
            server,
            backlog,
            *timeouts,
        )
