"""Issue 22 and 14 at the HTTP edge: lenient request details, the PREFETCH_FAILURE card, no
redirect for a trailing slash, and CORS preflights in the log."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.conftest import load_example, load_manifest

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.feedback.store import FeedbackStoreError
from sarcoma_cds.fhir.fetch import FhirFetcher
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

SERVICE_PATH = f"/cds-services/{SERVICE_ID}"
ENTRY = next(e for e in load_manifest() if e["file"].startswith("01-"))
EHR = "https://ehr.example.org"
AUTH = {
    "access_token": "tok-123",
    "token_type": "Bearer",
    "expires_in": 300,
    "scope": "patient/*.rs",
    "subject": "sarcoma-cds",
}


def _settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3", cors_origins=[EHR], **extra)


@pytest.fixture
def seen() -> list[httpx.Request]:
    return []


@pytest.fixture
def make(tmp_path: Path, seen: list[httpx.Request]) -> Iterator[Any]:
    """An app on example 01's day whose FHIR server answers every search with one empty page
    and records the requests."""
    clients: list[TestClient] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset"})

    def build(**extra: Any) -> TestClient:
        settings = _settings(tmp_path, **extra)
        fetcher = FhirFetcher(settings, httpx.AsyncClient(transport=httpx.MockTransport(handler)))
        app = create_app(
            settings, today=lambda: date.fromisoformat(ENTRY["today"]), fetcher=fetcher
        )
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


def _request(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(load_example(ENTRY["file"]))
    body["fhirServer"] = f"{EHR}/fhir"
    body["fhirAuthorization"] = dict(AUTH)
    body.update(changes)
    return body


def _cards(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def _summary_detail(cards: list[dict[str, Any]]) -> str:
    return next(str(c["detail"]) for c in cards if c["summary"].startswith("STS liver"))


@pytest.mark.parametrize(
    "authorization",
    [
        {**AUTH, "token_type": "bearer"},
        {k: v for k, v in AUTH.items() if k != "subject"},
        {**AUTH, "expires_in": "soon", "scope": 7},
        "not an object",
    ],
    ids=["lower-case-bearer", "no-subject", "odd-types", "not-an-object"],
)
def test_complete_prefetch_needs_nothing_of_fhir_authorization(
    make: Any, authorization: Any
) -> None:
    client = make()
    expected = _cards(client.post(SERVICE_PATH, json=_request()))
    assert _cards(client.post(SERVICE_PATH, json=_request(fhirAuthorization=authorization))) == (
        expected
    )


def test_prefetch_keys_the_service_did_not_ask_for_are_ignored_whatever_they_hold(
    make: Any,
) -> None:
    client = make()
    expected = _cards(client.post(SERVICE_PATH, json=_request()))
    body = _request()
    body["prefetch"] |= {"user": "Practitioner/1", "count": 3, "items": [1, 2], "none": None}
    assert _cards(client.post(SERVICE_PATH, json=body)) == expected


def test_a_key_the_service_reads_is_still_checked(make: Any) -> None:
    body = _request()
    body["prefetch"]["observations"] = "not a resource"
    response = make().post(SERVICE_PATH, json=body)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["prefetch.observations"]


def test_a_lower_case_bearer_token_is_used_for_the_fetch(
    make: Any, seen: list[httpx.Request]
) -> None:
    body = _request(fhirAuthorization={**AUTH, "token_type": "bearer"})
    del body["prefetch"]["observations"]
    _cards(make().post(SERVICE_PATH, json=body))
    assert [r.url.path for r in seen] == ["/fhir/Observation"]
    assert seen[0].headers["authorization"] == "Bearer tok-123"


def test_an_unusable_token_is_named_where_it_was_needed(
    make: Any, seen: list[httpx.Request]
) -> None:
    body = _request(fhirAuthorization={**AUTH, "token_type": "MAC"})
    del body["prefetch"]["observations"]
    detail = _summary_detail(_cards(make().post(SERVICE_PATH, json=body)))
    assert seen == []
    gap = "Observations could not be read from the EHR (the access token is not of type Bearer)"
    assert detail.count(gap) == 1


def test_missing_conditions_are_412_by_default_and_a_warning_card_by_setting(make: Any) -> None:
    body = _request()
    del body["prefetch"]["conditions"]
    del body["fhirAuthorization"]

    default = make().post(SERVICE_PATH, json=body)
    assert default.status_code == 412
    assert default.json()["issue"][0]["expression"] == ["prefetch.conditions"]

    [card] = _cards(make(prefetch_failure="card").post(SERVICE_PATH, json=body))
    assert card["indicator"] == "warning"
    assert len(card["summary"]) < 140
    assert "conditions could not be read" in card["summary"]
    assert "Conditions could not be read from the EHR (no access token)" in card["detail"]
    assert "not** an all-clear" in card["detail"]
    assert card["extension"]["org.sarcoma-cds"]["unavailable"] == {"conditions": "no access token"}


def test_the_warning_card_names_unread_pages(make: Any) -> None:
    body = _request()
    del body["fhirAuthorization"]
    body["prefetch"]["conditions"]["link"] = [
        {"relation": "next", "url": f"{EHR}/fhir/Condition?page=2"}
    ]
    [card] = _cards(make(prefetch_failure="card").post(SERVICE_PATH, json=body))
    assert "only the first of several pages was sent" in card["detail"]


def test_a_trailing_slash_is_served_without_a_redirect(make: Any) -> None:
    client = make()
    discovery = client.get("/cds-services/", follow_redirects=False)
    call = client.post(f"{SERVICE_PATH}/", json=_request(), follow_redirects=False)
    assert discovery.status_code == 200
    assert discovery.json()["services"][0]["id"] == SERVICE_ID
    assert call.status_code == 200 and call.json()["cards"]


def test_the_audience_is_the_url_the_client_called(tmp_path: Path) -> None:
    class Recording:
        def __init__(self) -> None:
            self.audiences: list[str] = []

        def verify(self, authorization: str | None, audience: str) -> Mapping[str, Any]:
            self.audiences.append(audience)
            return {}

    authenticator = Recording()
    settings = _settings(tmp_path, public_url="https://cds.example.org")
    with TestClient(create_app(settings, authenticator=authenticator)) as client:
        client.get("/cds-services/", follow_redirects=False)
        client.get("/cds-services", follow_redirects=False)
    assert authenticator.audiences == [
        "https://cds.example.org/cds-services/",
        "https://cds.example.org/cds-services",
    ]


def test_cors_preflights_are_logged_with_their_outcome(
    make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sarcoma_cds.web.cors")
    client = make()
    ask = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    client.options(SERVICE_PATH, headers={"Origin": EHR, **ask})
    client.options(SERVICE_PATH, headers={"Origin": "https://evil.example", **ask})
    client.options(SERVICE_PATH, headers={"Origin": EHR, "Access-Control-Request-Method": "PUT"})
    client.get("/cds-services", headers={"Origin": EHR})  # not a preflight: not logged here

    lines = [r.getMessage() for r in caplog.records if r.name == "sarcoma_cds.web.cors"]
    assert lines == [
        f"cors preflight POST {SERVICE_PATH} from {EHR}: allowed",
        f"cors preflight POST {SERVICE_PATH} from https://evil.example: "
        "refused (400): Disallowed CORS origin",
        f"cors preflight PUT {SERVICE_PATH} from {EHR}: refused (400): Disallowed CORS method",
    ]


def test_cards_are_answered_when_recording_them_fails(
    make: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make()
    services = client.app.state.services
    store = services.feedback_store

    def broken(*args: Any) -> None:
        raise FeedbackStoreError("cannot record issued cards: OperationalError")

    monkeypatch.setattr(store, "issue", broken)
    assert _cards(client.post(SERVICE_PATH, json=_request()))
    services.issued_cards.flush()  # recorded in batches, off the request path
    assert "could not record issued cards" in caplog.text

    monkeypatch.undo()  # the store is back: the next answer's cards are recorded
    cards = _cards(client.post(SERVICE_PATH, json=_request()))
    services.issued_cards.flush()
    assert {c.card_uuid for c in store.issued()} == {c["uuid"] for c in cards}
