"""The real-world example requests (issue 12) are valid FHIR R4 as their senders write them:
complete patient-view requests, every resource (in any Bundle, under any key, contained ones
included) valid against the R4B models, every subject naming the context patient in one of the
forms the service reads, and at least 12 of them covering the shapes the issue lists. The IDEA4RC
`collection` Bundles (issue 21) are checked here too: they are written as the IG writes them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from fhir.resources.R4B import get_fhir_model_class

Json = dict[str, Any]
EXAMPLES = Path(__file__).resolve().parents[2] / "fhir-examples"
MANIFEST: list[Json] = yaml.safe_load((EXAMPLES / "manifest.yaml").read_text(encoding="utf-8"))
REAL = [e["file"] for e in MANIFEST if e["encoding"] not in {"mcode", "ehr", "registry"}]


@cache
def load(name: str) -> Json:
    data: Json = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def entries(request: Json) -> Iterator[tuple[str | None, Json]]:
    """(fullUrl, resource) of everything in the prefetch, whatever key holds it."""
    for value in request["prefetch"].values():
        if value is None:
            continue
        if value.get("resourceType") == "Bundle":
            for e in value.get("entry", []):
                yield e.get("fullUrl"), e["resource"]
        else:
            yield None, value


def test_at_least_twelve_real_shapes_covering_the_issue() -> None:
    assert len(REAL) >= 12
    encodings = {e["encoding"] for e in MANIFEST if e["file"] in REAL}
    assert {"mcode-stu4", "synthea", "epic", "oracle-health", "us-core", "text-only"} <= encodings
    assert "medications" in encodings


@pytest.mark.parametrize("name", REAL)
def test_is_a_patient_view_request(name: str) -> None:
    request = load(name)
    assert request["hook"] == "patient-view"
    assert uuid.UUID(request["hookInstance"]).version == 4
    assert request["fhirServer"].startswith("https://")
    assert set(request["context"]) == {"userId", "patientId"}
    # An IDEA4RC collection Bundle (the patient's one Bundle) answers every key: the same Patient.
    patients = {r["id"] for _, r in entries(request) if r["resourceType"] == "Patient"}
    assert patients == {request["context"]["patientId"]}


@pytest.mark.parametrize("name", REAL)
def test_every_resource_is_valid_fhir_r4(name: str) -> None:
    request = load(name)
    for value in request["prefetch"].values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            get_fhir_model_class("Bundle").model_validate(value)
    for _, resource in entries(request):
        model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert model.model_dump(by_alias=True)["id"] == resource["id"]


@pytest.mark.parametrize("name", REAL)
def test_every_subject_names_the_context_patient(name: str) -> None:
    request = load(name)
    pid = request["context"]["patientId"]
    patient_urls = {u for u, r in entries(request) if r["resourceType"] == "Patient" and u}
    for _, resource in entries(request):
        ref = (resource.get("subject") or resource.get("patient") or {}).get("reference")
        if resource["resourceType"] in {"Patient", "Medication"}:
            continue
        assert ref is not None, resource["id"]
        assert ref in patient_urls or ref.endswith(f"Patient/{pid}") or ref == f"urn:uuid:{pid}"
