"""Shared fixtures for the web layer: settings on a temporary database, apps and clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_fixtures import TODAY, FakeEngine

from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "feedback.sqlite3"


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(
        feedback_db_url=f"sqlite:///{db_path}",
        cors_origins=["https://ehr.example.org"],
        public_url="https://cds.example.org/",
    )


@pytest.fixture
def fake_engine(settings: Settings) -> FakeEngine:
    return FakeEngine(settings=settings)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The real (start-up) engine: no cards yet."""
    app = create_app(settings, today=lambda: TODAY)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def fake_client(settings: Settings, fake_engine: FakeEngine) -> Iterator[TestClient]:
    app = create_app(settings, engine=fake_engine, today=lambda: TODAY)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def patient_view() -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "fhirServer": "https://ehr.example.org/fhir",
        "fhirAuthorization": {
            "access_token": "secret-token-123",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/Condition.read patient/Observation.read",
            "subject": "sarcoma-cds",
        },
        "context": {"userId": "Practitioner/example", "patientId": "pat-1234"},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": "pat-1234"},
            "conditions": {"resourceType": "Bundle", "type": "searchset", "entry": []},
            "observations": None,
        },
    }
