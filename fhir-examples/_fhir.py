"""Small helpers that write FHIR R4 JSON for the synthetic example patients.

Two encodings are produced on purpose, because integrators send both:
- "mcode": problem-list Conditions with onsetDateTime, mCODE profiles, the histology extension,
  TumorSize and CancerDiseaseStatus Observations.
- "ehr": encounter-diagnosis Conditions with recordedDate only and several codings each.
"""

from __future__ import annotations

import random
import uuid
from typing import Any, Literal

Json = dict[str, Any]
CodeTriple = tuple[str, str, str]  # (system, code, display)
Encoding = Literal["mcode", "ehr"]

FHIR_BASE = "https://ehr.example.org/fhir"

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
MCODE_SD = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
HISTOLOGY_EXT = MCODE_SD + "mcode-histology-morphology-behavior"

# Body sites (SNOMED CT)
LIVER: CodeTriple = (SCT, "10200004", "Liver structure")
LUNG: CodeTriple = (SCT, "39607008", "Lung structure")
THIGH: CodeTriple = (SCT, "68367000", "Thigh structure")
UPPER_ARM: CodeTriple = (SCT, "40983000", "Upper arm structure")
ABDOMEN: CodeTriple = (SCT, "113345001", "Abdominal structure")
PELVIS: CodeTriple = (SCT, "12921003", "Pelvis structure")
THORAX: CodeTriple = (SCT, "51185008", "Thoracic structure")
RETROPERITONEUM: CodeTriple = (SCT, "82849001", "Retroperitoneal structure")
UTERUS: CodeTriple = (SCT, "35039007", "Uterine structure")
STOMACH: CodeTriple = (SCT, "69695003", "Stomach structure")
PERITONEUM: CodeTriple = (SCT, "118762006", "Peritoneum structure")


def cc(*codings: CodeTriple, text: str | None = None) -> Json:
    """A CodeableConcept; text defaults to the first display."""
    return {
        "coding": [{"system": s, "code": c, "display": d} for s, c, d in codings],
        "text": text if text is not None else codings[0][2],
    }


def hook_instance(seed: int) -> str:
    """A uuid4 that is stable across runs, so re-running the builder gives identical files."""
    rng = random.Random(seed)  # noqa: S311 - determinism, not security
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class PatientFiles:
    """Collects one patient's resources and renders the patient-view request."""

    def __init__(
        self,
        pid: str,
        encoding: Encoding,
        *,
        family: str,
        given: str,
        gender: str,
        birth_date: str,
    ) -> None:
        self.pid = pid
        self.encoding = encoding
        self.patient: Json = {
            "resourceType": "Patient",
            "id": pid,
            "identifier": [
                {
                    "use": "usual",
                    "type": cc(
                        (
                            "http://terminology.hl7.org/CodeSystem/v2-0203",
                            "MR",
                            "Medical record number",
                        )
                    ),
                    "system": "https://ehr.example.org/identifiers/mrn",
                    "value": f"SYN-{pid.upper()}",
                }
            ],
            "active": True,
            "name": [{"use": "official", "family": family, "given": [given]}],
            "gender": gender,
            "birthDate": birth_date,
        }
        self.conditions: list[Json] = []
        self.observations: list[Json] = []
        self.procedures: list[Json] = []
        # Searchsets the service also asks for (input-profile "Prefetch"); empty when the
        # patient has none, so "none recorded" means something.
        self.extra: dict[str, list[Json]] = {
            "medicationRequests": [],
            "medicationAdministrations": [],
            "medicationStatements": [],
            "diagnosticReports": [],
        }

    def _subject(self, other_patient: str | None) -> Json:
        return {"reference": f"Patient/{other_patient or self.pid}"}

    def condition(
        self,
        rid: str,
        codings: list[CodeTriple],
        date: str,
        *,
        kind: Literal["primary", "secondary", "other"] = "other",
        clinical: str | None = "active",
        verification: str = "confirmed",
        body_site: CodeTriple | None = None,
        histology: CodeTriple | None = None,
        abatement: str | None = None,
        category: str | None = None,
        note: str | None = None,
        other_patient: str | None = None,
    ) -> Json:
        """A Condition in this patient's encoding; entered-in-error carries no clinicalStatus."""
        cat = category or (
            "problem-list-item" if self.encoding == "mcode" else "encounter-diagnosis"
        )
        cat_display = {
            "problem-list-item": "Problem List Item",
            "encounter-diagnosis": "Encounter Diagnosis",
            "health-concern": "Health Concern",
        }[cat]
        res: Json = {"resourceType": "Condition", "id": rid}
        if self.encoding == "mcode" and kind != "other":
            res["meta"] = {"profile": [f"{MCODE_SD}mcode-{kind}-cancer-condition"]}
        if histology is not None:
            res["extension"] = [{"url": HISTOLOGY_EXT, "valueCodeableConcept": cc(histology)}]
        if clinical is not None and verification != "entered-in-error":
            res["clinicalStatus"] = cc((COND_CLINICAL, clinical, clinical.capitalize()))
        res["verificationStatus"] = cc(
            (COND_VER, verification, verification.replace("-", " ").capitalize())
        )
        res["category"] = [cc((COND_CAT, cat, cat_display))]
        res["code"] = cc(*codings)
        if body_site is not None:
            res["bodySite"] = [cc(body_site)]
        res["subject"] = self._subject(other_patient)
        if self.encoding == "mcode":
            res["onsetDateTime"] = date
            res["recordedDate"] = date
        else:
            res["recordedDate"] = date
        if abatement is not None:
            res["abatementDateTime"] = abatement
        if note is not None:
            res["note"] = [{"text": note}]
        self.conditions.append(res)
        return res

    def observation(
        self,
        rid: str,
        code: CodeTriple,
        date: str,
        *,
        category: str,
        value: Json,
        body_site: CodeTriple | None = None,
        focus: str | None = None,
        status: str = "final",
        profile: str | None = None,
        components: list[Json] | None = None,
        other_patient: str | None = None,
    ) -> Json:
        """An Observation; `value` is the value[x] element, e.g. {"valueInteger": 2}."""
        res: Json = {"resourceType": "Observation", "id": rid}
        if profile is not None:
            res["meta"] = {"profile": [MCODE_SD + profile]}
        res["status"] = status
        res["category"] = [cc((OBS_CAT, category, category.replace("-", " ").title()))]
        res["code"] = cc(code)
        res["subject"] = self._subject(other_patient)
        if focus is not None:
            res["focus"] = [{"reference": f"Condition/{focus}"}]
        res["effectiveDateTime"] = date
        res.update(value)
        if body_site is not None:
            res["bodySite"] = cc(body_site)
        if components is not None:
            res["component"] = components
        self.observations.append(res)
        return res

    # Convenience wrappers for the observations the input profile names.
    def lesion_count(self, rid: str, date: str, count: int, site: CodeTriple = LIVER) -> Json:
        return self.observation(
            rid,
            (LOCAL, "lesion-count", "Number of metastatic lesions"),
            date,
            category="imaging",
            value={"valueInteger": count},
            body_site=site,
        )

    def tumor_size(self, rid: str, date: str, mm: float, focus: str) -> Json:
        return self.observation(
            rid,
            (LOINC, "21889-1", "Size Tumor"),
            date,
            category="imaging",
            value={},
            body_site=LIVER,
            focus=focus,
            profile="mcode-tumor-size",
            components=[
                {
                    "code": cc((LOINC, "33728-7", "Size.maximum dimension in Tumor")),
                    "valueQuantity": {"value": mm, "unit": "mm", "system": UCUM, "code": "mm"},
                }
            ],
        )

    def ecog(self, rid: str, date: str, score: int) -> Json:
        return self.observation(
            rid,
            (LOINC, "89247-1", "ECOG Performance Status score"),
            date,
            category="survey",
            value={"valueInteger": score},
        )

    def disease_status(self, rid: str, date: str, status: CodeTriple, focus: str) -> Json:
        return self.observation(
            rid,
            (LOINC, "97509-4", "Cancer disease progression"),
            date,
            category="exam",
            value={"valueCodeableConcept": cc(status)},
            focus=focus,
            profile="mcode-cancer-disease-status",
        )

    def finding(self, rid: str, date: str, code: str, display: str, flag: bool) -> Json:
        return self.observation(
            rid,
            (LOCAL, code, display),
            date,
            category="imaging",
            value={"valueBoolean": flag},
            body_site=LIVER,
        )

    def procedure(
        self,
        rid: str,
        codings: list[CodeTriple],
        *,
        status: str = "completed",
        performed: str | None = None,
        period: tuple[str, str | None] | None = None,
        category: CodeTriple | None = None,
        body_site: CodeTriple | None = None,
        reason: str | None = None,
    ) -> Json:
        res: Json = {"resourceType": "Procedure", "id": rid, "status": status}
        if category is not None:
            res["category"] = cc(category)
        res["code"] = cc(*codings)
        res["subject"] = self._subject(None)
        if performed is not None:
            res["performedDateTime"] = performed
        if period is not None:
            start, end = period
            res["performedPeriod"] = {"start": start} | ({"end": end} if end else {})
        if body_site is not None:
            res["bodySite"] = [cc(body_site)]
        if reason is not None:
            res["reasonReference"] = [{"reference": f"Condition/{reason}"}]
        self.procedures.append(res)
        return res

    def contrast_ct(self, rid: str, date: str) -> None:
        """Surveillance CT chest + abdomen/pelvis with contrast, the 13.1 study."""
        imaging = (SCT, "363679005", "Imaging")
        self.procedure(
            f"{rid}-chest",
            [
                (CPT, "71260", "CT thorax with contrast material"),
                (LOINC, "24627-2", "CT Chest"),
            ],
            performed=date,
            category=imaging,
        )
        self.procedure(
            f"{rid}-abdomen",
            [
                (CPT, "74177", "CT abdomen and pelvis with contrast material"),
                (LOINC, "79103-8", "CT Abdomen W contrast IV"),
            ],
            performed=date,
            category=imaging,
        )

    def request(self, seed: int) -> Json:
        return {
            "hook": "patient-view",
            "hookInstance": hook_instance(seed),
            "fhirServer": FHIR_BASE,
            "context": {"userId": "Practitioner/onc-1", "patientId": self.pid},
            "prefetch": {
                "patient": self.patient,
                "conditions": _searchset(self.conditions),
                "observations": _searchset(self.observations),
                "procedures": _searchset(self.procedures),
            }
            | {key: _searchset(resources) for key, resources in self.extra.items()},
        }


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
