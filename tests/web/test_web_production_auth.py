"""Production mode end to end: the app with the real JWT authenticator accepts exactly the
correctly signed requests (signed as the public CDS Hooks sandbox signs: ES384, jku, kid)."""

from __future__ import annotations

import json
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
from tests.conftest import card_topics, load_example, load_manifest

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.fhir.fetch import FhirFetcher
from sarcoma_cds.security.jwt_verifier import JwtAuthenticator
from sarcoma_cds.settings import Settings, UnsafeSettingsError
from sarcoma_cds.web.app import create_app

PUBLIC = "https://cds.example.org"
SANDBOX = "https://sandbox.cds-hooks.org"
JKU = f"{SANDBOX}/.well-known/jwks.json"
KEY = ec.generate_private_key(ec.SECP384R1())
ENTRY = next(e for e in load_manifest() if e["file"].startswith("01-"))


def token(aud: str, key: ec.EllipticCurvePrivateKey = KEY, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": SANDBOX, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    payload.update(claims)
    headers = {"typ": "JWT", "kid": "sandbox-key", "jku": JKU}
    return jwt.encode(payload, key, algorithm="ES384", headers=headers)


@pytest.fixture
def production(tmp_path: Path) -> Iterator[TestClient]:
    clients = tmp_path / "trusted-clients.yaml"
    clients.write_text(f"- iss: {SANDBOX}\n  jwks_uri: {JKU}\n  jku_allowlist:\n    - {JKU}\n")
    settings = Settings(
        mode="production",
        public_url=PUBLIC,
        trusted_clients=clients,
        cors_origins=["https://ehr.example.org"],
        feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3",
    )
    jwk = {**ECAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "sandbox-key"}
    jwks = httpx.MockTransport(
        lambda request: (
            httpx.Response(200, content=json.dumps({"keys": [jwk]}).encode())
            if str(request.url) == JKU
            else httpx.Response(404)
        )
    )
    authenticator = JwtAuthenticator.from_settings(
        settings, http_client=httpx.Client(transport=jwks)
    )
    no_network = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    app = create_app(
        settings,
        authenticator=authenticator,
        today=lambda: date.fromisoformat(ENTRY["today"]),
        fetcher=FhirFetcher(settings, client=no_network),
    )
    with TestClient(app, base_url=PUBLIC) as client:
        yield client


def auth(t: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {t}"}


SERVICE = f"/cds-services/{SERVICE_ID}"


def test_correctly_signed_calls_are_accepted(production: TestClient) -> None:
    assert (
        production.get("/cds-services", headers=auth(token(f"{PUBLIC}/cds-services"))).status_code
        == 200
    )
    response = production.post(
        SERVICE, json=load_example(ENTRY["file"]), headers=auth(token(f"{PUBLIC}{SERVICE}"))
    )
    assert response.status_code == 200
    topics = [t for c in response.json()["cards"] for t in card_topics(c)]
    assert topics == ["summary", "staging-imaging", "treatment-pathway", "mdt-referral"]
    feedback = {
        "feedback": [
            {"card": "c-1", "outcome": "overridden", "outcomeTimestamp": "2026-06-01T10:00:00Z"}
        ]
    }
    response = production.post(
        f"{SERVICE}/feedback", json=feedback, headers=auth(token(f"{PUBLIC}{SERVICE}/feedback"))
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "make",
    [
        lambda: None,
        lambda: token(f"{PUBLIC}/cds-services"),  # a token for another endpoint
        lambda: token(f"{PUBLIC}{SERVICE}", key=ec.generate_private_key(ec.SECP384R1())),
        lambda: token(f"{PUBLIC}{SERVICE}", exp=int(time.time()) - 120),
        lambda: token(f"{PUBLIC}{SERVICE}", iss="https://evil.example"),
    ],
    ids=["no-token", "wrong-aud", "wrong-key", "expired", "unknown-iss"],
)
def test_everything_else_is_a_bare_401(production: TestClient, make: Any) -> None:
    t = make()
    response = production.post(
        SERVICE, json=load_example(ENTRY["file"]), headers=auth(t) if t else {}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    issue = response.json()["issue"]
    assert issue == [
        {"severity": "error", "code": "login", "diagnostics": "authentication required"}
    ]


def test_a_replayed_token_is_refused(production: TestClient) -> None:
    t = token(f"{PUBLIC}{SERVICE}")
    body = load_example(ENTRY["file"])
    assert production.post(SERVICE, json=body, headers=auth(t)).status_code == 200
    assert production.post(SERVICE, json=body, headers=auth(t)).status_code == 401


def test_unknown_service_is_401_before_404(production: TestClient) -> None:
    response = production.post("/cds-services/other", json={})
    assert response.status_code == 401


def test_cors_preflight_needs_no_token(production: TestClient) -> None:
    response = production.options(
        SERVICE,
        headers={
            "Origin": "https://ehr.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://ehr.example.org"


def test_production_refuses_unsafe_settings(tmp_path: Path) -> None:
    with pytest.raises(UnsafeSettingsError) as err:
        Settings(mode="production", public_url="http://cds.example.org").check_safe()
    message = str(err.value)
    assert "SARCOMA_CDS_TRUSTED_CLIENTS is not set" in message
    assert "must be an https:// URL" in message
    assert "SARCOMA_CDS_CORS_ORIGINS" in message


@pytest.mark.usefixtures("restore_logging")
def test_serve_app_wires_the_jwt_authenticator_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The uvicorn factory (`sarcoma-cds serve`) builds the authenticator from the settings."""
    import gc

    from sarcoma_cds.web.app import serve_app

    clients = tmp_path / "trusted-clients.yaml"
    clients.write_text(f"- iss: {SANDBOX}\n  jwks_uri: {JKU}\n  jku_allowlist:\n    - {JKU}\n")
    for name, value in {
        "SARCOMA_CDS_MODE": "production",
        "SARCOMA_CDS_PUBLIC_URL": PUBLIC,
        "SARCOMA_CDS_TRUSTED_CLIENTS": str(clients),
        "SARCOMA_CDS_CORS_ORIGINS": '["https://ehr.example.org"]',
        "SARCOMA_CDS_FEEDBACK_DB_URL": f"sqlite:///{tmp_path}/fb.sqlite3",
    }.items():
        monkeypatch.setenv(name, value)
    thresholds = gc.get_threshold()
    try:
        app = serve_app()
        with TestClient(app, base_url=PUBLIC) as client:
            assert client.get("/cds-services").status_code == 401
            assert client.get("/healthz").status_code == 200
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restore_logging")
def test_serve_app_refuses_production_without_trusted_clients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sarcoma_cds.web.app import serve_app

    monkeypatch.setenv("SARCOMA_CDS_MODE", "production")
    monkeypatch.delenv("SARCOMA_CDS_TRUSTED_CLIENTS", raising=False)
    with pytest.raises(UnsafeSettingsError, match="SARCOMA_CDS_TRUSTED_CLIENTS"):
        serve_app()
