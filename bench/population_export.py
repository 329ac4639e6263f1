"""The seeded Bulk Data export of the population bench (bench/population.py): a few percent
sarcoma patients cloned from the example patients with cards (new ids, their references
rewritten), the rest EHR background (comorbidities, vitals and laboratory results,
procedures, prescriptions, encounters, reports). Same arguments, same bytes.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "fhir-examples"
SCT = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CPT = "http://www.ama-assn.org/go/cpt"
# Example patients whose patient-view shows cards: the sarcoma patients are clones of these.
SARCOMA_TEMPLATES = (
    "01-metachronous-lms-liver-only.json",
    "02-synchronous-exactly-6-months.json",
    "05-liver-and-lung-long-dfi.json",
    "06-three-sites-not-oligometastatic.json",
    "07-more-than-five-liver-lesions.json",
    "20-uterine-lms-large-lesion.json",
    "29-re-metastasectomy-long-tfi.json",
    "32-follow-up-overdue.json",
    "42-on-treatment-partial-response.json",
    "51-synthea-raw-transaction-bundle-urn-uuid.json",
)
COMORBIDITIES = [
    [(ICD10CM, "I10", "Essential (primary) hypertension"), (SCT, "59621000", "Hypertension")],
    [(ICD10CM, "E11.9", "Type 2 diabetes mellitus"), (SCT, "44054006", "Diabetes type 2")],
    [(ICD10CM, "J44.9", "Chronic obstructive pulmonary disease"), (SCT, "13645005", "COPD")],
    [(ICD10CM, "E78.5", "Hyperlipidemia"), (SCT, "55822004", "Hyperlipidemia")],
    [(ICD10CM, "M17.11", "Primary osteoarthritis, right knee"), (SCT, "239873007", "OA knee")],
    [(ICD10CM, "F32.9", "Major depressive disorder"), (SCT, "35489007", "Depression")],
]
LABS = [
    ("2160-0", "Creatinine", "mg/dL", 0.6, 1.3),
    ("718-7", "Hemoglobin", "g/dL", 11.0, 16.0),
    ("6690-2", "Leukocytes", "10*3/uL", 4.0, 11.0),
    ("2345-7", "Glucose", "mg/dL", 70.0, 180.0),
    ("8480-6", "Systolic blood pressure", "mm[Hg]", 100.0, 160.0),
    ("29463-7", "Body weight", "kg", 50.0, 110.0),
    ("39156-5", "Body mass index", "kg/m2", 18.0, 35.0),
]
DRUGS = [("197361", "amlodipine 5 MG"), ("860975", "metformin 500 MG"), ("617312", "atorvastatin")]


def _coded(codings: list[tuple[str, str, str]], text: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {
        "coding": [{"system": s, "code": c, "display": d} for s, c, d in codings]
    }
    if text:
        concept["text"] = text
    return concept


def _background(rng: random.Random, pid: str) -> Iterator[dict[str, Any]]:
    subject = {"reference": f"Patient/{pid}"}
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(60 * 365))
    yield {
        "resourceType": "Patient",
        "id": pid,
        "gender": rng.choice(["female", "male"]),
        "birthDate": born.isoformat(),
        "name": [{"family": f"Family{pid[-4:]}", "given": ["Pat"]}],
    }
    day = date(2018, 1, 1)
    for i, codings in enumerate(rng.sample(COMORBIDITIES, 3)):
        yield {
            "resourceType": "Condition",
            "id": f"{pid}-c{i}",
            "subject": subject,
            "clinicalStatus": _coded(
                [("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active")]
            ),
            "category": [
                _coded(
                    [
                        (
                            "http://terminology.hl7.org/CodeSystem/condition-category",
                            "problem-list-item",
                            "Problem List Item",
                        )
                    ]
                )
            ],
            "code": _coded(codings),
            "onsetDateTime": (day + timedelta(days=rng.randrange(2000))).isoformat(),
        }
    for i in range(20):
        code, name, unit, lo, hi = LABS[i % len(LABS)]
        yield {
            "resourceType": "Observation",
            "id": f"{pid}-o{i}",
            "status": "final",
            "subject": subject,
            "category": [
                _coded(
                    [
                        (
                            "http://terminology.hl7.org/CodeSystem/observation-category",
                            "laboratory",
                            "Laboratory",
                        )
                    ]
                )
            ],
            "code": _coded([(LOINC, code, name)]),
            "effectiveDateTime": (day + timedelta(days=rng.randrange(3000))).isoformat(),
            "valueQuantity": {
                "value": round(rng.uniform(lo, hi), 1),
                "unit": unit,
                "system": "http://unitsofmeasure.org",
                "code": unit,
            },
        }
    for i in range(2):
        yield {
            "resourceType": "Procedure",
            "id": f"{pid}-p{i}",
            "status": "completed",
            "subject": subject,
            "code": _coded([(CPT, "99213", "Office visit")]),
            "performedDateTime": (day + timedelta(days=rng.randrange(3000))).isoformat(),
        }
    for i in range(2):
        code, name = rng.choice(DRUGS)
        yield {
            "resourceType": "MedicationRequest",
            "id": f"{pid}-m{i}",
            "status": "active",
            "intent": "order",
            "subject": subject,
            "medicationCodeableConcept": _coded([(RXNORM, code, name)]),
            "authoredOn": (day + timedelta(days=rng.randrange(3000))).isoformat(),
        }
    for i in range(3):
        yield {
            "resourceType": "Encounter",
            "id": f"{pid}-e{i}",
            "status": "finished",
            "subject": subject,
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "period": {"start": (day + timedelta(days=rng.randrange(3000))).isoformat()},
        }
    yield {
        "resourceType": "DiagnosticReport",
        "id": f"{pid}-r0",
        "status": "final",
        "subject": subject,
        "code": _coded([(LOINC, "24323-8", "Comprehensive metabolic panel")]),
        "effectiveDateTime": (day + timedelta(days=rng.randrange(3000))).isoformat(),
    }


def _example(name: str) -> tuple[str, list[tuple[str | None, dict[str, Any]]]]:
    request = orjson.loads((EXAMPLES / name).read_bytes())
    pairs: list[tuple[str | None, dict[str, Any]]] = []
    for value in request["prefetch"].values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            pairs += [(e.get("fullUrl"), e["resource"]) for e in value.get("entry") or []]
        elif isinstance(value, dict):
            pairs.append((None, value))
    return request["context"]["patientId"], pairs


def _rewrite(node: Any, refs: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite(v, refs) for k, v in node.items()}
        if isinstance(out.get("reference"), str) and out["reference"] in refs:
            out["reference"] = refs[out["reference"]]
        return out
    if isinstance(node, list):
        return [_rewrite(v, refs) for v in node]
    return node


def _clone(
    template: tuple[str, list[tuple[str | None, dict[str, Any]]]], pid: str
) -> list[dict[str, Any]]:
    """The template patient's resources under new ids, every reference among them rewritten."""
    old_pid, pairs = template
    refs: dict[str, str] = {
        f"Patient/{old_pid}": f"Patient/{pid}",
        f"urn:uuid:{old_pid}": f"Patient/{pid}",
    }
    new_ids: dict[tuple[str, str], str] = {}
    for i, (url, r) in enumerate(pairs):
        new = pid if r["resourceType"] == "Patient" else f"{pid}-x{i}"
        new_ids[(r["resourceType"], str(r.get("id")))] = new
        refs[f"{r['resourceType']}/{r.get('id')}"] = f"{r['resourceType']}/{new}"
        if url:
            refs[url] = f"{r['resourceType']}/{new}"
    out, seen = [], set()
    for _, r in pairs:
        key = (r["resourceType"], str(r.get("id")))
        if key in seen:
            continue
        seen.add(key)
        clone = _rewrite(r, refs)
        clone["id"] = new_ids[key]
        out.append(clone)
    return out


def generate(folder: Path, patients: int, sarcoma_percent: float, seed: int) -> dict[str, int]:
    """Write the export; return lines per resource type. Encounters go gzip (both readers run)."""
    rng = random.Random(seed)
    templates = [_example(n) for n in SARCOMA_TEMPLATES]
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {}
    counts: dict[str, int] = {}
    sarcoma = 0
    try:
        for n in range(patients):
            pid = f"p{n:07d}"
            resources = list(_background(rng, pid))
            if rng.random() * 100 < sarcoma_percent:
                sarcoma += 1
                clone = _clone(rng.choice(templates), pid)
                resources = [r for r in resources if r["resourceType"] != "Patient"] + clone
            for r in resources:
                rtype = r["resourceType"]
                if rtype not in files:
                    name = folder / f"{rtype}.ndjson"
                    # closed in the finally below
                    files[rtype] = (
                        gzip.open(name.with_suffix(".ndjson.gz"), "wb", compresslevel=1)  # noqa: SIM115
                        if rtype == "Encounter"
                        else name.open("wb")
                    )
                files[rtype].write(orjson.dumps(r) + b"\n")
                counts[rtype] = counts.get(rtype, 0) + 1
    finally:
        for f in files.values():
            f.close()
    counts["_sarcoma_patients"] = sarcoma
    return counts
