"""Where a resource comes from (issue 17, F13): one resource id sent twice with different content
is named as a data gap (the same resource under two keys is read once, silently); a subject on
another FHIR server than the hook's fhirServer is another patient, left out and named."""

from __future__ import annotations

from typing import Any

import pytest

from sarcoma_cds.fhir.prefetch import collect

EHR = "https://ehr.example.org/fhir"


def condition(onset: str, subject: str = "Patient/p1", rid: str = "c1") -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": rid,
        "subject": {"reference": subject},
        "code": {"text": "leiomyosarcoma"},
        "onsetDateTime": onset,
    }


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def test_two_versions_of_one_id_are_a_named_gap() -> None:
    prefetch = {
        "patient": {"resourceType": "Patient", "id": "p1"},
        "conditions": bundle(condition("2025-01-01"), condition("2019-06-30")),
    }
    record = collect("p1", prefetch)
    assert len(record.conditions) == 1
    assert (
        "1 resource(s) sent twice with different content (Condition/c1); the first copy was "
        "used — check which version the EHR holds"
    ) in record.gaps


def test_the_same_resource_under_two_keys_is_no_gap() -> None:
    prefetch = {
        "patient": {"resourceType": "Patient", "id": "p1"},
        "conditions": bundle(condition("2025-01-01")),
        "observations": bundle(condition("2025-01-01")),
    }
    record = collect("p1", prefetch)
    assert len(record.conditions) == 1
    assert not any("sent twice" in gap for gap in record.gaps)


OTHER_SERVER_GAP = (
    "1 resource(s) naming a patient on another FHIR server than the EHR's ignored "
    "(the same id there need not be this patient)"
)


@pytest.mark.parametrize(
    "subject",
    [
        "https://other.example.org/fhir/Patient/p1",  # another host
        "https://ehr.example.org/other-fhir/Patient/p1",  # another base on the same host
        "http://ehr.example.org/fhir/Patient/p1",  # another scheme
        "https://ehr.example.org/fhir/Patient/p1/../../x/Patient/p1",  # a path trick
    ],
)
def test_a_subject_on_another_server_is_left_out_and_named(subject: str) -> None:
    prefetch = {
        "conditions": bundle(condition("2025-01-01", subject, "theirs"), condition("2024-01-01"))
    }
    record = collect("p1", prefetch, fhir_server=EHR)
    assert [c.id for c in record.conditions] == ["c1"]
    assert OTHER_SERVER_GAP in record.gaps
    assert not any("another patient ignored" in gap for gap in record.gaps)


@pytest.mark.parametrize(
    "subject",
    [
        "Patient/p1",
        f"{EHR}/Patient/p1",
        "HTTPS://EHR.Example.org/fhir/Patient/p1/_history/3",  # scheme and host in any case
    ],
)
def test_a_subject_on_the_hooks_server_is_used(subject: str) -> None:
    prefetch = {"conditions": bundle(condition("2025-01-01", subject))}
    record = collect("p1", prefetch, fhir_server=EHR + "/")
    assert [c.id for c in record.conditions] == ["c1"]
    assert not any("another FHIR server" in gap for gap in record.gaps)


def test_another_patient_on_the_hooks_server_is_counted_as_another_patient() -> None:
    record = collect(
        "p1", {"conditions": bundle(condition("2025-01-01", f"{EHR}/Patient/p2"))}, None, EHR
    )
    assert record.conditions == []
    assert "1 resource(s) of another patient ignored" in record.gaps
    assert OTHER_SERVER_GAP not in record.gaps


def test_without_a_fhir_server_an_absolute_subject_is_judged_by_its_id() -> None:
    """A call with no fhirServer (prefetch only) names no server to compare with."""
    subject = "https://other.example.org/fhir/Patient/p1"
    record = collect("p1", {"conditions": bundle(condition("2025-01-01", subject))})
    assert [c.id for c in record.conditions] == ["c1"]
