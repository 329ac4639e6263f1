"""The service as an EHR meets it, over HTTP: every example patient's response, once per session.

Tests here carry `@pytest.mark.cds_hooks(<requirement ids>)`, the ids of the CDS Hooks 2.0
service-side requirements they show (docs/standards/cds-hooks-2.0-requirements.csv); the table in
docs/conformance.md names them and `test_conformance_doc.py` keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import load_example, load_manifest

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

SERVICE_PATH = f"/cds-services/{SERVICE_ID}"
FEEDBACK_PATH = f"{SERVICE_PATH}/feedback"


def make_client(tmp: Path, today: str = "2026-06-01", **settings: Any) -> TestClient:
    config = Settings(feedback_db_url=f"sqlite:///{tmp}/feedback.sqlite3", **settings)
    return TestClient(create_app(config, today=lambda: date.fromisoformat(today)))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def example_responses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every example request posted to the service at its own "today": file → response JSON."""
    out: dict[str, dict[str, Any]] = {}
    tmp = tmp_path_factory.mktemp("conformance")
    entries = load_manifest()
    for today in sorted({entry["today"] for entry in entries}):
        with make_client(tmp, today) as test_client:
            for entry in (e for e in entries if e["today"] == today):
                response = test_client.post(SERVICE_PATH, json=load_example(entry["file"]))
                assert response.status_code == 200, (entry["file"], response.text)
                assert response.headers["content-type"].startswith("application/json")
                out[entry["file"]] = response.json()
    return out


@pytest.fixture(scope="session")
def all_cards(example_responses: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    cards = [card for body in example_responses.values() for card in body["cards"]]
    assert len(cards) > 50, "the examples give many cards to check"
    return cards
