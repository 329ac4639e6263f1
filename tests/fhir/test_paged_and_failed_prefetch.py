"""Issue 22 end to end, against a real FHIR R4 server (sekmet-fhir): a prefetch the EHR sent in
pages, as an OperationOutcome, or with an error outcome inside the searchset gives the same cards
as the complete prefetch when the data can be fetched, and a 412 or a named gap when it cannot.
(CDS Hooks 2.0 requirements 34, 52 and 54.)"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.conftest import load_example, load_manifest
from tests.support.fhir_server import FhirServer, fhir_server
from tests.support.sarcoma_patient import transaction

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

__all__ = ["fhir_server"]  # a fixture, used by name

pytestmark = pytest.mark.fhirserver

SERVICE_PATH = f"/cds-services/{SERVICE_ID}"
ENTRY = next(e for e in load_manifest() if e["file"].startswith("01-"))
FAILED = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}


def _resources(request: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for value in request["prefetch"].values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            out += [e["resource"] for e in value.get("entry", [])]
        elif isinstance(value, dict):
            out.append(value)
    return out


@pytest.fixture(scope="module")
def example(fhir_server: FhirServer) -> dict[str, Any]:
    """Example 01 with its ids prefixed (the shared server holds other tests' patients)."""
    request = copy.deepcopy(load_example(ENTRY["file"]))
    pid = request["context"]["patientId"]
    for resource in _resources(request):
        if resource["resourceType"] != "Patient":
            resource["id"] = f"p22-{resource['id']}"
    fhir_server.load(transaction(_resources(request)))
    request["fhirServer"] = fhir_server.base_url
    assert len(request["prefetch"]["conditions"]["entry"]) == 2
    assert pid
    return request


@pytest.fixture
def client(tmp_path: Any) -> Iterator[TestClient]:
    settings = Settings(feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3")
    app = create_app(settings, today=lambda: date.fromisoformat(ENTRY["today"]))
    with TestClient(app) as test_client:
        yield test_client


def _authorised(request: dict[str, Any], token: str) -> dict[str, Any]:
    body = copy.deepcopy(request)
    body["fhirAuthorization"] = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Condition.rs patient/Observation.rs patient/Procedure.rs",
        "subject": "sarcoma-cds",
    }
    return body


def _first_page(server: FhirServer, resource_type: str, pid: str) -> dict[str, Any]:
    """Page one of the server's own search, one resource per page: a real `next` link."""
    response = httpx.get(
        f"{server.base_url}/{resource_type}",
        params={"patient": pid, "_count": "1"},
        headers={"Authorization": f"Bearer {server.token}", "Accept": "application/fhir+json"},
    )
    page: dict[str, Any] = response.json()
    assert any(link["relation"] == "next" for link in page["link"])
    assert len(page["entry"]) == 1
    return page


def _cards(client: TestClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(SERVICE_PATH, json=body)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def _summary_detail(cards: list[dict[str, Any]]) -> str:
    return next(str(c["detail"]) for c in cards if c["summary"].startswith("STS liver"))


@pytest.mark.cds_hooks(34, 60, 61)
def test_paged_conditions_are_read_to_the_last_page(
    example: dict[str, Any], fhir_server: FhirServer, client: TestClient
) -> None:
    expected = _cards(client, example)
    paged = copy.deepcopy(example)
    pid = example["context"]["patientId"]
    paged["prefetch"]["conditions"] = _first_page(fhir_server, "Condition", pid)

    assert len(expected) >= 3
    assert _cards(client, _authorised(paged, fhir_server.token)) == expected
    # The first page alone says something else: the later page mattered.
    alone = copy.deepcopy(paged)
    alone["prefetch"]["conditions"]["link"] = []
    assert _cards(client, alone) != expected


@pytest.mark.cds_hooks(54)
def test_paged_conditions_without_a_token_are_412_naming_the_pages(
    example: dict[str, Any], fhir_server: FhirServer, client: TestClient
) -> None:
    paged = copy.deepcopy(example)
    paged["prefetch"]["conditions"] = _first_page(
        fhir_server, "Condition", example["context"]["patientId"]
    )
    response = client.post(SERVICE_PATH, json=paged)

    assert response.status_code == 412
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["prefetch.conditions"]
    assert "only the first of several pages was sent" in issue["diagnostics"]
    assert "no access token" in issue["diagnostics"]


def test_paged_optional_data_without_a_token_is_a_named_gap(
    example: dict[str, Any], fhir_server: FhirServer, client: TestClient
) -> None:
    paged = copy.deepcopy(example)
    paged["prefetch"]["observations"] = _first_page(
        fhir_server, "Observation", example["context"]["patientId"]
    )
    detail = _summary_detail(_cards(client, paged))

    gap = (
        "Observations could not be read from the EHR (only the first of several pages was "
        "sent, and the rest could not be fetched: no access token)"
    )
    assert detail.count(gap) == 1


@pytest.mark.parametrize("how", ["operation-outcome", "error-inside-searchset"])
@pytest.mark.cds_hooks(52, 60)
def test_failed_conditions_prefetch_is_fetched_again(
    how: str, example: dict[str, Any], fhir_server: FhirServer, client: TestClient
) -> None:
    expected = _cards(client, example)
    failed = copy.deepcopy(example)
    if how == "operation-outcome":
        failed["prefetch"]["conditions"] = FAILED
    else:
        failed["prefetch"]["conditions"]["entry"].append(
            {"resource": FAILED, "search": {"mode": "outcome"}}
        )

    assert _cards(client, _authorised(failed, fhir_server.token)) == expected


@pytest.mark.cds_hooks(52, 54)
def test_failed_conditions_prefetch_without_access_is_412(
    example: dict[str, Any], client: TestClient
) -> None:
    failed = copy.deepcopy(example)
    failed["prefetch"]["conditions"] = FAILED
    response = client.post(SERVICE_PATH, json=failed)

    assert response.status_code == 412
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["prefetch.conditions"]
    assert "no access token" in issue["diagnostics"]


def test_failed_optional_prefetch_with_a_token_is_fetched_and_without_one_named(
    example: dict[str, Any], fhir_server: FhirServer, client: TestClient
) -> None:
    expected = _cards(client, example)
    failed = copy.deepcopy(example)
    failed["prefetch"]["procedures"] = FAILED

    assert _cards(client, _authorised(failed, fhir_server.token)) == expected
    detail = _summary_detail(_cards(client, failed))
    assert detail.count("Procedures could not be read from the EHR (no access token)") == 1
