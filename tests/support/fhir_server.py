"""A real FHIR R4 server for tests: sekmet-fhir (FastAPI + SQLite) in a subprocess on 127.0.0.1.

sekmet-fhir serves search with `_count`/`_offset` paging (absolute `next` links built from its
configured `base_url`), transaction Bundles, and static bearer-token auth, which is all the
fetch tests need. Each server gets a free port, its own temp database and a random token.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

STARTUP_SECONDS = 30.0


@dataclass(frozen=True)
class FhirServer:
    base_url: str  # the URL clients use, e.g. http://127.0.0.1:40123/fhir
    token: str  # the only bearer token the server accepts

    def load(self, transaction: Mapping[str, Any]) -> dict[str, Any]:
        """POST a transaction Bundle; return the transaction-response Bundle."""
        response = httpx.post(
            self.base_url,
            json=dict(transaction),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/fhir+json",
                "Accept": "application/fhir+json",
            },
            timeout=30,
        )
        if response.status_code != 200:
            raise RuntimeError(f"transaction failed: {response.status_code} {response.text[:500]}")
        result: dict[str, Any] = response.json()
        return result


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(process: subprocess.Popen[bytes], metadata_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"sekmet-fhir exited with {process.returncode}: {log_path.read_text()[-2000:]}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(metadata_url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"sekmet-fhir not ready after {STARTUP_SECONDS} s: {log_path.read_text()}")


@contextlib.contextmanager
def run_sekmet(
    workdir: Path,
    *,
    advertised_host: str = "127.0.0.1",
    smart_clients: list[dict[str, Any]] | None = None,
) -> Iterator[FhirServer]:
    """Start sekmet-fhir on 127.0.0.1. `advertised_host` is the host it writes into its own
    links (Bundle.link next); a different name than 127.0.0.1 simulates a server whose paging
    links point to another host. `smart_clients`: SMART Backend Services clients (client_id,
    jwks, scopes) the server accepts besides the static bearer token."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    token = secrets.token_urlsafe(24)
    config = {
        "base_url": f"http://{advertised_host}:{port}/fhir",
        "host": "127.0.0.1",
        "port": port,
        "data_dir": str(workdir / "data"),
        "db_path": str(workdir / "data" / "fhir.sqlite3"),
        "own_private_key_path": str(workdir / "keys" / "private.pem"),
        "server_auth": {
            "types": ["bearer", "smart"] if smart_clients else ["bearer"],
            "tokens": [token],
            "smart_clients": smart_clients or [],
        },
        # No background workflow simulator, no traffic log: a plain FHIR store.
        "simulator": {"enabled": False},
        "log_inbound": False,
    }
    (workdir / "data").mkdir(exist_ok=True)
    config_path = workdir / "sekmet.yaml"
    config_path.write_text(yaml.safe_dump(config))
    log_path = workdir / "sekmet.log"
    command = [sys.executable, "-m", "uvicorn", "sekmet.main:app_factory", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    env = {**os.environ, "SEKMET_CONFIG": str(config_path)}
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        base_url = f"http://127.0.0.1:{port}/fhir"
        _wait_ready(process, f"{base_url}/metadata", log_path)
        yield FhirServer(base_url=base_url, token=token)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirServer]:
    """A sekmet-fhir server for the whole session (per xdist worker)."""
    with run_sekmet(tmp_path_factory.mktemp("sekmet")) as server:
        yield server


@pytest.fixture(scope="session")
def foreign_link_fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirServer]:
    """A sekmet-fhir server reached at 127.0.0.1 whose next links name host `localhost`."""
    with run_sekmet(tmp_path_factory.mktemp("sekmet-foreign"), advertised_host="localhost") as s:
        yield s


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A base URL on a loopback socket that accepts connections and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)  # the kernel completes the handshakes; nobody ever reads or writes
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/fhir"
