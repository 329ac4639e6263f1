# ruff: noqa: E501  (displays and code lists are written as the sending systems write them)
"""Example requests in the shapes real systems send (issue 12), written by hand from the public
specifications' example shapes: mCODE STU4 as the IG writes its examples, a raw Synthea
transaction Bundle (urn:uuid everywhere), Epic- and Oracle Health-style encounter diagnoses,
US Core problem lists, text-only problem lists, medications only.

Unlike _fhir.py, nothing here is normalised to the project's own shape: each builder returns the
whole patient-view request as the sending system would. Patients, names and dates are synthetic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Json = dict[str, Any]

FHIR = "https://ehr.example.org/fhir"
SCT = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
CPT = "http://www.ama-assn.org/go/cpt"
UCUM = "http://unitsofmeasure.org"
CLIN = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CAT = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSCAT = "http://terminology.hl7.org/CodeSystem/observation-category"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
USCORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
EPIC_DX = "urn:oid:1.2.840.114350.1.13.0.1.7.2.728286"  # an Epic-style local diagnosis system
CERNER_NOMEN = "https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/nomenclature"

Real = Callable[[], tuple[Json, Json]]
REAL: list[tuple[str, str, Real]] = []  # (slug, encoding, builder)


def real(slug: str, encoding: str) -> Callable[[Real], Real]:
    def register(fn: Real) -> Real:
        REAL.append((slug, encoding, fn))
        return fn

    return register


def coding(system: str, code: str, display: str) -> Json:
    return {"system": system, "code": code, "display": display}


def concept(*codings: Json, text: str | None = None) -> Json:
    out: Json = {"coding": list(codings)}
    if text:
        out["text"] = text
    return out


def status(system: str, code: str) -> Json:
    return {"coding": [{"system": system, "code": code}]}


def searchset(resources: list[Json], base: str = FHIR) -> Json:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {
                "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def request(pid: str, hook_instance: str, prefetch: Json, server: str = FHIR) -> Json:
    return {
        "hook": "patient-view",
        "hookInstance": hook_instance,
        "fhirServer": server,
        "context": {"userId": "Practitioner/onc-1", "patientId": pid},
        "prefetch": prefetch,
    }


def empty_rest(prefetch: Json, *keys: str) -> Json:
    """The searchsets the EHR answered with no match."""
    for key in keys:
        prefetch[key] = searchset([])
    return prefetch


ALL_MEDS = ("medicationRequests", "medicationAdministrations", "medicationStatements")


def expect(shows: str, topics: list[str], facts: Json, rationale: str, **extra: Any) -> Json:
    expected: Json = {"topics": topics, "recommendations": extra.pop("recommendations", {})}
    expected["facts"] = facts
    for key in ("indicators", "says", "never_says"):
        if key in extra:
            expected[key] = extra.pop(key)
    return {"today": "2026-06-01", "shows": shows, "expected": expected, "rationale": rationale}


# --------------------------------------------------------------------------- mCODE STU4 shapes


@real("mcode-stu4-postcoordinated-lms-tumor-bodystructure", "mcode-stu4")
def _mcode_full() -> tuple[Json, Json]:
    pid = "mcode-pt-35"
    subject = {"reference": f"Patient/{pid}"}
    primary = {
        "resourceType": "Condition",
        "id": "primary-cancer-condition-lms",
        "meta": {"profile": [MCODE + "mcode-primary-cancer-condition"]},
        "extension": [
            {
                "url": MCODE + "mcode-histology-morphology-behavior",
                "valueCodeableConcept": concept(
                    coding(SCT, "1163022006", "Leiomyosarcoma (morphologic abnormality)")
                ),
            }
        ],
        "clinicalStatus": status(CLIN, "active"),
        "verificationStatus": status(VER, "confirmed"),
        "category": [concept(coding(CAT, "problem-list-item", "Problem List Item"))],
        "code": concept(coding(SCT, "363346000", "Malignant neoplastic disease (disorder)")),
        "bodySite": [concept(coding(SCT, "68367000", "Thigh structure (body structure)"))],
        "subject": subject,
        "onsetDateTime": "2025-05-12",
    }
    secondary = {
        "resourceType": "Condition",
        "id": "secondary-cancer-condition-liver",
        "meta": {"profile": [MCODE + "mcode-secondary-cancer-condition"]},
        "extension": [
            {
                "url": MCODE + "mcode-related-primary-cancer-condition",
                "valueReference": {"reference": "Condition/primary-cancer-condition-lms"},
            }
        ],
        "clinicalStatus": status(CLIN, "active"),
        "verificationStatus": status(VER, "confirmed"),
        "category": [concept(coding(CAT, "problem-list-item", "Problem List Item"))],
        "code": concept(
            coding(SCT, "128462008", "Secondary malignant neoplastic disease (disorder)")
        ),
        "bodySite": [concept(coding(SCT, "181268008", "Entire liver (body structure)"))],
        "subject": subject,
        "onsetDateTime": "2026-03-20",
    }
    tumors = [
        {
            "resourceType": "BodyStructure",
            "id": f"tumor-liver-{n}",
            "meta": {"profile": [MCODE + "mcode-tumor"]},
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/condition-related",
                    "valueReference": {"reference": "Condition/secondary-cancer-condition-liver"},
                }
            ],
            "identifier": [
                {
                    "use": "usual",
                    "system": "http://radiology.hospital.example.org",
                    "value": f"Tumor {n}",
                }
            ],
            "location": concept(coding(SCT, segment, f"Couinaud hepatic segment {roman}")),
            "patient": subject,
        }
        for n, segment, roman in (("1", "277961009", "VII"), ("2", "277959000", "V"))
    ]
    sizes = [
        {
            "resourceType": "Observation",
            "id": f"tumor-size-liver-{n}",
            "meta": {"profile": [MCODE + "mcode-tumor-size"]},
            "status": "final",
            "category": [concept(coding(OBSCAT, "imaging", "Imaging"))],
            "code": concept(coding(LOINC, "21889-1", "Size Tumor")),
            "subject": subject,
            "focus": [{"reference": f"BodyStructure/tumor-liver-{n}"}],
            "effectiveDateTime": "2026-03-20",
            "component": [
                {
                    "code": concept(coding(LOINC, "33728-7", "Size.maximum dimension in Tumor")),
                    "valueQuantity": {"value": mm, "unit": "cm", "system": UCUM, "code": "cm"},
                }
            ],
        }
        for n, mm in (("1", 2.4), ("2", 1.6))
    ]
    ecog = {
        "resourceType": "Observation",
        "id": "ecog-performance-status",
        "meta": {"profile": [MCODE + "mcode-ecog-performance-status"]},
        "status": "final",
        "category": [concept(coding(OBSCAT, "survey", "Survey"))],
        "code": concept(coding(LOINC, "89247-1", "ECOG Performance Status score")),
        "subject": subject,
        "effectiveDateTime": "2026-04-02",
        "valueInteger": 0,
        "interpretation": [
            concept(
                coding(
                    LOINC,
                    "LA9622-7",
                    "Fully active, able to carry on all pre-disease performance without restriction",
                )
            )
        ],
    }
    excision = {
        "resourceType": "Procedure",
        "id": "cancer-related-surgical-procedure-primary",
        "meta": {"profile": [MCODE + "mcode-cancer-related-surgical-procedure"]},
        "status": "completed",
        "code": concept(coding(SCT, "65801008", "Excision (procedure)")),
        "subject": subject,
        "performedDateTime": "2025-06-20",
        "reasonReference": [{"reference": "Condition/primary-cancer-condition-lms"}],
        "bodySite": [concept(coding(SCT, "68367000", "Thigh structure (body structure)"))],
    }
    patient = {
        "resourceType": "Patient",
        "id": pid,
        "meta": {"profile": [MCODE + "mcode-cancer-patient"]},
        "name": [{"family": "Anyperson", "given": ["Maria"]}],
        "gender": "female",
        "birthDate": "1969-02-14",
    }
    prefetch = {
        "patient": patient,
        "conditions": searchset([primary, secondary]),
        "observations": searchset([*sizes, ecog, *tumors]),
        "procedures": searchset([excision]),
    }
    empty_rest(prefetch, *ALL_MEDS, "diagnosticReports")
    return request(pid, "2f6d2c59-8e2a-4c1c-9d0e-35a1b2c3d435", prefetch), expect(
        "mCODE STU4 as the IG writes it: post-coordinated primary (363346000 + SNOMED LMS "
        "morphology + bodySite), SecondaryCancerCondition 128462008 with bodySite entire liver, "
        "two TumorSize in cm whose focus is a Tumor BodyStructure in liver segments, excision "
        "by reasonReference",
        ["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        {
            "sts": "yes",
            "histology": "leiomyosarcoma",
            "liver_metastasis_ever": "yes",
            "timing": "metachronous",
            "dfi_months": 10,
            "lesion_count": 2,
            "liver_only": "yes",
            "oligometastatic": "yes",
            "primary_resected": "yes",
        },
        "As example 01, but in the IG's own shapes. The organ of each TumorSize comes from its "
        "focus BodyStructure (segments VII and V are liver), two distinct foci = 2 lesions; the "
        "generic excision counts as the primary's resection by reasonReference (clinical-logic "
        "1.5). Metachronous liver-only OMD -> 5.3 + 8.1.",
        recommendations={"treatment-pathway": ["5.3", "8.1"], "summary": ["1.1", "2.2"]},
    )


@real("mcode-stu4-tnm-cm1-without-sites", "mcode-stu4")
def _mcode_tnm() -> tuple[Json, Json]:
    pid = "mcode-pt-36"
    subject = {"reference": f"Patient/{pid}"}
    primary = {
        "resourceType": "Condition",
        "id": "primary-cancer-condition-synovial",
        "meta": {"profile": [MCODE + "mcode-primary-cancer-condition"]},
        "clinicalStatus": status(CLIN, "active"),
        "verificationStatus": status(VER, "confirmed"),
        "category": [concept(coding(CAT, "problem-list-item", "Problem List Item"))],
        "code": concept(coding(SCT, "302851001", "Synovial sarcoma (disorder)")),
        "bodySite": [concept(coding(SCT, "40983000", "Upper arm structure (body structure)"))],
        "subject": subject,
        "onsetDateTime": "2025-09-03",
    }
    cm1 = {
        "resourceType": "Observation",
        "id": "tnm-clinical-distant-metastases-category-cM1",
        "meta": {"profile": [MCODE + "mcode-tnm-distant-metastases-category"]},
        "status": "final",
        "category": [concept(coding(OBSCAT, "laboratory", "Laboratory"))],
        "code": concept(coding(SCT, "399387003", "cM category")),
        "subject": subject,
        "effectiveDateTime": "2026-04-10",
        "valueCodeableConcept": concept(
            coding(SCT, "1229903009", "American Joint Committee on Cancer cM1 (qualifier value)")
        ),
        "method": concept(
            coding(
                SCT,
                "897275008",
                "American Joint Commission on Cancer, Cancer Staging Manual, 8th edition neoplasm staging system (tumor staging)",
            )
        ),
        "focus": [{"reference": "Condition/primary-cancer-condition-synovial"}],
    }
    patient = {"resourceType": "Patient", "id": pid, "gender": "male", "birthDate": "1984-07-30"}
    prefetch = {
        "patient": patient,
        "conditions": searchset([primary]),
        "observations": searchset([cm1]),
        "procedures": searchset([]),
    }
    empty_rest(prefetch, *ALL_MEDS, "diagnosticReports")
    return request(pid, "5c1e9a3b-7d2f-4e6a-8b9c-36a1b2c3d436", prefetch), expect(
        "Synovial sarcoma whose only metastatic evidence is a TNM cM1 observation: metastatic "
        "yes, liver unknown -> one data-quality card asking for the metastasis sites",
        ["data-quality"],
        {"sts": "yes", "histology": "synovial_sarcoma", "liver_metastasis_ever": "indeterminate"},
        "clinical-logic 1.4: M1 makes metastatic yes with the sites left unknown; whether the "
        "liver is involved cannot be said (not a 'no'), so no consensus card, but one "
        "data-quality card says what to record (clinical-logic 3), in clinical words, once; its "
        "title asks whether the liver is involved instead of asserting it (REVIEW2 finding 21).",
        says={
            "data-quality": [
                "Metastatic synovial sarcoma: metastatic sites not recorded",
                "cM1 (2026-04-10)",
                "is the liver involved?",
                "each metastasis is recorded as a coded diagnosis with its site",
            ]
        },
        never_says=[
            "Possible STS with liver metastases",
            "SecondaryCancerCondition",
            "bodySite",
            "qualifier value",
            "ICD-10-CM",
        ],
    )


@real("mcode-stu4-history-of-liver-metastasis", "mcode-stu4")
def _mcode_history() -> tuple[Json, Json]:
    pid = "mcode-pt-37"
    subject = {"reference": f"Patient/{pid}"}
    primary = {
        "resourceType": "Condition",
        "id": "primary-cancer-condition-ups",
        "clinicalStatus": status(CLIN, "active"),
        "verificationStatus": status(VER, "confirmed"),
        "category": [concept(coding(CAT, "problem-list-item", "Problem List Item"))],
        "code": concept(
            coding(
                ICD10CM,
                "C49.22",
                "Malignant neoplasm of connective and soft tissue of left lower limb, including hip",
            )
        ),
        "extension": [
            {
                "url": MCODE + "mcode-histology-morphology-behavior",
                "valueCodeableConcept": concept(
                    coding(
                        "http://terminology.hl7.org/CodeSystem/icd-o-3",
                        "8830/3",
                        "Malignant fibrous histiocytoma",
                    )
                ),
            }
        ],
        "subject": subject,
        "onsetDateTime": "2022-02-01",
    }
    history = {
        "resourceType": "Observation",
        "id": "history-of-cancer-metastatic-to-liver",
        "meta": {"profile": [MCODE + "mcode-history-of-metastatic-cancer"]},
        "status": "final",
        "category": [concept(coding(OBSCAT, "social-history", "Social History"))],
        "code": concept(
            coding(SCT, "1098951000119108", "History of cancer metastatic to liver (situation)")
        ),
        "subject": subject,
        "effectiveDateTime": "2025-11-16",
    }
    patient = {"resourceType": "Patient", "id": pid, "gender": "male", "birthDate": "1958-03-01"}
    prefetch = {
        "patient": patient,
        "conditions": searchset([primary]),
        "observations": searchset([history]),
        "procedures": searchset([]),
    }
    empty_rest(prefetch, *ALL_MEDS, "diagnosticReports")
    return request(pid, "7a2b3c4d-5e6f-4a1b-9c2d-37a1b2c3d437", prefetch), expect(
        "UPS with an mCODE HistoryOfMetastaticCancer 'history of cancer metastatic to liver' and "
        "no metastasis Condition: liver metastasis ever yes, current disease unknown",
        ["summary", "mdt-referral"],
        {
            "sts": "yes",
            "histology": "ups",
            "liver_metastasis_ever": "yes",
            "liver_metastasis_current": "unknown",
            "oligometastatic": "indeterminate",
        },
        "clinical-logic 1.4: a HistoryOfMetastaticCancer observation for the liver makes "
        "liver_metastasis_ever yes with the sites it cannot name unknown. Whether liver disease "
        "remains, and whether it was treated, is not recorded: the summary says so, dated by the "
        "history entry, and what to record; if treated, 13.1 follow-up applies; the MDT card "
        "(5.1) asks to restage and discuss if disease is current (REVIEW2 finding 9: every "
        "branch leads somewhere).",
        says={
            "summary": [
                "STS liver metastasis recorded only as history",
                "(by 2025-11-16)",
                "Record the liver metastasis as a diagnosis with its date and status",
                "post-metastasectomy surveillance applies",
            ],
            "mdt-referral": ["if disease is current, restage", "sarcoma MDT"],
        },
        never_says=["HistoryOfMetastaticCancer", "oligometastatic status indeterminate"],
    )


# --------------------------------------------------------------------------- raw Synthea


@real("synthea-raw-transaction-bundle-urn-uuid", "synthea")
def _synthea() -> tuple[Json, Json]:
    """Synthea writes one transaction Bundle per patient: urn:uuid fullUrls and references,
    encounter diagnoses with onset and recorded dateTimes, SNOMED codes, RxNorm medications with
    status 'stopped' once finished. The EHR forwards it as is, under one key."""
    pid = "8d4f3c2a-1b6e-4f7a-9c3d-2e1f0a9b8c7d"
    enc = "c5a7e9d1-3b2f-4a6c-8e0d-1f2a3b4c5d6e"
    enc2 = "d6b8f0e2-4c3a-4b7d-9f1e-2a3b4c5d6e7f"

    def entry(resource: Json) -> Json:
        return {
            "fullUrl": f"urn:uuid:{resource['id']}",
            "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"]},
        }

    subject = {"reference": f"urn:uuid:{pid}"}
    patient = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "https://github.com/synthetichealth/synthea", "value": pid}],
        "name": [{"use": "official", "family": "Kuhlman484", "given": ["Lorena35"]}],
        "gender": "female",
        "birthDate": "1971-10-05",
    }
    encounters = [
        {
            "resourceType": "Encounter",
            "id": eid,
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "type": [
                concept(
                    coding(SCT, "185347001", "Encounter for problem (procedure)"),
                    text="Encounter for problem (procedure)",
                )
            ],
            "subject": subject,
            "period": {"start": start, "end": start},
        }
        for eid, start in ((enc, "2025-03-03T09:14:05-05:00"), (enc2, "2025-12-15T10:02:41-05:00"))
    ]

    def synthea_condition(cid: str, code: str, display: str, when: str, eid: str) -> Json:
        return {
            "resourceType": "Condition",
            "id": cid,
            "clinicalStatus": status(CLIN, "active"),
            "verificationStatus": status(VER, "confirmed"),
            "category": [concept(coding(CAT, "encounter-diagnosis", "Encounter Diagnosis"))],
            "code": concept(coding(SCT, code, display), text=display),
            "subject": subject,
            "encounter": {"reference": f"urn:uuid:{eid}"},
            "onsetDateTime": when,
            "recordedDate": when,
        }

    primary = synthea_condition(
        "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a5b", "302851001", "Synovial sarcoma (disorder)",
        "2025-03-03T09:14:05-05:00", enc,
    )  # fmt: skip
    met = synthea_condition(
        "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a5b", "94381002",
        "Secondary malignant neoplasm of liver (disorder)", "2025-12-15T10:02:41-05:00", enc2,
    )  # fmt: skip
    doxorubicin = {
        "resourceType": "MedicationRequest",
        "id": "a1b2c3d4-0003-4e5f-8a9b-0c1d2e3f4a5b",
        "status": "stopped",
        "intent": "order",
        "medicationCodeableConcept": concept(
            coding(RXNORM, "1790099", "10 ML doxorubicin hydrochloride 2 MG/ML Injection"),
            text="10 ML doxorubicin hydrochloride 2 MG/ML Injection",
        ),
        "subject": subject,
        "encounter": {"reference": f"urn:uuid:{enc}"},
        "authoredOn": "2025-03-24T09:14:05-05:00",
        "requester": {"display": "Dr. Synthetic Oncologist"},
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [entry(r) for r in (patient, *encounters, primary, met, doxorubicin)],
    }
    prefetch = {"patient": bundle}
    return request(pid, "0e3f5a7c-9b1d-4f2e-8a6c-38a1b2c3d438", prefetch), expect(
        "Raw Synthea transaction Bundle sent whole under one key: urn:uuid subjects and "
        "fullUrls, SNOMED encounter diagnoses, RxNorm doxorubicin order 'stopped' after use",
        ["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        {
            "sts": "yes",
            "histology": "synovial_sarcoma",
            "liver_metastasis_ever": "yes",
            "timing": "metachronous",
            "dfi_months": 9,
            "systemic_therapy_received": "yes",
        },
        "Resources are read by resourceType whatever key brought them; the urn:uuid subject "
        "equals the Patient entry's fullUrl. Liver metastasis 9 months after diagnosis: "
        "metachronous (2.2). The lesion count is missing, so OMD is indeterminate and the "
        "treatment-pathway card says what is missing. A Synthea 'stopped' order dated before "
        "today was given: systemic therapy received; one order is one line, shown with its date "
        "and no invented duration.",
        says={
            "summary": ["(ordered 2025-03-24; cycles not recorded)"],
            "staging-imaging": ["Imaging history not available"],
        },
        never_says=["0 months)"],
    )


# --------------------------------------------------------------------------- Epic-style


@real("epic-encounter-diagnoses-absolute-references", "epic")
def _epic() -> tuple[Json, Json]:
    """Epic-style: encounter diagnoses with the local diagnosis id first, then ICD-10-CM and
    SNOMED; only recordedDate; subjects as absolute URLs; one Condition per visit."""
    base = "https://fhir.epic.example.org/api/FHIR/R4"
    pid = "eJzlzK2.7Xb4Rr6Yw3"
    subject = {"reference": f"{base}/Patient/{pid}", "display": "Rivera, Ana"}

    def dx(
        cid: str, local: str, icd: str, icd_display: str, sct: str, sct_display: str, when: str
    ) -> Json:
        return {
            "resourceType": "Condition",
            "id": cid,
            "clinicalStatus": status(CLIN, "active"),
            "verificationStatus": status(VER, "confirmed"),
            "category": [
                concept(
                    coding(CAT, "encounter-diagnosis", "Encounter Diagnosis"),
                    text="Encounter Diagnosis",
                )
            ],
            "code": concept(
                coding(EPIC_DX, local, icd_display),
                coding(ICD10CM, icd, icd_display),
                coding(SCT, sct, sct_display),
                text=icd_display,
            ),
            "subject": subject,
            "encounter": {"reference": f"{base}/Encounter/e{cid}", "display": "Office Visit"},
            "recordedDate": when,
        }

    conditions = [
        dx("eAB1", "1096534", "C49.21", "Malignant neoplasm of connective and soft tissue of right lower limb, including hip", "443719001", "Leiomyosarcoma", "2025-10-15T14:22:00Z"),
        dx("eAB2", "1096534", "C49.21", "Malignant neoplasm of connective and soft tissue of right lower limb, including hip", "443719001", "Leiomyosarcoma", "2026-01-20T09:05:00Z"),
        dx("eAB3", "1187720", "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct", "94381002", "Secondary malignant neoplasm of liver", "2026-04-15T10:40:00Z"),
        dx("eAB4", "1187720", "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct", "94381002", "Secondary malignant neoplasm of liver", "2026-05-06T11:00:00Z"),
    ]  # fmt: skip
    count = {
        "resourceType": "Observation",
        "id": "eLC1",
        "status": "final",
        "category": [concept(coding(OBSCAT, "imaging", "Imaging"))],
        "code": concept(
            coding(
                "http://example.org/fhir/sarcoma-cds/CodeSystem/sts-liver",
                "lesion-count",
                "Number of metastatic lesions",
            )
        ),
        "subject": subject,
        "effectiveDateTime": "2026-04-15T10:40:00Z",
        "bodySite": concept(coding(SCT, "10200004", "Liver structure")),
        "valueInteger": 1,
    }
    patient = {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1975-06-21"}
    prefetch = {
        "patient": patient,
        "conditions": searchset(conditions, base),
        "observations": searchset([count], base),
        "procedures": searchset([], base),
    }
    empty_rest(prefetch, *ALL_MEDS, "diagnosticReports")
    return request(pid, "1f4a6b8d-0c2e-4a3f-9b7d-39a1b2c3d439", prefetch, base), expect(
        "Epic-style encounter diagnoses: local id + ICD-10-CM + SNOMED per Condition, "
        "recordedDate only, repeated at each visit, absolute-URL subjects",
        ["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        {
            "sts": "yes",
            "histology": "leiomyosarcoma",
            "timing": "synchronous",
            "dfi_months": 6,
            "oligometastatic": "yes",
            "liver_only": "yes",
        },
        "The earliest encounter diagnosis dates each condition (2025-10-15, 2026-04-15): "
        "exactly 6 months, synchronous (2.1) -> systemic treatment first (8.2). The local Epic "
        "code is ignored, not an obstacle; the dates are recording dates and the evidence says so.",
        recommendations={"treatment-pathway": ["8.2"], "summary": ["1.1", "2.1"]},
        says={"treatment-pathway": ["Borderline timing (DFI exactly 6 months)", "Restage after"]},
    )


# --------------------------------------------------------------------------- Oracle Health-style


@real("oracle-health-diagnoses-abatement-generic-excision", "oracle-health")
def _oracle() -> tuple[Json, Json]:
    """Oracle Health (Cerner Millennium)-style: the proprietary nomenclature coding beside
    ICD-10-CM (by OID) and SNOMED, onsetDateTime with time zone, a liver metastasis closed with
    abatementDateTime after its resection, the hepatectomy coded generically with bodySite and
    reasonReference."""
    base = "https://fhir-ehr.cerner.example.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d"
    pid = "12724066"
    subject = {"reference": f"Patient/{pid}"}
    primary = {
        "resourceType": "Condition",
        "id": "p-1001",
        "clinicalStatus": status(CLIN, "active"),
        "verificationStatus": status(VER, "confirmed"),
        "category": [concept(coding(CAT, "problem-list-item", "Problem List Item"))],
        "code": concept(
            coding(CERNER_NOMEN, "5488451", "Leiomyosarcoma of retroperitoneum"),
            coding(
                "urn:oid:2.16.840.1.113883.6.90", "C48.0", "Malignant neoplasm of retroperitoneum"
            ),
            text="Leiomyosarcoma of retroperitoneum",
        ),
        "extension": [
            {
                "url": MCODE + "mcode-histology-morphology-behavior",
                "valueCodeableConcept": concept(
                    coding("urn:oid:2.16.840.1.113883.6.43.1", "88903", "Leiomyosarcoma, NOS")
                ),
            }
        ],
        "subject": subject,
        "onsetDateTime": "2022-11-02T00:00:00-06:00",
        "recordedDate": "2022-11-04T15:31:12.000Z",
    }
    met = {
        "resourceType": "Condition",
        "id": "p-1002",
        "clinicalStatus": status(CLIN, "resolved"),
        "verificationStatus": status(VER, "confirmed"),
        "category": [concept(coding(CAT, "problem-list-item", "Problem List Item"))],
        "code": concept(
            coding(CERNER_NOMEN, "7719920", "Metastasis to liver"),
            coding(SCT, "94381002", "Secondary malignant neoplasm of liver"),
            text="Metastasis to liver",
        ),
        "subject": subject,
        "onsetDateTime": "2025-10-08T00:00:00-06:00",
        "abatementDateTime": "2026-03-02T00:00:00-06:00",
        "recordedDate": "2025-10-09T08:00:00.000Z",
    }
    resection = {
        "resourceType": "Procedure",
        "id": "s-3001",
        "status": "completed",
        "code": concept(coding(SCT, "65801008", "Excision"), text="Hepatic metastasectomy"),
        "subject": subject,
        "performedDateTime": "2026-03-02T08:30:00-06:00",
        "bodySite": [concept(coding(SCT, "48521005", "Structure of right lobe of liver"))],
        "reasonReference": [{"reference": "Condition/p-1002"}],
    }
    ct = {
        "resourceType": "Procedure",
        "id": "s-3002",
        "status": "completed",
        "code": concept(
            coding(CPT, "74177", "CT abdomen and pelvis with contrast material"),
            coding(LOINC, "79103-8", "CT Abdomen W contrast IV"),
        ),
        "subject": subject,
        "performedDateTime": "2026-05-20T09:00:00-06:00",
    }
    patient = {"resourceType": "Patient", "id": pid, "gender": "male", "birthDate": "1963-12-09"}
    prefetch = {
        "patient": patient,
        "conditions": searchset([primary, met], base),
        "observations": searchset([], base),
        "procedures": searchset([resection, ct], base),
    }
    empty_rest(prefetch, *ALL_MEDS, "diagnosticReports")
    return request(pid, "2a5b7c9e-1d3f-4b4a-8c8e-40a1b2c3d440", prefetch, base), expect(
        "Oracle Health-style: proprietary nomenclature + ICD-10-CM by OID, ICD-O-3 '88903', "
        "retroperitoneal LMS, liver metastasis resolved by abatementDateTime after a hepatectomy "
        "coded generically (Excision + bodySite right lobe + reasonReference)",
        ["summary", "follow-up", "mdt-referral"],
        {
            "sts": "yes",
            "histology": "leiomyosarcoma",
            "primary_site_retroperitoneal": "yes",
            "liver_metastasis_ever": "yes",
            "not_surgical_candidate": "unknown",
        },
        "The generic excision is a liver metastasectomy by its reasonReference (clinical-logic "
        "1.5); 3 months later the liver metastasis is resolved: summary (no current disease), "
        "follow-up schedule (13.1) and, within 6 months of the operation, the MDT's adjuvant "
        "question (12.1) - as example 31.",
    )


# --------------------------------------------------------------------------- US Core


@real("us-core-problem-list-partial-onset-asserted-date", "us-core")
def _us_core() -> tuple[Json, Json]:
    pid = "us-core-pt-41"
    subject = {"reference": f"Patient/{pid}"}
    prof = USCORE + "us-core-condition-problems-health-concerns"
    primary = {
        "resourceType": "Condition",
        "id": "problem-angiosarcoma",
        "meta": {"profile": [prof]},
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/condition-assertedDate",
                "valueDateTime": "2024-08-19",
            }
        ],
        "clinicalStatus": status(CLIN, "active"),
        "verificationStatus": status(VER, "confirmed"),
        "category": [concept(coding(CAT, "problem-list-item", "Problem List Item"))],
        "code": concept(
            coding(ICD10CM, "C49.3", "Malignant neoplasm of connective and soft tissue of thorax"),
            coding(SCT, "254794007", "Angiosarcoma"),
            text="Angiosarcoma of chest wall",
        ),
        "subject": subject,
        "onsetPeriod": {"start": "2024-08-01", "end": "2024-08-15"},
        "recordedDate": "2024-08-19",
    }
    met = {
        "resourceType": "Condition",
        "id": "problem-liver-mets",
        "meta": {"profile": [prof]},
        "clinicalStatus": status(CLIN, "active"),
        "verificationStatus": status(VER, "confirmed"),
        "category": [concept(coding(CAT, "health-concern", "Health Concern"))],
        "code": concept(
            coding(
                ICD10CM, "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct"
            )
        ),
        "subject": subject,
        "onsetString": "March 2026",
        "recordedDate": "2026-04-02",
    }
    count = {
        "resourceType": "Observation",
        "id": "liver-lesions",
        "status": "final",
        "category": [concept(coding(OBSCAT, "imaging", "Imaging"))],
        "code": concept(
            coding(
                "http://example.org/fhir/sarcoma-cds/CodeSystem/sts-liver",
                "lesion-count",
                "Number of metastatic lesions",
            )
        ),
        "subject": subject,
        "effectiveDateTime": "2026-04-02",
        "bodySite": concept(coding(SCT, "10200004", "Liver structure")),
        "valueInteger": 2,
    }
    patient = {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1952-01-30"}
    prefetch = {
        "patient": patient,
        "conditions": searchset([primary, met]),
        "observations": searchset([count]),
        "procedures": searchset([]),
    }
    empty_rest(prefetch, *ALL_MEDS, "diagnosticReports")
    return request(pid, "3b6c8d0f-2e4a-4c5b-9d9f-41a1b2c3d441", prefetch), expect(
        "US Core problem list: angiosarcoma with onsetPeriod (2 weeks) and assertedDate, liver "
        "metastasis as a health concern dated only by onsetString 'March 2026'",
        ["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        {
            "sts": "yes",
            "histology": "angiosarcoma",
            "timing": "metachronous",
            "long_dfi": "yes",
            "oligometastatic": "yes",
        },
        "onsetPeriod is an interval and onsetString 'March 2026' a month (clinical-logic 1.2): "
        "DFI 18-19 months whatever the day, metachronous with a long DFI -> 5.3 + 8.1; the "
        "origin is not in doubt (a DFI below the 36-month setting of clinical-logic 1.3), so no "
        "biopsy card; angiosarcoma -> brain MRI in staging. The long-DFI line prints the "
        "interval as a range, not 'indeterminate months' (REVIEW2 finding 20).",
        recommendations={"treatment-pathway": ["5.3", "8.1"]},
        says={"summary": ["Long disease-free interval (18–19 months"]},
        never_says=["indeterminate months"],
    )


# --------------------------------------------------------------------------- text only


@real("text-only-problem-list", "text-only")
def _text_only() -> tuple[Json, Json]:
    pid = "text-pt-42"
    subject = {"reference": f"Patient/{pid}"}

    def problem(cid: str, text: str, recorded: str) -> Json:
        return {
            "resourceType": "Condition",
            "id": cid,
            "clinicalStatus": status(CLIN, "active"),
            "category": [concept(coding(CAT, "problem-list-item", "Problem List Item"))],
            "code": {"text": text},
            "subject": subject,
            "recordedDate": recorded,
        }

    conditions = [
        problem("t1", "Leiomyosarcoma L thigh, resected 2024", "2024-02-10"),
        problem("t2", "Liver mets x2 on CT", "2026-04-28"),
        problem("t3", "Hypertension", "2019-05-01"),
    ]
    patient = {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1966-11-11"}
    prefetch = {
        "patient": patient,
        "conditions": searchset(conditions),
        "observations": searchset([]),
        "procedures": searchset([]),
    }
    empty_rest(prefetch, *ALL_MEDS, "diagnosticReports")
    return request(pid, "4c7d9e1a-3f5b-4d6c-8e0a-42a1b2c3d442", prefetch), expect(
        "Problem list in free text only ('Leiomyosarcoma L thigh', 'Liver mets x2 on CT'): "
        "nothing is read as a diagnosis, but nothing is a silent 'no' either",
        ["data-quality"],
        {"sts": "indeterminate", "liver_metastasis_ever": "indeterminate"},
        "clinical-logic 1.1: text is never turned into a diagnosis, and an uncoded diagnosis "
        "makes the facts it could change indeterminate with the text quoted; clinical-logic 3: "
        "one data-quality card says what to code, once and in clinical words (REVIEW2 finding "
        "21). 'Hypertension' changes nothing.",
        says={"data-quality": ["'Liver mets x2 on CT'", "each metastasis with its site"]},
        never_says=["ICD-10-CM", "bodySite", "Code the diagnosis"],
    )


# --------------------------------------------------------------------------- medications


@real("medications-only-systemic-therapy-stable", "medications")
def _medications() -> tuple[Json, Json]:
    """Chemotherapy recorded only as medication resources (no chemotherapy Procedure):
    gemcitabine administrations by ATC, a docetaxel statement by RxNorm-less ATC coding, and an
    mCODE disease status 88040-1 'stable' after the line started."""
    pid = "meds-pt-43"
    subject = {"reference": f"Patient/{pid}"}
    primary = {
        "resourceType": "Condition",
        "id": "dx-asps",
        "clinicalStatus": status(CLIN, "active"),
        "verificationStatus": status(VER, "confirmed"),
        "code": concept(
            coding(
                ICD10CM,
                "C49.22",
                "Malignant neoplasm of connective and soft tissue of left lower limb, including hip",
            )
        ),
        "extension": [
            {
                "url": MCODE + "mcode-histology-morphology-behavior",
                "valueCodeableConcept": concept(
                    coding(
                        "http://terminology.hl7.org/CodeSystem/icd-o-3",
                        "9581/3",
                        "Alveolar soft part sarcoma",
                    )
                ),
            }
        ],
        "subject": subject,
        "onsetDateTime": "2025-11-05",
    }
    met = {
        "resourceType": "Condition",
        "id": "dx-liver",
        "clinicalStatus": status(CLIN, "active"),
        "verificationStatus": status(VER, "confirmed"),
        "code": concept(
            coding(
                ICD10CM, "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct"
            )
        ),
        "subject": subject,
        "onsetDateTime": "2025-12-10",
    }
    count = {
        "resourceType": "Observation",
        "id": "lesions",
        "status": "final",
        "code": concept(
            coding(
                "http://example.org/fhir/sarcoma-cds/CodeSystem/sts-liver",
                "lesion-count",
                "Number of metastatic lesions",
            )
        ),
        "subject": subject,
        "effectiveDateTime": "2026-05-15",
        "bodySite": concept(coding(SCT, "10200004", "Liver structure")),
        "valueInteger": 2,
    }
    disease_status = {
        "resourceType": "Observation",
        "id": "cancer-disease-status",
        "meta": {"profile": [MCODE + "mcode-cancer-disease-status"]},
        "status": "final",
        "code": concept(coding(LOINC, "88040-1", "Response to cancer treatment")),
        "subject": subject,
        "effectiveDateTime": "2026-05-15",
        "valueCodeableConcept": concept(
            coding(SCT, "359746009", "Patient's condition stable (finding)")
        ),
    }
    administrations = [
        {
            "resourceType": "MedicationAdministration",
            "id": f"gem-c{n}",
            "status": "completed",
            "medicationCodeableConcept": concept(
                coding(ATC, "L01BC05", "gemcitabine"), text="Gemcitabine 900 mg/m2 IV"
            ),
            "subject": subject,
            "effectiveDateTime": day,
        }
        for n, day in ((1, "2026-01-12"), (2, "2026-02-02"), (3, "2026-02-23"), (4, "2026-03-16"))
    ]
    statement = {
        "resourceType": "MedicationStatement",
        "id": "docetaxel",
        "status": "active",
        "medicationCodeableConcept": concept(
            coding(ATC, "L01CD02", "docetaxel"), text="Docetaxel 75 mg/m2 IV day 8"
        ),
        "subject": subject,
        "effectivePeriod": {"start": "2026-01-19"},
        "dateAsserted": "2026-05-15",
    }
    ecog = {
        "resourceType": "Observation",
        "id": "ecog",
        "status": "final",
        "code": concept(coding(LOINC, "89247-1", "ECOG Performance Status score")),
        "subject": subject,
        "effectiveDateTime": "2026-05-15",
        "valueInteger": 1,
    }
    resection = {
        "resourceType": "Procedure",
        "id": "primary-excision",
        "status": "completed",
        "code": concept(coding(SCT, "370611004", "Excision of neoplasm")),
        "subject": subject,
        "performedDateTime": "2025-11-28",
        "reasonReference": [{"reference": "Condition/dx-asps"}],
    }
    patient = {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1991-04-17"}
    prefetch = {
        "patient": patient,
        "conditions": searchset([primary, met]),
        "observations": searchset([count, disease_status, ecog]),
        "procedures": searchset([resection]),
        "medicationRequests": searchset([]),
        "medicationAdministrations": searchset(administrations),
        "medicationStatements": searchset([statement]),
        "diagnosticReports": searchset([]),
    }
    return request(pid, "5d8e0f2b-4a6c-4e7d-9f1b-43a1b2c3d443", prefetch), expect(
        "Systemic therapy recorded only as MedicationAdministration (gemcitabine, ATC) and an "
        "active MedicationStatement (docetaxel): received and ongoing; disease status 88040-1 "
        "stable",
        ["summary", "staging-imaging", "treatment-pathway", "local-therapy", "mdt-referral"],
        {
            "sts": "yes",
            "histology": "asps",
            "timing": "synchronous",
            "systemic_therapy_received": "yes",
            "on_systemic_therapy": "yes",
            "response_to_systemic_therapy": "stable",
            "primary_resected": "yes",
            "systemic_therapy_lines": 1,
            "systemic_progression": "no",
        },
        "As example 21 but with the therapy in medication resources (input-profile "
        "'Medications'): synchronous ASPS, primary resected, stable on gemcitabine-docetaxel "
        "-> 8.3 and 10.2 (limited liver disease on systemic therapy, no consensus). Four "
        "gemcitabine administrations and the day-8 docetaxel statement are one line, dated from "
        "the first dose and still going on.",
        recommendations={"treatment-pathway": ["8.3"], "local-therapy": ["10.2"]},
        says={
            "treatment-pathway": [
                "gemcitabine + docetaxel (2026-01-12 – ongoing",
                "the primary is already resected",
            ]
        },
        never_says=["line 5", "(2026-03-16 – 2026-03-16"],
    )


@real("unrecognised-cancer-code-d48-1", "ehr-other")
def _unrecognised() -> tuple[Json, Json]:
    """A soft-tissue neoplasm of uncertain behaviour (D48.1) with a coded liver metastasis: the
    code is cancer-like but in no value set, so 'no sarcoma' would be a guess."""
    pid = "ehr-pt-44"
    subject = {"reference": f"Patient/{pid}"}
    conditions = [
        {
            "resourceType": "Condition",
            "id": "d48",
            "clinicalStatus": status(CLIN, "active"),
            "verificationStatus": status(VER, "confirmed"),
            "category": [concept(coding(CAT, "encounter-diagnosis", "Encounter Diagnosis"))],
            "code": concept(
                coding(
                    ICD10CM,
                    "D48.1",
                    "Neoplasm of uncertain behavior of connective and other soft tissue",
                )
            ),
            "subject": subject,
            "recordedDate": "2025-07-01",
        },
        {
            "resourceType": "Condition",
            "id": "c787",
            "clinicalStatus": status(CLIN, "active"),
            "verificationStatus": status(VER, "confirmed"),
            "category": [concept(coding(CAT, "encounter-diagnosis", "Encounter Diagnosis"))],
            "code": concept(
                coding(
                    ICD10CM,
                    "C78.7",
                    "Secondary malignant neoplasm of liver and intrahepatic bile duct",
                )
            ),
            "subject": subject,
            "recordedDate": "2026-05-04",
        },
    ]
    patient = {"resourceType": "Patient", "id": pid, "gender": "male", "birthDate": "1970-08-08"}
    prefetch = {
        "patient": patient,
        "conditions": searchset(conditions),
        "observations": searchset([]),
        "procedures": searchset([]),
    }
    empty_rest(prefetch, *ALL_MEDS, "diagnosticReports")
    return request(pid, "6e9f1a3c-5b7d-4f8e-8a2c-44a1b2c3d444", prefetch), expect(
        "Neoplasm of uncertain behaviour of soft tissue (D48.1) and a coded liver metastasis: "
        "STS indeterminate, one data-quality card, no consensus card",
        ["data-quality"],
        {"sts": "indeterminate", "liver_metastasis_ever": "yes"},
        "clinical-logic 1.1: a cancer-looking code outside every value set makes sts "
        "indeterminate with the code quoted, never a silent 'no sarcoma'. What to record is said "
        "once, in clinical words (REVIEW2 finding 21).",
        says={
            "data-quality": ["Neoplasm of uncertain behavior of connective and other soft tissue"]
        },
        never_says=["ICD-10-CM", "bodySite", "Code the diagnosis"],
    )


@real("medication-request-planned-bundled-medication", "medications")
def _planned() -> tuple[Json, Json]:
    """Induction chemotherapy ordered ahead (MedicationRequest intent 'plan', bounds in the
    future) whose drug is a Medication resource in the same Bundle, referenced by absolute URL;
    pathology and imaging as DiagnosticReports."""
    pid = "meds-pt-45"
    subject = {"reference": f"Patient/{pid}"}
    primary = {
        "resourceType": "Condition",
        "id": "rps",
        "clinicalStatus": status(CLIN, "active"),
        "verificationStatus": status(VER, "confirmed"),
        "code": concept(coding(ICD10CM, "C48.0", "Malignant neoplasm of retroperitoneum")),
        "extension": [
            {
                "url": MCODE + "mcode-histology-morphology-behavior",
                "valueCodeableConcept": concept(
                    coding(
                        "http://terminology.hl7.org/CodeSystem/icd-o-3",
                        "8858/3",
                        "Dedifferentiated liposarcoma",
                    )
                ),
            }
        ],
        "subject": subject,
        "onsetDateTime": "2026-03-02",
    }
    met = {
        "resourceType": "Condition",
        "id": "liver",
        "clinicalStatus": status(CLIN, "active"),
        "verificationStatus": status(VER, "confirmed"),
        "code": concept(
            coding(
                ICD10CM, "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct"
            )
        ),
        "subject": subject,
        "onsetDateTime": "2026-03-20",
    }
    count = {
        "resourceType": "Observation",
        "id": "lesions",
        "status": "final",
        "code": concept(
            coding(
                "http://example.org/fhir/sarcoma-cds/CodeSystem/sts-liver",
                "lesion-count",
                "Number of metastatic lesions",
            )
        ),
        "subject": subject,
        "effectiveDateTime": "2026-03-20",
        "bodySite": concept(coding(SCT, "10200004", "Liver structure")),
        "valueInteger": 1,
    }
    medication = {
        "resourceType": "Medication",
        "id": "doxorubicin-50",
        "code": concept(
            coding(RXNORM, "1790099", "10 ML doxorubicin hydrochloride 2 MG/ML Injection")
        ),
        "ingredient": [{"itemCodeableConcept": concept(coding(RXNORM, "3639", "doxorubicin"))}],
    }
    order = {
        "resourceType": "MedicationRequest",
        "id": "induction-doxorubicin",
        "status": "active",
        "intent": "plan",
        "medicationReference": {"reference": f"{FHIR}/Medication/doxorubicin-50"},
        "subject": subject,
        "authoredOn": "2026-05-28",
        "dosageInstruction": [
            {
                "text": "75 mg/m2 IV day 1 every 21 days",
                "timing": {"repeat": {"boundsPeriod": {"start": "2026-06-08"}}},
            }
        ],
    }
    ct_report = {
        "resourceType": "DiagnosticReport",
        "id": "ct-staging",
        "status": "final",
        "category": [
            concept(coding("http://terminology.hl7.org/CodeSystem/v2-0074", "RAD", "Radiology"))
        ],
        "code": concept(coding(LOINC, "79103-8", "CT Abdomen W contrast IV")),
        "subject": subject,
        "effectiveDateTime": "2026-03-20",
        "conclusion": "Single 3 cm lesion in segment VI consistent with metastasis.",
    }
    patient = {"resourceType": "Patient", "id": pid, "gender": "male", "birthDate": "1961-05-25"}
    prefetch = {
        "patient": patient,
        "conditions": searchset([primary, met]),
        "observations": searchset([count]),
        "procedures": searchset([]),
        "medicationRequests": searchset([order, medication]),
        "medicationAdministrations": searchset([]),
        "medicationStatements": searchset([]),
        "diagnosticReports": searchset([ct_report]),
    }
    return request(pid, "7f0a2b4d-6c8e-4a9f-9b3d-45a1b2c3d445", prefetch), expect(
        "Retroperitoneal dedifferentiated liposarcoma with a synchronous liver metastasis and "
        "induction doxorubicin planned as a MedicationRequest (intent plan) whose Medication is "
        "a separate resource in the Bundle",
        ["summary", "staging-imaging", "biopsy", "treatment-pathway", "mdt-referral"],
        {
            "sts": "yes",
            "primary_site_retroperitoneal": "yes",
            "timing": "synchronous",
            "systemic_therapy_planned": "yes",
            "systemic_therapy_received": "no",
        },
        "As example 19 with the plan in a MedicationRequest: the drug is read through "
        "medicationReference (absolute URL to a bundled Medication); synchronous with induction "
        "systemic therapy planned -> 8.2 and the biopsy question 3.2 (no consensus).",
        recommendations={"treatment-pathway": ["8.2"], "biopsy": ["3.2"]},
        says={"treatment-pathway": ["Systemic therapy planned first", "from 2026-06-08"]},
        never_says=["front-line approach"],
    )


@real("gist-on-imatinib-medication-statement", "medications")
def _gist_imatinib() -> tuple[Json, Json]:
    pid = "meds-pt-46"
    subject = {"reference": f"Patient/{pid}"}
    gist = {
        "resourceType": "Condition",
        "id": "gist",
        "clinicalStatus": status(CLIN, "active"),
        "verificationStatus": status(VER, "confirmed"),
        "code": concept(coding(SCT, "420120006", "Gastrointestinal stromal tumor (disorder)")),
        "bodySite": [concept(coding(SCT, "69695003", "Stomach structure"))],
        "subject": subject,
        "onsetDateTime": "2024-06-10",
    }
    met = {
        "resourceType": "Condition",
        "id": "secondary-liver",
        "clinicalStatus": status(CLIN, "active"),
        "verificationStatus": status(VER, "confirmed"),
        "code": concept(coding(SCT, "128462008", "Secondary malignant neoplastic disease")),
        "bodySite": [concept(coding(SCT, "277958008", "Couinaud hepatic segment IV"))],
        "subject": subject,
        "onsetDateTime": "2026-02-01",
    }
    imatinib = {
        "resourceType": "MedicationStatement",
        "id": "imatinib",
        "status": "active",
        "medicationCodeableConcept": concept(
            coding(ATC, "L01EA01", "imatinib"), text="Imatinib 400 mg daily"
        ),
        "subject": subject,
        "effectivePeriod": {"start": "2026-02-15"},
    }
    patient = {"resourceType": "Patient", "id": pid, "gender": "male", "birthDate": "1957-09-19"}
    prefetch = {
        "patient": patient,
        "conditions": searchset([gist, met]),
        "observations": searchset([]),
        "procedures": searchset([]),
        "medicationRequests": searchset([]),
        "medicationAdministrations": searchset([]),
        "medicationStatements": searchset([imatinib]),
        "diagnosticReports": searchset([]),
    }
    return request(pid, "8a1b3c5e-7d9f-4b0a-8c4e-46a1b2c3d446", prefetch), expect(
        "GIST (SNOMED) with a SecondaryCancerCondition in liver segment IV, on imatinib recorded "
        "as a MedicationStatement: not applicable, and imatinib is not sarcoma systemic therapy",
        ["not-applicable"],
        {"gist": "yes", "liver_metastasis_ever": "yes", "systemic_therapy_received": "no"},
        "GIST is excluded by the paper; imatinib is a GIST-only agent (input-profile "
        "'Medications'), so it does not count as systemic therapy received.",
    )
