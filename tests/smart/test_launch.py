"""SMART App Launch end to end: the service app against a test EHR (authlib authorization server
with PKCE and registered redirect URIs; FHIR data from a real sekmet-fhir server)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.smart.conftest import EXAMPLE, example_today
from tests.support.smart_ehr import SmartEhr

from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

APP = "http://testserver"
REDIRECT = f"{APP}/app/callback"
# Exactly the resource types the service reads (the prefetch keys' types), in v2 syntax.
SCOPE_READS = (
    "patient/Condition.rs patient/DiagnosticReport.rs patient/MedicationAdministration.rs "
    "patient/MedicationRequest.rs patient/MedicationStatement.rs patient/Observation.rs "
    "patient/Patient.rs patient/Procedure.rs"
)


@pytest.fixture
def client(ehr: SmartEhr, db_url: str) -> Iterator[TestClient]:
    ehr.register("sarcoma-cds", REDIRECT)
    ehr.token_seconds = 300
    ehr.standalone_patient = None
    settings = Settings(feedback_db_url=db_url, fetch_timeout_seconds=15)
    with TestClient(create_app(settings, today=lambda: example_today(EXAMPLE))) as test_client:
        yield test_client


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _launch(client: TestClient, **params: str) -> httpx.Response:
    response: httpx.Response = client.get("/app/launch", params=params, follow_redirects=False)
    return response


def _authorize(response: httpx.Response) -> httpx.Response:
    """The browser at the EHR's authorization endpoint (the user is signed in and consents)."""
    assert response.status_code == 302, response.text
    return httpx.get(response.headers["location"], follow_redirects=False, timeout=10)


def _callback(client: TestClient, at_ehr: httpx.Response) -> httpx.Response:
    assert at_ehr.status_code == 302, at_ehr.text
    location = at_ehr.headers["location"]
    assert location.startswith(REDIRECT)
    url = f"/app/callback?{urlsplit(location).query}"
    response: httpx.Response = client.get(url, follow_redirects=False)
    return response


def _full_launch(client: TestClient, **params: str) -> httpx.Response:
    done = _callback(client, _authorize(_launch(client, **params)))
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/app/view"
    view: httpx.Response = client.get("/app/view")
    return view


def test_ehr_launch_end_to_end(
    client: TestClient, ehr: SmartEhr, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    launch_id = ehr.new_launch("pt-29")
    first = _launch(client, iss=ehr.iss, launch=launch_id)

    assert first.status_code == 302
    target = first.headers["location"]
    assert target.startswith(f"{ehr.base_url}/authorize?")
    asked = _query(target)
    assert asked["response_type"] == "code"
    assert asked["client_id"] == "sarcoma-cds"
    assert asked["redirect_uri"] == REDIRECT
    assert asked["scope"] == f"launch openid fhirUser {SCOPE_READS}"
    assert asked["aud"] == ehr.iss
    assert asked["launch"] == launch_id
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["state"]) >= 22  # ≥ 128 bits of [A-Za-z0-9]
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Path=/app" in cookie

    at_ehr = _authorize(first)
    done = _callback(client, at_ehr)
    assert done.status_code == 303
    assert done.cookies.get("sarcoma_cds_app") != first.cookies.get("sarcoma_cds_app")
    [token_request] = ehr.token_requests[-1:]
    assert token_request["grant_type"] == "authorization_code"
    assert token_request["client_id"] == "sarcoma-cds"
    assert len(token_request["code_verifier"]) >= 43

    page = client.get("/app/view")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    for day in ("2019-04-08", "2022-09-12", "2022-11-10", "2026-04-15"):
        assert day in html
    assert "DFI 41 months" in html
    assert "TFI 41 months" in html
    assert "<svg" in html
    # Every token stays server-side and out of the logs (the test EHR's own authlib server
    # logs the tokens it issues at debug level: that is the EHR, not this service).
    ours = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("authlib.oauth2.rfc")
    )
    tokens = list(ehr.tokens)
    assert tokens
    for token in tokens:
        assert token not in html
        assert token not in ours
        assert token not in str(client.cookies)


def test_standalone_launch_asks_for_a_patient_context(client: TestClient, ehr: SmartEhr) -> None:
    ehr.standalone_patient = "pt-29"
    first = _launch(client, iss=ehr.iss)
    asked = _query(first.headers["location"])
    assert asked["scope"] == f"launch/patient openid fhirUser {SCOPE_READS}"
    assert "launch" not in asked

    page = _full_launch(client, iss=ehr.iss)
    assert page.status_code == 200
    assert "pt-29" in page.text
    assert "2022-11-10" in page.text


def test_a_tampered_state_is_refused_and_no_code_is_exchanged(
    client: TestClient, ehr: SmartEhr
) -> None:
    at_ehr = _authorize(_launch(client, iss=ehr.iss, launch=ehr.new_launch("pt-29")))
    query = _query(at_ehr.headers["location"])
    before = len(ehr.token_requests)

    response = client.get(
        "/app/callback", params={"code": query["code"], "state": query["state"] + "x"}
    )

    assert response.status_code == 401
    assert "state does not match" in response.text
    assert len(ehr.token_requests) == before
    assert client.get("/app/view").status_code == 401


def test_a_callback_from_another_browser_or_a_replay_is_refused(
    client: TestClient, ehr: SmartEhr, db_url: str
) -> None:
    at_ehr = _authorize(_launch(client, iss=ehr.iss, launch=ehr.new_launch("pt-29")))
    callback = f"/app/callback?{urlsplit(at_ehr.headers['location']).query}"
    settings = Settings(feedback_db_url=db_url, fetch_timeout_seconds=15)
    with TestClient(create_app(settings)) as other_browser:
        assert other_browser.get(callback).status_code == 401

    assert client.get(callback, follow_redirects=False).status_code == 303
    replay = client.get(callback, follow_redirects=False)
    assert replay.status_code == 401
    assert "no launch in progress" in replay.text


def test_a_wrong_aud_is_refused_by_the_authorization_server(
    client: TestClient, ehr: SmartEhr
) -> None:
    """An iss whose configuration points to an authorization server that does not serve it: the
    app sends aud = iss, the server refuses, no token is issued, the user is told why."""
    ehr.standalone_patient = "pt-29"
    first = _launch(client, iss=ehr.other_iss)
    assert _query(first.headers["location"])["aud"] == ehr.other_iss
    at_ehr = _authorize(first)
    assert _query(at_ehr.headers["location"])["error"] == "invalid_request"

    response = _callback(client, at_ehr)

    assert response.status_code == 403
    assert "refused the authorization (invalid_request)" in response.text
    assert client.get("/app/view").status_code == 401


def test_the_session_ends_with_the_token(client: TestClient, ehr: SmartEhr) -> None:
    ehr.token_seconds = 4  # long enough to open the view once on a loaded machine
    page = _full_launch(client, iss=ehr.iss, launch=ehr.new_launch("pt-29"))
    assert page.status_code == 200
    time.sleep(4.2)

    expired = client.get("/app/view")

    assert expired.status_code == 401
    assert "Session ended" in expired.text
    assert "2019-04-08" not in expired.text


def test_the_authorization_server_checks_pkce(client: TestClient, ehr: SmartEhr) -> None:
    at_ehr = _authorize(_launch(client, iss=ehr.iss, launch=ehr.new_launch("pt-29")))
    code = _query(at_ehr.headers["location"])["code"]
    answer = httpx.post(
        f"{ehr.base_url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "sarcoma-cds",
            "code_verifier": "x" * 64,
        },
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_an_unregistered_redirect_uri_is_not_redirected_to(
    client: TestClient, ehr: SmartEhr
) -> None:
    ehr.register("sarcoma-cds", "https://elsewhere.example.org/app/callback")
    at_ehr = _authorize(_launch(client, iss=ehr.iss, launch=ehr.new_launch("pt-29")))
    assert at_ehr.status_code == 400
    assert "location" not in at_ehr.headers


def test_a_confidential_client_authenticates_with_its_secret(ehr: SmartEhr, db_url: str) -> None:
    ehr.register("sarcoma-cds-confidential", REDIRECT, secret="s3cret-for-the-test")
    settings = Settings(
        feedback_db_url=db_url,
        fetch_timeout_seconds=15,
        smart_client_id="sarcoma-cds-confidential",
        smart_client_secret="s3cret-for-the-test",
    )
    with TestClient(create_app(settings, today=lambda: example_today(EXAMPLE))) as client:
        page = _full_launch(client, iss=ehr.iss, launch=ehr.new_launch("pt-29"))
    assert page.status_code == 200
    assert "client_id" not in ehr.token_requests[-1]  # sent as HTTP Basic, not in the body
    assert "s3cret-for-the-test" not in page.text


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({}, 400, "no iss"),
        ({"iss": "not a url"}, 400, "iss must be"),
        ({"iss": "ftp://ehr.example.org/fhir"}, 400, "https://"),
        ({"iss": "http://ehr.example.org/fhir"}, 400, "https://"),
        ({"iss": "http://127.0.0.1:9/fhir", "launch": ""}, 400, "launch parameter is empty"),
        ({"iss": "http://127.0.0.1:9/fhir"}, 502, "cannot read the EHR"),
    ],
)
def test_bad_launches_get_a_clear_page(
    client: TestClient, params: dict[str, str], status: int, message: str
) -> None:
    response = _launch(client, **params)
    assert response.status_code == status
    assert message in response.text
    assert response.headers["content-type"].startswith("text/html")


# --- production -------------------------------------------------------------------------------
def _production(tmp_path: Path, db_url: str, **extra: Any) -> Settings:
    clients = tmp_path / "trusted-clients.yaml"
    clients.write_text(
        "- iss: https://sandbox.cds-hooks.org\n"
        "  jwks_uri: https://sandbox.cds-hooks.org/.well-known/jwks.json\n"
        "  fhir_servers:\n"
        "    - https://ehr.example.org/fhir/\n"
    )
    return Settings(
        mode="production",
        public_url="https://cds.example.org",
        trusted_clients=clients,
        cors_origins=["https://ehr.example.org"],
        feedback_db_url=db_url,
        **extra,
    )


class _Anyone:
    def verify(self, authorization: str | None, audience: str) -> Mapping[str, Any]:
        return {}


def test_production_launches_only_from_a_trusted_clients_fhir_server(
    tmp_path: Path, db_url: str
) -> None:
    settings = _production(tmp_path, db_url, smart_session_secret="k" * 40)
    with TestClient(create_app(settings, authenticator=_Anyone())) as client:
        refused = _launch(client, iss="https://attacker.example.org/fhir")
        plain_http = _launch(client, iss="http://127.0.0.1:9/fhir")
        listed = _launch(client, iss="https://ehr.example.org/fhir")

    assert refused.status_code == 403
    assert "not listed for a trusted client" in refused.text
    assert plain_http.status_code == 400
    # Past the allow-list: the (unreachable) EHR's configuration is what fails.
    assert listed.status_code == 502


def test_production_without_a_session_secret_keeps_the_view_off(
    tmp_path: Path, db_url: str
) -> None:
    settings = _production(tmp_path, db_url)
    with TestClient(create_app(settings, authenticator=_Anyone())) as client:
        response = _launch(client, iss="https://ehr.example.org/fhir")
    assert response.status_code == 503
    assert "SARCOMA_CDS_SMART_SESSION_SECRET" in response.text


def test_production_refuses_a_short_session_secret(tmp_path: Path, db_url: str) -> None:
    from sarcoma_cds.settings import UnsafeSettingsError

    with pytest.raises(UnsafeSettingsError, match="SMART_SESSION_SECRET"):
        _production(tmp_path, db_url, smart_session_secret="short").check_safe()
