"""The example library is well formed, valid FHIR R4 and covers the pitfalls it promises.

Checks only the data and the manifest (fhir-examples/), never the service: the manifest's
expectations are an independent oracle for the golden end-to-end tests.
"""

from __future__ import annotations

import calendar
import json
import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from fhir.resources.R4B import get_fhir_model_class

Json = dict[str, Any]

EXAMPLES = Path(__file__).resolve().parents[2] / "fhir-examples"
ALL_FILES = sorted(p.name for p in EXAMPLES.glob("[0-9][0-9]-*.json"))
# The files written as searchsets in the project's encodings; the real-world shapes (issue 12)
# and the IDEA4RC collection Bundles (issue 21) are checked by test_real_shapes_valid.py, as the
# sending systems write them.
BUILT_ENCODINGS = {"mcode", "ehr", "registry"}
REAL_ENCODINGS = {
    "mcode-stu4", "synthea", "epic", "oracle-health", "us-core", "text-only", "medications",
    "ehr-other", "idea4rc",
}  # fmt: skip
FILES = [
    e["file"]
    for e in yaml.safe_load((EXAMPLES / "manifest.yaml").read_text(encoding="utf-8"))
    if e["encoding"] in BUILT_ENCODINGS
]

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
LOCAL = "http://example.org/fhir/sarcoma-cds/CodeSystem/sts-liver"
HISTOLOGY_EXT = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)
OTHER_PATIENT_PREFIX = "other-patient-"

TOPICS = {
    "data-quality",
    "summary",
    "staging-imaging",
    "biopsy",
    "treatment-pathway",
    "liver-recurrence",
    "local-therapy",
    "mdt-referral",
    "follow-up",
    "not-applicable",
}
RECOMMENDATIONS = {
    *(f"1.{i}" for i in (1, 2)),
    *(f"2.{i}" for i in (1, 2)),
    *(f"3.{i}" for i in (1, 2, 3)),
    *(f"4.{i}" for i in (1, 2, 3)),
    *(f"5.{i}" for i in range(1, 6)),
    *(f"6.{i}" for i in range(1, 6)),
    *(f"7.{i}" for i in (1, 2)),
    *(f"8.{i}" for i in (1, 2, 3)),
    *(f"9.{i}" for i in (1, 2)),
    *(f"10.{i}" for i in (1, 2)),
    *(f"11.{i}" for i in (1, 2)),
    "12.1",
    *(f"13.{i}" for i in (1, 2)),
}
YES_NO_UNKNOWN = {"yes", "no", "unknown", "indeterminate"}
FACT_VALUES: dict[str, set[str] | type[int]] = {
    "timing": {"synchronous", "metachronous", "indeterminate", "unknown"},
    "dfi_months": int,
    "long_dfi": YES_NO_UNKNOWN,
    "oligometastatic": {"yes", "no", "indeterminate"},
    "liver_only": YES_NO_UNKNOWN,
    "liver_and_lung_only": YES_NO_UNKNOWN,
    "site_count": int,
    "lesion_count": int,
    "diffuse_involvement": YES_NO_UNKNOWN,
    "histology": {
        "leiomyosarcoma",
        "myxoid_liposarcoma",
        "liposarcoma",
        "asps",
        "clear_cell_sarcoma",
        "angiosarcoma",
        "synovial_sarcoma",
        "epithelioid_sarcoma",
        "rhabdomyosarcoma",
        "ups",
        "other_sts",
        "gist",
        "unknown",
    },
    "primary_site_retroperitoneal": YES_NO_UNKNOWN,
    "liver_recurrence": YES_NO_UNKNOWN,
    "tfi_months": int,
    "not_surgical_candidate": YES_NO_UNKNOWN,
    "hcc_risk_factors": YES_NO_UNKNOWN,
    "colorectal_cancer_history": YES_NO_UNKNOWN,
    "subcentimetre_lesion": YES_NO_UNKNOWN,
    "large_lesion": YES_NO_UNKNOWN,
    "followup_overdue": YES_NO_UNKNOWN,
    "sts": YES_NO_UNKNOWN,
    "gist": YES_NO_UNKNOWN,
    "metastatic": YES_NO_UNKNOWN,
    "liver_metastasis_ever": YES_NO_UNKNOWN,
    "systemic_therapy_received": YES_NO_UNKNOWN,
    "systemic_therapy_planned": YES_NO_UNKNOWN,
    "on_systemic_therapy": YES_NO_UNKNOWN,
    "primary_resected": YES_NO_UNKNOWN,
    "response_to_systemic_therapy": {"improved", "stable", "progressed", "unknown"},
    # European examples (issue 21)
    "intra_abdominal_primary": YES_NO_UNKNOWN,
    "liver_metastasis_current": YES_NO_UNKNOWN,
    "prior_liver_resections": int,
    "response_at_least_stable": YES_NO_UNKNOWN,
    "ecog": int,
    "systemic_progression": YES_NO_UNKNOWN,
    "burden_stale": YES_NO_UNKNOWN,
    "origin_uncertain": YES_NO_UNKNOWN,
    "liver_histology_sarcoma": YES_NO_UNKNOWN,
    "performance_limited": YES_NO_UNKNOWN,
    "primary_in_place": YES_NO_UNKNOWN,
    "new_extrahepatic_disease": YES_NO_UNKNOWN,
    "last_local_treatment": {"resection", "ablation", "embolisation", "sbrt", "unknown"},
    "systemic_therapy_lines": int,
    "prior_abdominal_surgeries": int,
}
# Primary STS and liver-metastasis codes from docs/input-profile.md, used for the timing checks
# (with the national and IDEA4RC codes the European examples use).
ICD10NL = "http://hl7.org/fhir/sid/icd-10-nl"
ATHENA = "http://fhir.ohdsi.org/CodeSystem/concepts"
PRIMARY_STS = {
    *((ICD10CM, f"C49.{i}") for i in range(10)),
    *((ICD10CM, c) for c in ("C492", "C48.0", "C55")),
    *((SCT, c) for c in ("424413001", "443719001", "302851001")),
    (ICD10NL, "C49.4"),
    *((ATHENA, c) for c in ("36536106", "44500548", "44501977")),
}
LIVER_MET = {
    *((ICD10CM, "C78.7"), (ICD10CM, "C787"), (SCT, "94381002"), (SCT, "94381002.0")),
    *((ICD10NL, "C78.7"), (ATHENA, "36770544"), (ATHENA, "36769180")),
}
ANY_MET = LIVER_MET | {
    *((ICD10CM, c) for c in ("C78.01", "C78.02", "C79.51", "C78.6", "J91.0", "I31.31")),
    *((SCT, c) for c in ("94391008", "94222008", "94627008", "230156002")),
}
BUNDLE_KEYS = {
    "conditions": "Condition",
    "observations": "Observation",
    "procedures": "Procedure",
    "medicationRequests": "MedicationRequest",
    "medicationAdministrations": "MedicationAdministration",
    "medicationStatements": "MedicationStatement",
    "diagnosticReports": "DiagnosticReport",
}
FHIR_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


# ---------------------------------------------------------------- loading helpers


@cache
def load(name: str) -> Json:
    data: Json = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


@cache
def manifest() -> dict[str, Json]:
    entries: list[Json] = yaml.safe_load((EXAMPLES / "manifest.yaml").read_text(encoding="utf-8"))
    return {e["file"]: e for e in entries}


def resources(request: Json, bundle: str) -> list[Json]:
    return [e["resource"] for e in request["prefetch"][bundle]["entry"]]


def all_resources(request: Json) -> Iterator[Json]:
    yield request["prefetch"]["patient"]
    for bundle in BUNDLE_KEYS:
        yield from resources(request, bundle)


def codings(concept: Json | None) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in (concept or {}).get("coding", [])}


def own(request: Json, bundle: str) -> list[Json]:
    """Resources of the context patient that are not entered-in-error/refuted."""
    subject = f"Patient/{request['context']['patientId']}"
    kept = []
    for r in resources(request, bundle):
        if r["subject"]["reference"] != subject or r.get("status") == "entered-in-error":
            continue
        if codings(r.get("verificationStatus")) & {
            ("http://terminology.hl7.org/CodeSystem/condition-ver-status", s)
            for s in ("entered-in-error", "refuted")
        }:
            continue
        kept.append(r)
    return kept


def histology(condition: Json) -> set[tuple[str, str]]:
    return {
        (c["system"], c["code"])
        for ext in condition.get("extension", [])
        if ext["url"] == HISTOLOGY_EXT
        for c in ext["valueCodeableConcept"]["coding"]
    }


def all_codes(request: Json) -> set[tuple[str, str]]:
    """Every coding of every code, value, component and histology extension in the request."""
    found: set[tuple[str, str]] = set()
    for r in all_resources(request):
        found |= codings(r.get("code")) | codings(r.get("valueCodeableConcept"))
        found |= histology(r)
        for comp in r.get("component", []):
            found |= codings(comp["code"])
    return found


def first_date(conditions: list[Json], codes: set[tuple[str, str]]) -> str | None:
    dates = [
        c.get("onsetDateTime") or c["recordedDate"]
        for c in conditions
        if codings(c["code"]) & codes
    ]
    return min(dates) if dates else None


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def files_where(**facts: Any) -> list[str]:
    return [
        name
        for name, entry in manifest().items()
        if name in FILES and all(entry["expected"]["facts"].get(k) == v for k, v in facts.items())
    ]


def files_with_code(system: str, code: str) -> list[str]:
    return [name for name in FILES if (system, code) in all_codes(load(name))]


# ---------------------------------------------------------------- shape and validity


def test_there_are_at_least_25_examples_numbered_from_01() -> None:
    assert len(FILES) >= 25
    assert [int(name[:2]) for name in ALL_FILES] == list(range(1, len(ALL_FILES) + 1))


@pytest.mark.parametrize("name", FILES)
def test_file_is_a_complete_patient_view_request(name: str) -> None:
    request = load(name)
    assert set(request) == {"hook", "hookInstance", "fhirServer", "context", "prefetch"}
    assert request["hook"] == "patient-view"
    assert uuid.UUID(request["hookInstance"]).version == 4
    assert request["fhirServer"] == "https://ehr.example.org/fhir"
    patient_id = request["context"]["patientId"]
    assert request["context"] == {"userId": "Practitioner/onc-1", "patientId": patient_id}
    prefetch = request["prefetch"]
    assert set(prefetch) == {"patient", *BUNDLE_KEYS}
    assert prefetch["patient"]["resourceType"] == "Patient"
    assert prefetch["patient"]["id"] == patient_id
    for key in BUNDLE_KEYS:
        bundle = prefetch[key]
        assert bundle["resourceType"] == "Bundle"
        assert bundle["type"] == "searchset"
        assert bundle["total"] == len(bundle["entry"])
        for entry in bundle["entry"]:
            resource = entry["resource"]
            assert resource["resourceType"] == BUNDLE_KEYS[key]
            assert entry["fullUrl"].endswith(f"/{resource['resourceType']}/{resource['id']}")
            assert entry["search"] == {"mode": "match"}
    ids = [(r["resourceType"], r["id"]) for r in all_resources(request)]
    assert len(ids) == len(set(ids)), "resource ids must be unique within a file"


@pytest.mark.parametrize("name", FILES)
def test_every_resource_validates_against_fhir_r4b_models(name: str) -> None:
    request = load(name)
    bundle_model = get_fhir_model_class("Bundle")
    for key in BUNDLE_KEYS:
        bundle_model.model_validate(request["prefetch"][key])
    for resource in all_resources(request):
        model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert model.get_resource_type() == resource["resourceType"]
        assert model.model_dump(by_alias=True)["id"] == resource["id"]


@pytest.mark.parametrize("name", FILES)
def test_resources_have_display_text_and_dates_not_after_today(name: str) -> None:
    request = load(name)
    today = date.fromisoformat(manifest()[name]["today"])
    for resource in all_resources(request):
        for key in ("code", "valueCodeableConcept", "clinicalStatus", "verificationStatus"):
            for coding in (resource.get(key) or {}).get("coding", []):
                assert coding["display"], f"{resource['id']}: {key} coding without display"
        for key in ("onsetDateTime", "recordedDate", "effectiveDateTime", "performedDateTime"):
            if key in resource:
                assert FHIR_DATE.match(resource[key]), f"{resource['id']}.{key}"
                assert resource[key] <= today.isoformat(), f"{resource['id']}.{key} after today"


def test_subjects_are_the_context_patient_except_the_deliberate_foreign_resource() -> None:
    foreign = []
    for name in FILES:
        request = load(name)
        subject = f"Patient/{request['context']['patientId']}"
        for bundle in ("conditions", "observations", "procedures"):
            for r in resources(request, bundle):
                if r["id"].startswith(OTHER_PATIENT_PREFIX):
                    assert r["subject"]["reference"] != subject
                    foreign.append(name)
                else:
                    assert r["subject"]["reference"] == subject, f"{name}: {r['id']}"
    assert len(foreign) == 1


# ---------------------------------------------------------------- the manifest


def test_manifest_lists_every_file_exactly_once() -> None:
    entries = yaml.safe_load((EXAMPLES / "manifest.yaml").read_text(encoding="utf-8"))
    names = [e["file"] for e in entries]
    assert sorted(names) == ALL_FILES
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", ALL_FILES)
def test_manifest_entry_is_well_formed(name: str) -> None:
    entry = manifest()[name]
    assert set(entry) == {"file", "today", "encoding", "shows", "expected", "rationale"}
    assert date.fromisoformat(entry["today"]).isoformat() == entry["today"]
    assert entry["encoding"] in BUILT_ENCODINGS | REAL_ENCODINGS
    assert entry["shows"].strip()
    assert entry["rationale"].strip()
    expected = entry["expected"]
    assert set(expected) <= {
        "topics",
        "recommendations",
        "facts",
        "indicators",
        "says",
        "never_says",
    }
    assert set(expected.get("says", {})) <= set(expected["topics"])
    topics = expected["topics"]
    assert set(topics) <= TOPICS
    assert len(topics) == len(set(topics))
    assert set(expected["recommendations"]) <= set(topics)
    for ids in expected["recommendations"].values():
        assert ids
        assert set(ids) <= RECOMMENDATIONS
    for topic, indicator in expected.get("indicators", {}).items():
        assert topic in topics
        assert indicator in {"warning", "critical"}
    for fact, value in expected["facts"].items():
        allowed = FACT_VALUES[fact]
        if not isinstance(allowed, set):
            assert isinstance(value, int), f"{fact}={value!r}"
            assert value >= 0, f"{fact}={value!r}"
        else:
            assert value in allowed, f"{fact}={value!r}"
    if "not-applicable" in topics:
        assert topics == ["not-applicable"], "a GIST patient gets only the not-applicable card"


@pytest.mark.parametrize("name", FILES)
def test_encoding_matches_the_condition_dates_used(name: str) -> None:
    conditions = resources(load(name), "conditions")
    if manifest()[name]["encoding"] == "ehr":
        for c in conditions:
            assert "recordedDate" in c
            assert not any(k.startswith("onset") for k in c)
    else:
        assert all("onsetDateTime" in c for c in conditions)


# ---------------------------------------------------------------- coverage of clinical-logic §2


def test_every_topic_and_key_recommendation_is_exercised() -> None:
    topics = {t for e in manifest().values() for t in e["expected"]["topics"]}
    assert topics == TOPICS
    cited = {
        rec
        for e in manifest().values()
        for ids in e["expected"]["recommendations"].values()
        for rec in ids
    }
    key = {"1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3", "5.1", "5.3"}
    key |= {"5.4", "5.5", "7.1", "8.1", "8.2", "8.3", "9.1", "9.2", "10.1", "10.2", "12.1", "13.1"}
    assert key <= cited
    assert any(e["expected"]["topics"] == [] for e in manifest().values())
    indicators = {i for e in manifest().values() for i in e["expected"].get("indicators", {})}
    assert {"follow-up", "treatment-pathway"} <= indicators


def test_six_month_boundary_is_covered_on_both_sides() -> None:
    sides: dict[str, int] = {}
    for name in FILES:
        conditions = own(load(name), "conditions")
        primary, met = first_date(conditions, PRIMARY_STS), first_date(conditions, LIVER_MET)
        if primary is None or met is None or len(primary) < 10:
            continue
        six_months = add_months(date.fromisoformat(primary), 6)
        expected = manifest()[name]["expected"]["facts"]
        if met == six_months.isoformat():
            assert expected["timing"] == "synchronous"
            assert expected["dfi_months"] == 6
            sides["exactly"] = sides.get("exactly", 0) + 1
        if met == (six_months + timedelta(days=1)).isoformat():
            assert expected["timing"] == "metachronous"
            assert expected["dfi_months"] == 6
            sides["one day later"] = sides.get("one day later", 0) + 1
    assert sides == {"exactly": 1, "one day later": 1}


def whole_months(start: str, end: str) -> int:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    months = (last.year - first.year) * 12 + last.month - first.month
    return months if add_months(first, months) <= last else months - 1


@pytest.mark.parametrize(
    "name", [n for n in FILES if "dfi_months" in manifest()[n]["expected"]["facts"]]
)
def test_expected_dfi_matches_the_dates_in_the_file(name: str) -> None:
    facts = manifest()[name]["expected"]["facts"]
    conditions = own(load(name), "conditions")
    primary, first_met = first_date(conditions, PRIMARY_STS), first_date(conditions, ANY_MET)
    assert primary is not None
    assert first_met is not None
    assert whole_months(primary, first_met) == facts["dfi_months"]
    assert facts["timing"] == (
        "synchronous"
        if first_met <= add_months(date.fromisoformat(primary), 6).isoformat()
        else "metachronous"
    )
    if "long_dfi" in facts:
        assert facts["long_dfi"] == ("yes" if facts["dfi_months"] > 12 else "no")


def test_partial_date_makes_timing_indeterminate() -> None:
    partial = [
        name
        for name in FILES
        if any(len(c["recordedDate"]) < 10 for c in resources(load(name), "conditions"))
    ]
    assert partial
    assert all(manifest()[n]["expected"]["facts"]["timing"] == "indeterminate" for n in partial)


def test_burden_branches_are_covered() -> None:
    assert files_where(liver_only="yes", oligometastatic="yes")
    assert files_where(liver_and_lung_only="yes", oligometastatic="yes")
    assert files_where(site_count=3, oligometastatic="no")
    more_than_five = [
        name
        for name in FILES
        for o in own(load(name), "observations")
        if (LOCAL, "lesion-count") in codings(o["code"]) and o["valueInteger"] > 5
    ]
    assert more_than_five
    assert all(
        manifest()[n]["expected"]["facts"]["oligometastatic"] == "no" for n in more_than_five
    )


@pytest.mark.parametrize(
    ("system", "code"),
    [
        (SCT, "94627008"),  # peritoneal
        (ICD10CM, "J91.0"),  # malignant pleural effusion
        (ICD10CM, "I31.31"),  # malignant pericardial effusion
        (SCT, "230156002"),  # malignant meningitis (leptomeningeal)
    ],
)
def test_each_diffuse_involvement_excludes_omd(system: str, code: str) -> None:
    names = [
        name
        for name in FILES
        if any((system, code) in codings(c["code"]) for c in own(load(name), "conditions"))
    ]
    assert names
    for name in names:
        facts = manifest()[name]["expected"]["facts"]
        assert facts["oligometastatic"] == "no"
        assert facts["diffuse_involvement"] == "yes"


def test_c78_6_alone_gives_indeterminate_omd() -> None:
    names = [
        name
        for name in FILES
        for c in own(load(name), "conditions")
        if (ICD10CM, "C78.6") in codings(c["code"]) and "bodySite" not in c
    ]
    assert names
    assert all(
        manifest()[n]["expected"]["facts"]["oligometastatic"] == "indeterminate" for n in names
    )


def test_gist_by_each_code_system_is_not_applicable() -> None:
    by_system = {
        "icd-10-cm": files_with_code(ICD10CM, "C49.A2"),
        "snomed": files_with_code(SCT, "420120006"),
        "icd-o-3": files_with_code(ICDO3, "8936/3"),
    }
    for system, names in by_system.items():
        assert names, system
        for name in names:
            assert manifest()[name]["expected"]["topics"] == ["not-applicable"]
    assert len({n for names in by_system.values() for n in names}) >= 3


def test_no_card_cases_are_covered() -> None:
    no_card = [n for n, e in manifest().items() if e["expected"]["topics"] == []]
    kinds = set()
    for name in no_card:
        conditions = own(load(name), "conditions")
        cancer = [
            c for c in conditions if any(code.startswith("C") for _, code in codings(c["code"]))
        ]
        has_liver = first_date(conditions, LIVER_MET) is not None
        has_lung = any(
            codings(c["code"]) & {(ICD10CM, "C78.01"), (ICD10CM, "C78.02")} for c in conditions
        )
        if not cancer:
            kinds.add("no cancer")
        elif not has_liver and has_lung:
            kinds.add("lung only")
        elif not has_liver:
            kinds.add("no metastasis")
        assert not has_liver, f"{name} has a liver metastasis but expects no card"
    assert kinds == {"no cancer", "lung only", "no metastasis"}


def test_primary_sites_and_histologies_are_covered() -> None:
    assert files_where(primary_site_retroperitoneal="yes") == files_with_code(ICD10CM, "C48.0")
    uterine = [
        name
        for name in FILES
        for c in own(load(name), "conditions")
        if (ICD10CM, "C55") in codings(c["code"]) and (ICDO3, "8890/3") in histology(c)
    ]
    assert uterine
    assert all(manifest()[n]["expected"]["facts"]["histology"] == "leiomyosarcoma" for n in uterine)
    for morphology, category in (
        ("9581/3", "asps"),
        ("8852/3", "myxoid_liposarcoma"),
        ("9120/3", "angiosarcoma"),
    ):
        names = files_with_code(ICDO3, morphology)
        assert names, morphology
        assert all(manifest()[n]["expected"]["facts"]["histology"] == category for n in names)


def liver_sizes_mm() -> dict[str, list[float]]:
    sizes: dict[str, list[float]] = {}
    for name in FILES:
        for o in own(load(name), "observations"):
            if (LOINC, "21889-1") not in codings(o["code"]):
                continue
            for comp in o["component"]:
                if (LOINC, "33728-7") in codings(comp["code"]):
                    quantity = comp["valueQuantity"]
                    factor = 10 if quantity["code"] == "cm" else 1
                    sizes.setdefault(name, []).append(quantity["value"] * factor)
    return sizes


def test_subcentimetre_and_large_lesions_are_covered() -> None:
    sizes = liver_sizes_mm()
    small = [n for n, s in sizes.items() if max(s) < 10]
    large = [n for n, s in sizes.items() if max(s) > 100]
    assert small
    assert large
    assert all(manifest()[n]["expected"]["facts"]["subcentimetre_lesion"] == "yes" for n in small)
    assert all(manifest()[n]["expected"]["facts"]["large_lesion"] == "yes" for n in large)


def local_values(name: str, code: str) -> list[Any]:
    return [
        o.get("valueBoolean", o.get("valueQuantity", {}).get("value"))
        for o in own(load(name), "observations")
        if (LOCAL, code) in codings(o["code"])
    ]


def test_resectability_findings_are_covered() -> None:
    bilobar_vascular = [
        n
        for n in FILES
        if True in local_values(n, "bilobar") and True in local_values(n, "vascular-involvement")
    ]
    assert bilobar_vascular
    for name in bilobar_vascular:
        assert "5.5" in manifest()[name]["expected"]["recommendations"]["treatment-pathway"]
    low_flr = [n for n in FILES if any(v < 25 for v in local_values(n, "future-liver-remnant"))]
    assert low_flr
    for name in low_flr:
        assert manifest()[name]["expected"]["indicators"]["treatment-pathway"] == "warning"


def test_origin_uncertainty_and_planned_induction_are_covered() -> None:
    for code, fact in (
        ((ICD10CM, "K74.60"), "hcc_risk_factors"),
        ((ICD10CM, "Z85.038"), "colorectal_cancer_history"),
    ):
        names = files_with_code(*code)
        assert names
        for name in names:
            assert manifest()[name]["expected"]["facts"][fact] == "yes"
            assert "3.1" in manifest()[name]["expected"]["recommendations"]["biopsy"]
    assert files_with_code(ICD10CM, "B18.1")
    planned = [
        name
        for name in FILES
        for p in own(load(name), "procedures")
        if (SCT, "367336001") in codings(p["code"]) and p["status"] == "preparation"
    ]
    assert planned


def test_response_stable_and_progressed_are_covered() -> None:
    responses = {}
    for name in FILES:
        for o in own(load(name), "observations"):
            if (LOINC, "97509-4") in codings(o["code"]):
                for value in codings(o["valueCodeableConcept"]):
                    responses[value[1]] = name
    assert {"359746009", "271299001"} <= set(responses)
    stable = manifest()[responses["359746009"]]["expected"]["recommendations"]
    progressed = manifest()[responses["271299001"]]["expected"]
    assert "8.3" in stable["treatment-pathway"]
    # Progression: 8.3 is cited only to say surgery is not supported, and "front-line" is not
    # repeated (clinical-logic section 2).
    assert progressed["indicators"]["treatment-pathway"] == "warning"
    assert "front-line" in progressed["never_says"]
    assert "next-line systemic therapy" in progressed["says"]["mdt-referral"]


def test_re_metastasectomy_with_long_and_short_tfi() -> None:
    recurrences = files_where(liver_recurrence="yes")
    tfis = {manifest()[n]["expected"]["facts"]["tfi_months"] for n in recurrences}
    assert any(t > 12 for t in tfis)
    assert any(t <= 12 for t in tfis)
    for name in recurrences:
        request = load(name)
        resections = [
            p["performedDateTime"]
            for p in own(request, "procedures")
            if p["status"] == "completed"
            and codings(p["code"])
            & {
                (SCT, "107963000"),
                ("http://www.ama-assn.org/go/cpt", "47120"),
                ("http://www.ama-assn.org/go/cpt", "47382"),  # radiofrequency ablation
            }
        ]
        active_liver_mets = [
            c.get("onsetDateTime") or c["recordedDate"]
            for c in own(request, "conditions")
            if codings(c["code"]) & LIVER_MET
            and codings(c["clinicalStatus"])
            & {("http://terminology.hl7.org/CodeSystem/condition-clinical", "active")}
        ]
        assert resections
        assert active_liver_mets
        assert max(active_liver_mets) > max(resections)
        assert "liver-recurrence" in manifest()[name]["expected"]["topics"]


def test_not_a_surgical_candidate_by_local_code_and_by_ecog() -> None:
    by_code = files_with_code(LOCAL, "not-surgical-candidate")
    by_ecog = [
        name
        for name in FILES
        if max(
            (
                (o["effectiveDateTime"], o["valueInteger"])
                for o in own(load(name), "observations")
                if (LOINC, "89247-1") in codings(o["code"])
            ),
            default=("", 0),
        )[1]
        >= 3
    ]
    assert by_code
    assert by_ecog
    for name in by_code + by_ecog:
        expected = manifest()[name]["expected"]
        assert expected["facts"]["not_surgical_candidate"] == "yes"
        assert "local-therapy" in expected["topics"]
        assert "treatment-pathway" not in expected["topics"]


def test_follow_up_on_schedule_and_overdue() -> None:
    assert files_where(followup_overdue="no")
    assert files_where(followup_overdue="yes")
    for name in files_where(followup_overdue="yes"):
        assert manifest()[name]["expected"]["indicators"]["follow-up"] == "warning"
        assert name in files_with_code("http://www.ama-assn.org/go/cpt", "74177")


def test_invalid_and_unconfirmed_resources_are_present() -> None:
    statuses: set[str] = set()
    for name in FILES:
        for c in resources(load(name), "conditions"):
            statuses |= {code for _, code in codings(c["verificationStatus"])}
        for o in resources(load(name), "observations"):
            statuses.add(f"observation:{o['status']}")
    assert {
        "entered-in-error",
        "refuted",
        "unconfirmed",
        "observation:entered-in-error",
    } <= statuses


def test_both_encodings_and_their_quirks_appear() -> None:
    encodings = {e["encoding"] for e in manifest().values()}
    assert {"mcode", "ehr", "registry"} | REAL_ENCODINGS <= encodings
    everything = set().union(*(all_codes(load(n)) for n in FILES))
    assert {(ICD10CM, "C787"), (SCT, "94381002.0"), (ICDO3, "88903")} <= everything
    assert (LOINC, "33728-7") in everything
    assert (LOINC, "97509-4") in everything
    assert any(histology(c) for n in FILES for c in resources(load(n), "conditions")), (
        "the mCODE histology extension"
    )
    multi_coded = [
        c
        for n in FILES
        if manifest()[n]["encoding"] == "ehr"
        for c in resources(load(n), "conditions")
        if {s for s, _ in codings(c["code"])} >= {ICD10CM, SCT}
    ]
    assert multi_coded
