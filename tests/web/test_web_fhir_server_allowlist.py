"""SSRF (issue 17, F2): in production the fallback fetch goes only to a FHIR server listed for
the calling client (`fhir_servers` in its trusted-clients entry). A loopback listener named as
`fhirServer` must receive no connection, and the 412 says why without any network detail."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.security.jwt_verifier import JwtAuthenticator
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

PUBLIC = "https://cds.example.org"
SERVICE = f"/cds-services/{SERVICE_ID}"
KEY = ec.generate_private_key(ec.SECP384R1())


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


def token(iss: str) -> str:
    now = int(time.time())
    claims = {"iss": iss, "aud": PUBLIC + SERVICE, "iat": now, "exp": now + 300}
    claims["jti"] = str(uuid.uuid4())
    return jwt.encode(claims, KEY, algorithm="ES384", headers={"typ": "JWT", "kid": "k1"})


@pytest.fixture
def production(tmp_path: Path, listener: Listener) -> Iterator[TestClient]:
    """Client A lists its EHR's base (on the listener's port), client B lists none."""
    jwk = {**ECAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "k1", "use": "sig"}
    clients = [
        {
            "iss": "https://ehr-a.example.org",
            "jwks": {"keys": [jwk]},
            "fhir_servers": [listed(listener)],
        },
        {"iss": "https://ehr-b.example.org", "jwks": {"keys": [jwk]}},
    ]
    path = tmp_path / "trusted-clients.json"
    path.write_text(json.dumps(clients))
    settings = Settings(
        mode="production",
        public_url=PUBLIC,
        trusted_clients=path,
        cors_origins=["https://ehr.example.org"],
        feedback_db_url=f"sqlite:///{tmp_path}/service.sqlite3",
        fetch_timeout_seconds=3,
    )
    app = create_app(settings, authenticator=JwtAuthenticator.from_settings(settings))
    with TestClient(app, base_url=PUBLIC) as client:
        yield client


def listed(listener: Listener) -> str:
    return f"https://ehr-a.example.org:{listener.port}/fhir"


def call(fhir_server: str) -> dict[str, Any]:
    """No prefetch: every key would be fetched from `fhir_server`."""
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": fhir_server,
        "fhirAuthorization": {
            "access_token": "the-ehr-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "sarcoma-cds",
        },
        "context": {"userId": "Practitioner/p1", "patientId": "p1"},
    }


def diagnostics(response: Any) -> str:
    (issue,) = response.json()["issue"]
    text: str = issue["diagnostics"]
    return text


@pytest.mark.parametrize(
    "address",
    [
        "https://127.0.0.1:{port}/fhir",
        "https://localhost:{port}",
        "https://[::ffff:127.0.0.1]:{port}/fhir",
        "https://ehr-a.example.org.127.0.0.1.nip.io:{port}/fhir",
    ],
)
def test_an_unlisted_fhir_server_is_never_contacted(
    production: TestClient, listener: Listener, address: str
) -> None:
    fhir_server = address.format(port=listener.port)
    headers = {"Authorization": f"Bearer {token('https://ehr-a.example.org')}"}
    response = production.post(SERVICE, json=call(fhir_server), headers=headers)
    assert response.status_code == 412
    assert diagnostics(response) == (
        "Condition: not in the prefetch and not obtainable from the FHIR server "
        "(fhirServer is not one of the FHIR servers listed for this client)"
    )
    time.sleep(0.3)  # a connection attempt would have landed by now
    assert listener.connections == 0


def test_a_client_listing_no_fhir_server_gets_no_fetch(
    production: TestClient, listener: Listener
) -> None:
    headers = {"Authorization": f"Bearer {token('https://ehr-b.example.org')}"}
    response = production.post(
        SERVICE, json=call(f"https://127.0.0.1:{listener.port}"), headers=headers
    )
    assert response.status_code == 412
    assert "(no FHIR servers are listed for this client; nothing is fetched)" in diagnostics(
        response
    )
    assert listener.connections == 0


def test_the_listed_server_is_the_one_fetched(
    production: TestClient, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same call naming the listed base does connect (here: DNS for the listed name
    points at the listener, as an internal EHR's would at a private address)."""
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("ehr-a.example.org", b"ehr-a.example.org"):  # anyio passes idna bytes
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    headers = {"Authorization": f"Bearer {token('https://ehr-a.example.org')}"}
    response = production.post(SERVICE, json=call(listed(listener)), headers=headers)
    assert response.status_code == 412  # the listener is no FHIR server
    assert listener.connections >= 1


def test_development_keeps_fetching_any_server_with_a_warning(
    tmp_path: Path, listener: Listener, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        feedback_db_url=f"sqlite:///{tmp_path}/dev.sqlite3", fetch_timeout_seconds=3
    )
    with TestClient(create_app(settings)) as client:
        response = client.post(SERVICE, json=call(f"http://127.0.0.1:{listener.port}/fhir"))
    assert response.status_code == 412
    assert listener.connections >= 1
    assert "fhirServer is not checked against a client's list" in caplog.text
