"""Builds the synthetic example library: NN-slug.json patient-view requests and manifest.yaml.

Deterministic and re-runnable: `python fhir-examples/_build.py` rewrites every file identically.
The committed JSON and YAML are the product; this script only keeps them consistent.

The `expected` block of each manifest entry is an independent reading of clinical-logic.md §2
and the paper (Table 5), written from the documents, not from the service code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _codes import (
    B18_HEP_B,
    C16_STOMACH,
    C48_RETROPERITONEUM,
    C49_ABDOMEN,
    C49_LOWER_LIMB,
    C49_LOWER_LIMB_QUIRK,
    C49_PELVIS,
    C49_THORAX,
    C49_UPPER_LIMB,
    C49A2_GIST,
    C55_UTERUS,
    C78_LEFT_LUNG,
    C78_LIVER,
    C78_LIVER_QUIRK,
    C78_RETRO_PERITONEUM,
    C78_RIGHT_LUNG,
    C79_BONE,
    CAT_SURGICAL,
    CAT_THERAPEUTIC,
    CPT_LIVER_RFA,
    CPT_PARTIAL_LOBECTOMY,
    CPT_TRISEGMENTECTOMY,
    D18_HEMANGIOMA,
    E11_DIABETES,
    I10_HYPERTENSION,
    I31_PERICARDIAL_EFFUSION,
    J91_PLEURAL_EFFUSION,
    K74_CIRRHOSIS,
    LOINC_HISTOLOGY,
    M_ANGIO,
    M_ASPS,
    M_DEDIFF_LPS,
    M_GIST,
    M_LMS,
    M_LMS_METASTATIC,
    M_LMS_QUIRK,
    M_MYXOID_LPS,
    M_SYNOVIAL,
    M_UPS,
    NOT_SURGICAL_CANDIDATE,
    SCT_ASA,
    SCT_ASA_III,
    SCT_BONE_MET,
    SCT_CHEMOTHERAPY,
    SCT_CIRRHOSIS,
    SCT_DIABETES,
    SCT_GIST,
    SCT_HEP_B,
    SCT_HEPATECTOMY,
    SCT_HYPERTENSION,
    SCT_LIVER_BIOPSY,
    SCT_LIVER_MET,
    SCT_LIVER_MET_QUIRK,
    SCT_LMS,
    SCT_LUNG_MET,
    SCT_MALIGNANT_MENINGITIS,
    SCT_PERITONEAL_MET,
    SCT_PLEURAL_EFFUSION,
    SCT_SARCOMA,
    SCT_SYNOVIAL,
    SCT_TUMOUR_RESECTION,
    STATUS_IMPROVED,
    STATUS_STABLE,
    STATUS_WORSENED,
    Z85_COLORECTAL,
)
from _fhir import (
    ABDOMEN,
    LIVER,
    LOCAL,
    LUNG,
    PELVIS,
    PERITONEUM,
    RETROPERITONEUM,
    STOMACH,
    THIGH,
    UCUM,
    UPPER_ARM,
    UTERUS,
    CodeTriple,
    Json,
    PatientFiles,
)
from _real import REAL

HERE = Path(__file__).resolve().parent
TODAY = "2026-06-01"
OTHER_PATIENT = "other-patient-9999"  # the deliberate foreign subject in example 17

# Shorthands for the recommendation ids an example must cite.
SUMMARY_META = ["1.1", "2.2"]
SUMMARY_SYNC = ["1.1", "2.1"]
STAGING = ["4.1", "4.3"]
MDT = ["5.1"]

Builder = Callable[[], tuple[PatientFiles, Json]]
BUILDERS: list[tuple[str, Builder]] = []


def example(slug: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        BUILDERS.append((slug, fn))
        return fn

    return register


def expect(
    *,
    shows: str,
    topics: list[str],
    recommendations: dict[str, list[str]],
    facts: dict[str, Any],
    rationale: str,
    indicators: dict[str, str] | None = None,
    today: str = TODAY,
    says: dict[str, list[str]] | None = None,
    never_says: list[str] | None = None,
) -> Json:
    """`says`: per topic, phrases the card must contain; `never_says`: phrases no card may."""
    expected: Json = {"topics": topics, "recommendations": recommendations, "facts": facts}
    if indicators:
        expected["indicators"] = indicators
    if says:
        expected["says"] = says
    if never_says:
        expected["never_says"] = never_says
    return {"today": today, "shows": shows, "expected": expected, "rationale": rationale}


def liver_met_ehr(p: PatientFiles, rid: str, date: str, **kw: Any) -> Json:
    return p.condition(rid, [C78_LIVER, SCT_LIVER_MET], date, **kw)


def liver_met_mcode(p: PatientFiles, rid: str, date: str, **kw: Any) -> Json:
    return p.condition(
        rid, [C78_LIVER, SCT_LIVER_MET], date, kind="secondary", body_site=LIVER, **kw
    )


def sts_mcode(
    p: PatientFiles,
    rid: str,
    site_code: CodeTriple,
    site: CodeTriple,
    histology: CodeTriple,
    date: str,
) -> Json:
    return p.condition(rid, [site_code], date, kind="primary", body_site=site, histology=histology)


# ---------------------------------------------------------------- timing and the 6-month boundary


@example("metachronous-lms-liver-only")
def _01() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-01", "mcode", family="Almeida", given="Rosa", gender="female", birth_date="1968-04-11"
    )
    sts_mcode(p, "primary-lms", C49_LOWER_LIMB, THIGH, M_LMS, "2025-05-12")
    p.procedure(
        "resection-primary",
        [SCT_TUMOUR_RESECTION],
        performed="2025-06-20",
        category=CAT_SURGICAL,
        body_site=THIGH,
        reason="primary-lms",
    )
    liver_met_mcode(p, "liver-met", "2026-03-20")
    p.lesion_count("lesion-count-liver", "2026-03-20", 2)
    p.tumor_size("size-liver-s7", "2026-03-20", 24, "liver-met")
    p.ecog("ecog", "2026-04-02", 0)
    return p, expect(
        shows=(
            "Metachronous leiomyosarcoma, two liver metastases 10 months after diagnosis: the "
            "resection pathway"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "treatment-pathway": ["5.3", "8.1"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 10,
            "long_dfi": "no",
            "oligometastatic": "yes",
            "liver_only": "yes",
            "site_count": 1,
            "lesion_count": 2,
            "histology": "leiomyosarcoma",
        },
        rationale=(
            "DFI 10 months > 6 (2.2, 8.1); 2 lesions in 1 site = OMD (1.1); liver-only "
            "metachronous OMD -> 5.3 + 8.1. DFI <= 12 months and no HCC/CRC history, no planned "
            "preoperative therapy: no biopsy card (3.1 not triggered)."
        ),
    )


@example("synchronous-exactly-6-months")
def _02() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-02", "ehr", family="Okafor", given="Daniel", gender="male", birth_date="1979-09-02"
    )
    p.condition("dx-synovial", [C49_UPPER_LIMB, SCT_SYNOVIAL], "2025-10-15")
    liver_met_ehr(p, "dx-liver-met", "2026-04-15")
    p.lesion_count("lesion-count-liver", "2026-04-15", 1)
    return p, expect(
        says={
            "treatment-pathway": [
                "Restage after 2–3 cycles",
                "the primary, still in place, must be resectable",
                "Borderline timing (DFI exactly 6 months)",
            ]
        },
        shows=(
            "First liver metastasis exactly 6 calendar months after diagnosis (2025-10-15 -> "
            "2026-04-15) is synchronous"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        recommendations={
            "summary": SUMMARY_SYNC,
            "staging-imaging": STAGING,
            "treatment-pathway": ["8.2"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "synchronous",
            "dfi_months": 6,
            "oligometastatic": "yes",
            "liver_only": "yes",
            "histology": "synovial_sarcoma",
        },
        rationale=(
            "<= 6 months is synchronous (2.1; section 3.8 says '<= 6 months'); synchronous OMD -> "
            "systemic treatment first (8.2). No induction therapy recorded as planned, so no 3.2 "
            "biopsy card."
        ),
    )


@example("metachronous-6-months-plus-1-day")
def _03() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-03", "ehr", family="Vidal", given="Carmen", gender="female", birth_date="1961-01-23"
    )
    # Encounter diagnoses repeat at every visit: the earliest recordedDate is the diagnosis date.
    p.condition("dx-lms-visit1", [C49_UPPER_LIMB, SCT_LMS], "2025-10-15")
    p.condition("dx-lms-visit2", [C49_UPPER_LIMB, SCT_LMS], "2025-11-20")
    liver_met_ehr(p, "dx-liver-met-visit1", "2026-04-16")
    liver_met_ehr(p, "dx-liver-met-visit2", "2026-05-02")
    p.lesion_count("lesion-count-liver", "2026-04-16", 1)
    return p, expect(
        says={"summary": ["No resection of the primary recorded: confirm it is controlled"]},
        shows=(
            "First liver metastasis one day past 6 months (2025-10-15 -> 2026-04-16) is "
            "metachronous; repeated encounter diagnoses, earliest wins"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "treatment-pathway": ["5.3", "8.1"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 6,
            "long_dfi": "no",
            "oligometastatic": "yes",
            "liver_only": "yes",
            "histology": "leiomyosarcoma",
        },
        rationale=(
            "> 6 months is metachronous (2.2). Taking the later primary visit (2025-11-20) would "
            "wrongly give synchronous: dates come from the earliest encounter diagnosis. Liver-"
            "only metachronous OMD -> 5.3 + 8.1."
        ),
    )


@example("partial-date-timing-indeterminate")
def _04() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-04", "ehr", family="Lindqvist", given="Erik", gender="male", birth_date="1957-06-30"
    )
    p.condition("dx-sarcoma", [C49_ABDOMEN, SCT_SARCOMA], "2025")  # outside record: year only
    liver_met_ehr(p, "dx-liver-met", "2026-03-10")
    p.lesion_count("lesion-count-liver", "2026-03-10", 1)
    return p, expect(
        shows=(
            "Primary diagnosis dated only '2025': DFI is 2 to 14 months, so timing is indeterminate"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        recommendations={
            "summary": ["1.1"],
            "staging-imaging": STAGING,
            "treatment-pathway": ["5.3", "8.1", "8.2"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "indeterminate",
            "oligometastatic": "yes",
            "liver_only": "yes",
            "site_count": 1,
        },
        rationale=(
            "Interval [2025-01-01, 2025-12-31] to 2026-03-10 straddles 6 months (clinical-logic "
            "1.2): timing indeterminate and the summary names the coarse date. The treatment "
            "pathway depends on timing (5.3/8.1 vs 8.2) and is not asserted without it."
        ),
    )


# ---------------------------------------------------------------- burden


@example("liver-and-lung-long-dfi")
def _05() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-05", "mcode", family="Moreau", given="Luc", gender="male", birth_date="1970-12-05"
    )
    sts_mcode(p, "primary-ups", C49_LOWER_LIMB, THIGH, M_UPS, "2024-01-22")
    liver_met_mcode(p, "liver-met", "2026-03-05")
    p.condition(
        "lung-met", [C78_RIGHT_LUNG, SCT_LUNG_MET], "2026-03-05", kind="secondary", body_site=LUNG
    )
    p.lesion_count("lesion-count-liver", "2026-03-05", 2)
    p.lesion_count("lesion-count-lung", "2026-03-05", 1, site=LUNG)
    p.ecog("ecog", "2026-03-12", 1)
    return p, expect(
        shows=(
            "Metachronous UPS, liver + lung (3 lesions, 2 sites), DFI 25 months: 5.4; an ordinary "
            "relapse after two years gets no biopsy card"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        says={"staging-imaging": ["CT of the chest"]},
        never_says=["biopsy could be considered", "another origin"],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "treatment-pathway": ["5.4"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 25,
            "long_dfi": "yes",
            "oligometastatic": "yes",
            "liver_only": "no",
            "liver_and_lung_only": "yes",
            "site_count": 2,
            "lesion_count": 3,
            "histology": "ups",
        },
        rationale=(
            "3 lesions in 2 sites = OMD (1.1); metachronous liver + lung only -> 5.4 (highly "
            "selected). DFI 25 months is favourable (section 3.8) but below the 36-month origin "
            "setting: origin not in doubt, no biopsy card (3.1 reading in design.md)."
        ),
    )


@example("three-sites-not-oligometastatic")
def _06() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-06", "mcode", family="Schmidt", given="Anna", gender="female", birth_date="1965-03-17"
    )
    sts_mcode(p, "primary-lms", C49_LOWER_LIMB, THIGH, M_LMS, "2023-06-01")
    liver_met_mcode(p, "liver-met", "2026-02-10")
    p.condition(
        "lung-met", [C78_LEFT_LUNG, SCT_LUNG_MET], "2026-02-10", kind="secondary", body_site=LUNG
    )
    p.condition("bone-met", [C79_BONE, SCT_BONE_MET], "2026-02-10", kind="secondary")
    for site, coding in (("liver", LIVER), ("lung", LUNG)):
        p.lesion_count(f"lesion-count-{site}", "2026-02-10", 1, site=coding)
    return p, expect(
        shows="Liver, lung and bone metastases: three sites, not oligometastatic, summary only",
        topics=["summary", "mdt-referral"],
        recommendations={"summary": ["1.1"]},
        facts={
            "timing": "metachronous",
            "oligometastatic": "no",
            "site_count": 3,
            "liver_only": "no",
            "liver_and_lung_only": "no",
        },
        says={
            "summary": ["not oligometastatic on staging of 2026-02-10"],
            "mdt-referral": [
                "Staging of 2026-02-10 is older than 90 days",
                "as the baseline for systemic therapy",
            ],
        },
        never_says=["a more indolent course"],
        rationale=(
            "> 2 metastatic sites excludes OMD (1.1), so no staging or surgical card; the "
            "summary explains why. The staging is 111 days old: the verdict is dated and the MDT "
            "card asks for restaging as the baseline for systemic therapy (REVIEW2 finding 6); "
            "the long DFI bears on no decision here and is not shown (finding 4)."
        ),
    )


@example("more-than-five-liver-lesions")
def _07() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-07", "ehr", family="Nakamura", given="Kenji", gender="male", birth_date="1959-08-08"
    )
    p.condition("dx-sarcoma", [C49_PELVIS, SCT_SARCOMA], "2024-09-03")
    p.condition(
        "dx-liver-met", [C78_LIVER_QUIRK, SCT_LIVER_MET], "2026-04-20"
    )  # ICD-10-CM without the dot
    p.lesion_count("lesion-count-liver", "2026-04-20", 7)
    return p, expect(
        shows=(
            "Seven liver lesions (lesion-count Observation): liver-only but not oligometastatic; "
            "C787 written without the dot"
        ),
        topics=["summary", "mdt-referral"],
        recommendations={"summary": ["1.1"]},
        facts={
            "timing": "metachronous",
            "lesion_count": 7,
            "oligometastatic": "no",
            "liver_only": "yes",
        },
        rationale="> 5 lesions excludes OMD (1.1) even when confined to the liver.",
    )


# ---------------------------------------------------------------- diffuse involvement


@example("peritoneal-sarcomatosis")
def _08() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-08", "mcode", family="Rossi", given="Giulia", gender="female", birth_date="1972-02-14"
    )
    sts_mcode(p, "primary-lms", C49_ABDOMEN, ABDOMEN, M_LMS, "2024-05-10")
    liver_met_mcode(p, "liver-met", "2026-03-01")
    p.condition(
        "peritoneal-met", [SCT_PERITONEAL_MET], "2026-03-01", kind="secondary", body_site=PERITONEUM
    )
    p.lesion_count("lesion-count-liver", "2026-03-01", 2)
    return p, expect(
        shows="Liver metastases with peritoneal sarcomatosis: diffuse involvement excludes OMD",
        topics=["summary", "mdt-referral"],
        recommendations={"summary": ["1.2"]},
        facts={"oligometastatic": "no", "diffuse_involvement": "yes", "site_count": 2},
        says={
            "summary": [
                "Not oligometastatic on staging of 2026-03-01: diffuse peritoneal involvement",
                "selected peritoneal disease may be amenable",
            ],
            "mdt-referral": ["restage (contrast CT of chest and abdomen)"],
        },
        never_says=["a more indolent course", "Extrahepatic disease beyond the lung"],
        rationale=(
            "Peritoneal sarcomatosis is diffuse organ involvement -> not oligometastatic (1.2) "
            "although only 2 sites. One line says it; no long-DFI reassurance or repeated "
            "prognosis line beside it (REVIEW2 finding 4); staging of 2026-03-01 is out of date: "
            "dated verdict, restage for systemic therapy (finding 6)."
        ),
    )


@example("malignant-pleural-effusion")
def _09() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-09", "ehr", family="Kowalski", given="Piotr", gender="male", birth_date="1963-10-29"
    )
    p.condition("dx-lms", [C49_THORAX, SCT_LMS], "2024-11-18")
    p.condition(
        "dx-liver-met", [C78_LIVER, SCT_LIVER_MET_QUIRK], "2026-04-06"
    )  # SNOMED written "94381002.0"
    p.condition("dx-pleural-effusion", [J91_PLEURAL_EFFUSION, SCT_PLEURAL_EFFUSION], "2026-04-06")
    p.lesion_count("lesion-count-liver", "2026-04-06", 1)
    return p, expect(
        shows=(
            "Liver metastasis with malignant pleural effusion (J91.0): pleural involvement "
            "excludes OMD; SNOMED '94381002.0'"
        ),
        topics=["summary", "mdt-referral"],
        recommendations={"summary": ["1.2"]},
        facts={"oligometastatic": "no", "diffuse_involvement": "yes"},
        says={"summary": ["diffuse pleural involvement excludes OMD"]},
        never_says=[
            "a more indolent course",
            "Extrahepatic disease beyond the lung",
            "selected peritoneal disease",
        ],
        rationale=(
            "Malignant pleural effusion = pleural sarcomatosis -> not OMD (1.2), said in one line "
            "(REVIEW2 finding 4)."
        ),
    )


@example("malignant-pericardial-effusion")
def _10() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-10", "ehr", family="Haddad", given="Leila", gender="female", birth_date="1975-05-21"
    )
    p.condition("dx-lms", [C49_ABDOMEN, SCT_LMS], "2024-08-12")
    liver_met_ehr(p, "dx-liver-met", "2026-03-30")
    p.condition("dx-pericardial-effusion", [I31_PERICARDIAL_EFFUSION], "2026-04-14")
    p.lesion_count("lesion-count-liver", "2026-03-30", 1)
    return p, expect(
        shows=(
            "Liver metastasis with malignant pericardial effusion (I31.31): pericardial "
            "involvement excludes OMD"
        ),
        topics=["summary", "mdt-referral"],
        recommendations={"summary": ["1.2"]},
        facts={"oligometastatic": "no", "diffuse_involvement": "yes"},
        says={"summary": ["diffuse pericardial involvement excludes OMD"]},
        never_says=[
            "a more indolent course",
            "Extrahepatic disease beyond the lung",
            "selected peritoneal disease",
        ],
        rationale=(
            "Malignant pericardial effusion = pericardial sarcomatosis -> not OMD (1.2), said in "
            "one line (REVIEW2 finding 4)."
        ),
    )


@example("leptomeningeal-sarcomatosis")
def _11() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-11", "mcode", family="Fernandes", given="Tiago", gender="male", birth_date="1988-07-03"
    )
    sts_mcode(p, "primary-synovial", C49_LOWER_LIMB, THIGH, M_SYNOVIAL, "2024-02-26")
    liver_met_mcode(p, "liver-met", "2026-02-02")
    p.condition("leptomeningeal-met", [SCT_MALIGNANT_MENINGITIS], "2026-04-27", kind="secondary")
    p.lesion_count("lesion-count-liver", "2026-02-02", 1)
    return p, expect(
        shows="Liver metastasis and malignant meningitis: leptomeningeal involvement excludes OMD",
        topics=["summary", "mdt-referral"],
        recommendations={"summary": ["1.2"]},
        facts={
            "oligometastatic": "no",
            "diffuse_involvement": "yes",
            "histology": "synovial_sarcoma",
        },
        says={
            "summary": [
                "on staging of 2026-02-02: diffuse leptomeningeal involvement excludes OMD"
            ],
            "mdt-referral": ["as the baseline for systemic therapy"],
        },
        never_says=[
            "a more indolent course",
            "Extrahepatic disease beyond the lung",
            "selected peritoneal disease",
        ],
        rationale=(
            "Leptomeningeal sarcomatosis -> not OMD (1.2): no long-DFI reassurance beside it "
            "(REVIEW2 finding 4); the lesion count of 2026-02-02 is out of date: dated verdict, "
            "restage for systemic therapy (finding 6)."
        ),
    )


@example("c78-6-alone-ambiguous")
def _12() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-12", "ehr", family="Dubois", given="Claire", gender="female", birth_date="1966-11-09"
    )
    p.condition("dx-lms", [C49_ABDOMEN, SCT_LMS], "2025-07-01")
    liver_met_ehr(p, "dx-liver-met", "2026-04-02")
    p.condition(
        "dx-c78-6", [C78_RETRO_PERITONEUM], "2026-04-02"
    )  # no bodySite: retro- or peritoneum?
    p.lesion_count("lesion-count-liver", "2026-04-02", 2)
    return p, expect(
        shows=(
            "C78.6 without bodySite: a second site and possible peritoneal involvement, so OMD is "
            "indeterminate"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        recommendations={"summary": ["1.1"], "staging-imaging": STAGING, "mdt-referral": MDT},
        facts={
            "timing": "metachronous",
            "dfi_months": 9,
            "site_count": 2,
            "oligometastatic": "indeterminate",
            "diffuse_involvement": "indeterminate",
        },
        says={
            "summary": [
                "coded only as 'retroperitoneum or peritoneum', with no site recorded",
                "record the site from the abdominal CT",
            ],
            "treatment-pathway": ["record the metastasis site from the abdominal CT"],
        },
        never_says=["C78.6", "bodySite"],
        rationale=(
            "C78.6 alone may be peritoneal (diffuse, 1.2) or retroperitoneal: OMD indeterminate, "
            "so staging (4.1 CT of the abdominal cavity, 4.3) and MDT (5.1) but no surgical "
            "pathway. Said in clinical words with the step that settles it, not as a code "
            "(REVIEW2 finding 5)."
        ),
    )


# ---------------------------------------------------------------- out of scope or no card


@example("gist-icd10cm")
def _13() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-13", "ehr", family="Ivanova", given="Marina", gender="female", birth_date="1960-04-04"
    )
    p.condition("dx-gist", [C49A2_GIST, SCT_GIST], "2023-03-13")
    liver_met_ehr(p, "dx-liver-met", "2026-01-19")
    return p, expect(
        shows=(
            "GIST of the stomach by ICD-10-CM C49.A2 with liver metastasis: the consensus does not"
            " apply"
        ),
        topics=["not-applicable"],
        recommendations={},
        facts={"histology": "gist"},
        rationale=(
            "The paper excludes GIST (TKIs changed its management): one info card, nothing else."
        ),
    )


@example("gist-snomed")
def _14() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-14", "ehr", family="Brennan", given="Sean", gender="male", birth_date="1958-12-19"
    )
    p.condition("dx-gist", [SCT_GIST], "2022-10-03")
    p.condition("dx-liver-met", [SCT_LIVER_MET], "2025-12-15")
    return p, expect(
        shows=(
            "GIST coded only in SNOMED CT (420120006) with a SNOMED-only liver metastasis: not "
            "applicable"
        ),
        topics=["not-applicable"],
        recommendations={},
        facts={"histology": "gist"},
        rationale="GIST is out of scope whatever the code system.",
    )


@example("gist-icdo3-morphology")
def _15() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-15", "mcode", family="Costa", given="Helena", gender="female", birth_date="1969-09-25"
    )
    sts_mcode(p, "primary-stomach", C16_STOMACH, STOMACH, M_GIST, "2023-05-08")
    liver_met_mcode(p, "liver-met", "2026-02-23")
    p.lesion_count("lesion-count-liver", "2026-02-23", 2)
    return p, expect(
        shows="Stomach cancer C16.2 whose mCODE histology is 8936/3 (GIST): not applicable",
        topics=["not-applicable"],
        recommendations={},
        facts={"histology": "gist"},
        rationale="ICD-O-3 8936 is GIST in any behaviour; the consensus excludes it.",
    )


@example("no-cancer")
def _16() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-16", "ehr", family="Walker", given="Thomas", gender="male", birth_date="1955-02-02"
    )
    p.condition("dx-hypertension", [I10_HYPERTENSION, SCT_HYPERTENSION], "2019-06-11")
    p.condition("dx-diabetes", [E11_DIABETES, SCT_DIABETES], "2021-01-27")
    p.condition("dx-hemangioma", [D18_HEMANGIOMA], "2025-09-30")  # a benign liver lesion
    p.ecog("ecog", "2026-01-15", 0)
    return p, expect(
        shows="No cancer (hypertension, diabetes, benign hepatic haemangioma): no card",
        topics=[],
        recommendations={},
        facts={},
        rationale="No STS: the consensus does not concern this patient and no card may appear.",
    )


@example("sts-no-metastasis-foreign-resource")
def _17() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-17", "mcode", family="Jensen", given="Sofie", gender="female", birth_date="1977-08-16"
    )
    sts_mcode(p, "primary-lps", C49_LOWER_LIMB, THIGH, M_DEDIFF_LPS, "2025-11-03")
    p.procedure(
        "resection-primary",
        [SCT_TUMOUR_RESECTION],
        performed="2025-12-09",
        category=CAT_SURGICAL,
        body_site=THIGH,
        reason="primary-lps",
    )
    # A misfiled resource of another patient: must be ignored.
    p.condition(
        "other-patient-liver-met",
        [C78_LIVER, SCT_LIVER_MET],
        "2026-03-02",
        kind="secondary",
        body_site=LIVER,
        other_patient=OTHER_PATIENT,
    )
    return p, expect(
        shows=(
            "Resected liposarcoma without metastasis; a liver metastasis of another patient in the"
            " bundle is ignored"
        ),
        topics=[],
        recommendations={},
        facts={"histology": "liposarcoma"},
        rationale=(
            "No liver metastasis of this patient was ever recorded; resources whose subject is "
            "another patient do not count (clinical-logic 1.1)."
        ),
    )


@example("sts-lung-metastases-only")
def _18() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-18", "ehr", family="Garcia", given="Miguel", gender="male", birth_date="1982-01-30"
    )
    p.condition("dx-sarcoma", [C49_LOWER_LIMB, SCT_SARCOMA], "2024-04-15")
    p.condition("dx-lung-met-right", [C78_RIGHT_LUNG, SCT_LUNG_MET], "2025-11-17")
    p.condition("dx-lung-met-left", [C78_LEFT_LUNG, SCT_LUNG_MET], "2025-11-17")
    p.lesion_count("lesion-count-lung", "2025-11-17", 3, site=LUNG)
    return p, expect(
        shows="Lung metastases only (both lungs): the liver consensus gives no card",
        topics=[],
        recommendations={},
        facts={"site_count": 1, "liver_only": "no"},
        rationale=(
            "No liver metastasis ever recorded -> no card (clinical-logic section 2); both lungs "
            "are one site."
        ),
    )


# ---------------------------------------------------------------- histology and primary site


@example("rps-synchronous-induction-planned")
def _19() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-19", "mcode", family="Pereira", given="Joao", gender="male", birth_date="1964-06-12"
    )
    sts_mcode(p, "primary-rps", C48_RETROPERITONEUM, RETROPERITONEUM, M_DEDIFF_LPS, "2026-02-10")
    liver_met_mcode(p, "liver-met", "2026-03-20")
    p.lesion_count("lesion-count-liver", "2026-03-20", 2)
    p.ecog("ecog", "2026-03-24", 1)
    p.procedure(
        "chemo-planned",
        [SCT_CHEMOTHERAPY],
        status="preparation",
        category=CAT_THERAPEUTIC,
        reason="liver-met",
    )
    return p, expect(
        says={"treatment-pathway": ["Systemic therapy planned first", "Restage after 2–3 cycles"]},
        never_says=["front-line approach"],
        shows=(
            "Retroperitoneal liposarcoma (C48.0) with synchronous liver metastases and induction "
            "chemotherapy planned"
        ),
        topics=["summary", "staging-imaging", "biopsy", "treatment-pathway", "mdt-referral"],
        recommendations={
            "summary": SUMMARY_SYNC,
            "staging-imaging": STAGING,
            "biopsy": ["3.2", "3.3"],
            "treatment-pathway": ["8.2"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "synchronous",
            "dfi_months": 1,
            "primary_site_retroperitoneal": "yes",
            "oligometastatic": "yes",
            "liver_only": "yes",
            "histology": "liposarcoma",
        },
        rationale=(
            "Synchronous OMD -> systemic first (8.2); induction planned -> biopsy before treatment"
            " (3.2, marked as not reaching consensus) with 3.3; 4.1 contrast CT stresses RPS."
        ),
    )


@example("uterine-lms-large-lesion")
def _20() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-20", "mcode", family="Santos", given="Marta", gender="female", birth_date="1971-10-01"
    )
    sts_mcode(p, "primary-uterine-lms", C55_UTERUS, UTERUS, M_LMS, "2024-01-10")
    p.procedure(
        "hysterectomy",
        [SCT_TUMOUR_RESECTION],
        performed="2024-02-06",
        category=CAT_SURGICAL,
        body_site=UTERUS,
        reason="primary-uterine-lms",
    )
    liver_met_mcode(p, "liver-met", "2026-04-08")
    p.lesion_count("lesion-count-liver", "2026-04-08", 1)
    p.tumor_size("size-liver", "2026-04-08", 120, "liver-met")
    p.ecog("ecog", "2026-04-15", 0)
    return p, expect(
        shows=(
            "Uterine leiomyosarcoma (C55 + mCODE histology 8890/3), single 12 cm liver metastasis "
            "after 26 months"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        says={
            "treatment-pathway": [
                "larger than 10 cm",
                "leiomyosarcoma is named chemosensitive",
                "weigh them before a new intervention",
            ]
        },
        never_says=["consider a minimally invasive approach"],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "treatment-pathway": ["5.3", "8.1"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 26,
            "long_dfi": "yes",
            "oligometastatic": "yes",
            "liver_only": "yes",
            "large_lesion": "yes",
            "histology": "leiomyosarcoma",
        },
        rationale=(
            "C55 with an STS morphology is STS. Metachronous liver-only OMD -> 5.3 + 8.1, with "
            "caution for a > 10 cm lesion (section 3.5); DFI 26 months is below the 36-month "
            "origin setting, so no biopsy card."
        ),
    )


@example("asps-synchronous-stable-on-therapy")
def _21() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-21", "mcode", family="Reyes", given="Lucia", gender="female", birth_date="1996-03-08"
    )
    sts_mcode(p, "primary-asps", C49_LOWER_LIMB, THIGH, M_ASPS, "2025-03-03")
    liver_met_mcode(p, "liver-met", "2025-03-20")
    p.procedure(
        "resection-primary",
        [SCT_TUMOUR_RESECTION],
        performed="2025-05-12",
        category=CAT_SURGICAL,
        body_site=THIGH,
        reason="primary-asps",
    )
    p.procedure(
        "systemic-therapy",
        [SCT_CHEMOTHERAPY],
        status="in-progress",
        period=("2025-06-02", None),
        category=CAT_THERAPEUTIC,
        reason="liver-met",
    )
    p.lesion_count("lesion-count-liver", "2026-05-10", 2)
    p.disease_status("disease-status", "2026-05-10", STATUS_STABLE, "liver-met")
    p.ecog("ecog", "2026-05-10", 0)
    return p, expect(
        says={
            "summary": ["Histology: alveolar soft part sarcoma", "Lesion count: 2"],
            "treatment-pathway": ["the primary is already resected (Resection of neoplasm on"],
        },
        never_says=["resected: yes"],
        shows=(
            "Alveolar soft part sarcoma, synchronous liver metastases, primary resected, stable on"
            " systemic therapy"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "local-therapy", "mdt-referral"],
        recommendations={
            "summary": SUMMARY_SYNC,
            "staging-imaging": STAGING,
            "treatment-pathway": ["8.2", "8.3"],
            "local-therapy": ["10.2"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "synchronous",
            "dfi_months": 0,
            "oligometastatic": "yes",
            "liver_only": "yes",
            "histology": "asps",
        },
        rationale=(
            "Synchronous OMD (8.2) with at least stable response and resected primary -> surgery "
            "for residual liver disease may be considered (8.3). ASPS: brain and whole-spine MRI "
            "(section 3.4). Limited liver disease on systemic therapy -> focal therapy (10.2, not "
            "reaching consensus)."
        ),
    )


@example("lms-synchronous-progressed")
def _22() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-22", "ehr", family="Novak", given="Jan", gender="male", birth_date="1962-07-19"
    )
    p.condition("dx-sarcoma", [C49_ABDOMEN, SCT_SARCOMA], "2025-09-08")
    liver_met_ehr(p, "dx-liver-met", "2025-10-01")
    p.observation(
        "histology",
        LOINC_HISTOLOGY,
        "2025-09-12",
        category="laboratory",
        value={
            "valueCodeableConcept": {
                "coding": [
                    {"system": M_LMS_QUIRK[0], "code": M_LMS_QUIRK[1], "display": M_LMS_QUIRK[2]}
                ],
                "text": "Leiomyosarcoma, grade 3",
            }
        },
    )
    p.procedure(
        "chemotherapy",
        [SCT_CHEMOTHERAPY],
        period=("2025-10-20", "2026-02-23"),
        category=CAT_THERAPEUTIC,
    )
    p.lesion_count("lesion-count-liver", "2026-05-04", 3)
    p.disease_status("disease-status", "2026-05-04", STATUS_WORSENED, "dx-liver-met")
    return p, expect(
        shows=(
            "Synchronous leiomyosarcoma (histology Observation ICD-O-3 '88903') progressing after "
            "chemotherapy: no 8.3"
        ),
        topics=["summary", "treatment-pathway", "mdt-referral"],
        indicators={"treatment-pathway": "warning"},
        says={
            "treatment-pathway": [
                "not supported",
                "progressed after chemotherapy (line 1): no liver surgery now",
                "Primary still in place",
            ],
            "mdt-referral": [
                "next-line systemic therapy",
                "no liver surgery now",
                "restage (contrast CT of chest and abdomen)",
            ],
            "summary": ["radical treatment is not indicated now"],
        },
        never_says=[
            "front-line",
            "Any liver resection should first be discussed",
            "amenable to radical treatment",
            "progressing on systemic therapy",
        ],
        recommendations={
            "summary": SUMMARY_SYNC,
            "treatment-pathway": ["8.3"],
        },
        facts={
            "timing": "synchronous",
            "dfi_months": 0,
            "systemic_progression": "yes",
            "oligometastatic": "yes",
            "liver_only": "yes",
            "histology": "leiomyosarcoma",
        },
        rationale=(
            "Progression after first-line chemotherapy: not 'at least stable disease', so 8.3 "
            "surgery must not be offered and 8.2 'front-line' must not be repeated; the MDT card "
            "names next-line therapy (clinical-logic section 2). No staging card: no local "
            "treatment is on the table. Chemotherapy ended, so 10.2 does not apply."
        ),
    )


@example("myxoid-liposarcoma-subcentimetre")
def _23() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-23", "mcode", family="Ortega", given="Pablo", gender="male", birth_date="1984-11-27"
    )
    sts_mcode(p, "primary-mls", C49_LOWER_LIMB, THIGH, M_MYXOID_LPS, "2023-09-14")
    liver_met_mcode(p, "liver-met", "2026-03-25", verification="provisional")
    p.lesion_count("lesion-count-liver", "2026-03-25", 1)
    p.tumor_size("size-liver", "2026-03-25", 8, "liver-met")
    return p, expect(
        shows=(
            "Myxoid liposarcoma with a single 8 mm liver lesion 30 months after diagnosis: liver "
            "MRI, spine MRI instead of PET (poorly FDG-avid), biopsy for the provisional lesion"
        ),
        topics=["summary", "staging-imaging", "biopsy", "treatment-pathway", "mdt-referral"],
        indicators={"treatment-pathway": "warning"},
        says={
            "staging-imaging": [
                "limited value in myxoid liposarcoma",
                "Whole-spine MRI",
                "whole-spine MRI (myxoid liposarcoma)",
            ],
            "biopsy": ["liver MRI first", "only if still indicated after it"],
            "summary": [
                "Unconfirmed STS liver metastasis (myxoid liposarcoma",
                "Histology: myxoid liposarcoma",
            ],
        },
        never_says=[
            "FDG-PET/CT to exclude extrahepatic disease",
            "TumorSize",
            "21889-1",
            "liver MRI if needed, FDG-PET/CT",
            "Surgical candidacy not recorded",
        ],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": ["4.1", "4.2"],
            "biopsy": ["3.1", "3.3"],
            "treatment-pathway": ["3.1", "4.2"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 30,
            "long_dfi": "yes",
            "oligometastatic": "yes",
            "subcentimetre_lesion": "yes",
            "histology": "myxoid_liposarcoma",
        },
        rationale=(
            "Lesion < 1 cm -> hepatic MRI (4.2); myxoid liposarcoma -> whole-spine MRI (section "
            "3.4) and no FDG-PET/CT, which is of limited value in a poorly FDG-avid subtype "
            "(section 3.4); the provisional diagnosis leaves the origin uncertain -> biopsy could "
            "be considered (3.1), but only after the liver MRI (4.2) for an 8 mm lesion: no biopsy"
            " order until MRI is recorded (REVIEW finding 3); it counts but is named as "
            "unconfirmed."
        ),
    )


@example("angiosarcoma-bilobar-vascular-low-flr")
def _24() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-24", "mcode", family="Eriksen", given="Ingrid", gender="female", birth_date="1967-05-05"
    )
    sts_mcode(p, "primary-angiosarcoma", C49_UPPER_LIMB, UPPER_ARM, M_ANGIO, "2025-02-17")
    liver_met_mcode(p, "liver-met", "2025-11-20")
    p.lesion_count("lesion-count-liver", "2026-05-12", 3)
    p.finding("bilobar", "2025-11-20", "bilobar", "Bilobar liver metastases", True)
    p.finding("vascular", "2025-11-20", "vascular-involvement", "Major vascular involvement", True)
    p.observation(
        "flr",
        (LOCAL, "future-liver-remnant", "Future liver remnant"),
        "2025-12-03",
        category="imaging",
        value={"valueQuantity": {"value": 22, "unit": "%", "system": UCUM, "code": "%"}},
        body_site=LIVER,
    )
    p.ecog("ecog", "2025-12-03", 1)
    return p, expect(
        says={
            "treatment-pathway": [
                "Metachronous liver-only OMD: consider liver resection",
                "did not reach consensus; an experienced HPB team decides",
                "FLR 22% (2025-12-03, > 90 days old: redo it)",
            ],
            "summary": ["Histology: angiosarcoma"],
        },
        never_says=["resection discouraged by the authors"],
        shows=(
            "Angiosarcoma, 3 bilobar liver metastases with vascular involvement and future liver "
            "remnant 22 %"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "treatment-pathway": ["5.3", "8.1", "5.5", "7.1"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 9,
            "oligometastatic": "yes",
            "liver_only": "yes",
            "lesion_count": 3,
            "histology": "angiosarcoma",
        },
        indicators={"treatment-pathway": "warning"},
        rationale=(
            "Bilobar + vascular involvement -> 5.5 (discourage complex hepatectomy, NOT a "
            "consensus: must be marked); FLR < 25 % of a normal liver is a warning (7.1, section "
            "3.7: hypertrophy techniques). Angiosarcoma: brain and whole-spine MRI (section 3.4)."
        ),
    )


# ---------------------------------------------------------------- uncertain origin (3.1)


@example("hcc-risk-factors")
def _25() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-25", "ehr", family="Tran", given="Minh", gender="male", birth_date="1960-09-14"
    )
    p.condition("dx-lms", [C49_LOWER_LIMB_QUIRK, SCT_LMS], "2025-06-02")  # "C492", no dot
    p.condition("dx-hep-b", [B18_HEP_B, SCT_HEP_B], "2012-03-19", category="problem-list-item")
    p.condition(
        "dx-cirrhosis", [K74_CIRRHOSIS, SCT_CIRRHOSIS], "2021-08-30", category="problem-list-item"
    )
    liver_met_ehr(p, "dx-liver-met", "2026-03-16", verification="unconfirmed")
    p.lesion_count("lesion-count-liver", "2026-03-16", 1)
    return p, expect(
        shows=(
            "Leiomyosarcoma with a liver lesion in a patient with chronic hepatitis B and "
            "cirrhosis: origin uncertain"
        ),
        topics=["summary", "staging-imaging", "biopsy", "treatment-pathway", "mdt-referral"],
        indicators={"treatment-pathway": "warning"},
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": ["4.1", "4.2", "4.3"],
            "biopsy": ["3.1", "3.3"],
            "treatment-pathway": ["3.1", "4.2"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 9,
            "long_dfi": "no",
            "hcc_risk_factors": "yes",
            "oligometastatic": "yes",
        },
        says={
            "treatment-pathway": [
                "Background liver disease (Chronic viral hepatitis B",
                "liver-function work-up and future liver remnant assessment before any resection",
            ]
        },
        rationale=(
            "HCC risk factors make origin uncertain: biopsy could be considered (3.1) and liver "
            "MRI characterises it (4.2). Unconfirmed lesion counts but is named. Cirrhosis and "
            "hepatitis B also call for liver-function work-up and FLR assessment before any "
            "resection (7.1; section 3.7: ~25% holds for a normal liver; REVIEW2 finding 19)."
        ),
    )


@example("colorectal-cancer-history")
def _26() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-26", "ehr", family="Murphy", given="Aoife", gender="female", birth_date="1958-01-12"
    )
    p.condition(
        "dx-crc-history",
        [Z85_COLORECTAL],
        "2019-02-04",
        category="problem-list-item",
        clinical="inactive",
    )
    p.condition("dx-sarcoma", [C49_THORAX, SCT_SARCOMA], "2025-04-07")
    liver_met_ehr(p, "dx-liver-met", "2026-02-09")
    p.lesion_count("lesion-count-liver", "2026-05-12", 2)
    return p, expect(
        shows=(
            "Soft-tissue sarcoma of the chest wall and a history of colon cancer (Z85.038): liver "
            "lesions of uncertain origin"
        ),
        topics=["summary", "staging-imaging", "biopsy", "treatment-pathway", "mdt-referral"],
        indicators={"treatment-pathway": "warning"},
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": ["4.1", "4.2", "4.3"],
            "biopsy": ["3.1", "3.3"],
            "treatment-pathway": ["3.1", "4.2"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 10,
            "colorectal_cancer_history": "yes",
            "histology": "unknown",
        },
        rationale=(
            "Colorectal cancer history makes origin uncertain (3.1 names metachronous colorectal "
            "cancer) -> biopsy could be considered; 4.2 for lesions of uncertain origin."
        ),
    )


# ---------------------------------------------------------------- not a surgical candidate


@example("not-surgical-candidate-local-code")
def _27() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-27", "ehr", family="Bauer", given="Klaus", gender="male", birth_date="1944-12-24"
    )
    p.condition("dx-lms", [C49_ABDOMEN, SCT_LMS], "2025-04-04")
    liver_met_ehr(p, "dx-liver-met", "2026-02-10")
    p.condition(
        "not-candidate",
        [NOT_SURGICAL_CANDIDATE],
        "2026-03-03",
        category="problem-list-item",
        note="Tumour board 2026-03-03: severe COPD and heart failure, unfit for hepatectomy",
    )
    p.lesion_count("lesion-count-liver", "2026-05-12", 2)
    return p, expect(
        says={"mdt-referral": ["against systemic therapy"]},
        never_says=["assess eligibility for non-surgical local approaches", "best supportive care"],
        shows=(
            "Metachronous liver-only OMD in a patient flagged not a surgical candidate: local non-"
            "surgical options instead of resection"
        ),
        topics=["summary", "staging-imaging", "local-therapy", "mdt-referral"],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "local-therapy": ["10.1"],
            "mdt-referral": ["10.1"],
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 10,
            "oligometastatic": "yes",
            "not_surgical_candidate": "yes",
        },
        rationale=(
            "Not a surgical candidate: 5.3/8.1 give way to 10.1 (MDT for ablation, TAE/TACE/TARE, "
            "SBRT)."
        ),
    )


@example("not-surgical-candidate-ecog-3")
def _28() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-28", "mcode", family="Lopes", given="Fernanda", gender="female", birth_date="1950-07-07"
    )
    sts_mcode(p, "primary-lms", C49_PELVIS, PELVIS, M_LMS, "2025-01-20")
    liver_met_mcode(p, "liver-met", "2025-12-01")
    p.lesion_count("lesion-count-liver", "2026-05-12", 1)
    p.ecog("ecog-at-diagnosis", "2025-01-25", 1)
    p.ecog("ecog-latest", "2026-05-15", 3)
    return p, expect(
        says={"mdt-referral": ["systemic therapy or best supportive care according to fitness"]},
        never_says=["assess eligibility for non-surgical local approaches"],
        shows="ECOG 3 (latest; ECOG 1 at diagnosis is older): not a surgical candidate",
        topics=["summary", "staging-imaging", "local-therapy", "mdt-referral"],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "local-therapy": ["10.1"],
            "mdt-referral": ["10.1"],
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 10,
            "oligometastatic": "yes",
            "not_surgical_candidate": "yes",
        },
        rationale=(
            "Latest ECOG >= 3 -> not a surgical candidate -> 10.1 instead of the surgical branches"
            " (5.3, 8.1)."
        ),
    )


# ---------------------------------------------------------------- liver recurrence and follow-up


@example("re-metastasectomy-long-tfi")
def _29() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-29", "mcode", family="Hansen", given="Nils", gender="male", birth_date="1966-02-28"
    )
    sts_mcode(p, "primary-lms", C49_LOWER_LIMB, THIGH, M_LMS, "2019-04-08")
    liver_met_mcode(p, "liver-met-first", "2022-09-12", clinical="resolved", abatement="2022-11-10")
    p.procedure(
        "hepatectomy",
        [SCT_HEPATECTOMY],
        performed="2022-11-10",
        category=CAT_SURGICAL,
        body_site=LIVER,
        reason="liver-met-first",
    )
    liver_met_mcode(p, "liver-met-recurrence", "2026-04-15")
    p.contrast_ct("ct", "2026-04-15")
    p.lesion_count("lesion-count-liver", "2026-04-15", 1)
    p.ecog("ecog", "2026-04-20", 0)
    return p, expect(
        shows=(
            "Liver recurrence 41 months after hepatectomy, no adjuvant therapy, ECOG 0: re-"
            "resection may be considered"
        ),
        topics=["summary", "staging-imaging", "liver-recurrence", "mdt-referral", "follow-up"],
        says={"liver-recurrence": ["new resection may be considered", "biopsy"]},
        never_says=[
            "Next surveillance CT due",
            "origin is uncertain",
            "long interval to the liver lesion",
            "sarcoma metastasis",
        ],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "liver-recurrence": ["9.1", "9.2", "3.1"],
            "mdt-referral": MDT,
            "follow-up": ["13.1"],
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 41,
            "long_dfi": "yes",
            "liver_recurrence": "yes",
            "tfi_months": 41,
            "oligometastatic": "yes",
            "followup_overdue": "no",
        },
        rationale=(
            "OMD, TFI 41 > 12 months, ECOG 0 -> new resection may be considered (9.1); no adjuvant"
            " after the first resection -> preoperative systemic therapy (9.2), which makes a "
            "biopsy reasonable (3.1). The 41-month TFI favours 9.1 and is not 3.1's long DFI (that "
            "ended with the first metastasis, 2022): the origin is not in doubt (REVIEW finding "
            "1). The liver-recurrence card takes the place of 5.3/8.1. CT 2026-04-15 is within "
            "the 6-monthly interval of years 2-5 (13.1)."
        ),
    )


@example("re-metastasectomy-short-tfi")
def _30() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-30", "ehr", family="Silva", given="Beatriz", gender="female", birth_date="1973-04-18"
    )
    p.condition("dx-lms", [C49_ABDOMEN, SCT_LMS], "2023-10-02")
    liver_met_ehr(
        p, "dx-liver-met-first", "2024-08-05", clinical="resolved", abatement="2025-03-10"
    )
    p.procedure(
        "hepatectomy",
        [CPT_PARTIAL_LOBECTOMY, SCT_HEPATECTOMY],
        performed="2025-03-10",
        category=CAT_SURGICAL,
        body_site=LIVER,
    )
    p.procedure(
        "adjuvant-chemo",
        [SCT_CHEMOTHERAPY],
        period=("2025-04-14", "2025-08-20"),
        category=CAT_THERAPEUTIC,
    )
    liver_met_ehr(p, "dx-liver-met-recurrence", "2026-03-02")
    p.contrast_ct("ct", "2026-03-02")
    p.lesion_count("lesion-count-liver", "2026-05-12", 2)
    p.ecog("ecog", "2026-03-05", 1)
    return p, expect(
        shows="Liver recurrence 6 months after adjuvant chemotherapy ended: TFI too short for 9.1",
        topics=["summary", "staging-imaging", "liver-recurrence", "mdt-referral", "follow-up"],
        says={"summary": ["2025-08-20 → 2026-03-02"]},
        never_says=[
            "Next surveillance CT due",
            "Recurrence outside the criteria for a new resection",
            "preoperative systemic treatment should be given",
            "Any liver resection",
            "2025-04-14 → 2026-03-02",
        ],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "liver-recurrence": ["9.1"],
            "mdt-referral": ["10.1"],
            "follow-up": ["13.1"],
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 10,
            "long_dfi": "no",
            "liver_recurrence": "yes",
            "tfi_months": 6,
            "oligometastatic": "yes",
            "followup_overdue": "no",
        },
        rationale=(
            "TFI is measured from the end of the last cancer-directed treatment (adjuvant chemo "
            "2025-08-20) -> 6 months, not > 12: the card says 9.1's TFI condition is not met. "
            "Adjuvant was given, so 9.2's first clause does not apply. CT 2026-03-02 is within 4 "
            "months (first 2 years, 13.1)."
        ),
    )


@example("follow-up-on-schedule")
def _31() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-31", "mcode", family="Martin", given="Chloe", gender="female", birth_date="1976-10-10"
    )
    sts_mcode(p, "primary-lms", C49_LOWER_LIMB, THIGH, M_LMS, "2024-02-05")
    liver_met_mcode(p, "liver-met", "2025-12-01", clinical="resolved", abatement="2026-03-02")
    p.procedure(
        "hepatectomy",
        [SCT_HEPATECTOMY],
        performed="2026-03-02",
        category=CAT_SURGICAL,
        body_site=LIVER,
        reason="liver-met",
    )
    p.contrast_ct("ct", "2026-05-20")
    return p, expect(
        says={"mdt-referral": ["resected 2 months and 30 days ago (2026-03-02)"]},
        never_says=["resected 2 months ago"],
        shows=(
            "Three months after liver metastasectomy, surveillance CT 12 days ago: follow-up on "
            "schedule, adjuvant question for the MDT"
        ),
        topics=["summary", "follow-up", "mdt-referral"],
        recommendations={"summary": ["2.2"], "follow-up": ["13.1"], "mdt-referral": ["12.1"]},
        facts={
            "timing": "metachronous",
            "dfi_months": 21,
            "liver_recurrence": "no",
            "followup_overdue": "no",
        },
        rationale=(
            "A resolved liver metastasis still counts (summary); after liver metastasectomy: 13.1 "
            "schedule (every 3-4 months in years 1-2; last CT 2026-05-20 is recent) and 12.1 "
            "adjuvant therapy for the MDT. No current metastasis, so no staging, biopsy or "
            "surgical card."
        ),
    )


@example("follow-up-overdue")
def _32() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-32", "ehr", family="Andersen", given="Mikkel", gender="male", birth_date="1969-03-03"
    )
    p.condition("dx-lms", [C49_LOWER_LIMB, SCT_LMS], "2022-03-14")
    liver_met_ehr(p, "dx-liver-met", "2023-05-08", clinical="resolved", abatement="2023-07-17")
    p.procedure(
        "hepatectomy",
        [CPT_TRISEGMENTECTOMY, SCT_HEPATECTOMY],
        performed="2023-07-17",
        category=CAT_SURGICAL,
        body_site=LIVER,
    )
    p.contrast_ct("ct", "2025-06-30")
    return p, expect(
        shows=(
            "34 months after hepatectomy, last contrast CT 11 months ago: follow-up overdue "
            "(6-monthly in years 2-5)"
        ),
        topics=["summary", "follow-up"],
        recommendations={"summary": ["2.2"], "follow-up": ["13.1"]},
        facts={
            "timing": "metachronous",
            "dfi_months": 13,
            "liver_recurrence": "no",
            "followup_overdue": "yes",
        },
        indicators={"follow-up": "warning"},
        rationale=(
            "Year 3 after liver metastasectomy: CT chest/abdomen every 6 months (13.1); last one "
            "2025-06-30 is older -> warning. The adjuvant question (12.1) is long past, so no MDT "
            "card (reviewed reading: 12.1 is shown for 6 months after the operation)."
        ),
    )


# ---------------------------------------------------------------- resources that must not count


@example("entered-in-error-and-refuted")
def _33() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-33", "ehr", family="Petrov", given="Dmitri", gender="male", birth_date="1963-12-01"
    )
    p.condition("dx-lms", [C49_LOWER_LIMB, SCT_LMS], "2025-03-10")
    # Would make timing synchronous if counted:
    liver_met_ehr(p, "dx-liver-met-wrong-chart", "2025-04-01", verification="entered-in-error")
    # Would make OMD "no" (peritoneal sarcomatosis) if counted:
    p.condition(
        "dx-peritoneal-refuted",
        [SCT_PERITONEAL_MET],
        "2026-02-16",
        verification="refuted",
        clinical="inactive",
        body_site=PERITONEUM,
    )
    liver_met_ehr(p, "dx-liver-met", "2026-02-16")
    p.observation(
        "lesion-count-wrong",
        (LOCAL, "lesion-count", "Number of metastatic lesions"),
        "2026-02-17",
        category="imaging",
        value={"valueInteger": 9},
        body_site=LIVER,
        status="entered-in-error",
    )
    p.lesion_count("lesion-count-liver", "2026-05-12", 1)
    return p, expect(
        shows=(
            "Entered-in-error liver metastasis, refuted peritoneal metastasis and entered-in-error"
            " lesion count are all ignored"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "treatment-pathway": ["5.3", "8.1"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 11,
            "oligometastatic": "yes",
            "site_count": 1,
            "lesion_count": 1,
            "liver_only": "yes",
        },
        rationale=(
            "Ignoring the three invalid resources (clinical-logic 1.1): metachronous (11 months), "
            "1 lesion, liver only -> 5.3 + 8.1. Counting them would wrongly give synchronous, 9 "
            "lesions and diffuse disease."
        ),
    )


@example("outside-data-unconfirmed")
def _34() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-34", "ehr", family="Kim", given="Soo-ah", gender="female", birth_date="1980-06-06"
    )
    p.condition("dx-lms", [C49_UPPER_LIMB, SCT_LMS], "2025-05-19")
    liver_met_ehr(
        p,
        "dx-liver-met-outside",
        "2026-03-23",
        verification="unconfirmed",
        note=(
            "Imported from an outside CT report: lesion radiologically compatible with metastasis;"
            " not yet reviewed here"
        ),
    )
    p.lesion_count("lesion-count-liver", "2026-03-23", 1)
    return p, expect(
        shows=(
            "Liver metastasis imported from outside records as 'unconfirmed': counted but named as"
            " unconfirmed; the origin is uncertain, so a biopsy could be considered"
        ),
        topics=["summary", "staging-imaging", "biopsy", "treatment-pathway", "mdt-referral"],
        indicators={"treatment-pathway": "warning"},
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "biopsy": ["3.1", "3.3"],
            "treatment-pathway": ["3.1", "4.2"],
            "mdt-referral": MDT,
        },
        facts={
            "timing": "metachronous",
            "dfi_months": 10,
            "oligometastatic": "yes",
            "liver_only": "yes",
        },
        rationale=(
            "Unconfirmed diagnoses count but are marked (clinical-logic 1.1, section 3 'never hide"
            " uncertainty'); an unconfirmed metastasis leaves the origin uncertain (3.1: biopsy "
            "could be considered), and no surgical statement is made until it is confirmed."
        ),
    )


README_HEAD = """# Example patients (synthetic)

Every file here is a complete CDS Hooks 2.0 `patient-view` request: context plus the prefetch
the service asks for (`patient`, and searchset Bundles of `conditions`, `observations`,
`procedures`, the three medication searches and `diagnosticReports`).
**All patients, names, identifiers and dates are synthetic**; no real person is
described. Codes follow `docs/input-profile.md`; some SNOMED CT and CPT displays were not checked
against a licensed release.

Run one example at its fixed evaluation date (the `today` column):

```sh
sarcoma-cds evaluate fhir-examples/01-metachronous-lms-liver-only.json --today 2026-06-01
```

`manifest.yaml` holds, per file, the evaluation date, the encoding, what it demonstrates and the
expected topics, recommendation ids, key facts and non-info indicators, with a rationale. Those
expectations were written from `docs/clinical-logic.md` section 2 and the paper (Table 5), not from
the service code, so they act as an independent oracle for the golden tests.

Examples 43–47 (issue 21, `_european.py`) are European records: **registry** (a Dutch registry
record in ICD-10-NL with the morphology as its own Condition) and **idea4rc** (one IDEA4RC
`collection` Bundle per patient with `urn:uuid` references and Athena concepts: histology-of-site
primaries, the diagnosis Observation, a `partOf` liver metastasectomy, a progression episode, a
regimen with its outcome). Each has a US-coded twin built by
`tests/examples/test_european_twins.py`, which must give the same facts and cards.

Examples 48 onwards (issue 12) are in the shapes real systems send, written by hand in
`_real.py` from the public specifications' example shapes and not normalised: **mcode-stu4**
(the IG's own instance shapes: post-coordinated primaries with SNOMED morphologies,
SecondaryCancerCondition with body sites, TumorSize with a Tumor BodyStructure focus, TNM, history
of metastatic cancer), **synthea** (a raw transaction Bundle with `urn:uuid:` references, under
one key), **epic** and **oracle-health** (encounter diagnoses with proprietary codings, absolute
references, abatement), **us-core** (problem list with `onsetPeriod` and `onsetString`),
**text-only**, **medications** (systemic therapy only as medication resources) and **ehr-other**
(a cancer code outside every value set). Their validity is checked by
`tests/examples/test_real_shapes_valid.py`, and each goes through HTTP in
`tests/web/test_web_real_shapes.py`.

Encodings: **mcode** = problem-list Conditions with `onsetDateTime`, mCODE profiles and the
histology extension, TumorSize and CancerDiseaseStatus Observations; **ehr** = encounter
diagnoses with `recordedDate` only and several codings per Condition (ICD-10-CM + SNOMED CT),
including the quirks `C787`, `C492`, `94381002.0` and ICD-O-3 `88903`.

The files are generated by `_build.py` (deterministic: `python fhir-examples/_build.py`
rewrites them identically); edit the builder, then regenerate. `tests/examples/` checks shape,
FHIR R4B validity, subjects, the manifest and the coverage list.

| File | today | Encoding | What it shows | Expected topics |
| --- | --- | --- | --- | --- |
"""

README_TAIL = """
## Readings that the documents leave open

Where clinical-logic section 2 does not settle a case, the manifest takes the position below;
a disagreement with the engine is a question for review, not automatically an engine bug.

- **Timing indeterminate (04)** and **OMD indeterminate (12)**: the treatment-pathway card
  fires, but only to say what is missing and how the pathway differs (5.3/8.1 vs 8.2); it shows
  no surgical detail (issue 4: a card over an unknown fact says what is missing).
- **Biopsy (3.1)** fires only on its named triggers (DFI > 12 months, HCC risk factors,
  colorectal cancer history, preoperative systemic therapy proposed), not for every metachronous
  patient; an unconfirmed outside diagnosis (34) alone does not trigger it.
- **Liver recurrence (29, 30)**: the liver-recurrence card (9.1/9.2) replaces the 5.3/8.1
  treatment pathway, so a short-TFI patient is not told that resection "should be considered".
  The follow-up card still fires (a liver metastasectomy is in the record).
- **After metastasectomy without current disease (31, 32)**: summary and follow-up; the 12.1
  MDT card (adjuvant therapy) is shown for 6 months after the operation (31), not years later
  (32). The paper gives no time; this is the lead's reading, in `mdt-referral.yaml`.
- **Not a surgical candidate (27, 28)**: treatment-pathway is absent (its metachronous branches
  are surgical) and local-therapy (10.1) appears; the MDT card cites 10.1 (assess non-surgical
  options) rather than 5.1 (which is about surgical resection); staging still fires.
- **Origin in doubt (23, 25, 26, 34)**: with an unconfirmed liver lesion, HCC risk factors or a
  colorectal cancer history, the treatment-pathway card shows no surgical statement; it says to
  confirm the lesion's origin first (4.2, 3.1; paper §3.3: other histologies "should be considered
  before planning a metastasectomy"). Reviewed by a clinical reviewer.
- **Indicators** (issue 14): `warning` only for safety and timeliness — FLR < 25 % and a
  performance status against surgery (treatment-pathway), progression and new disease, an
  unsettled origin before surgery (treatment-pathway, 23, 25, 26, 34), stale staging (37),
  conflicting data, an overdue surveillance CT (follow-up); everything else, excluded OMD
  included (06-11, 35), is info.
- **C78.6 alone (12)**: diffuse involvement is *indeterminate* (the data exist but are
  ambiguous), not unknown.
- **Record that cannot be settled (36, 42, 44)**: TNM cM1 without sites, a text-only problem list
  or a cancer code outside every value set gives one data-quality card (what to code) and no
  consensus card: a guess would be a wrong card, silence a wrong "no".
- **History of liver metastasis only (37)**: the summary card only, as after a metastasectomy
  without current disease (32): whether liver disease remains is not recorded.
"""


# ---------------------------------------------------------------- tumour-board reasoning (issue 13)


@example("seven-measured-lesions-one-condition")
def _35() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-35", "mcode", family="Lindqvist", given="Erik", gender="male", birth_date="1966-04-21"
    )
    sts_mcode(p, "primary-lms", C49_LOWER_LIMB, THIGH, M_LMS, "2024-06-10")
    liver_met_mcode(p, "liver-met", "2026-05-06")
    for i, mm in enumerate((34, 21, 18, 15, 12, 11, 9), start=1):
        p.tumor_size(f"size-liver-{i}", "2026-05-06", mm, "liver-met")
    p.ecog("ecog", "2026-05-08", 1)
    return p, expect(
        shows=(
            "Seven TumorSize measurements of one date, all pointing at the single liver-metastasis "
            "Condition: seven lesions, not oligometastatic, no resection card"
        ),
        topics=["summary", "mdt-referral"],
        says={
            "summary": ["7 lesions"],
            "mdt-referral": ["Not oligometastatic", "systemic therapy"],
        },
        never_says=["consider liver resection", "1 lesion(s)", "Any liver resection"],
        recommendations={"summary": ["1.1"]},
        facts={"lesion_count": 7, "oligometastatic": "no", "liver_only": "yes"},
        rationale=(
            "1.1: <= 5 lesions. Each measurement is a lesion unless a BodyStructure focus says two "
            "measurements are one lesion (clinical-logic 1.4); 7 > 5, so not OMD and the MDT card "
            "names systemic therapy as the mainstay (paper section 1)."
        ),
    )


@example("biopsy-proven-hepatitis-b")
def _36() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-36", "mcode", family="Wong", given="Mei", gender="female", birth_date="1968-02-02"
    )
    sts_mcode(p, "primary-lms", C49_LOWER_LIMB, THIGH, M_LMS, "2025-03-10")
    p.condition("hep-b", [B18_HEP_B, SCT_HEP_B], "2011-05-04")
    liver_met_mcode(p, "liver-met", "2026-03-20")
    p.procedure(
        "liver-biopsy",
        [SCT_LIVER_BIOPSY],
        performed="2026-03-27",
        category=CAT_SURGICAL,
        body_site=LIVER,
        reason="liver-met",
    )
    histology = p.observation(
        "liver-histology",
        LOINC_HISTOLOGY,
        "2026-03-30",
        category="laboratory",
        value={"valueCodeableConcept": {"coding": [_coding(M_LMS_METASTATIC)], "text": "LMS"}},
        body_site=LIVER,
    )
    histology["partOf"] = [{"reference": "Procedure/liver-biopsy"}]
    p.lesion_count("lesion-count-liver", "2026-05-15", 1)
    p.ecog("ecog", "2026-05-15", 0)
    return p, expect(
        shows=(
            "Chronic hepatitis B, liver core biopsy already proved metastatic leiomyosarcoma: no "
            "second biopsy, the resection pathway shows, hepatitis named for the liver work-up"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        says={
            "summary": ["Sarcoma confirmed on liver histology"],
            "treatment-pathway": ["consider liver resection", "background liver disease"],
        },
        never_says=["core-needle liver biopsy", "confirm that the liver lesion is a sarcoma"],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "treatment-pathway": ["5.3", "8.1", "7.1"],
            "mdt-referral": MDT,
        },
        facts={
            "hcc_risk_factors": "yes",
            "liver_histology_sarcoma": "yes",
            "origin_uncertain": "no",
            "oligometastatic": "yes",
            "timing": "metachronous",
        },
        rationale=(
            "3.1: biopsy only when the origin is uncertain; liver histology showing sarcoma "
            "settles it (clinical-logic 1.3), and the paper cites bleeding in up to 10% of liver "
            "biopsies (section 3.3). Hepatitis B stays relevant to liver function and FLR (7.1)."
        ),
    )


@example("stale-lesion-count")
def _37() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-37", "mcode", family="Keller", given="Anna", gender="female", birth_date="1975-08-30"
    )
    sts_mcode(p, "primary-ss", C49_LOWER_LIMB, THIGH, M_SYNOVIAL, "2023-02-01")
    liver_met_mcode(p, "liver-met", "2025-04-02")
    p.lesion_count("lesion-count-liver", "2025-04-02", 2)
    return p, expect(
        shows=(
            "Liver-only metachronous disease counted 14 months ago and never restaged: OMD "
            "indeterminate, restage, no surgical statement"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        indicators={
            "summary": "warning",
            "staging-imaging": "warning",
            "treatment-pathway": "warning",
        },
        says={
            "summary": ["restage, lesion count from 2025-04-02"],
            "staging-imaging": ["CT of the chest", "2025-04-02"],
            "treatment-pathway": ["Restage before any decision on liver surgery"],
        },
        never_says=["consider liver resection", "Oligometastatic by the consensus definition"],
        recommendations={
            "summary": ["1.1"],
            "staging-imaging": ["1.1", "4.1"],
            "treatment-pathway": ["1.1"],
            "mdt-referral": MDT,
        },
        facts={"oligometastatic": "indeterminate", "burden_stale": "yes", "lesion_count": 2},
        rationale=(
            "1.1 needs OMD confirmed by staging; a count older than the staging window (90 days) "
            "cannot confirm it (clinical-logic 1.4)."
        ),
    )


@example("ecog-2-asa-3-elderly")
def _38() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-38", "mcode", family="Baptiste", given="Henri", gender="male", birth_date="1947-09-01"
    )
    sts_mcode(p, "primary-lms", C49_ABDOMEN, ABDOMEN, M_LMS, "2024-05-06")
    p.procedure(
        "primary-resection",
        [SCT_TUMOUR_RESECTION],
        performed="2024-05-20",
        category=CAT_SURGICAL,
        body_site=ABDOMEN,
        reason="primary-lms",
    )
    liver_met_mcode(p, "liver-met", "2026-04-14")
    p.lesion_count("lesion-count-liver", "2026-04-14", 2)
    p.ecog("ecog", "2026-04-20", 2)
    p.observation(
        "asa",
        SCT_ASA,
        "2026-04-20",
        category="exam",
        value={"valueCodeableConcept": {"coding": [_coding(SCT_ASA_III)], "text": "ASA III"}},
    )
    return p, expect(
        shows=(
            "78 years old, ECOG 2 and ASA III with metachronous liver-only OMD: the resection card "
            "is qualified and names the non-surgical local options beside surgery"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        indicators={"treatment-pathway": "warning"},
        says={
            "treatment-pathway": [
                "Liver surgery only if fit",
                "ECOG 2, ASA III (age 78)",
                "ablation, TAE/TACE/TARE, SBRT",
            ]
        },
        never_says=["ASA 3", "consider a minimally invasive approach"],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "treatment-pathway": ["5.3", "8.1", "7.2", "10.1"],
            "mdt-referral": MDT,
        },
        facts={"performance_limited": "yes", "not_surgical_candidate": "no"},
        rationale=(
            "The paper selects patients with good performance status (section 1, 9.1) and assesses "
            "ASA (7.2); ECOG 2 / ASA III is not a contraindication (clinical-logic 1.5), so surgery"
            " stays on the card, qualified, with 10.1 beside it."
        ),
    )


@example("synchronous-primary-in-place")
def _39() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-39", "mcode", family="Costa", given="Rui", gender="male", birth_date="1970-01-19"
    )
    sts_mcode(p, "primary-ups", C49_LOWER_LIMB, THIGH, M_UPS, "2025-10-06")
    liver_met_mcode(p, "liver-met", "2025-11-03")
    p.procedure(
        "chemotherapy",
        [SCT_CHEMOTHERAPY],
        period=("2025-11-17", "2026-03-30"),
        category=CAT_THERAPEUTIC,
    )
    p.disease_status("disease-status", "2026-04-20", STATUS_STABLE, "liver-met")
    p.lesion_count("lesion-count-liver", "2026-04-20", 2)
    p.ecog("ecog", "2026-04-20", 1)
    return p, expect(
        shows=(
            "Synchronous UPS, primary never resected, stable after chemotherapy: 8.3 with the "
            "primary to be treated before or with the metastasectomy"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "mdt-referral"],
        says={
            "treatment-pathway": [
                "residual hepatic disease",
                "treat it before or at the same time as the metastasectomy",
                "the MDT must confirm it is resectable",
                "stable after chemotherapy (line 1)",
            ]
        },
        never_says=["front-line", "resected: no"],
        recommendations={
            "summary": SUMMARY_SYNC,
            "staging-imaging": STAGING,
            "treatment-pathway": ["8.3"],
            "mdt-referral": MDT,
        },
        facts={"timing": "synchronous", "primary_in_place": "yes", "oligometastatic": "yes"},
        rationale=(
            "Section 3.1: in synchronous OMD the primary should be treated before or at the same "
            "time as the metastasectomy; 8.3 needs at least stable disease and a resectable "
            "primary. Systemic therapy was already given, so 8.2 'front-line' is not repeated."
        ),
    )


@example("lung-relapse-after-liver-surgery")
def _40() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-40", "mcode", family="Schmidt", given="Jonas", gender="male", birth_date="1964-12-12"
    )
    sts_mcode(p, "primary-lms", C49_ABDOMEN, ABDOMEN, M_LMS, "2022-03-01")
    p.procedure(
        "primary-resection",
        [SCT_TUMOUR_RESECTION],
        performed="2022-03-15",
        category=CAT_SURGICAL,
        body_site=ABDOMEN,
        reason="primary-lms",
    )
    liver_met_mcode(p, "liver-met", "2024-07-01", clinical="resolved", abatement="2024-09-02")
    p.procedure(
        "hepatectomy",
        [SCT_HEPATECTOMY, CPT_PARTIAL_LOBECTOMY],
        performed="2024-09-02",
        category=CAT_SURGICAL,
        body_site=LIVER,
        reason="liver-met",
    )
    p.contrast_ct("ct-2026-03", "2026-03-10")
    p.condition(
        "lung-met", [C78_RIGHT_LUNG, SCT_LUNG_MET], "2026-03-10", kind="secondary", body_site=LUNG
    )
    p.lesion_count("lesion-count-lung", "2026-03-10", 2, site=LUNG)
    return p, expect(
        shows=(
            "New lung metastases on surveillance CT 18 months after liver surgery: restaging and "
            "MDT, not 'on schedule'"
        ),
        topics=["summary", "mdt-referral", "follow-up"],
        indicators={"summary": "warning", "mdt-referral": "warning", "follow-up": "warning"},
        says={
            "follow-up": ["Routine surveillance suspended", "restaging and MDT on the MDT card"],
            "mdt-referral": [
                "New lung metastasis 2026-03-10",
                "contrast CT of chest and abdomen ± FDG-PET/CT",
            ],
            "summary": ["Metastatic sites: lung"],
        },
        never_says=["On schedule", "Schedule:", "Next surveillance CT due"],
        recommendations={"follow-up": ["13.2"]},
        facts={"new_extrahepatic_disease": "yes", "followup_overdue": "no"},
        rationale=(
            "Clinical-logic section 2: new lung metastases after liver surgery are not routine "
            "follow-up (13.2: further evaluation by recurrence pattern); restage and discuss at the"
            " MDT."
        ),
    )


@example("recurrence-after-rfa")
def _41() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-41", "mcode", family="Ivanova", given="Olga", gender="female", birth_date="1969-06-15"
    )
    sts_mcode(p, "primary-lms", C49_LOWER_LIMB, THIGH, M_LMS, "2021-02-01")
    p.procedure(
        "primary-resection",
        [SCT_TUMOUR_RESECTION],
        performed="2021-02-20",
        category=CAT_SURGICAL,
        body_site=THIGH,
        reason="primary-lms",
    )
    liver_met_mcode(p, "liver-met-1", "2023-12-01", clinical="resolved", abatement="2024-01-15")
    p.procedure(
        "liver-rfa",
        [CPT_LIVER_RFA],
        performed="2024-01-15",
        category=CAT_THERAPEUTIC,
        body_site=LIVER,
        reason="liver-met-1",
    )
    liver_met_mcode(p, "liver-met-2", "2026-04-15")
    p.lesion_count("lesion-count-liver", "2026-04-15", 1)
    p.ecog("ecog", "2026-04-20", 0)
    return p, expect(
        shows=(
            "Liver recurrence 27 months after radiofrequency ablation, no liver resection ever: "
            "worded as recurrence after ablation (5.3, 8.1, 10.1), no re-resection (9.1/9.2) advice"
        ),
        topics=["summary", "staging-imaging", "liver-recurrence", "mdt-referral"],
        says={
            "liver-recurrence": [
                "Recurrence after liver ablation (2024-01-15)",
                "no earlier liver resection",
            ]
        },
        never_says=[
            "first liver resection",
            "re-metastasectomy",
            "new resection",
            "new liver",
            "1 or more liver tumors",
        ],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "liver-recurrence": ["5.3", "8.1", "10.1", "11.1", "11.2"],
            "mdt-referral": MDT,
        },
        facts={"liver_recurrence": "yes", "last_local_treatment": "ablation", "tfi_months": 27},
        rationale=(
            "Section 3.9: after a long TFI with good performance status, surgery or ablation can be"
            " considered. 9.1/9.2 are about remetastasectomy; with no liver resection ever, "
            "metachronous liver-only OMD follows 5.3/8.1, repeat non-surgical options 10.1, and "
            "preoperative chemotherapy 11.1/11.2 (REVIEW finding 2)."
        ),
    )


@example("on-treatment-partial-response")
def _42() -> tuple[PatientFiles, Json]:
    p = PatientFiles(
        "pt-42", "mcode", family="Haddad", given="Layla", gender="female", birth_date="1973-03-03"
    )
    sts_mcode(p, "primary-lms", C49_LOWER_LIMB, THIGH, M_LMS, "2024-02-12")
    p.procedure(
        "primary-resection",
        [SCT_TUMOUR_RESECTION],
        performed="2024-03-01",
        category=CAT_SURGICAL,
        body_site=THIGH,
        reason="primary-lms",
    )
    liver_met_mcode(p, "liver-met", "2025-11-20")
    p.procedure(
        "chemotherapy",
        [SCT_CHEMOTHERAPY],
        status="in-progress",
        period=("2025-12-01", None),
        category=CAT_THERAPEUTIC,
    )
    p.disease_status("disease-status", "2026-05-18", STATUS_IMPROVED, "liver-met")
    p.lesion_count("lesion-count-liver", "2026-05-18", 2)
    p.ecog("ecog", "2026-05-18", 1)
    return p, expect(
        shows=(
            "Six months of chemotherapy with a partial response: acknowledged, resection after "
            "systemic therapy (8.1), no 'reassess after 2-3 cycles'"
        ),
        topics=["summary", "staging-imaging", "treatment-pathway", "local-therapy", "mdt-referral"],
        says={
            "treatment-pathway": ["with improved disease", "Chemotherapy (2025-12-01"],
            "summary": ["Lesion count: 2"],
        },
        never_says=["2–3 cycles", "Preoperative chemotherapy may be considered"],
        recommendations={
            "summary": SUMMARY_META,
            "staging-imaging": STAGING,
            "treatment-pathway": ["5.3", "8.1"],
            "local-therapy": ["10.2"],
            "mdt-referral": MDT,
        },
        facts={"timing": "metachronous", "systemic_progression": "no", "oligometastatic": "yes"},
        rationale=(
            "8.1: resection upfront or after systemic therapy; the 11.x advice to consider "
            "preoperative chemotherapy and reassess after 2-3 cycles does not fit a patient six "
            "months into it with a response (clinical-logic section 2)."
        ),
    )


def _coding(c: CodeTriple) -> Json:
    return {"system": c[0], "code": c[1], "display": c[2]}


def write_readme(manifest: list[Json]) -> None:
    rows = [
        f"| [{e['file']}]({e['file']}) | {e['today']} | {e['encoding']} | {e['shows']} | "
        + (", ".join(e["expected"]["topics"]) or "(no card)")
        + " |"
        for e in manifest
    ]
    (HERE / "README.md").write_text(README_HEAD + "\n".join(rows) + "\n" + README_TAIL)


def build() -> list[Json]:
    manifest: list[Json] = []
    for number, (slug, fn) in enumerate(BUILDERS, start=1):
        patient, entry = fn()
        name = f"{number:02d}-{slug}.json"
        text = json.dumps(patient.request(seed=number), indent=2, ensure_ascii=False) + "\n"
        (HERE / name).write_text(text, encoding="utf-8")
        manifest.append(
            {"file": name, "today": entry["today"], "encoding": patient.encoding}
            | {k: entry[k] for k in ("shows", "expected", "rationale")}
        )
    # Real-world shapes (issue 12), written as the sending systems write them (_real.py).
    for number, (slug, encoding, real_fn) in enumerate(REAL, start=len(BUILDERS) + 1):
        body, entry = real_fn()
        name = f"{number:02d}-{slug}.json"
        text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
        (HERE / name).write_text(text, encoding="utf-8")
        manifest.append(
            {"file": name, "today": entry["today"], "encoding": encoding}
            | {k: entry[k] for k in ("shows", "expected", "rationale")}
        )
    header = (
        "# Expected behaviour of every example (see README.md). Generated by _build.py;\n"
        "# edit the builder, not this file. `expected` is an independent reading of\n"
        "# docs/clinical-logic.md section 2 and the paper's Table 5.\n"
    )
    body = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
    (HERE / "manifest.yaml").write_text(header + body, encoding="utf-8")
    write_readme(manifest)
    return manifest


# ---------------------------------------------------------------- European records (issue 21)


def _register_european() -> None:
    """The IDEA4RC and registry patients of _european.py, numbered after every @example above;
    their US-coded twins are built by tests/examples/test_european_twins.py, not written here."""
    from _european import BUILDERS as EUROPEAN

    for slug, build_european in EUROPEAN:

        def builder(fn: Any = build_european) -> tuple[Any, Json]:
            patient, _twin, fields = fn()
            return patient, expect(**fields)

        BUILDERS.append((slug, builder))


_register_european()


if __name__ == "__main__":
    built = build()
    print(f"wrote {len(built)} examples, manifest.yaml and README.md")
