"""The authentication hook (production) and CORS for browser clients."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_fixtures import FEEDBACK_PATH, SERVICE_PATH, feedback_item

from sarcoma_cds.security.base import AuthenticationError
from sarcoma_cds.settings import Settings, UnsafeSettingsError
from sarcoma_cds.web.app import create_app

GOOD = "Bearer good.jwt.token"


class FakeAuthenticator:
    """Accepts exactly one header value; records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, str]] = []

    def verify(self, authorization: str | None, audience: str) -> Mapping[str, Any]:
        self.calls.append((authorization, audience))
        if authorization != GOOD:
            raise AuthenticationError("signature mismatch")
        return {"iss": "https://ehr.example.org", "aud": audience}


@pytest.fixture
def authenticator() -> FakeAuthenticator:
    return FakeAuthenticator()


@pytest.fixture
def auth_client(settings: Settings, authenticator: FakeAuthenticator) -> Iterator[TestClient]:
    with TestClient(create_app(settings, authenticator=authenticator)) as test_client:
        yield test_client


def test_every_protocol_call_is_verified_with_its_own_url_as_audience(
    auth_client: TestClient, authenticator: FakeAuthenticator, patient_view: dict[str, Any]
) -> None:
    headers = {"Authorization": GOOD}

    assert auth_client.get("/cds-services", headers=headers).status_code == 200
    assert auth_client.post(SERVICE_PATH, json=patient_view, headers=headers).status_code == 200
    feedback = {"feedback": [feedback_item()]}
    assert auth_client.post(FEEDBACK_PATH, json=feedback, headers=headers).status_code == 200

    base = "https://cds.example.org"  # public_url given with a trailing slash
    assert authenticator.calls == [
        (GOOD, f"{base}/cds-services"),
        (GOOD, f"{base}/cds-services/sts-liver-metastases"),
        (GOOD, f"{base}/cds-services/sts-liver-metastases/feedback"),
    ]


@pytest.mark.parametrize("header", [None, "Bearer forged", "Basic dXNlcjpwYXNz"])
def test_unauthenticated_calls_get_a_bare_401(
    auth_client: TestClient, patient_view: dict[str, Any], header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    calls = [
        auth_client.get("/cds-services", headers=headers),
        auth_client.post(SERVICE_PATH, json=patient_view, headers=headers),
        auth_client.post(FEEDBACK_PATH, json={"feedback": [feedback_item()]}, headers=headers),
        auth_client.post("/cds-services/unknown", json=patient_view, headers=headers),
    ]

    for response in calls:
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {
            "resourceType": "OperationOutcome",
            "issue": [
                {"severity": "error", "code": "login", "diagnostics": "authentication required"}
            ],
        }


def test_rejected_token_is_not_logged(
    auth_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    auth_client.get("/cds-services", headers={"Authorization": "Bearer forged-secret"})

    assert "signature mismatch" in caplog.text
    assert "forged-secret" not in caplog.text


def test_health_probes_need_no_authentication(
    auth_client: TestClient, authenticator: FakeAuthenticator
) -> None:
    assert auth_client.get("/healthz").status_code == 200
    assert auth_client.get("/readyz").status_code == 200
    assert authenticator.calls == []


def test_cors_preflight_is_answered_without_authentication(
    auth_client: TestClient, authenticator: FakeAuthenticator
) -> None:
    response = auth_client.options(
        SERVICE_PATH,
        headers={
            "Origin": "https://ehr.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://ehr.example.org"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert authenticator.calls == []


def test_cors_refuses_other_origins(client: TestClient) -> None:
    preflight = client.options(
        "/cds-services",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"},
    )
    simple = client.get("/cds-services", headers={"Origin": "https://evil.example.com"})

    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in simple.headers


def test_cors_headers_are_on_answers_and_errors(client: TestClient) -> None:
    origin = {"Origin": "https://ehr.example.org"}

    ok = client.get("/cds-services", headers=origin)
    error = client.post(SERVICE_PATH, json={}, headers=origin)

    assert ok.headers["access-control-allow-origin"] == "https://ehr.example.org"
    assert error.status_code == 400
    assert error.headers["access-control-allow-origin"] == "https://ehr.example.org"
    assert "x-request-id" in ok.headers["access-control-expose-headers"].lower()


def test_development_mode_warns_loudly(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    create_app(settings)

    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "NOT authenticated" in warning.getMessage()


def production_settings(tmp_path: Path, **overrides: Any) -> Settings:
    clients = tmp_path / "clients.yaml"
    clients.write_text("[]\n")
    values: dict[str, Any] = {
        "mode": "production",
        "trusted_clients": clients,
        "public_url": "https://cds.example.org",
        "cors_origins": ["https://ehr.example.org"],
        "feedback_db_url": f"sqlite:///{tmp_path}/fb.sqlite3",
        **overrides,
    }
    return Settings(**values)


def test_production_settings_are_checked_at_creation(tmp_path: Path) -> None:
    unsafe = production_settings(tmp_path, cors_origins=["*"])

    with pytest.raises(UnsafeSettingsError, match="CORS_ORIGINS"):
        create_app(unsafe, authenticator=FakeAuthenticator())


def test_production_without_authenticator_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeSettingsError, match="without authentication"):
        create_app(production_settings(tmp_path))


def test_production_with_authenticator_starts(tmp_path: Path) -> None:
    app = create_app(production_settings(tmp_path), authenticator=FakeAuthenticator())

    with TestClient(app) as test_client:
        assert test_client.get("/cds-services").status_code == 401
