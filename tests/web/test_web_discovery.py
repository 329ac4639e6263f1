from __future__ import annotations

from fastapi.testclient import TestClient

from sarcoma_cds.cds_hooks.hygiene import find_violations


def test_discovery_lists_the_patient_view_service(client: TestClient) -> None:
    response = client.get("/cds-services")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["services"]
    [service] = body["services"]
    assert service["id"] == "sts-liver-metastases"
    assert service["hook"] == "patient-view"
    assert "consensus" in service["title"].lower()
    assert "never decides" in service["description"]
    assert service["usageRequirements"]
    assert find_violations(body) == []


def test_discovery_prefetch_templates_are_exactly_the_input_profile(client: TestClient) -> None:
    [service] = client.get("/cds-services").json()["services"]

    assert service["prefetch"] == {
        "patient": "Patient/{{context.patientId}}",
        "conditions": "Condition?patient={{context.patientId}}",
        "observations": "Observation?patient={{context.patientId}}",
        "procedures": "Procedure?patient={{context.patientId}}",
        "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
        "medicationAdministrations": "MedicationAdministration?patient={{context.patientId}}",
        "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
        "diagnosticReports": "DiagnosticReport?patient={{context.patientId}}",
    }


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    generated = client.get("/cds-services").headers["x-request-id"]
    echoed = client.get("/cds-services", headers={"X-Request-Id": "trace-42"})

    assert len(generated) == 32
    assert echoed.headers["x-request-id"] == "trace-42"
    unsafe = client.get("/cds-services", headers={"X-Request-Id": "a\tb" + "x" * 100})
    assert unsafe.headers["x-request-id"] != "a\tb" + "x" * 100
