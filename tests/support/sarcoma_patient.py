"""A small realistic patient as a FHIR R4 transaction Bundle: abdominal leiomyosarcoma (C49.4)
with a liver metastasis (C78.7), an ECOG score, liver laboratory values and a hepatectomy."""

from __future__ import annotations

from typing import Any

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

# (id, LOINC, display, value, UCUM unit, date): liver panel before the hepatectomy.
LAB_VALUES = (
    ("bilirubin", "1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", 0.8, "mg/dL"),
    ("albumin", "1751-7", "Albumin [Mass/volume] in Serum or Plasma", 4.1, "g/dL"),
    ("alt", "1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum", 31, "U/L"),
    ("ast", "1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum", 28, "U/L"),
)


RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _coding(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _condition(pid: str, cid: str, code: str, display: str, onset: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "clinicalStatus": _coding(CONDITION_CLINICAL, "active", "Active"),
        "verificationStatus": _coding(CONDITION_VERIFICATION, "confirmed", "Confirmed"),
        "category": [
            _coding(
                "http://terminology.hl7.org/CodeSystem/condition-category",
                "problem-list-item",
                "Problem List Item",
            )
        ],
        "code": _coding(ICD10CM, code, display),
        "subject": {"reference": f"Patient/{pid}"},
        "onsetDateTime": onset,
        "recordedDate": onset,
    }


def patient_resources(pid: str) -> list[dict[str, Any]]:
    """Every resource of the patient, ids prefixed with the patient id (unique per patient)."""
    primary = _condition(
        pid,
        f"{pid}-lms",
        "C49.4",
        "Malignant neoplasm of connective and soft tissue of abdomen",
        "2022-03-01",
    )
    primary["bodySite"] = [_coding(SNOMED, "818983003", "Abdomen")]
    metastasis = _condition(
        pid,
        f"{pid}-liver-met",
        "C78.7",
        "Secondary malignant neoplasm of liver and intrahepatic bile duct",
        "2024-01-15",
    )
    metastasis["bodySite"] = [_coding(SNOMED, "10200004", "Liver structure")]
    ecog = {
        "resourceType": "Observation",
        "id": f"{pid}-ecog",
        "status": "final",
        "category": [_coding(OBSERVATION_CATEGORY, "survey", "Survey")],
        "code": _coding(LOINC, "89247-1", "ECOG Performance Status score"),
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": "2024-02-20",
        "valueCodeableConcept": _coding(LOINC, "LA9623-5", "Symptomatic but completely ambulatory"),
    }
    labs = [
        {
            "resourceType": "Observation",
            "id": f"{pid}-{lab_id}",
            "status": "final",
            "category": [_coding(OBSERVATION_CATEGORY, "laboratory", "Laboratory")],
            "code": _coding(LOINC, loinc, display),
            "subject": {"reference": f"Patient/{pid}"},
            "effectiveDateTime": "2024-02-26",
            "valueQuantity": {
                "value": value,
                "unit": unit,
                "system": "http://unitsofmeasure.org",
                "code": unit,
            },
        }
        for lab_id, loinc, display, value, unit in LAB_VALUES
    ]
    hepatectomy = {
        "resourceType": "Procedure",
        "id": f"{pid}-hepatectomy",
        "status": "completed",
        "code": _coding(SNOMED, "107963000", "Liver excision"),
        "subject": {"reference": f"Patient/{pid}"},
        "performedDateTime": "2024-03-10",
        "bodySite": [_coding(SNOMED, "10200004", "Liver structure")],
        "reasonReference": [{"reference": f"Condition/{pid}-liver-met"}],
    }
    doxorubicin = {
        "resourceType": "MedicationAdministration",
        "id": f"{pid}-doxorubicin-c1",
        "status": "completed",
        "medicationCodeableConcept": _coding(RXNORM, "3639", "doxorubicin"),
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": "2024-05-02",
    }
    ct_report = {
        "resourceType": "DiagnosticReport",
        "id": f"{pid}-ct-report",
        "status": "final",
        "code": _coding(LOINC, "79103-8", "CT Abdomen W contrast IV"),
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": "2024-01-10",
    }
    patient = {
        "resourceType": "Patient",
        "id": pid,
        "name": [{"family": "Moreno", "given": ["Lucía"]}],
        "gender": "female",
        "birthDate": "1968-04-12",
    }
    return [patient, primary, metastasis, ecog, *labs, hepatectomy, doxorubicin, ct_report]


def transaction(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A transaction Bundle that PUTs each resource at its id (so the ids are known)."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": resource,
                "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"},
            }
            for resource in resources
        ],
    }
