"""Shared fixtures for the clinical core: the real value sets (loaded once) and small builders of
FHIR R4 resources, run through `collect` + `derive_profile` with an explicit "today"."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sarcoma_cds.clinical.params import ClinicalParameters, default_parameters
from sarcoma_cds.clinical.profile import MetastaticProfile, derive_profile
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.prefetch import collect

ROOT = Path(__file__).resolve().parents[2]
PID = "p1"
TODAY = date(2025, 6, 1)

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10CM_OID = "urn:oid:2.16.840.1.113883.6.90"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
PCS = "http://www.cms.gov/Medicare/Coding/ICD10"
CPT = "http://www.ama-assn.org/go/cpt"
RADLEX = "http://www.radlex.org"
LOCAL = "http://example.org/fhir/sarcoma-cds/CodeSystem/sts-liver"
HISTOLOGY_EXT = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)
ASSERTED_DATE = "http://hl7.org/fhir/StructureDefinition/condition-assertedDate"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

LIVER_SITE = (SNOMED, "10200004")
LUNG_SITE = (SNOMED, "39607008")

Json = dict[str, Any]
Code = tuple[str, str]  # (system, code)


def concept(*codes: Code, text: str | None = None) -> Json:
    out: Json = {"coding": [{"system": s, "code": c} for s, c in codes]}
    if text:
        out["text"] = text
    return out


def condition(
    rid: str,
    *codes: Code,
    onset: str | None = None,
    recorded: str | None = None,
    clinical: str | None = "active",
    verification: str | None = "confirmed",
    body_site: Code | None = None,
    morphology: str | None = None,
    subject: str | None = f"Patient/{PID}",
    **extra: Any,
) -> Json:
    """A Condition; `codes` default to ICD-10-CM when given as bare strings via `cm()`."""
    res: Json = {"resourceType": "Condition", "id": rid, "code": concept(*codes)}
    if subject is not None:
        res["subject"] = {"reference": subject}
    if clinical is not None:
        res["clinicalStatus"] = concept((CLINICAL, clinical))
    if verification is not None:
        res["verificationStatus"] = concept((VERIFICATION, verification))
    if onset is not None:
        res["onsetDateTime"] = onset
    if recorded is not None:
        res["recordedDate"] = recorded
    if body_site is not None:
        res["bodySite"] = [concept(body_site)]
    if morphology is not None:
        res["extension"] = [
            {"url": HISTOLOGY_EXT, "valueCodeableConcept": concept((ICDO3, morphology))}
        ]
    res.update(extra)
    return res


def cm(code: str) -> Code:
    return (ICD10CM, code)


def sct(code: str) -> Code:
    return (SNOMED, code)


def observation(
    rid: str,
    code: Code,
    *,
    when: str | None = "2025-01-10",
    status: str = "final",
    body_site: Code | None = None,
    subject: str | None = f"Patient/{PID}",
    **values: Any,
) -> Json:
    """An Observation; `values` are FHIR elements such as valueInteger=3."""
    res: Json = {"resourceType": "Observation", "id": rid, "status": status, "code": concept(code)}
    if subject is not None:
        res["subject"] = {"reference": subject}
    if when is not None:
        res["effectiveDateTime"] = when
    if body_site is not None:
        res["bodySite"] = concept(body_site)
    res.update(values)
    return res


def tumour_size(
    rid: str, size: float, unit: str = "mm", *, when: str = "2025-04-10", **kw: Any
) -> Json:
    """mCODE TumorSize (21889-1) of a liver lesion with its longest dimension (33728-7)."""
    kw.setdefault("body_site", LIVER_SITE)
    component = {
        "code": concept((LOINC, "33728-7")),
        "valueQuantity": {
            "value": size,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }
    return observation(rid, (LOINC, "21889-1"), when=when, component=[component], **kw)


def lesion_count(rid: str, n: int, *, when: str = "2025-04-10", site: Code = LIVER_SITE) -> Json:
    return observation(rid, (LOCAL, "lesion-count"), when=when, body_site=site, valueInteger=n)


def procedure(
    rid: str,
    code: Code,
    *,
    performed: str | None = None,
    period: tuple[str | None, str | None] | None = None,
    status: str = "completed",
    body_site: Code | None = None,
    subject: str | None = f"Patient/{PID}",
) -> Json:
    res: Json = {"resourceType": "Procedure", "id": rid, "status": status, "code": concept(code)}
    if subject is not None:
        res["subject"] = {"reference": subject}
    if performed is not None:
        res["performedDateTime"] = performed
    if period is not None:
        res["performedPeriod"] = {
            k: v for k, v in (("start", period[0]), ("end", period[1])) if v is not None
        }
    if body_site is not None:
        res["bodySite"] = [concept(body_site)]
    return res


def patient(birth: str | None = "1960-03-15") -> Json:
    res: Json = {"resourceType": "Patient", "id": PID}
    if birth:
        res["birthDate"] = birth
    return res


def bundle(resources: Iterable[Json]) -> Json:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


_KEY_BY_TYPE = {
    "Condition": "conditions",
    "Observation": "observations",
    "Procedure": "procedures",
    "MedicationRequest": "medicationRequests",
    "MedicationAdministration": "medicationAdministrations",
    "MedicationStatement": "medicationStatements",
    "DiagnosticReport": "diagnosticReports",
    # Not searched for on their own: sent in any bundle, reached by reference.
    "BodyStructure": "observations",
    "Medication": "medicationRequests",
}


def prefetch_of(
    resources: Iterable[Json], *, omit: Iterable[str] = (), birth: str | None = "1960-03-15"
) -> dict[str, Any]:
    """A full prefetch (every key, each a searchset Bundle), minus the keys in `omit`."""
    grouped: dict[str, list[Json]] = {k: [] for k in _KEY_BY_TYPE.values()}
    for r in resources:
        grouped[_KEY_BY_TYPE[r["resourceType"]]].append(r)
    out: dict[str, Any] = {"patient": patient(birth)}
    out.update({k: bundle(v) for k, v in grouped.items()})
    for key in omit:
        out.pop(key, None)
    return out


Derive = Callable[..., MetastaticProfile]


@pytest.fixture(scope="session")
def valuesets() -> ValueSets:
    return ValueSets.load_dir(ROOT / "cql-free-rules" / "valuesets")


@pytest.fixture(scope="session")
def derive(valuesets: ValueSets) -> Derive:
    """derive(*resources, today=..., omit=(...), birth=..., params=...) -> MetastaticProfile."""

    def run(
        *resources: Json,
        today: date = TODAY,
        omit: Iterable[str] = (),
        birth: str | None = "1960-03-15",
        params: ClinicalParameters | None = None,
    ) -> MetastaticProfile:
        record = collect(PID, prefetch_of(resources, omit=omit, birth=birth))
        return derive_profile(record, valuesets, params or default_parameters(), today)

    return run


# A typical primary and liver metastasis, for tests that vary something else.
def lms_primary(onset: str = "2022-01-15", **kw: Any) -> Json:
    return condition("prim", cm("C49.4"), onset=onset, morphology="8890/3", **kw)


def liver_met(rid: str = "met-liver", onset: str = "2024-03-01", **kw: Any) -> Json:
    return condition(rid, cm("C78.7"), onset=onset, **kw)
