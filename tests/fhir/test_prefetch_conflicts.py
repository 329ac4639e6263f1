"""Conflicting duplicates (issue 17, F13): one resource id sent twice with different content is
named as a data gap; the same resource under two keys is read once, silently."""

from __future__ import annotations

from typing import Any

from sarcoma_cds.fhir.prefetch import collect


def condition(onset: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "c1",
        "subject": {"reference": "Patient/p1"},
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
