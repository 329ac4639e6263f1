"""Hostile and broken input through the real engine: never a 500, never a lost request, and a
broken resource inside a good prefetch is skipped and named in the summary card's data gaps."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import card_topics, load_example, load_manifest
from web_fixtures import SERVICE_PATH

from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

ENTRY = next(e for e in load_manifest() if e["file"].startswith("01-"))
TOPICS = ["summary", "staging-imaging", "treatment-pathway", "mdt-referral"]


@pytest.fixture
def real_client(settings: Settings) -> Iterator[TestClient]:
    from datetime import date

    app = create_app(settings, today=lambda: date.fromisoformat(ENTRY["today"]))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def request_01() -> dict[str, Any]:
    return copy.deepcopy(load_example(ENTRY["file"]))


def topics(body: dict[str, Any]) -> list[str]:
    return [t for c in body["cards"] for t in card_topics(c)]


def summary_detail(body: dict[str, Any]) -> str:
    detail: str = body["cards"][0]["detail"]
    return detail


def test_the_example_itself(real_client: TestClient, request_01: dict[str, Any]) -> None:
    body = real_client.post(SERVICE_PATH, json=request_01).json()
    assert topics(body) == TOPICS


@pytest.mark.parametrize(
    "broken",
    [
        {"resourceType": "Condition", "id": "bad-date", "onsetDateTime": "2024-13-45"},
        {"resourceType": "Condition", "id": "bad-type", "code": "C78.7"},
        {"resourceType": "Observation", "id": "bad-obs", "valueInteger": "seven"},
        {"resourceType": "Procedure", "id": "bad-proc", "performedPeriod": {"start": 20240101}},
        {"resourceType": "Condition", "id": "nulls", "code": None, "bodySite": [None]},
    ],
    ids=["invalid-date", "code-as-string", "value-wrong-type", "period-number", "nulls"],
)
def test_a_broken_element_is_named_and_the_rest_used(
    real_client: TestClient, request_01: dict[str, Any], broken: dict[str, Any]
) -> None:
    key = {"Condition": "conditions", "Observation": "observations", "Procedure": "procedures"}
    entries = request_01["prefetch"][key[broken["resourceType"]]]["entry"]
    entries.append({"resource": {**broken, "subject": {"reference": "Patient/pt-01"}}})

    response = real_client.post(SERVICE_PATH, json=request_01)

    assert response.status_code == 200
    body = response.json()
    assert topics(body) == TOPICS  # the good data still gives every card
    detail = summary_detail(body)
    # clinical-logic 1.1: the broken element is unknown and named, in words for the clinician;
    # the resource id is for the integrator (extension); the resource itself is kept.
    assert "unreadable element read as unknown" in detail
    assert f"{broken['resourceType']}/{broken['id']}" not in detail
    gaps = body["cards"][0]["extension"]["org.sarcoma-cds"]["facts"]["data_gaps"]
    assert any(f"{broken['resourceType']}/{broken['id']}" in g for g in gaps)


def test_unknown_resource_types_are_ignored(
    real_client: TestClient, request_01: dict[str, Any]
) -> None:
    entries = request_01["prefetch"]["conditions"]["entry"]
    entries.append({"resource": {"resourceType": "Basic", "id": "x"}})
    entries.append({"resource": {"resourceType": "NotAThing", "id": "y", "code": 3}})
    assert topics(real_client.post(SERVICE_PATH, json=request_01).json()) == TOPICS


def test_other_patients_resources_are_ignored_and_counted(
    real_client: TestClient, request_01: dict[str, Any]
) -> None:
    other = copy.deepcopy(request_01["prefetch"]["conditions"]["entry"][-1]["resource"])
    other["id"] = "someone-else"
    other["subject"] = {"reference": "Patient/somebody-else"}
    other["code"] = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C78.6"}]}
    request_01["prefetch"]["conditions"]["entry"].append({"resource": other})

    body = real_client.post(SERVICE_PATH, json=request_01).json()

    assert topics(body) == TOPICS  # C78.6 of another patient did not make OMD indeterminate
    assert "1 resource of another patient ignored" in summary_detail(body)


def test_the_patient_on_another_fhir_server_is_not_this_patient(
    real_client: TestClient, request_01: dict[str, Any]
) -> None:
    """Issue 17, F13: the same id on another server's base is another server's patient."""
    other = copy.deepcopy(request_01["prefetch"]["conditions"]["entry"][-1]["resource"])
    other["id"] = "from-elsewhere"
    other["subject"] = {"reference": "https://elsewhere.example.org/fhir/Patient/pt-01"}
    other["code"] = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C78.6"}]}
    request_01["prefetch"]["conditions"]["entry"].append({"resource": other})
    assert request_01["fhirServer"] == "https://ehr.example.org/fhir"

    body = real_client.post(SERVICE_PATH, json=request_01).json()

    assert topics(body) == TOPICS  # the foreign C78.6 did not make OMD indeterminate
    assert (
        "1 resource naming a patient on another FHIR server than the EHR's ignored"
        in summary_detail(body)
    )


def test_operation_outcome_instead_of_a_bundle(
    real_client: TestClient, request_01: dict[str, Any]
) -> None:
    request_01["prefetch"]["observations"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    body = real_client.post(SERVICE_PATH, json=request_01).json()
    assert "summary" in topics(body)
    # Not fetched again (the request has no token), and named once in a clinician's words.
    gap = "Observations could not be read from the EHR (no access token)"
    assert summary_detail(body).count(gap) == 1


def test_paged_bundle_is_named(real_client: TestClient, request_01: dict[str, Any]) -> None:
    request_01["prefetch"]["procedures"]["link"] = [
        {"relation": "next", "url": "https://ehr.example.org/fhir/Procedure?page=2"}
    ]
    body = real_client.post(SERVICE_PATH, json=request_01).json()
    assert (
        "Procedures could not be read from the EHR (only the first of several pages was sent, "
        "and the rest could not be fetched: no access token)"
    ) in summary_detail(body)


def test_deep_nesting_is_refused_or_survived(real_client: TestClient) -> None:
    body = (
        '{"hook": "patient-view", "hookInstance": "h", "context": {"patientId": "p"}, '
        '"prefetch": {"conditions": {"resourceType": "Bundle", "extension": '
        + "[" * 3000
        + "]" * 3000
        + "}}}"
    )
    response = real_client.post(
        SERVICE_PATH, content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code in (200, 400)
    assert "Traceback" not in response.text


def test_entries_of_the_wrong_shape(real_client: TestClient, request_01: dict[str, Any]) -> None:
    request_01["prefetch"]["observations"]["entry"] = [None, 3, "x", {"resource": None}, {}]
    response = real_client.post(SERVICE_PATH, json=request_01)
    assert response.status_code == 200
    assert topics(response.json()) == TOPICS
