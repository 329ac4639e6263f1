"""Issue 14: production mode with the CDS Hooks sandbox's own tokens, set up exactly as README
"Production with the CDS Hooks sandbox" says: the sandbox's public key in a `jwks_file`, its
`jku` (not allowlisted) ignored, the audience `SARCOMA_CDS_PUBLIC_URL` + path. The error a wrong
`aud` produces is the one README quotes."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm
from tests.conftest import ROOT, load_example, load_manifest

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.security.jwt_verifier import JwtAuthenticator
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

PUBLIC = "https://cds.example.org"
SANDBOX = "https://sandbox.cds-hooks.org"
SANDBOX_JKU = f"{SANDBOX}/.well-known/jwks.json"  # what the sandbox puts in every header
SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"
SERVICE = f"/cds-services/{SERVICE_ID}"
KEY = ec.generate_private_key(ec.SECP384R1())
ENTRY = next(e for e in load_manifest() if e["file"].startswith("01-"))
WRONG_AUD = f"http://localhost:8080{SERVICE}"


def sandbox_token(aud: str) -> str:
    """As the sandbox's generateJWT signs: ES384, kid and jku in the header, 5 minutes."""
    now = int(time.time())
    payload = {"iss": SANDBOX, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    headers = {"typ": "JWT", "kid": SANDBOX_KID, "jku": SANDBOX_JKU}
    return jwt.encode(payload, KEY, algorithm="ES384", headers=headers)


def no_fetch(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be fetched, got {request.url}")


@pytest.fixture
def production(tmp_path: Path) -> Iterator[TestClient]:
    jwk = {**ECAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": SANDBOX_KID}
    (tmp_path / "sandbox-jwks.json").write_text(json.dumps({"keys": [{**jwk, "use": "sig"}]}))
    clients = tmp_path / "trusted-clients.yaml"
    clients.write_text(f"- iss: {SANDBOX}\n  jwks_file: sandbox-jwks.json\n")
    settings = Settings(
        mode="production",
        public_url=PUBLIC,
        trusted_clients=clients,
        cors_origins=[SANDBOX],
        feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3",
    )
    authenticator = JwtAuthenticator.from_settings(
        settings, http_client=httpx.Client(transport=httpx.MockTransport(no_fetch))
    )
    app = create_app(
        settings, authenticator=authenticator, today=lambda: date.fromisoformat(ENTRY["today"])
    )
    with TestClient(app, base_url=PUBLIC) as client:
        yield client


def test_sandbox_tokens_verify_with_the_configured_key_and_its_jku_ignored(
    production: TestClient,
) -> None:
    discovery = production.get(
        "/cds-services",
        headers={"Authorization": f"Bearer {sandbox_token(f'{PUBLIC}/cds-services')}"},
    )
    call = production.post(
        SERVICE,
        json=load_example(ENTRY["file"]),
        headers={"Authorization": f"Bearer {sandbox_token(PUBLIC + SERVICE)}"},
    )
    assert discovery.status_code == 200
    assert call.status_code == 200
    assert call.json()["cards"]


def test_a_wrong_aud_is_a_bare_401_and_the_log_line_readme_quotes(
    production: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="sarcoma_cds.web")
    token = sandbox_token(WRONG_AUD)
    response = production.post(
        SERVICE, json=load_example(ENTRY["file"]), headers={"Authorization": f"Bearer {token}"}
    )
    body: dict[str, Any] = response.json()

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert body["issue"][0]["diagnostics"] == "authentication required"
    logged = [r.getMessage() for r in caplog.records if "authentication failed" in r.getMessage()]
    expected = f"authentication failed: aud '{WRONG_AUD}' does not name '{PUBLIC}{SERVICE}'"
    assert logged == [expected]
    assert token not in caplog.text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert expected in readme
    assert json.dumps(body, separators=(",", ":")) in readme
