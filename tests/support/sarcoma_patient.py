"""A small realistic patient as a FHIR R4 transaction Bundle: abdominal leiomyosarcoma (C49.4)
with a liver metastasis (C78.7), an ECOG score, liver laboratory values and a hepatectomy —
written with the one test-data builder (`tests/support/fhir_data.py`), with the displays and
categories an EHR sends, for the tests that load it into a real FHIR server."""

from __future__ import annotations

from tests.support.fhir_data import (
    ICD10CM,
    LOINC,
    RXNORM,
    SNOMED,
    Json,
    Named,
    concept,
    condition,
    diagnostic_report,
    given,
    observation,
    patient,
    procedure,
    transaction,
)

__all__ = ["LAB_VALUES", "patient_resources", "transaction"]

CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
LIVER: Named = (SNOMED, "10200004", "Liver structure")

# (id, LOINC, display, value, UCUM unit): liver panel before the hepatectomy.
LAB_VALUES = (
    ("bilirubin", "1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", 0.8, "mg/dL"),
    ("albumin", "1751-7", "Albumin [Mass/volume] in Serum or Plasma", 4.1, "g/dL"),
    ("alt", "1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum", 31, "U/L"),
    ("ast", "1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum", 28, "U/L"),
)


def _problem(pid: str, rid: str, code: Named, onset: str, site: Named) -> Json:
    return condition(
        rid,
        code,
        onset=onset,
        recorded=onset,
        body_site=site,
        subject=f"Patient/{pid}",
        category=[concept((CONDITION_CATEGORY, "problem-list-item", "Problem List Item"))],
    )


def _category(code: str, display: str) -> list[Json]:
    return [concept((OBSERVATION_CATEGORY, code, display))]


def patient_resources(pid: str) -> list[Json]:
    """Every resource of the patient, ids prefixed with the patient id (unique per patient)."""
    subject = f"Patient/{pid}"
    primary = _problem(
        pid,
        f"{pid}-lms",
        (ICD10CM, "C49.4", "Malignant neoplasm of connective and soft tissue of abdomen"),
        "2022-03-01",
        (SNOMED, "818983003", "Abdomen"),
    )
    metastasis = _problem(
        pid,
        f"{pid}-liver-met",
        (ICD10CM, "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct"),
        "2024-01-15",
        LIVER,
    )
    ecog = observation(
        f"{pid}-ecog",
        (LOINC, "89247-1", "ECOG Performance Status score"),
        when="2024-02-20",
        subject=subject,
        category=_category("survey", "Survey"),
        valueCodeableConcept=concept((LOINC, "LA9623-5", "Symptomatic but completely ambulatory")),
    )
    labs = [
        observation(
            f"{pid}-{lab_id}",
            (LOINC, loinc, display),
            when="2024-02-26",
            subject=subject,
            category=_category("laboratory", "Laboratory"),
            valueQuantity={
                "value": value,
                "unit": unit,
                "system": "http://unitsofmeasure.org",
                "code": unit,
            },
        )
        for lab_id, loinc, display, value, unit in LAB_VALUES
    ]
    hepatectomy = procedure(
        f"{pid}-hepatectomy",
        (SNOMED, "107963000", "Liver excision"),
        performed="2024-03-10",
        body_site=LIVER,
        subject=subject,
        reasonReference=[{"reference": f"Condition/{pid}-liver-met"}],
    )
    doxorubicin = given(
        f"{pid}-doxorubicin-c1", (RXNORM, "3639", "doxorubicin"), "2024-05-02", subject=subject
    )
    ct = (LOINC, "79103-8", "CT Abdomen W contrast IV")
    ct_report = diagnostic_report(f"{pid}-ct-report", ct, "2024-01-10", subject=subject)
    person = patient(
        "1968-04-12", pid=pid, name=[{"family": "Moreno", "given": ["Lucía"]}], gender="female"
    )
    return [person, primary, metastasis, ecog, *labs, hepatectomy, doxorubicin, ct_report]
