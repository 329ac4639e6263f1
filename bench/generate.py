"""Deterministic, realistic patient-view requests of a given size for the benchmarks.

One synthetic patient with a leiomyosarcoma of the thigh (2021), a metachronous liver metastasis
(2023), a hepatectomy and chemotherapy. The first ten resources tell that story; the rest is what
an EHR really sends around it: encounter-diagnosis repeats of the cancer codes, comorbidities,
laboratory panels, repeated ECOG / TumorSize / lesion-count observations, chemotherapy cycles (as
Procedures, MedicationAdministrations and MedicationRequests with a contained Medication) and
imaging (with DiagnosticReports). The same (size, seed) always gives byte-identical JSON, so runs
are comparable.

    python bench/generate.py --sizes 10 100 300 1000 --out /tmp/requests
"""

from __future__ import annotations

import argparse
import random
import sys
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

Json = dict[str, Any]
CodeTriple = tuple[str, str, str]  # (system, code, display)

FHIR_BASE = "https://ehr.example.org/fhir"
PATIENT_ID = "bench-pt-1"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
CPT = "http://www.ama-assn.org/go/cpt"
UCUM = "http://unitsofmeasure.org"
LOCAL = "http://example.org/fhir/sarcoma-cds/CodeSystem/sts-liver"
COND_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
COND_VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
COND_CAT = "http://terminology.hl7.org/CodeSystem/condition-category"
OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"
HISTOLOGY_EXT = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)

LIVER: CodeTriple = (SCT, "10200004", "Liver structure")
THIGH: CodeTriple = (SCT, "68367000", "Thigh structure")
LMS_MORPHOLOGY: CodeTriple = (ICDO3, "8890/3", "Leiomyosarcoma, NOS")
PRIMARY: list[CodeTriple] = [
    (ICD10CM, "C49.22", "Malignant neoplasm of connective and soft tissue of left lower limb"),
    (SCT, "443719001", "Leiomyosarcoma"),
]
LIVER_MET: list[CodeTriple] = [
    (ICD10CM, "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct"),
    (SCT, "94381002", "Secondary malignant neoplasm of liver"),
]
COMORBIDITIES: list[list[CodeTriple]] = [
    [(ICD10CM, "I10", "Essential (primary) hypertension"), (SCT, "59621000", "Hypertension")],
    [(ICD10CM, "E11.9", "Type 2 diabetes mellitus"), (SCT, "44054006", "Diabetes type 2")],
    [(ICD10CM, "D64.9", "Anemia, unspecified"), (SCT, "271737000", "Anemia")],
    [(ICD10CM, "G62.0", "Drug-induced polyneuropathy"), (SCT, "230539004", "Neuropathy")],
    [(ICD10CM, "R11.2", "Nausea with vomiting"), (SCT, "16932000", "Nausea and vomiting")],
]
# (LOINC code, display, UCUM unit, low, high): the liver and marrow panel around chemotherapy.
LABS: list[tuple[str, str, str, float, float]] = [
    ("1742-6", "Alanine aminotransferase", "U/L", 12, 80),
    ("1920-8", "Aspartate aminotransferase", "U/L", 12, 70),
    ("1975-2", "Bilirubin.total", "mg/dL", 0.2, 1.6),
    ("1751-7", "Albumin", "g/dL", 2.8, 4.8),
    ("718-7", "Hemoglobin", "g/dL", 8.5, 14.5),
    ("777-3", "Platelets", "10*3/uL", 90, 380),
    ("2160-0", "Creatinine", "mg/dL", 0.5, 1.3),
    ("6768-6", "Alkaline phosphatase", "U/L", 40, 190),
]
CHEMO: CodeTriple = (SCT, "367336001", "Chemotherapy")
CT_ABDOMEN: list[CodeTriple] = [
    (CPT, "74177", "CT abdomen and pelvis with contrast material"),
    (LOINC, "79103-8", "CT Abdomen W contrast IV"),
]
CT_CHEST: list[CodeTriple] = [
    (CPT, "71260", "CT thorax with contrast material"),
    (LOINC, "24627-2", "CT Chest"),
]
MRI_LIVER: list[CodeTriple] = [(CPT, "74183", "MRI abdomen without and with contrast")]
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
DOXORUBICIN: CodeTriple = (RXNORM, "1790099", "10 ML doxorubicin hydrochloride 2 MG/ML Injection")
GEMCITABINE: CodeTriple = (RXNORM, "12574", "gemcitabine")

CORE_SIZE = 10  # Patient + the nine resources of the clinical story
STORY_START = date(2021, 3, 15)
STORY_END = date(2025, 6, 30)
MET_DIAGNOSED = date(2023, 2, 10)
HEPATECTOMY = date(2023, 5, 16)


def cc(*codings: CodeTriple) -> Json:
    return {
        "coding": [{"system": s, "code": c, "display": d} for s, c, d in codings],
        "text": codings[0][2],
    }


def _subject() -> Json:
    return {"reference": f"Patient/{PATIENT_ID}"}


def condition(
    rid: str,
    codings: list[CodeTriple],
    recorded: str,
    *,
    category: str,
    body_site: CodeTriple | None = None,
    histology: CodeTriple | None = None,
    clinical: str = "active",
) -> Json:
    res: Json = {"resourceType": "Condition", "id": rid}
    if histology is not None:
        res["extension"] = [{"url": HISTOLOGY_EXT, "valueCodeableConcept": cc(histology)}]
    res["clinicalStatus"] = cc((COND_CLINICAL, clinical, clinical.capitalize()))
    res["verificationStatus"] = cc((COND_VER, "confirmed", "Confirmed"))
    res["category"] = [cc((COND_CAT, category, category.replace("-", " ").title()))]
    res["code"] = cc(*codings)
    if body_site is not None:
        res["bodySite"] = [cc(body_site)]
    res["subject"] = _subject()
    if category == "problem-list-item":
        res["onsetDateTime"] = recorded
    res["recordedDate"] = recorded
    return res


def observation(
    rid: str,
    code: CodeTriple,
    effective: str,
    *,
    category: str,
    value: Json,
    body_site: CodeTriple | None = None,
    focus: str | None = None,
    components: list[Json] | None = None,
) -> Json:
    res: Json = {"resourceType": "Observation", "id": rid, "status": "final"}
    res["category"] = [cc((OBS_CAT, category, category.replace("-", " ").title()))]
    res["code"] = cc(code)
    res["subject"] = _subject()
    if focus is not None:
        res["focus"] = [{"reference": f"Condition/{focus}"}]
    res["effectiveDateTime"] = effective
    res.update(value)
    if body_site is not None:
        res["bodySite"] = cc(body_site)
    if components is not None:
        res["component"] = components
    return res


def procedure(
    rid: str,
    codings: list[CodeTriple],
    *,
    performed: str | None = None,
    period: tuple[str, str] | None = None,
    body_site: CodeTriple | None = None,
    reason: str | None = None,
) -> Json:
    res: Json = {"resourceType": "Procedure", "id": rid, "status": "completed"}
    res["code"] = cc(*codings)
    res["subject"] = _subject()
    if performed is not None:
        res["performedDateTime"] = performed
    if period is not None:
        res["performedPeriod"] = {"start": period[0], "end": period[1]}
    if body_site is not None:
        res["bodySite"] = [cc(body_site)]
    if reason is not None:
        res["reasonReference"] = [{"reference": f"Condition/{reason}"}]
    return res


def tumor_size(rid: str, effective: str, mm: float) -> Json:
    return observation(
        rid,
        (LOINC, "21889-1", "Size Tumor"),
        effective,
        category="imaging",
        value={},
        body_site=LIVER,
        focus="liver-met",
        components=[
            {
                "code": cc((LOINC, "33728-7", "Size.maximum dimension in Tumor")),
                "valueQuantity": {"value": mm, "unit": "mm", "system": UCUM, "code": "mm"},
            }
        ],
    )


def ecog(rid: str, effective: str, score: int) -> Json:
    return observation(
        rid,
        (LOINC, "89247-1", "ECOG Performance Status score"),
        effective,
        category="survey",
        value={"valueInteger": score},
    )


def lesion_count(rid: str, effective: str, count: int) -> Json:
    return observation(
        rid,
        (LOCAL, "lesion-count", "Number of metastatic lesions"),
        effective,
        category="imaging",
        value={"valueInteger": count},
        body_site=LIVER,
    )


def medication_administration(rid: str, drug: CodeTriple, effective: str) -> Json:
    return {
        "resourceType": "MedicationAdministration",
        "id": rid,
        "status": "completed",
        "medicationCodeableConcept": cc(drug),
        "subject": _subject(),
        "effectiveDateTime": effective,
    }


def medication_request(rid: str, drug: CodeTriple, start: str, end: str) -> Json:
    """An order with its own Medication contained (a common EHR export shape)."""
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "contained": [{"resourceType": "Medication", "id": "med", "code": cc(drug)}],
        "status": "completed",
        "intent": "order",
        "medicationReference": {"reference": "#med"},
        "subject": _subject(),
        "authoredOn": start,
        "dosageInstruction": [
            {"timing": {"repeat": {"boundsPeriod": {"start": start, "end": end}}}}
        ],
    }


def diagnostic_report(rid: str, codings: list[CodeTriple], effective: str) -> Json:
    return {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": "final",
        "code": cc(*codings),
        "subject": _subject(),
        "effectiveDateTime": effective,
        "conclusion": "Stable appearances.",
    }


def core_story() -> list[Json]:
    """The clinical story every size carries: metachronous liver-only LMS metastasis, resected."""
    return [
        {
            "resourceType": "Patient",
            "id": PATIENT_ID,
            "name": [{"use": "official", "family": "Benchmark", "given": ["Ana"]}],
            "gender": "female",
            "birthDate": "1966-09-02",
        },
        condition(
            "primary-lms",
            PRIMARY,
            "2021-03-15",
            category="problem-list-item",
            body_site=THIGH,
            histology=LMS_MORPHOLOGY,
        ),
        condition(
            "liver-met", LIVER_MET, "2023-02-10", category="problem-list-item", body_site=LIVER
        ),
        procedure(
            "primary-resection",
            [(SCT, "370611004", "Excision of neoplasm")],
            performed="2021-04-20",
            body_site=THIGH,
            reason="primary-lms",
        ),
        procedure("chemo-1", [CHEMO], period=("2023-03-01", "2023-04-12")),
        procedure(
            "hepatectomy",
            [(SCT, "107963000", "Liver excision"), (CPT, "47120", "Partial hepatectomy")],
            performed="2023-05-16",
            body_site=LIVER,
            reason="liver-met",
        ),
        ecog("ecog-1", "2023-02-20", 1),
        tumor_size("size-1", "2023-02-08", 32.0),
        lesion_count("count-1", "2023-02-08", 2),
        procedure("ct-1", CT_ABDOMEN, performed="2023-02-08"),
    ]


def _day(rng: random.Random) -> str:
    span = (STORY_END - STORY_START).days
    return (STORY_START + timedelta(days=rng.randrange(span))).isoformat()


def _filler(rng: random.Random, index: int) -> Json:
    """One background resource: ~20 % Conditions, ~60 % Observations, ~20 % Procedures."""
    rid = f"r{index:05d}"
    day = _day(rng)
    roll = rng.random()
    if roll < 0.20:
        return _diagnosis(rng, rid, day, comorbidity=roll >= 0.12)
    if roll < 0.66:
        code, display, unit, low, high = rng.choice(LABS)
        quantity = {"value": round(rng.uniform(low, high), 1), "unit": unit, "system": UCUM}
        return observation(
            rid,
            (LOINC, code, display),
            day,
            category="laboratory",
            value={"valueQuantity": quantity | {"code": unit}},
        )
    if roll < 0.72:
        return ecog(rid, day, rng.choice((0, 1, 1, 1, 2)))
    if roll < 0.77:
        return tumor_size(rid, day, round(rng.uniform(8.0, 45.0), 0))
    if roll < 0.80:
        return lesion_count(rid, day, rng.choice((1, 2, 2, 3)))
    if roll < 0.90:
        return _chemotherapy_cycle(rng, rid, day)
    imaging: list[Callable[[], Json]] = [
        lambda: diagnostic_report(rid, CT_ABDOMEN, day),
        lambda: procedure(rid, CT_ABDOMEN, performed=day),
        lambda: procedure(rid, CT_CHEST, performed=day),
        lambda: procedure(rid, MRI_LIVER, performed=day, body_site=LIVER),
    ]
    return rng.choice(imaging)()


def _diagnosis(rng: random.Random, rid: str, day: str, *, comorbidity: bool) -> Json:
    """An encounter diagnosis: a comorbidity, or the cancer codes repeated at a visit."""
    if comorbidity:
        return condition(rid, rng.choice(COMORBIDITIES), day, category="encounter-diagnosis")
    if rng.random() < 0.3:
        # Metastasis repeats only between diagnosis and hepatectomy: a repeat dated after it
        # would read as a liver recurrence and change the story between sizes.
        met_day = MET_DIAGNOSED + timedelta(days=rng.randrange((HEPATECTOMY - MET_DIAGNOSED).days))
        return condition(rid, LIVER_MET, met_day.isoformat(), category="encounter-diagnosis")
    return condition(rid, PRIMARY, day, category="encounter-diagnosis")


def _chemotherapy_cycle(rng: random.Random, rid: str, day: str) -> Json:
    """One chemotherapy cycle, recorded three ways (Procedure, administration, request)."""
    start = date.fromisoformat(day)
    end = start + timedelta(days=21)
    kind = rng.random()
    if kind < 0.4:
        return procedure(rid, [CHEMO], period=(start.isoformat(), end.isoformat()))
    if kind < 0.8:
        return medication_administration(rid, rng.choice((DOXORUBICIN, GEMCITABINE)), day)
    return medication_request(rid, DOXORUBICIN, start.isoformat(), end.isoformat())


def _searchset(resources: list[Json]) -> Json:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {
                "fullUrl": f"{FHIR_BASE}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def generate_request(size: int, seed: int = 9) -> Json:
    """A patient-view request carrying exactly `size` resources (the Patient included)."""
    if size < CORE_SIZE:
        raise ValueError(
            f"size must be at least {CORE_SIZE} resources (the core story), not {size}"
        )
    rng = random.Random(seed * 100_003 + size)  # determinism, not security
    resources = core_story() + [_filler(rng, i) for i in range(size - CORE_SIZE)]
    by_type: dict[str, list[Json]] = {
        "Patient": [],
        "Condition": [],
        "Observation": [],
        "Procedure": [],
        "MedicationRequest": [],
        "MedicationAdministration": [],
        "MedicationStatement": [],
        "DiagnosticReport": [],
    }
    for res in resources:
        by_type[res["resourceType"]].append(res)
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "fhirServer": FHIR_BASE,
        "context": {"userId": "Practitioner/onc-1", "patientId": PATIENT_ID},
        "prefetch": {
            "patient": by_type["Patient"][0],
            "conditions": _searchset(by_type["Condition"]),
            "observations": _searchset(by_type["Observation"]),
            "procedures": _searchset(by_type["Procedure"]),
            "medicationRequests": _searchset(by_type["MedicationRequest"]),
            "medicationAdministrations": _searchset(by_type["MedicationAdministration"]),
            "medicationStatements": _searchset(by_type["MedicationStatement"]),
            "diagnosticReports": _searchset(by_type["DiagnosticReport"]),
        },
    }


def request_body(size: int, seed: int = 9) -> bytes:
    return orjson.dumps(generate_request(size, seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 300, 1000])
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--out", type=Path, required=True, help="folder for the request files")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        path = args.out / f"patient-view-{size}.json"
        path.write_bytes(
            orjson.dumps(generate_request(size, args.seed), option=orjson.OPT_INDENT_2)
        )
        print(f"{path} ({path.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
