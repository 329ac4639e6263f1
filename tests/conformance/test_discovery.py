"""CDS Hooks 2.0 "Discovery" and "Prefetch Template"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conformance.conftest import SERVICE_PATH

from sarcoma_cds import SERVICE_ID

TOKEN = re.compile(r"\{\{(.*?)\}\}")
# The patient-view hook's context fields that hold a primitive value (root level).
PATIENT_VIEW_CONTEXT = {"userId", "patientId", "encounterId"}
USER_IDENTIFIERS = {"userPractitionerId", "userPractitionerRoleId", "userPatientId"}


@pytest.fixture
def service(client: TestClient) -> dict[str, Any]:
    response = client.get("/cds-services")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["services"], list) and len(body["services"]) == 1
    service: dict[str, Any] = body["services"][0]
    return service


@pytest.mark.cds_hooks(4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 29, 36)
def test_discovery_lists_the_service_with_its_required_and_recommended_fields(
    service: dict[str, Any],
) -> None:
    assert service["hook"] == "patient-view"
    assert service["id"] == SERVICE_ID
    for field in ("title", "description", "usageRequirements"):
        assert isinstance(service[field], str) and service[field]
    assert isinstance(service["prefetch"], dict) and service["prefetch"]
    # One key per template, each a FHIR query string.
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in service["prefetch"].items())


@pytest.mark.cds_hooks(16)
def test_the_service_is_at_the_base_url_plus_cds_services_plus_its_id(
    client: TestClient, service: dict[str, Any]
) -> None:
    assert f"/cds-services/{service['id']}" == SERVICE_PATH
    prefetch = {"patient": None, "conditions": None, "observations": None, "procedures": None}
    body = {
        "hook": "patient-view",
        "hookInstance": "h",
        "context": {"patientId": "p"},
        "prefetch": prefetch,
    }
    assert client.post(SERVICE_PATH, json=body).json() == {"cards": []}


@pytest.mark.cds_hooks(35, 55, 56, 57, 59)
def test_prefetch_tokens_are_delimited_and_name_root_context_fields(
    service: dict[str, Any],
) -> None:
    tokens = [t.strip() for q in service["prefetch"].values() for t in TOKEN.findall(q)]
    assert tokens, "the templates depend on the context"
    for token in tokens:
        if token.startswith("context."):
            assert token.removeprefix("context.") in PATIENT_VIEW_CONTEXT
        else:
            assert token in USER_IDENTIFIERS
    for query in service["prefetch"].values():
        assert "{" not in TOKEN.sub("", query) and "}" not in TOKEN.sub("", query)


@pytest.mark.cds_hooks(58)
def test_prefetch_queries_use_the_recommended_subset(service: dict[str, Any]) -> None:
    """Instance reads and type searches on `patient` only: no chained, reverse-include or
    modifier parameters, no _include."""
    for query in service["prefetch"].values():
        resource, _, params = query.partition("?")
        assert re.fullmatch(r"[A-Z][A-Za-z]+(/\{\{context\.patientId\}\})?", resource)
        for param in filter(None, params.split("&")):
            name = param.partition("=")[0]
            assert name in {"patient", "subject", "_count", "_sort", "date", "status", "code"}
            assert ":" not in name and "." not in name


@pytest.mark.cds_hooks(14, 76)
def test_errors_are_4xx_with_an_operation_outcome(client: TestClient) -> None:
    unknown = client.post("/cds-services/nope", json={})
    bad = client.post(SERVICE_PATH, json={"hook": "patient-view"})
    for response, status in ((unknown, 404), (bad, 400)):
        assert response.status_code == status
        assert response.json()["resourceType"] == "OperationOutcome"
