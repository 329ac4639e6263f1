"""IDEA4RC shapes and registry morphology Conditions read as the facts (issue 21)."""

from __future__ import annotations

from datetime import date

from tests.clinical.conftest import (
    ICDO3,
    LOINC,
    Derive,
    concept,
    condition,
    lesion_count,
    observation,
)

ATHENA = "http://fhir.ohdsi.org/CodeSystem/concepts"
IDEA4RC_CS = "http://hl7.eu/fhir/ig/idea4rc/CodeSystem/cs-idea4rc-vocab-eu-i4rc"
IG = "http://hl7.eu/fhir/ig/idea4rc/StructureDefinition/"
FOLLOWING = "http://hl7.org/fhir/StructureDefinition/condition-occurredFollowing"
LMS_RPS = (ATHENA, "44500548")  # Leiomyosarcoma, NOS, of retroperitoneum
LMS_UTERUS = (ATHENA, "44501977")  # Leiomyosarcoma, NOS, of uterus, NOS
SYNOVIAL_LIMB = (ATHENA, "36536106")  # Synovial sarcoma, NOS, of ... lower limb and hip
MET_LIVER = (ATHENA, "36770544")
METASTASIS = (ATHENA, "36769180")
LIVER_STRUCTURE = (ATHENA, "4009105")


def test_histology_of_site_concept_is_a_primary_sts_with_histology_and_site(
    derive: Derive,
) -> None:
    p = derive(
        condition("prim", LMS_RPS, onset="2022-01-15"),
        condition("met", MET_LIVER, onset="2024-03-01"),
        lesion_count("lc", 1, when="2025-05-20"),
    )
    assert p["sts"].value is True
    assert p["histology"].value == "leiomyosarcoma"
    assert p["primary_site_retroperitoneal"].value is True
    assert p["intra_abdominal_primary"].value is True
    assert p["metastatic_sites"].value == ("liver",)
    assert p["timing"].value == "metachronous"


def test_uterine_concept_reads_as_uterus_plus_morphology(derive: Derive) -> None:
    p = derive(condition("prim", LMS_UTERUS, onset="2022-01-15"))
    assert p["sts"].value is True
    assert p["histology"].value == "leiomyosarcoma"
    assert p["primary_site_retroperitoneal"].value is False
    assert p["intra_abdominal_primary"].value is True


def test_generic_metastasis_takes_its_athena_body_site(derive: Derive) -> None:
    p = derive(
        condition("prim", SYNOVIAL_LIMB, onset="2024-01-15"),
        condition("met", METASTASIS, onset="2024-03-01", body_site=LIVER_STRUCTURE),
    )
    assert p["metastatic_sites"].value == ("liver",)
    assert p["histology"].value == "synovial_sarcoma"
    assert p["timing"].value == "synchronous"


def test_diagnosis_observation_gives_the_exact_date_behind_onset_age(derive: Derive) -> None:
    diagnosis = observation(
        "dx", (LOINC, "29308-4"), when="2023-09-10", valueCodeableConcept=concept(LMS_RPS)
    )
    p = derive(
        condition("prim", LMS_RPS, onsetAge={"value": 63, "code": "a", "unit": "years"}),
        diagnosis,
        condition("met", MET_LIVER, onset="2024-02-01"),
        birth="1960-03-15",
    )
    assert p["primary_diagnosis_date"].value == "2023-09-10"
    assert p["timing"].value == "synchronous"
    # Without the Observation the age gives only a year: the timing is not decidable.
    q = derive(
        condition("prim", LMS_RPS, onsetAge={"value": 63, "code": "a", "unit": "years"}),
        condition("met", MET_LIVER, onset="2024-02-01"),
        birth="1960-03-15",
    )
    assert q["timing"].state.value == "indeterminate"


def test_idea4rc_histology_extension_with_icdo3_value(derive: Derive) -> None:
    prim = condition("prim", (ATHENA, "4201415"), onset="2022-01-15")  # unknown to the IG list
    prim["extension"] = [
        {
            "url": IG + "condition-histology-morphology-behavior",
            "valueCodeableConcept": concept((ICDO3, "8890/3")),
        }
    ]
    p = derive(prim)
    assert p["histology"].value == "leiomyosarcoma"


def test_registry_morphology_condition(derive: Derive) -> None:
    nl = "http://hl7.org/fhir/sid/icd-10-nl"
    p = derive(
        condition("site", (nl, "C49.4"), onset="2025-01-15"),
        condition("morph", (ICDO3, "M8890/3"), onset="2025-01-15"),
        condition("met", (nl, "C78.7"), onset="2025-11-03"),
        today=date(2026, 6, 1),
    )
    assert p["sts"].value is True
    assert p["histology"].value == "leiomyosarcoma"
    assert p["timing"].value == "metachronous"
    # The morphology alone still establishes the sarcoma.
    q = derive(condition("morph", (ICDO3, "8890/3"), onset="2025-01-15"))
    assert q["sts"].value is True
    assert q["primary_diagnosis_date"].value == "2025-01-15"


def test_a_sarcoma_outside_the_sts_morphologies_is_not_a_known_no(derive: Derive) -> None:
    p = derive(condition("morph", (ICDO3, "M9180/3"), onset="2025-01-15"))  # osteosarcoma
    assert p["sts"].state.value == "indeterminate"
    assert "9180/3" in (p["sts"].reason or "")
    q = derive(condition("x", (ATHENA, "999999999"), onset="2025-01-15"))
    assert q["sts"].state.value == "indeterminate"
    assert "IDEA4RC concept" in (q["sts"].reason or "")
    # A benign or intermediate tumour is not a sarcoma: a readable "no".
    r = derive(condition("morph", (ICDO3, "8890/0"), onset="2025-01-15"))
    assert r["sts"].value is False
