"""TCP_NODELAY on every served connection (web/tcp.py): with 2+ workers uvicorn's listening
socket has proto 0, so asyncio never set it and Nagle + delayed ACK added ~50 ms per response."""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from fastapi import FastAPI

from sarcoma_cds.server_stack import SERVER_STACK
from sarcoma_cds.startup import H11_NODELAY
from sarcoma_cds.web.tcp import (
    ACCEPT_PAUSE_SECONDS,
    FairAcceptLoop,
    NoDelayH11Protocol,
    set_nodelay,
)


def _nodelay_of_accepted(setter: bool) -> int:
    """Serve one connection on a listening socket made as uvicorn makes it for several workers
    (proto 0), and read TCP_NODELAY on the accepted socket."""

    async def run() -> int:
        listener = socket.socket(family=socket.AF_INET)  # proto 0, like uvicorn's bind_socket
        listener.bind(("127.0.0.1", 0))
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                if setter:
                    set_nodelay(transport)
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        value = await asyncio.wait_for(seen, 10)
        writer.close()
        server.close()
        await server.wait_closed()
        return value

    return asyncio.run(run())


def test_asyncio_leaves_nagle_on_for_a_proto_0_listener() -> None:
    # The cause, shown: without our setter the accepted connection keeps Nagle's algorithm.
    assert _nodelay_of_accepted(setter=False) == 0


def test_the_served_connection_gets_tcp_nodelay() -> None:
    assert _nodelay_of_accepted(setter=True) != 0


def test_serve_uses_the_nodelay_protocol() -> None:
    config = uvicorn.Config(FastAPI(), http=H11_NODELAY, loop="asyncio")
    config.load()
    assert config.http_protocol_class is NoDelayH11Protocol


def _left_after_one_wake_up(loop: asyncio.AbstractEventLoop, queued: int, then: float) -> int:
    """Queue `queued` connections on a listener, let `loop` handle one readiness of it, run the
    loop for `then` seconds, and count the connections still waiting in the kernel's queue."""
    listener = socket.socket(family=socket.AF_INET)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.setblocking(False)
    clients = [socket.create_connection(listener.getsockname()) for _ in range(queued)]
    taken: list[asyncio.BaseTransport] = []

    class Taken(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            taken.append(transport)

    left = 0
    try:
        accept = loop._accept_connection  # type: ignore[attr-defined]
        accept(Taken, listener, None, None, 100)  # what one wake-up of the listener runs
        loop.run_until_complete(asyncio.sleep(then))  # the accepted ones get their transports
        while True:
            try:
                conn, _ = listener.accept()
            except BlockingIOError:
                return left
            conn.close()
            left += 1
    finally:
        for transport in taken:
            transport.close()
        loop.run_until_complete(asyncio.sleep(0.01))
        for client in clients:
            client.close()
        listener.close()
        loop.close()


def test_asyncio_takes_every_queued_connection_in_one_wake_up() -> None:
    # The cause, shown: the first idle worker took all of a client's connections.
    assert _left_after_one_wake_up(asyncio.SelectorEventLoop(), queued=4, then=0) == 0


def test_each_worker_takes_one_new_connection_then_pauses_for_the_others() -> None:
    # Within the pause the other 3 wait for another worker; after it, this one goes on.
    assert _left_after_one_wake_up(FairAcceptLoop(), queued=4, then=0) == 3
    assert _left_after_one_wake_up(FairAcceptLoop(), queued=4, then=0.2) == 0


def test_a_server_closed_during_the_pause_is_not_served_again() -> None:
    errors: list[dict[str, object]] = []

    async def run() -> int:
        asyncio.get_running_loop().set_exception_handler(lambda _, context: errors.append(context))
        listener = socket.socket(family=socket.AF_INET)
        listener.bind(("127.0.0.1", 0))
        made: list[asyncio.BaseTransport] = []

        class Made(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                made.append(transport)

        server = await asyncio.get_running_loop().create_server(Made, sock=listener)
        address = listener.getsockname()
        first = socket.create_connection(address)
        while not made:  # accepted within a few loop turns, well inside the pause
            await asyncio.sleep(0)
        server.close()  # the listener closes while this worker pauses
        await asyncio.sleep(ACCEPT_PAUSE_SECONDS * 5)  # the resume finds it closed: no error
        for transport in made:
            transport.close()
        first.close()
        await server.wait_closed()
        return len(made)

    runner = asyncio.Runner(loop_factory=FairAcceptLoop)
    with runner:
        assert runner.run(run()) == 1
    assert errors == []


def test_serve_runs_the_fair_accept_loop() -> None:
    config = uvicorn.Config(FastAPI(), **SERVER_STACK)
    assert config.get_loop_factory() is FairAcceptLoop
