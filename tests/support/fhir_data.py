"""The one builder of FHIR R4 test data (issue 19): small functions that write the resources a
test needs, each with only the elements it varies, and the prefetch or Bundle around them.

The example patients in `fhir-examples/` are data, not built here; a test that needs a variant of
a patient builds it with these functions. Used by the clinical, rules, fhir, web and parameter
tests and by `tests/support/sarcoma_patient.py` (the patient loaded into a real FHIR server).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

PID = "p1"

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
Named = tuple[str, str, str]  # (system, code, display): as an EHR sends it
AnyCode = Code | Named


def concept(*codes: AnyCode, text: str | None = None) -> Json:
    """A CodeableConcept; a code with its display gives the text too, as EHRs write it."""
    out: Json = {
        "coding": [
            {"system": c[0], "code": c[1]} | ({"display": c[2]} if len(c) == 3 else {})
            for c in codes
        ]
    }
    text = text or next((c[2] for c in codes if len(c) == 3), None)
    if text:
        out["text"] = text
    return out


def condition(
    rid: str,
    *codes: AnyCode,
    onset: str | None = None,
    recorded: str | None = None,
    clinical: str | None = "active",
    verification: str | None = "confirmed",
    body_site: AnyCode | None = None,
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
    code: AnyCode,
    *,
    when: str | None = "2025-01-10",
    status: str = "final",
    body_site: AnyCode | None = None,
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
    code: AnyCode,
    *,
    performed: str | None = None,
    period: tuple[str | None, str | None] | None = None,
    status: str = "completed",
    body_site: AnyCode | None = None,
    subject: str | None = f"Patient/{PID}",
    **extra: Any,
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
    res.update(extra)
    return res


def diagnostic_report(
    rid: str, code: AnyCode, when: str, *, subject: str = f"Patient/{PID}"
) -> Json:
    return {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": "final",
        "code": concept(code),
        "subject": {"reference": subject},
        "effectiveDateTime": when,
    }


def patient(birth: str | None = "1960-03-15", *, pid: str = PID, **extra: Any) -> Json:
    res: Json = {"resourceType": "Patient", "id": pid}
    if birth:
        res["birthDate"] = birth
    res.update(extra)
    return res


def bundle(resources: Iterable[Json]) -> Json:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def transaction(resources: Iterable[Json]) -> Json:
    """A transaction Bundle that PUTs each resource at its id (so the ids are known)."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
            for r in resources
        ],
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


# A typical primary and liver metastasis, for tests that vary something else.
def lms_primary(onset: str = "2022-01-15", **kw: Any) -> Json:
    return condition("prim", cm("C49.4"), onset=onset, morphology="8890/3", **kw)


def liver_met(rid: str = "met-liver", onset: str = "2024-03-01", **kw: Any) -> Json:
    return condition(rid, cm("C78.7"), onset=onset, **kw)


# --- systemic therapy ---------------------------------------------------------------------------
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
GEMCITABINE = (ATC, "L01BC05")
DOCETAXEL = (ATC, "L01CD02")
DOXORUBICIN = (ATC, "L01DB01")
TRABECTEDIN = (ATC, "L01XX58")
DRUG_NAMES = {GEMCITABINE: "gemcitabine", DOCETAXEL: "docetaxel", DOXORUBICIN: "doxorubicin",
              TRABECTEDIN: "trabectedin"}  # fmt: skip
PROGRESSED, STABLE = (SNOMED, "271299001"), (SNOMED, "359746009")


def drug(code: AnyCode) -> Json:
    """A drug with its name (the display the record gives, else the ATC code's name)."""
    name = code[2] if len(code) == 3 else DRUG_NAMES[code]
    return {"coding": [{"system": code[0], "code": code[1], "display": name}]}


def given(rid: str, code: AnyCode, when: str, *, subject: str = f"Patient/{PID}") -> Json:
    """One administration (a cycle's dose)."""
    return {
        "resourceType": "MedicationAdministration",
        "id": rid,
        "status": "completed",
        "medicationCodeableConcept": drug(code),
        "subject": {"reference": subject},
        "effectiveDateTime": when,
    }


def taking(rid: str, code: Code, start: str, end: str | None = None) -> Json:
    """A MedicationStatement: active while it has no end."""
    return {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": "completed" if end else "active",
        "medicationCodeableConcept": drug(code),
        "subject": {"reference": f"Patient/{PID}"},
        "effectivePeriod": {"start": start} | ({"end": end} if end else {}),
    }


def cycles(code: Code, *days: str) -> list[Json]:
    return [given(f"{DRUG_NAMES[code]}-{i}", code, d) for i, d in enumerate(days, 1)]


def disease_status(rid: str, code: Code, when: str) -> Json:
    """mCODE CancerDiseaseStatus (97509-4) with a SNOMED CT answer (progressed, stable, ...)."""
    return observation(rid, (LOINC, "97509-4"), when=when, valueCodeableConcept=concept(code))
