"""TCP_NODELAY on every served connection (web/tcp.py): with 2+ workers uvicorn's listening
socket has proto 0, so asyncio never set it and Nagle + delayed ACK added ~50 ms per response."""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from fastapi import FastAPI

from sarcoma_cds.startup import H11_NODELAY
from sarcoma_cds.web.tcp import NoDelayH11Protocol, set_nodelay


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
