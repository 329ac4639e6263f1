"""`collect`: from prefetch values to one patient's projected resources, with gaps named."""

from __future__ import annotations

from typing import Any

from tests.support.fhir_data import (
    PID,
    bundle,
    cm,
    condition,
    liver_met,
    lms_primary,
    patient,
    procedure,
    sct,
)

from sarcoma_cds.fhir.prefetch import collect


def test_bundles_lists_and_single_resources_are_all_read() -> None:
    rec = collect(
        PID,
        {
            "patient": patient(),
            "conditions": bundle([liver_met()]),
            "observations": [],
            "procedures": procedure("hx", sct("107963000"), performed="2024-01-01"),
            "medicationRequests": None,
        },
    )
    assert rec.patient is not None
    assert rec.patient.birthDate == "1960-03-15"
    assert [c.id for c in rec.conditions] == ["met-liver"]
    assert [p.id for p in rec.procedures] == ["hx"]
    assert rec.gaps == []
    assert rec.supplied_keys == {
        "patient",
        "conditions",
        "observations",
        "procedures",
        "medicationRequests",
    }


def test_resources_are_routed_by_their_own_type_and_deduplicated() -> None:
    met = liver_met()
    rec = collect(PID, {"conditions": bundle([met]), "extra": [met, procedure("p", sct("1"))]})
    assert len(rec.conditions) == 1
    assert len(rec.procedures) == 1


def test_missing_keys_are_named_and_none_means_supplied_but_empty() -> None:
    rec = collect(PID, {"patient": patient(), "conditions": None})
    assert rec.conditions == []
    assert rec.gaps == [
        "Observations were not sent by the EHR",
        "Procedures were not sent by the EHR",
        "Medications were not sent by the EHR",
    ]


def test_operation_outcome_and_paged_bundles_are_gaps_and_not_supplied() -> None:
    paged = bundle([liver_met()]) | {"link": [{"relation": "next", "url": "https://x/p2"}]}
    failed = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    rec = collect(
        PID,
        {"conditions": paged, "observations": failed, "procedures": "not a resource"},
    )
    # The first page is read, but "none recorded" must not follow from a partial answer.
    assert len(rec.conditions) == 1
    assert rec.supplied_keys == {"procedures"}
    assert rec.gaps[:2] == [
        "Conditions could not be read from the EHR (only the first of several pages was sent)",
        "Observations could not be read from the EHR "
        "(the EHR sent an error instead of the data (OperationOutcome: timeout))",
    ]
    assert any("'procedures' is not a FHIR resource" in g for g in rec.gaps)


def test_error_outcome_inside_a_searchset_is_a_named_gap() -> None:
    b = bundle([liver_met()])
    b["entry"].append(
        {
            "resource": {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "too-costly"}],
            },
            "search": {"mode": "outcome"},
        }
    )
    rec = collect(PID, {"conditions": b, "observations": None, "procedures": None})
    assert len(rec.conditions) == 1
    assert "conditions" not in rec.supplied_keys
    assert rec.gaps == [
        "Conditions could not be read from the EHR "
        "(the EHR reported an error in the search (OperationOutcome: too-costly))",
        "Medications were not sent by the EHR",
    ]


def test_a_reason_from_the_caller_is_named_once_instead_of_not_sent() -> None:
    rec = collect(
        PID, {"conditions": None, "procedures": None}, {"observations": "no access token"}
    )
    assert rec.gaps == [
        "Observations could not be read from the EHR (no access token)",
        "Medications were not sent by the EHR",
    ]


def test_search_outcome_entries_are_not_patient_data() -> None:
    b = bundle([liver_met()])
    b["entry"].append(
        {"resource": {"resourceType": "OperationOutcome"}, "search": {"mode": "outcome"}}
    )
    rec = collect(PID, {"conditions": b})
    assert len(rec.conditions) == 1
    assert not any("not FHIR resources" in g for g in rec.gaps)


def test_broken_elements_are_named_and_unrecognisable_resources_skipped() -> None:
    bad_date = condition("bad", cm("C78.7"), onset="2024-02-30")
    bad_type = condition("worse", cm("C78.7")) | {"code": "C78.7"}
    no_type: dict[str, Any] = {"id": "x", "code": {}}
    rec = collect(PID, {"conditions": bundle([liver_met(), bad_date, bad_type, no_type])})
    # The element is unknown, not the resource (clinical-logic 1.1).
    assert [c.id for c in rec.conditions] == ["met-liver", "bad", "worse"]
    assert rec.conditions[1].code is not None
    assert rec.conditions[1].onsetDateTime is None
    assert rec.conditions[2].code is None
    skipped = next(g for g in rec.gaps if "unreadable resource(s) skipped" in g)
    assert skipped.startswith("1 unreadable resource(s) skipped ('conditions' entry without")
    elements = next(g for g in rec.gaps if "unreadable element(s)" in g)
    assert "onsetDateTime '2024-02-30' (Condition/bad)" in elements
    assert "code 'C78.7' (Condition/worse)" in elements


def test_non_resource_entries_are_named() -> None:
    rec = collect(PID, {"conditions": [liver_met(), "C78.7", None, 3]})
    assert len(rec.conditions) == 1
    assert "prefetch 'conditions': 3 entries are not FHIR resources" in rec.gaps


def test_other_patients_resources_are_ignored_and_counted() -> None:
    rec = collect(
        PID,
        {
            "patient": {"resourceType": "Patient", "id": "p2"},
            "conditions": [liver_met(subject="Patient/p2"), liver_met("mine")],
        },
    )
    assert rec.patient is None
    assert [c.id for c in rec.conditions] == ["mine"]
    assert "1 resource(s) of another patient ignored" in rec.gaps


def test_a_resource_without_subject_from_the_patient_search_is_kept() -> None:
    rec = collect(PID, {"conditions": [liver_met(subject=None)]})
    assert len(rec.conditions) == 1


# --- issue 12: everything under one key, references of every shape ----------------------------


def _synthea_bundle() -> dict[str, Any]:
    """A raw Synthea-style transaction Bundle: urn:uuid fullUrls and subjects."""
    pid = "6f1c2a9e-1d3b-4c5e-9f70-1a2b3c4d5e6f"
    met = liver_met() | {"id": "m1", "subject": {"reference": f"urn:uuid:{pid}"}}
    other = liver_met() | {"id": "m2", "subject": {"reference": "urn:uuid:someone-else"}}
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": f"urn:uuid:{pid}", "resource": patient() | {"id": pid}},
            {"fullUrl": "urn:uuid:c-1", "resource": met},
            {"fullUrl": "urn:uuid:c-2", "resource": other},
        ],
    }


def test_one_bundle_under_any_key_and_urn_uuid_subjects() -> None:
    pid = "6f1c2a9e-1d3b-4c5e-9f70-1a2b3c4d5e6f"
    rec = collect(pid, {"everything": _synthea_bundle()})
    assert rec.patient is not None
    assert [c.id for c in rec.conditions] == ["m1"]
    assert "1 resource(s) of another patient ignored" in rec.gaps
    # The fullUrl resolves, as does Type/id.
    assert rec.refs.resolve("urn:uuid:c-1") is rec.conditions[0]
    assert rec.refs.resolve("Condition/m1") is rec.conditions[0]


def test_patient_fullurl_alias_when_the_context_id_differs_from_the_uuid() -> None:
    bundle_ = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:abc", "resource": patient()},
            {"resource": liver_met() | {"subject": {"reference": "urn:uuid:abc"}}},
        ],
    }
    rec = collect(PID, {"conditions": bundle_})
    assert len(rec.conditions) == 1


def test_contained_and_absolute_references_resolve() -> None:
    med = {
        "resourceType": "MedicationRequest",
        "id": "mr",
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"https://ehr.example.org/fhir/Patient/{PID}/_history/3"},
        "contained": [
            {"resourceType": "Medication", "id": "dox", "code": {"coding": [{"code": "3639"}]}}
        ],
        "medicationReference": {"reference": "#dox"},
    }
    rec = collect(PID, {"medicationRequests": bundle([med])})
    [request] = rec.medications
    resolved = rec.refs.resolve(request.medicationReference, request)
    assert resolved is not None
    assert resolved.resourceType == "Medication"
    # "#dox" means nothing outside its container.
    assert rec.refs.resolve("#dox") is None
    assert rec.refs.resolve("https://ehr.example.org/fhir/MedicationRequest/mr") is request


def test_a_broken_element_is_named_and_the_resource_kept() -> None:
    primary = condition("prim", cm("C49.4"), onset="not-a-date")
    rec = collect(PID, {"conditions": bundle([primary])})
    assert [c.id for c in rec.conditions] == ["prim"]
    assert rec.unreadable == ["onsetDateTime 'not-a-date' (Condition/prim)"]
    assert any("1 unreadable element(s) read as unknown" in g for g in rec.gaps)


def test_a_searchset_of_one_type_with_broken_resources_reads_the_rest_in_order() -> None:
    """One msgspec call projects a whole searchset (issue 18); one broken resource in it still
    costs only itself, and the gaps name them in the order they came."""
    hopeless = condition("hopeless", cm("C78.7")) | {
        k: 7
        for k in [
            "clinicalStatus",
            "verificationStatus",
            "category",
            "code",
            "bodySite",
            "subject",
            "onsetDateTime",
            "recordedDate",
            "abatementDateTime",
        ]
    }
    bad_date = condition("bad", cm("C78.7"), onset="2024-02-30")
    rec = collect(PID, {"conditions": bundle([liver_met(), hopeless, bad_date, lms_primary()])})
    assert [c.id for c in rec.conditions] == ["met-liver", "bad", "prim"]
    assert "1 unreadable resource(s) skipped (Condition/hopeless)" in rec.gaps
    assert any("(onsetDateTime '2024-02-30' (Condition/bad))" in g for g in rec.gaps)
