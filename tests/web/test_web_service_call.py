"""POST /cds-services/sts-liver-metastases: the happy paths and the card contract."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from web_fixtures import SAMPLE_CARD, SERVICE_PATH, TODAY, FakeEngine

from sarcoma_cds import GUIDELINE_DOI_URL
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app
from sarcoma_cds.web.json_hygiene import find_violations


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
    assert card == SAMPLE_CARD
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
    # Evaluation is CPU-bound: it runs in the threadpool, not on the event loop.
    assert "worker" in call.thread_name.lower()


def test_without_prefetch_the_engine_gets_an_empty_mapping(
    fake_client: TestClient, fake_engine: FakeEngine, patient_view: dict[str, Any]
) -> None:
    del patient_view["prefetch"]

    assert fake_client.post(SERVICE_PATH, json=patient_view).status_code == 200
    assert fake_engine.calls[0].prefetch == {}


def test_unknown_fields_are_accepted(fake_client: TestClient, patient_view: dict[str, Any]) -> None:
    patient_view["vendorThing"] = {"x": 1}
    patient_view["context"]["vendorContext"] = "y"
    patient_view["fhirAuthorization"]["vendorClaim"] = True
    patient_view["extension"] = {"com.example.flag": True}

    assert fake_client.post(SERVICE_PATH, json=patient_view).status_code == 200


def test_minimal_request_without_server_or_user_is_accepted(
    fake_client: TestClient, fake_engine: FakeEngine
) -> None:
    minimal = {"hook": "patient-view", "hookInstance": "h-1", "context": {"patientId": "p-9"}}

    assert fake_client.post(SERVICE_PATH, json=minimal).status_code == 200
    assert fake_engine.calls[0].user_id is None


def test_null_and_empty_values_in_cards_are_pruned(
    settings: Settings, patient_view: dict[str, Any]
) -> None:
    sloppy = {**SAMPLE_CARD, "detail": "", "links": [], "overrideReasons": None, "extra": {}}
    app = create_app(settings, engine=FakeEngine(settings=settings, cards=[sloppy]))
    with TestClient(app) as test_client:
        body = test_client.post(SERVICE_PATH, json=patient_view).json()

    assert find_violations(body) == []
    assert body["cards"] == [{k: v for k, v in SAMPLE_CARD.items() if k != "detail"}]


def test_cards_breaking_the_contract_are_withheld(
    settings: Settings, patient_view: dict[str, Any]
) -> None:
    no_summary = {k: v for k, v in SAMPLE_CARD.items() if k != "summary"}
    bad_indicator = {**SAMPLE_CARD, "indicator": "hint"}
    no_behaviour = {k: v for k, v in SAMPLE_CARD.items() if k != "selectionBehavior"}
    cards = [no_summary, bad_indicator, no_behaviour, SAMPLE_CARD]
    app = create_app(settings, engine=FakeEngine(settings=settings, cards=cards))
    with TestClient(app) as test_client:
        body = test_client.post(SERVICE_PATH, json=patient_view).json()

    assert body == {"cards": [SAMPLE_CARD]}
