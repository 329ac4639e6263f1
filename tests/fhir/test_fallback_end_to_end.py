"""Issue 7 end to end: the same patient gives the same cards with prefetch and without it, when
the service fetches from a real FHIR R4 server (sekmet-fhir, started on 127.0.0.1)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import load_example, load_manifest
from tests.support.fhir_server import FhirServer, fhir_server
from tests.support.sarcoma_patient import transaction

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

__all__ = ["fhir_server"]  # a fixture, used by name

SERVICE_PATH = f"/cds-services/{SERVICE_ID}"
EXAMPLES = [
    e
    for e in load_manifest()
    if e["file"][:2] in {"01", "05", "12", "19", "24", "29", "31", "33", "34"}
]


def _prefixed(request: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Make every non-Patient id unique on the shared server (the examples reuse ids)."""
    request = copy.deepcopy(request)
    _prefix_ids(request, prefix)
    for bundle in request["prefetch"].values():
        if isinstance(bundle, dict) and bundle.get("resourceType") == "Bundle":
            for entry in bundle.get("entry", []):
                entry["fullUrl"] = f"urn:uuid:{prefix}-{entry['resource']['id']}"
    return request


def _prefix_ids(node: Any, prefix: str) -> None:
    """Every non-Patient resource id and every relative reference to one, in place."""
    if isinstance(node, list):
        for value in node:
            _prefix_ids(value, prefix)
        return
    if not isinstance(node, dict):
        return
    rtype = node.get("resourceType")
    if rtype not in (None, "Patient", "Bundle") and isinstance(node.get("id"), str):
        node["id"] = f"{prefix}-{node['id']}"
    ref = node.get("reference")
    if isinstance(ref, str) and "/" in ref and not ref.startswith("Patient/"):
        rtype_ref, _, rid = ref.partition("/")
        node["reference"] = f"{rtype_ref}/{prefix}-{rid}"
    for value in node.values():
        _prefix_ids(value, prefix)


def _resources(request: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for value in request["prefetch"].values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            out += [e["resource"] for e in value.get("entry", [])]
        elif isinstance(value, dict):
            out.append(value)
    return out


def _cards(client: TestClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(SERVICE_PATH, json=body)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


@pytest.fixture
def client_at(tmp_path: Any) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(today: str) -> TestClient:
        settings = Settings(feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3")
        client = TestClient(create_app(settings, today=lambda: date.fromisoformat(today)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.mark.parametrize("entry", EXAMPLES, ids=[e["file"][:-5] for e in EXAMPLES])
def test_same_cards_with_and_without_prefetch(
    entry: dict[str, Any], fhir_server: FhirServer, client_at: Any
) -> None:
    request = _prefixed(load_example(entry["file"]), entry["file"][:2])
    fhir_server.load(transaction(_resources(request)))
    client = client_at(entry["today"])

    with_prefetch = _cards(client, request)

    without = {k: v for k, v in request.items() if k != "prefetch"}
    without["fhirServer"] = fhir_server.base_url
    without["fhirAuthorization"] = {
        "access_token": fhir_server.token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Condition.read patient/Observation.read patient/Procedure.read",
        "subject": "sarcoma-cds",
    }
    fetched = _cards(client, without)

    assert with_prefetch, "the example gives cards"
    assert fetched == with_prefetch


def test_wrong_token_is_412_naming_the_resource(fhir_server: FhirServer, client_at: Any) -> None:
    entry = EXAMPLES[0]
    request = {k: v for k, v in load_example(entry["file"]).items() if k != "prefetch"}
    request["fhirServer"] = fhir_server.base_url
    request["fhirAuthorization"] = {
        "access_token": "not-the-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "sarcoma-cds",
    }
    response = client_at(entry["today"]).post(SERVICE_PATH, json=request)

    assert response.status_code == 412
    assert "Condition" in response.text
    assert "401" in response.text
    assert "not-the-token" not in response.text
