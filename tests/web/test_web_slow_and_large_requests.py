"""Requests that cost a worker before any authentication (issue 17, F4 and F5): stalled bodies
beside a normal call, and an oversized header block, against real uvicorn servers."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import load_example, load_manifest
from tests.support.serve import free_port, serve_in_thread
from tests.support.service_process import ServiceProcess, running_service

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

SERVICE = f"/cds-services/{SERVICE_ID}"
ENTRY = next(e for e in load_manifest() if e["file"].startswith("01-"))


def stalled_upload(port: int) -> socket.socket:
    """A call that declares a body and sends one byte of it, then nothing."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        f"POST {SERVICE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 5000\r\n\r\n{".encode()
    )
    return sock


def test_stalled_bodies_do_not_block_a_normal_call(tmp_path: Path) -> None:
    settings = Settings(
        feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3", body_read_timeout_seconds=4
    )
    port = free_port()
    with serve_in_thread(create_app(settings), port) as url:
        stalled = [stalled_upload(port) for _ in range(6)]  # more than the 4 slots
        time.sleep(0.5)
        started = time.monotonic()
        response = httpx.post(url + SERVICE, json=load_example(ENTRY["file"]), timeout=30)
        took = time.monotonic() - started
        assert response.status_code == 200
        assert took < 3.5, f"a normal call waited {took:.1f} s behind stalled uploads"
        answers = [read_to_close(sock) for sock in stalled]
    for answer in answers:
        assert answer.startswith("HTTP/1.1 408"), answer[:200]
        assert "request body not received within 4 s" in answer


def read_to_close(sock: socket.socket) -> str:
    sock.settimeout(15)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    finally:
        sock.close()
    return received.decode()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    workdir = tmp_path_factory.mktemp("headers")
    env = {"SARCOMA_CDS_FEEDBACK_DB_URL": f"sqlite:///{workdir}/fb.sqlite3"}
    with running_service(env, workdir) as service:
        yield service


def test_an_oversized_header_block_is_refused_and_not_kept(served: ServiceProcess) -> None:
    port = int(served.url.rsplit(":", 1)[1])
    before = served.rss_mb()
    for _ in range(4):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sent = 0
        try:
            while sent < 64 * 1024 * 1024:  # 64 MB of headers, as the probe sent
                sock.sendall(b"X-Padding: " + b"a" * 65_000 + b"\r\n")
                sent += 65_013
        except OSError:
            pass  # the server hung up: what we want
        sock.settimeout(5)
        try:
            answer = sock.recv(4096).decode(errors="replace")
        except OSError:
            answer = ""
        sock.close()
        # Loopback socket buffers take a few MB before the hang-up reaches us.
        assert sent < 16 * 1024 * 1024, "the server kept reading megabytes of headers"
        assert answer == "" or answer.startswith(("HTTP/1.1 400", "HTTP/1.1 431")), answer[:100]
    assert served.rss_mb() - before < 30
    assert httpx.get(served.url + "/healthz", timeout=10).status_code == 200


def test_a_normal_client_token_fits_the_header_limit(served: ServiceProcess) -> None:
    headers = {"Authorization": "Bearer " + "a" * 16_000, "X-Request-Id": "r-1"}
    assert httpx.get(served.url + "/healthz", headers=headers, timeout=10).status_code == 200
