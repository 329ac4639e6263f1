"""European rare-cancer example patients (issue 21), each with its ICD-10-CM / SNOMED twin.

- "idea4rc": shaped like the IDEA4RC IG's profiles and examples (hl7-eu/idea4rc 0.1.0): Athena
  concept ids, one `collection` Bundle per patient with `urn:uuid` fullUrls and references,
  histology-of-site primary codes, secondary-cancer Conditions linked to the primary, the exact
  date in a diagnosis Observation (LOINC 29308-4) beside `onsetAge`, episode Conditions
  (`condition-occurredFollowing`), regimen-coded MedicationAdministrations with an `outcome`,
  surgery on a liver metastasis as a `partOf` child Procedure, Athena ECOG grades.
- "registry": a national cancer-registry record: ICD-10-NL site codes with the ICD-O-3
  morphology sent as its own Condition ("M8890/3").
Each builder also returns the same patient coded the US way (ICD-10-CM, SNOMED CT, LOINC,
RxNorm, mCODE), which `tests/examples/test_european_twins.py` evaluates and compares.
Written from the IG's example shapes, not copied from them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from _codes import (
    C48_RETROPERITONEUM,
    C49_ABDOMEN,
    C49_LOWER_LIMB,
    C55_UTERUS,
    C78_LIVER,
    M_LMS,
    M_SYNOVIAL,
    SCT_HEPATECTOMY,
    SCT_LIVER_MET,
    SCT_TUMOUR_RESECTION,
    STATUS_WORSENED,
)
from _fhir import (
    FHIR_BASE,
    ICDO3,
    LIVER,
    LOCAL,
    LOINC,
    RETROPERITONEUM,
    SCT,
    THIGH,
    UTERUS,
    CodeTriple,
    Json,
    PatientFiles,
    cc,
    hook_instance,
)

ATHENA = "http://fhir.ohdsi.org/CodeSystem/concepts"
IDEA4RC_CS = "http://hl7.eu/fhir/ig/idea4rc/CodeSystem/cs-idea4rc-vocab-eu-i4rc"
IG_SD = "http://hl7.eu/fhir/ig/idea4rc/StructureDefinition/"
ICD10NL = "http://hl7.org/fhir/sid/icd-10-nl"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
COND_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"

# Athena concepts (names as in the IG's value sets)
SYNOVIAL_LOWER_LIMB: CodeTriple = (
    ATHENA,
    "36536106",
    "Synovial sarcoma, NOS, of connective, Subcutaneous and other soft tissues of lower limb "
    "and hip",
)
LMS_RETROPERITONEUM: CodeTriple = (ATHENA, "44500548", "Leiomyosarcoma, NOS, of retroperitoneum")
LMS_UTERUS: CodeTriple = (ATHENA, "44501977", "Leiomyosarcoma, NOS, of uterus, NOS")
MET_LIVER: CodeTriple = (ATHENA, "36770544", "Metastasis to liver")
METASTASIS: CodeTriple = (ATHENA, "36769180", "Metastasis")
LIVER_STRUCTURE: CodeTriple = (ATHENA, "4009105", "Liver structure")
SMOOTH_MUSCLE_TUMOUR: CodeTriple = (ATHENA, "4327493", "Smooth muscle tumor")
PROGRESSION: CodeTriple = (ATHENA, "32949", "Progression")
PARTIAL_REMISSION: CodeTriple = (ATHENA, "32947", "Partial Remission")
DOXORUBICIN_IFOSFAMIDE: CodeTriple = (ATHENA, "35806965", "Doxorubicin and Ifosfamide")
DACARBAZINE_DOXORUBICIN: CodeTriple = (ATHENA, "35806964", "Dacarbazine and Doxorubicin")
SURGICAL_PROCEDURE: CodeTriple = (ATHENA, "4301351", "Surgical procedure")
LOCAL_EXCISION: CodeTriple = (ATHENA, "4315400", "Local excision")
CORE_NEEDLE_BIOPSY: CodeTriple = (ATHENA, "4321878", "Core needle biopsy")
ECOG_GRADE = {
    0: (ATHENA, "4175026", "ECOG performance status - grade 0"),
    1: (ATHENA, "4173614", "ECOG performance status - grade 1"),
}
SCT_SURGERY: CodeTriple = (SCT, "387713003", "Surgical procedure")
ATC = "http://www.whocc.no/atc"
# The twin's administrations, one per drug: RxNorm where systemic-agent lists the ingredient
# (doxorubicin 3639), otherwise the WHO ATC code it lists (its RxNorm ids are not verified here).
RX_DOXORUBICIN: CodeTriple = (RXNORM, "3639", "doxorubicin")
ATC_IFOSFAMIDE: CodeTriple = (ATC, "L01AA06", "ifosfamide")
ATC_DACARBAZINE: CodeTriple = (ATC, "L01AX04", "dacarbazine")
STATUS_IMPROVED: CodeTriple = (SCT, "268910001", "Patient's condition improved (finding)")


def _uuid(pid: str, rid: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://example.org/idea4rc/{pid}/{rid}"))


class Idea4rcPatient:
    """One patient as an IDEA4RC `collection` Bundle (profile Bundle-eu-i4rc)."""

    encoding = "idea4rc"

    def __init__(self, slug: str, *, family: str, given: str, gender: str, birth: str) -> None:
        self.slug = slug
        self.pid = _uuid(slug, "patient")
        self.patient: Json = {
            "resourceType": "Patient",
            "id": self.pid,
            "meta": {"profile": [IG_SD + "Patient-eu-i4rc"]},
            "name": [{"family": family, "given": [given]}],
            "gender": gender,
            "birthDate": birth,
        }
        self.resources: list[Json] = []
        self.refs: dict[str, str] = {}

    def ref(self, rid: str) -> Json:
        return {"reference": f"urn:uuid:{self.refs[rid]}"}

    def _add(self, rid: str, res: Json) -> Json:
        self.refs[rid] = _uuid(self.slug, rid)
        res = {"resourceType": res.pop("resourceType"), "id": self.refs[rid], **res}
        res["subject"] = {"reference": f"urn:uuid:{self.pid}"}
        self.resources.append(res)
        return res

    def primary(
        self,
        rid: str,
        code: CodeTriple,
        *,
        onset: str | None = None,
        onset_age: int | None = None,
        histology: CodeTriple | None = None,
    ) -> Json:
        res: Json = {
            "resourceType": "Condition",
            "meta": {"profile": [IG_SD + "Condition-primaryCancer-eu-i4rc"]},
            "clinicalStatus": {"coding": [_c((COND_CLINICAL, "active", "Active"))]},
            "code": cc(code),
        }
        if histology is not None:
            res["extension"] = [
                {
                    "url": IG_SD + "condition-histology-morphology-behavior",
                    "valueCodeableConcept": cc(histology),
                }
            ]
        if onset is not None:
            res["onsetDateTime"] = onset
        if onset_age is not None:
            res["onsetAge"] = {
                "value": onset_age,
                "unit": "years",
                "system": "http://unitsofmeasure.org",
                "code": "a",
            }
        return self._add(rid, res)

    def diagnosis(self, rid: str, primary: str, code: CodeTriple, date: str) -> Json:
        """The diagnosis details Observation: the exact date of the diagnosis."""
        res = self._add(
            rid,
            {
                "resourceType": "Observation",
                "meta": {"profile": [IG_SD + "Observation-diagnosis-eu-i4rc"]},
                "status": "final",
                "code": cc((LOINC, "29308-4", "Diagnosis")),
                "effectiveDateTime": date,
                "valueCodeableConcept": cc(code),
                "method": cc(CORE_NEEDLE_BIOPSY),
            },
        )
        evidence = {"detail": [self.ref(rid)]}
        self._find(primary).setdefault("evidence", []).append(evidence)
        return res

    def metastasis(
        self,
        rid: str,
        code: CodeTriple,
        primary: str,
        onset: str,
        body_site: CodeTriple | None = None,
    ) -> Json:
        res: Json = {
            "resourceType": "Condition",
            "meta": {"profile": [IG_SD + "Condition-secondaryCancer-eu-i4rc"]},
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/condition-related",
                    "valueReference": self.ref(primary),
                }
            ],
            "clinicalStatus": {"coding": [_c((COND_CLINICAL, "active", "Active"))]},
            "verificationStatus": {
                "coding": [
                    _c(
                        (
                            "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                            "confirmed",
                            "Confirmed",
                        )
                    )
                ]
            },
            "code": cc(code),
            "onsetDateTime": onset,
        }
        if body_site is not None:
            res["bodySite"] = [cc(body_site)]
        return self._add(rid, res)

    def episode(
        self, rid: str, baseline: str, status: CodeTriple, clinical: str, date: str
    ) -> Json:
        """A progression / recurrence episode: the same code, pointing back to the baseline."""
        base = self._find(baseline)
        res: Json = {
            "resourceType": "Condition",
            "meta": {"profile": [IG_SD + "Condition-primaryCancer-eu-i4rc"]},
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/condition-occurredFollowing",
                    "valueReference": self.ref(baseline),
                }
            ],
            "clinicalStatus": {
                "coding": [_c((COND_CLINICAL, clinical, clinical.capitalize())), _c(status)]
            },
            "code": base["code"],
            "onsetDateTime": date,
        }
        return self._add(rid, res)

    def surgery(
        self,
        rid: str,
        code: CodeTriple,
        date: str,
        reason: str,
        *,
        body_site: CodeTriple | None = None,
        part_of: str | None = None,
    ) -> Json:
        res: Json = {
            "resourceType": "Procedure",
            "meta": {"profile": [IG_SD + "Procedure-surgery-eu-i4rc"]},
            "status": "completed",
            "category": cc(SCT_SURGERY),
            "code": cc(code),
            "performedDateTime": date,
            "reasonReference": [self.ref(reason)],
        }
        if part_of is not None:
            res["partOf"] = [self.ref(part_of)]
        if body_site is not None:
            res["bodySite"] = [cc(body_site)]
        return self._add(rid, res)

    def administration(
        self,
        rid: str,
        regimen: CodeTriple,
        start: str,
        end: str | None,
        reason: str,
        *,
        outcome: CodeTriple | None = None,
    ) -> Json:
        res: Json = {
            "resourceType": "MedicationAdministration",
            "meta": {"profile": [IG_SD + "MedicationAdministration-eu-i4rc"]},
            "status": "completed" if end else "in-progress",
            "medicationCodeableConcept": cc(regimen),
            "effectivePeriod": {"start": start} | ({"end": end} if end else {}),
            "reasonReference": [self.ref(reason)],
        }
        if outcome is not None:
            res["extension"] = [{"url": IG_SD + "outcome", "valueCodeableConcept": cc(outcome)}]
        return self._add(rid, res)

    def ecog(self, rid: str, date: str, grade: int) -> Json:
        return self._add(
            rid,
            {
                "resourceType": "Observation",
                "meta": {"profile": [IG_SD + "observation-ecog-performance-status-eu-i4rc"]},
                "status": "final",
                "code": cc((LOINC, "89247-1", "ECOG Performance Status score")),
                "effectiveDateTime": date,
                "valueCodeableConcept": cc(ECOG_GRADE[grade]),
            },
        )

    def lesion_count(self, rid: str, date: str, count: int) -> Json:
        """The site's own finding (input-profile.md); the IG has no liver lesion count."""
        return self._add(
            rid,
            {
                "resourceType": "Observation",
                "status": "final",
                "code": cc((LOCAL, "lesion-count", "Number of metastatic lesions")),
                "effectiveDateTime": date,
                "valueInteger": count,
                "bodySite": cc(LIVER),
            },
        )

    def _find(self, rid: str) -> Json:
        return next(r for r in self.resources if r["id"] == self.refs[rid])

    def bundle(self) -> Json:
        entries = [self.patient, *self.resources]
        return {
            "resourceType": "Bundle",
            "meta": {"profile": [IG_SD + "Bundle-eu-i4rc"]},
            "type": "collection",
            "timestamp": "2026-05-31T12:00:00+02:00",
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in entries],
        }

    def request(self, seed: int) -> Json:
        bundle = self.bundle()
        return {
            "hook": "patient-view",
            "hookInstance": hook_instance(seed),
            "fhirServer": FHIR_BASE,
            "context": {"userId": "Practitioner/onc-1", "patientId": self.pid},
            # The EHR answers every prefetch query with the patient's one IDEA4RC Bundle.
            "prefetch": {"patient": self.patient} | {k: bundle for k in CLINICAL_KEYS},
        }


CLINICAL_KEYS = (
    "conditions",
    "observations",
    "procedures",
    "medicationRequests",
    "medicationAdministrations",
    "medicationStatements",
    "diagnosticReports",
)


def _c(coding: CodeTriple) -> Json:
    s, c, d = coding
    return {"system": s, "code": c, "display": d}


def _administration(
    p: PatientFiles, rid: str, drugs: list[CodeTriple], start: str, end: str | None, reason: str
) -> None:
    """The twin's MedicationAdministration: one per drug, RxNorm ingredients."""
    for n, drug in enumerate(drugs, start=1):
        p.extra["medicationAdministrations"].append(
            {
                "resourceType": "MedicationAdministration",
                "id": f"{rid}-{n}",
                "status": "completed" if end else "in-progress",
                "medicationCodeableConcept": cc(drug),
                "subject": {"reference": f"Patient/{p.pid}"},
                "effectivePeriod": {"start": start} | ({"end": end} if end else {}),
                "reasonReference": [{"reference": f"Condition/{reason}"}],
            }
        )


# Each builder: (the European patient, its US-coded twin, the manifest entry fields).
European = Idea4rcPatient | PatientFiles
Twin = Callable[[], PatientFiles]
Builder = Callable[[], tuple[European, Twin, dict[str, Any]]]
BUILDERS: list[tuple[str, Builder]] = []


def european(slug: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        BUILDERS.append((slug, fn))
        return fn

    return register


def _twin(pid: str, birth: str, family: str, given: str, gender: str) -> PatientFiles:
    return PatientFiles(pid, "mcode", family=family, given=given, gender=gender, birth_date=birth)


@european("registry-icd10-nl-lms")
def _registry() -> tuple[European, Twin, dict[str, Any]]:
    who = {"family": "de Vries", "given": "Pieter", "gender": "male"}
    pid = "nl-registry-0042"
    p = _twin(pid, "1966-10-12", who["family"], who["given"], who["gender"])
    p.condition("site", [(ICD10NL, "C49.4", "Maligne neoplasma van bindweefsel en weke delen "
                          "van buik")], "2025-01-15")  # fmt: skip
    p.condition("morphology", [(ICDO3, "M8890/3", "Leiomyosarcoom, NAO")], "2025-01-15")
    p.condition("liver-met", [(ICD10NL, "C78.7", "Secundair maligne neoplasma van lever")],
                "2025-11-03")  # fmt: skip
    p.lesion_count("lesion-count", "2026-05-02", 1)
    p.encoding = "registry"  # type: ignore[assignment]  # dated like mCODE (incidence date)

    def twin() -> PatientFiles:
        t = _twin(pid, "1966-10-12", who["family"], who["given"], who["gender"])
        t.condition("site", [C49_ABDOMEN], "2025-01-15", kind="primary", histology=M_LMS)
        t.condition("liver-met", [C78_LIVER], "2025-11-03", kind="secondary")
        t.lesion_count("lesion-count", "2026-05-02", 1)
        return t

    return (
        p,
        twin,
        {
            "shows": (
                "Dutch registry record: ICD-10-NL C49.4 and C78.7, the morphology sent as its own "
                "Condition (ICD-O-3 'M8890/3'): metachronous leiomyosarcoma, liver only"
            ),
            "topics": ["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
            "recommendations": {
                "summary": ["1.1", "2.2"],
                "staging-imaging": ["4.1", "4.3"],
                "treatment-pathway": ["5.3", "8.1"],
                "mdt-referral": ["5.1"],
            },
            "facts": {
                "sts": "yes",
                "timing": "metachronous",
                "dfi_months": 9,
                "long_dfi": "no",
                "oligometastatic": "yes",
                "liver_only": "yes",
                "histology": "leiomyosarcoma",
                "intra_abdominal_primary": "yes",
            },
            "rationale": (
                "National ICD-10 editions are the ICD-10 family; 'M8890/3' is read as the ICD-O-3 "
                "morphology of the sarcoma. DFI 9 months > 6: metachronous liver-only OMD -> 5.3 + "
                "8.1 (2.2). Same facts and cards as the ICD-10-CM/mCODE twin."
            ),
        },
    )


@european("idea4rc-synovial-synchronous-liver")
def _synovial() -> tuple[European, Twin, dict[str, Any]]:
    who = {"family": "Jansen", "given": "Eva", "gender": "female"}
    p = Idea4rcPatient("idea4rc-synovial", birth="1975-03-02", **who)
    p.primary("primary", SYNOVIAL_LOWER_LIMB, onset_age=50)
    p.diagnosis("diagnosis", "primary", SYNOVIAL_LOWER_LIMB, "2025-09-10")
    p.metastasis("liver-met", MET_LIVER, "primary", "2026-01-20")
    p.lesion_count("lesion-count", "2026-04-20", 2)
    p.ecog("ecog", "2026-04-20", 1)

    def twin() -> PatientFiles:
        t = _twin(p.pid, "1975-03-02", who["family"], who["given"], who["gender"])
        t.condition(
            "primary", [C49_LOWER_LIMB], "2025-09-10", kind="primary", body_site=THIGH,
            histology=M_SYNOVIAL,
        )  # fmt: skip
        t.condition(
            "liver-met", [C78_LIVER, SCT_LIVER_MET], "2026-01-20", kind="secondary",
            body_site=LIVER,
        )  # fmt: skip
        t.lesion_count("lesion-count", "2026-04-20", 2)
        t.ecog("ecog", "2026-04-20", 1)
        return t

    return (
        p,
        twin,
        {
            "shows": (
                "IDEA4RC record: synovial sarcoma as an Athena histology-of-site concept with only "
                "onsetAge, the exact date in the diagnosis Observation (29308-4); 'Metastasis to "
                "liver' 4 months later: synchronous"
            ),
            "topics": ["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
            "recommendations": {
                "summary": ["1.1", "2.1"],
                "staging-imaging": ["4.1", "4.3"],
                "treatment-pathway": ["8.2"],
                "mdt-referral": ["5.1"],
            },
            "facts": {
                "sts": "yes",
                "timing": "synchronous",
                "dfi_months": 4,
                "oligometastatic": "yes",
                "liver_only": "yes",
                "histology": "synovial_sarcoma",
                "primary_site_retroperitoneal": "no",
                "ecog": 1,
            },
            "rationale": (
                "The diagnosis date is the 29308-4 Observation's (2025-09-10), not the year of age "
                "50; the liver metastasis 2026-01-20 is within 6 months: synchronous (2.1), OMD -> "
                "systemic treatment first (8.2). Same facts and cards as the ICD-10-CM/mCODE twin."
            ),
        },
    )


@european("idea4rc-rps-lms-liver-metastasectomy")
def _rps() -> tuple[European, Twin, dict[str, Any]]:
    who = {"family": "Ferrari", "given": "Marco", "gender": "male"}
    p = Idea4rcPatient("idea4rc-rps", birth="1962-07-19", **who)
    p.primary("primary", LMS_RETROPERITONEUM, onset_age=62, histology=SMOOTH_MUSCLE_TUMOUR)
    p.diagnosis("diagnosis", "primary", LMS_RETROPERITONEUM, "2025-02-03")
    met = p.metastasis("liver-met", METASTASIS, "primary", "2025-03-01", body_site=LIVER_STRUCTURE)
    met["clinicalStatus"]["coding"][0] = _c((COND_CLINICAL, "resolved", "Resolved"))
    p.surgery("surgery", SURGICAL_PROCEDURE, "2025-05-20", "primary")
    p.surgery(
        "surgery-liver", LOCAL_EXCISION, "2025-05-20", "primary", body_site=MET_LIVER,
        part_of="surgery",
    )  # fmt: skip
    p.ecog("ecog", "2026-05-11", 0)

    def twin() -> PatientFiles:
        t = _twin(p.pid, "1962-07-19", who["family"], who["given"], who["gender"])
        t.condition(
            "primary", [C48_RETROPERITONEUM], "2025-02-03", kind="primary",
            body_site=RETROPERITONEUM, histology=M_LMS,
        )  # fmt: skip
        t.condition(
            "liver-met", [C78_LIVER, SCT_LIVER_MET], "2025-03-01", kind="secondary",
            body_site=LIVER, clinical="resolved",
        )  # fmt: skip
        t.procedure(
            "surgery", [SCT_TUMOUR_RESECTION], performed="2025-05-20", category=SCT_SURGERY,
            body_site=RETROPERITONEUM, reason="primary",
        )  # fmt: skip
        t.procedure(
            "surgery-liver", [SCT_HEPATECTOMY], performed="2025-05-20", category=SCT_SURGERY,
            body_site=LIVER, reason="liver-met",
        )  # fmt: skip
        t.ecog("ecog", "2026-05-11", 0)
        return t

    return (
        p,
        twin,
        {
            "shows": (
                "IDEA4RC record: retroperitoneal leiomyosarcoma and a generic 'Metastasis' "
                "with the "
                "Athena body site 'Liver structure'; primary and liver metastasis resected in one "
                "operation, the liver part a partOf child Procedure with body site 'Metastasis to "
                "liver'"
            ),
            "topics": ["summary", "follow-up"],
            "recommendations": {"summary": ["2.1"], "follow-up": ["13.1", "13.2"]},
            "indicators": {"follow-up": "warning"},
            "facts": {
                "sts": "yes",
                "timing": "synchronous",
                "histology": "leiomyosarcoma",
                "primary_site_retroperitoneal": "yes",
                "primary_resected": "yes",
                "prior_liver_resections": 1,
                "prior_abdominal_surgeries": 2,
                "liver_metastasis_current": "no",
                "followup_overdue": "yes",
            },
            "rationale": (
                "The main surgery (Athena 'Surgical procedure', reason the primary) resects the "
                "retroperitoneal primary; its partOf child on 'Metastasis to liver' is a liver "
                "metastasectomy, not a second resection of the primary. The metastasis is "
                "resolved: no current disease (2.1 in the summary); no CT since the 2025-05-20 "
                "operation, so surveillance is overdue (13.1). Same facts and cards as the "
                "ICD-10-CM twin."
            ),
        },
    )


@european("idea4rc-uterine-lms-progression-episode")
def _episode() -> tuple[European, Twin, dict[str, Any]]:
    who = {"family": "Dubois", "given": "Claire", "gender": "female"}
    p = Idea4rcPatient("idea4rc-uterine", birth="1958-01-30", **who)
    p.primary("primary", LMS_UTERUS, onset="2023-03-01")
    p.surgery("hysterectomy", SURGICAL_PROCEDURE, "2023-04-05", "primary")
    p.metastasis("liver-met", MET_LIVER, "primary", "2025-02-10")
    p.administration("dacarbazine-doxorubicin", DACARBAZINE_DOXORUBICIN, "2025-03-01",
                     "2025-08-01", "primary")  # fmt: skip
    p.episode("progression", "primary", PROGRESSION, "relapse", "2025-09-15")
    p.lesion_count("lesion-count", "2026-05-10", 3)
    p.ecog("ecog", "2026-05-10", 1)

    def twin() -> PatientFiles:
        t = _twin(p.pid, "1958-01-30", who["family"], who["given"], who["gender"])
        t.condition("primary", [C55_UTERUS], "2023-03-01", kind="primary", body_site=UTERUS,
                    histology=M_LMS)  # fmt: skip
        t.procedure("hysterectomy", [SCT_TUMOUR_RESECTION], performed="2023-04-05",
                    category=SCT_SURGERY, body_site=UTERUS, reason="primary")  # fmt: skip
        t.condition("liver-met", [C78_LIVER, SCT_LIVER_MET], "2025-02-10", kind="secondary",
                    body_site=LIVER)  # fmt: skip
        _administration(t, "dacarbazine-doxorubicin", [ATC_DACARBAZINE, RX_DOXORUBICIN],
                        "2025-03-01", "2025-08-01", "primary")  # fmt: skip
        t.disease_status("progression", "2025-09-15", STATUS_WORSENED, "primary")
        t.lesion_count("lesion-count", "2026-05-10", 3)
        t.ecog("ecog", "2026-05-10", 1)
        return t

    return (
        p,
        twin,
        {
            "shows": (
                "IDEA4RC record: uterine leiomyosarcoma with a later progression episode "
                "(same code, "
                "condition-occurredFollowing the baseline, status Progression) after a "
                "regimen-coded "
                "administration: one primary, dated by the baseline; progressed after therapy"
            ),
            "topics": ["summary", "treatment-pathway", "mdt-referral"],
            "recommendations": {"summary": ["1.1", "2.2"]},
            "indicators": {"treatment-pathway": "warning", "mdt-referral": "warning"},
            "facts": {
                "sts": "yes",
                "timing": "metachronous",
                "dfi_months": 23,
                "long_dfi": "yes",
                "histology": "leiomyosarcoma",
                "primary_resected": "yes",
                "systemic_therapy_received": "yes",
                "systemic_therapy_lines": 1,
                "response_to_systemic_therapy": "progressed",
                "systemic_progression": "yes",
            },
            "rationale": (
                "The progression episode (same Athena code, occurredFollowing the baseline) is an "
                "event, not a second primary: the diagnosis stays 2023-03-01 (DFI 23 months, "
                "metachronous, 2.2) and the episode's status is a progression after the "
                "dacarbazine-doxorubicin regimen: no liver surgery now, MDT for the next line "
                "(§3.10). Same facts and cards as the twin (two RxNorm/ATC administrations, a "
                "97509-4 'worsened' assessment)."
            ),
        },
    )


@european("idea4rc-regimen-partial-response")
def _regimen() -> tuple[European, Twin, dict[str, Any]]:
    who = {"family": "García", "given": "Lucía", "gender": "female"}
    p = Idea4rcPatient("idea4rc-regimen", birth="1980-05-05", **who)
    p.primary("primary", SYNOVIAL_LOWER_LIMB, onset="2025-11-03")
    p.metastasis("liver-met", MET_LIVER, "primary", "2025-12-01")
    p.administration("doxorubicin-ifosfamide", DOXORUBICIN_IFOSFAMIDE, "2025-12-15",
                     "2026-04-10", "primary", outcome=PARTIAL_REMISSION)  # fmt: skip
    p.lesion_count("lesion-count", "2026-04-20", 2)
    p.ecog("ecog", "2026-04-20", 0)

    def twin() -> PatientFiles:
        t = _twin(p.pid, "1980-05-05", who["family"], who["given"], who["gender"])
        t.condition("primary", [C49_LOWER_LIMB], "2025-11-03", kind="primary", body_site=THIGH,
                    histology=M_SYNOVIAL)  # fmt: skip
        t.condition("liver-met", [C78_LIVER, SCT_LIVER_MET], "2025-12-01", kind="secondary",
                    body_site=LIVER)  # fmt: skip
        _administration(t, "doxorubicin-ifosfamide", [RX_DOXORUBICIN, ATC_IFOSFAMIDE],
                        "2025-12-15", "2026-04-10", "primary")  # fmt: skip
        t.disease_status("response", "2026-04-10", STATUS_IMPROVED, "primary")
        t.lesion_count("lesion-count", "2026-04-20", 2)
        t.ecog("ecog", "2026-04-20", 0)
        return t

    return (
        p,
        twin,
        {
            "shows": (
                "IDEA4RC record: synchronous synovial sarcoma treated with the Athena regimen "
                "'Doxorubicin and Ifosfamide'; the response ('Partial Remission') is the "
                "administration's outcome extension, with no 97509-4 Observation"
            ),
            "topics": ["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
            "recommendations": {
                "summary": ["1.1", "2.1"],
                "staging-imaging": ["4.1", "4.3"],
                "treatment-pathway": ["8.2", "8.3"],
                "mdt-referral": ["5.1"],
            },
            "facts": {
                "sts": "yes",
                "timing": "synchronous",
                "systemic_therapy_received": "yes",
                "systemic_therapy_lines": 1,
                "response_to_systemic_therapy": "improved",
                "response_at_least_stable": "yes",
                "primary_in_place": "yes",
                "ecog": 0,
            },
            "rationale": (
                "The regimen 'Doxorubicin and Ifosfamide' is one line of sarcoma systemic therapy "
                "(its agents are in systemic-agent); its outcome 'Partial Remission' is an "
                "improvement at the end of the administration. Synchronous OMD at least stable on "
                "therapy: surgery for residual liver disease may be considered (8.3), the primary "
                "still in place (§3.1). Same facts and cards as the twin (one administration per "
                "drug, a 97509-4 'improved' assessment)."
            ),
        },
    )
