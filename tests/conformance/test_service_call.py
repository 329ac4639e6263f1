"""CDS Hooks 2.0 "Use of JSON", "CDS Service Response", "Extensions" and the FHIR resource access
rules the service must meet as the EHR calls it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conformance.conftest import FEEDBACK_PATH, SERVICE_PATH, make_client
from tests.conftest import load_example, load_manifest

from sarcoma_cds.cds_hooks.hygiene import find_violations
from sarcoma_cds.settings import Settings, UnsafeSettingsError

NO_CANCER = next(e["file"] for e in load_manifest() if e["file"].startswith("16-"))


@pytest.mark.cds_hooks(1, 3)
def test_every_answer_is_json_without_null_or_empty_values(
    client: TestClient, example_responses: dict[str, dict[str, Any]]
) -> None:
    answers = [
        client.get("/cds-services"),
        client.post(SERVICE_PATH, content=b"{", headers={"Content-Type": "application/json"}),
        client.post("/cds-services/unknown", json={}),
        client.post(FEEDBACK_PATH, json={"feedback": []}),
    ]
    for response in answers:
        assert response.headers["content-type"].startswith("application/json")
        assert find_violations(response.json()) == []
    for body in example_responses.values():
        assert find_violations(body) == []


@pytest.mark.cds_hooks(74, 28)
def test_success_is_200_with_a_cards_array_from_the_prefetch(
    example_responses: dict[str, dict[str, Any]],
) -> None:
    for body in example_responses.values():
        assert set(body) == {"cards"}
        assert isinstance(body["cards"], list)
    assert sum(1 for body in example_responses.values() if body["cards"]) > 20


@pytest.mark.cds_hooks(77)
def test_no_decision_support_is_200_with_an_empty_cards_array(
    example_responses: dict[str, dict[str, Any]],
) -> None:
    assert example_responses[NO_CANCER] == {"cards": []}


@pytest.mark.cds_hooks(214, 215)
def test_extensions_are_objects_under_a_reverse_domain_key(
    example_responses: dict[str, dict[str, Any]],
) -> None:
    extensions = [
        card["extension"]
        for body in example_responses.values()
        for card in body["cards"]
        if "extension" in card
    ]
    assert extensions
    for extension in extensions:
        assert isinstance(extension, dict)
        for key, value in extension.items():
            assert key.startswith("org."), key
            assert isinstance(value, dict)


@pytest.mark.cds_hooks(2, 168)
def test_production_refuses_anything_but_https(tmp_path: Path) -> None:
    clients = tmp_path / "clients.yaml"
    clients.write_text(
        "- {iss: https://ehr.example.org, jku_allowlist: [https://ehr.example.org/k]}"
    )
    with pytest.raises(UnsafeSettingsError, match="PUBLIC_URL must be an https"):
        Settings(
            mode="production",
            public_url="http://cds.example.org",
            trusted_clients=clients,
            cors_origins=["https://ehr.example.org"],
        ).check_safe()
    # A FHIR server on plain http is not fetched from outside development (412 names why).
    request = {k: v for k, v in load_example(NO_CANCER).items() if k != "prefetch"}
    request["fhirServer"] = "http://ehr.example.org/fhir"
    request["fhirAuthorization"] = {
        "access_token": "t0ken",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Condition.rs",
        "subject": "sarcoma-cds",
    }
    settings = Settings(
        mode="production",
        public_url="https://cds.example.org",
        trusted_clients=clients,
        cors_origins=["https://ehr.example.org"],
        feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3",
    )
    from sarcoma_cds.web.app import create_app

    class Anyone:
        def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
            return {}

    with TestClient(create_app(settings, authenticator=Anyone())) as production:
        response = production.post(SERVICE_PATH, json=request)
    assert response.status_code == 412
    assert "https" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.cds_hooks(148)
def test_the_feedback_endpoint_takes_accepted_and_overridden_outcomes(tmp_path: Path) -> None:
    feedback = {
        "feedback": [
            {
                "card": "0b5c2f4e-8d7a-4f0e-9d35-3c1c7c2b9a10",
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": "5f0d6a7e-1c2b-4c3d-8e9f-0a1b2c3d4e5f"}],
                "outcomeTimestamp": "2026-06-01T10:00:00Z",
            },
            {
                "card": "9a4c2f4e-8d7a-4f0e-9d35-3c1c7c2b9a10",
                "outcome": "overridden",
                "overrideReason": {"userComment": "discussed at the MDT"},
                "outcomeTimestamp": "2026-06-01T10:01:00Z",
            },
        ]
    }
    with make_client(tmp_path) as client:
        response = client.post(FEEDBACK_PATH, json=feedback)
    assert response.status_code == 200
    assert response.json()["received"] == 2
