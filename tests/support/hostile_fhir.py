"""A hostile FHIR server for the hardening tests and probes: it answers every search with a
gzip bomb (`/bomb`) or a body that never ends (`/endless`), and counts the connections it gets.

Run as a probe against any checkout (prints the serving worker's peak RSS):

    .venv/bin/python -m tests.support.hostile_fhir [path/to/service]
"""

from __future__ import annotations

import contextlib
import socketserver
import sys
import tempfile
import threading
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

MB = 1024 * 1024
BOMB_INFLATED_MB = 256


@cache
def gzip_bomb(inflated_mb: int = BOMB_INFLATED_MB) -> bytes:
    """A searchset padded with spaces: ~256 MB inflated from ~250 KB."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [z.compress(b'{"resourceType":"Bundle","type":"searchset","entry":[],"x":"')]
    block = b" " * MB
    parts += [z.compress(block) for _ in range(inflated_mb)]
    parts.append(z.compress(b'"}') + z.flush())
    return b"".join(parts)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path.startswith("/bomb"):
            body = gzip_bomb()
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(_chunk(b'{"resourceType":"Bundle","type":"searchset","x":"'))
            framed = _chunk(b"a" * 65536)
            while True:
                self.wfile.write(framed)

    def log_message(self, *args: Any) -> None:
        pass


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the service hanging up on a bomb is the point

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.connections += 1
        return True


@contextlib.contextmanager
def hostile_fhir_server() -> Iterator[_CountingServer]:
    """Listening on 127.0.0.1 (a free port): `server.server_address`, `server.connections`."""
    server = _CountingServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def patient_view(fhir_server: str) -> dict[str, Any]:
    """A call with no prefetch at all: every key is fetched from `fhir_server`."""
    return {
        "hook": "patient-view",
        "hookInstance": "5c1e2b0a-0c5e-4d5c-9a51-1c0f5d7c2f10",
        "fhirServer": fhir_server,
        "fhirAuthorization": {
            "access_token": "probe-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "sarcoma-cds",
        },
        "context": {"userId": "Practitioner/p1", "patientId": "p1"},
    }


def hostile_calls(service_url: str, fhir_server: str, calls: int = 4) -> list[httpx.Response]:
    """`calls` service calls at once, each of whose fetches meets the hostile server."""

    def one(_: int) -> httpx.Response:
        with httpx.Client(base_url=service_url, timeout=120) as client:
            return client.post("/cds-services/sts-liver-metastases", json=patient_view(fhir_server))

    with ThreadPoolExecutor(max_workers=calls) as pool:
        return list(pool.map(one, range(calls)))


def probe(service: Path) -> None:
    from tests.support.service_process import running_service

    gzip_bomb()
    workdir = Path(tempfile.mkdtemp())
    env = {
        "SARCOMA_CDS_FEEDBACK_DB_URL": f"sqlite:///{workdir}/service.sqlite3",
        "SARCOMA_CDS_FETCH_TIMEOUT_SECONDS": "20",
    }
    with hostile_fhir_server() as fhir, running_service(env, workdir, source=service) as cds:
        idle = cds.peak_rss_mb()
        for path in ("bomb", "endless"):
            responses = hostile_calls(cds.url, f"http://127.0.0.1:{fhir.server_port}/{path}")
            statuses = sorted(r.status_code for r in responses)
            reasons = sorted({r.text[:300] for r in responses})
            sys.stdout.write(
                f"{path}: statuses {statuses} {reasons}; worker peak RSS {idle:.0f} MB idle -> "
                f"{cds.peak_rss_mb():.0f} MB, {cds.rss_mb():.0f} MB after\n"
            )


if __name__ == "__main__":  # pragma: no cover  (a probe, run by hand)
    socketserver.TCPServer.allow_reuse_address = True
    probe(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[2] / "service")
