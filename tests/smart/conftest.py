"""A test EHR (authlib authorization server in front of a real sekmet-fhir server) loaded with
example patients, and the service app, for the SMART launch tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import load_example, load_manifest
from tests.support.fhir_server import run_sekmet
from tests.support.sarcoma_patient import transaction
from tests.support.smart_ehr import SmartEhr, run_test_ehr

EXAMPLE = "29-re-metastasectomy-long-tfi.json"  # metachronous, resected, recurred, imaged


def example_resources(name: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for value in load_example(name)["prefetch"].values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            out += [e["resource"] for e in value.get("entry", [])]
        elif isinstance(value, dict):
            out.append(value)
    return out


def example_today(name: str) -> date:
    entry = next(e for e in load_manifest() if e["file"] == name)
    return date.fromisoformat(entry["today"])


@pytest.fixture(scope="module")
def ehr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmartEhr]:
    """Its own sekmet-fhir server: the examples reuse resource ids across patients."""
    with run_sekmet(tmp_path_factory.mktemp("sekmet-smart")) as fhir:
        fhir.load(transaction(example_resources(EXAMPLE)))
        with run_test_ehr(fhir) as test_ehr:
            yield test_ehr


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/feedback.sqlite3"
