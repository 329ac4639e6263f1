"""POST /cds-services/sts-liver-metastases: the happy paths and the card contract."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient
from web_fixtures import SAMPLE_CARD, SERVICE_PATH, TODAY, FakeEngine

from sarcoma_cds import GUIDELINE_DOI_URL
from sarcoma_cds.cds_hooks.cards import Card
from sarcoma_cds.cds_hooks.hygiene import find_violations
from sarcoma_cds.fhir.fetch import FhirFetcher
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

VIEW_LINK = {
    "label": "Open the tumour-board view",
    "url": "https://cds.example.org/app/launch",
    "type": "smart",
}


def test_real_engine_without_data_answers_empty_cards(
    client: TestClient, patient_view: dict[str, Any]
) -> None:
    response = client.post(SERVICE_PATH, json=patient_view)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'{"cards":[]}'


def test_card_contract_is_passed_through(
    fake_client: TestClient, patient_view: dict[str, Any]
) -> None:
    body = fake_client.post(SERVICE_PATH, json=patient_view).json()

    [card] = body["cards"]
    # The service adds one thing to the engine's summary card: the tumour-board view's link.
    assert card == {**SAMPLE_CARD, "links": [VIEW_LINK]}
    assert len(card["summary"]) < 140
    assert card["indicator"] in {"info", "warning", "critical"}
    assert card["source"]["url"] == GUIDELINE_DOI_URL
    assert "consensus" in card["source"]["label"].lower()
    assert card["extension"]["org.sarcoma-cds"]["recommendations"] == ["2.1", "2.2"]
    assert find_violations(body) == []


def test_engine_gets_patient_user_today_and_prefetch_as_sent(
    fake_client: TestClient, fake_engine: FakeEngine, patient_view: dict[str, Any]
) -> None:
    fake_client.post(SERVICE_PATH, json=patient_view)

    [call] = fake_engine.calls
    assert call.patient_id == "pat-1234"
    assert call.user_id == "Practitioner/example"
    assert call.today == TODAY
    # null stays null ("client had no data"); absent stays absent ("not prefetched").
    assert call.prefetch["observations"] is None
    assert "procedures" not in call.prefetch
    assert call.prefetch["conditions"]["type"] == "searchset"
    # Evaluation is CPU-bound under one GIL: it runs on the event loop, not in a worker thread
    # (a thread added no throughput and let the loop read more bodies meanwhile; issue 18).
    assert call.on_event_loop


def test_absent_prefetch_keys_are_fetched_from_the_fhir_server(
    settings: Settings, patient_view: dict[str, Any]
) -> None:
    """CDS Hooks 2.0: an absent key is fetched with the request's token; a null key is not."""
    seen: list[tuple[str, str | None]] = []

    def fhir(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization")))
        bundle = {"resourceType": "Bundle", "type": "searchset", "entry": []}
        return httpx.Response(200, json=bundle)

    engine = FakeEngine(settings=settings)
    client = httpx.AsyncClient(transport=httpx.MockTransport(fhir))
    app = create_app(settings, engine=engine, fetcher=FhirFetcher(settings, client=client))
    del patient_view["prefetch"]["conditions"]  # absent: fetch; observations is null: don't
    with TestClient(app) as test_client:
        assert test_client.post(SERVICE_PATH, json=patient_view).status_code == 200

    assert seen == [
        (f"/fhir/{rtype}", "Bearer secret-token-123")
        for rtype in (
            "Condition",
            "Procedure",
            "MedicationRequest",
            "MedicationAdministration",
            "MedicationStatement",
            "DiagnosticReport",
        )
    ]
    prefetch = engine.calls[0].prefetch
    assert prefetch["conditions"]["resourceType"] == "Bundle"
    assert prefetch["observations"] is None


def test_absent_conditions_without_a_fhir_server_is_412(fake_client: TestClient) -> None:
    minimal = {"hook": "patient-view", "hookInstance": "h-1", "context": {"patientId": "p-9"}}

    response = fake_client.post(SERVICE_PATH, json=minimal)

    assert response.status_code == 412
    issue = response.json()["issue"][0]
    assert issue["code"] == "incomplete"
    assert "Condition" in issue["diagnostics"]
    assert issue["expression"] == ["prefetch.conditions"]


def test_failed_fetch_is_412_and_never_echoes_the_token(
    settings: Settings, patient_view: dict[str, Any]
) -> None:
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda request: httpx.Response(401, json={}))
    )
    app = create_app(
        settings, engine=FakeEngine(settings=settings), fetcher=FhirFetcher(settings, client=client)
    )
    del patient_view["prefetch"]["conditions"]
    with TestClient(app) as test_client:
        response = test_client.post(SERVICE_PATH, json=patient_view)

    assert response.status_code == 412
    assert "401" in response.text
    assert "secret-token-123" not in response.text


def test_unknown_fields_are_accepted(fake_client: TestClient, patient_view: dict[str, Any]) -> None:
    patient_view["vendorThing"] = {"x": 1}
    patient_view["context"]["vendorContext"] = "y"
    patient_view["fhirAuthorization"]["vendorClaim"] = True
    patient_view["extension"] = {"com.example.flag": True}

    assert fake_client.post(SERVICE_PATH, json=patient_view).status_code == 200


def test_minimal_request_with_empty_prefetch_is_accepted(
    fake_client: TestClient, fake_engine: FakeEngine
) -> None:
    minimal = {
        "hook": "patient-view",
        "hookInstance": "h-1",
        "context": {"patientId": "p-9"},
        "prefetch": {"patient": None, "conditions": None, "observations": None, "procedures": None},
    }

    assert fake_client.post(SERVICE_PATH, json=minimal).status_code == 200
    assert fake_engine.calls[0].user_id is None


def test_null_and_empty_values_in_cards_are_pruned(
    settings: Settings, patient_view: dict[str, Any]
) -> None:
    sloppy = Card.model_validate(
        {**SAMPLE_CARD, "detail": "", "links": [], "overrideReasons": None, "extension": {}}
    )
    app = create_app(settings, engine=FakeEngine(settings=settings, cards=[sloppy]))
    with TestClient(app) as test_client:
        body = test_client.post(SERVICE_PATH, json=patient_view).json()

    assert find_violations(body) == []
    assert body["cards"] == [
        {k: v for k, v in SAMPLE_CARD.items() if k not in ("detail", "extension")}
    ]
