"""The primary tumour: STS or not, GIST, histology, retroperitoneal / intra-abdominal (§1.5)."""

from __future__ import annotations

import pytest
from tests.clinical.conftest import Derive
from tests.support.fhir_data import (
    ICDO3,
    LOINC,
    Code,
    cm,
    concept,
    condition,
    liver_met,
    observation,
    sct,
)

from sarcoma_cds.clinical.facts import State


@pytest.mark.parametrize(
    ("codes", "morphology"),
    [
        ((cm("C49.A2"),), None),
        ((cm("C49A2"),), None),
        ((sct("420120006"),), None),
        ((cm("C16.9"),), "8936/3"),
        ((cm("C16.9"),), "M8936/1"),
    ],
)
def test_gist_by_each_of_its_three_code_systems(
    derive: Derive, codes: tuple[Code, ...], morphology: str | None
) -> None:
    p = derive(condition("g", *codes, onset="2022-01-01", morphology=morphology), liver_met())
    assert p["gist"].is_yes
    assert p["histology"].value == "gist"
    assert p["sts"].is_no  # GIST is not counted as an STS primary


def test_gist_morphology_in_a_histology_observation(derive: Derive) -> None:
    p = derive(
        condition("g", cm("C16.9"), onset="2022-01-01"),
        observation("h", (LOINC, "31206-6"), valueCodeableConcept=concept((ICDO3, "8936/3"))),
    )
    assert p["gist"].is_yes
    assert p["gist"].evidence[0].ref == "Observation/h"


def test_rps_coded_c480_is_a_retroperitoneal_intra_abdominal_primary(derive: Derive) -> None:
    p = derive(condition("rps", cm("C48.0"), onset="2022-01-01"), liver_met())
    assert p["sts"].is_yes
    assert p["primary_site_retroperitoneal"].is_yes
    assert p["intra_abdominal_primary"].is_yes
    # No morphology recorded: the subtype is unknown, not "other".
    assert p["histology"].state is State.UNKNOWN
    assert p["histology"].reason == "histology not recorded"


def test_extremity_primary_is_not_retroperitoneal(derive: Derive) -> None:
    p = derive(condition("leg", cm("C49.2"), onset="2022-01-01"), liver_met())
    assert p["primary_site_retroperitoneal"].is_no
    assert p["intra_abdominal_primary"].is_no


def test_snomed_sarcoma_without_site_leaves_the_site_unknown(derive: Derive) -> None:
    p = derive(condition("s", sct("424413001"), onset="2022-01-01"), liver_met())
    assert p["sts"].is_yes
    assert p["primary_site_retroperitoneal"].state is State.UNKNOWN
    assert "site is not coded" in (p["primary_site_retroperitoneal"].reason or "")


def test_uterine_leiomyosarcoma_c55_with_mcode_histology_extension(derive: Derive) -> None:
    p = derive(condition("ut", cm("C55"), onset="2022-01-01", morphology="8890/3"), liver_met())
    assert p["sts"].is_yes
    assert p["histology"].value == "leiomyosarcoma"
    assert p["primary_diagnosis_date"].value == "2022-01-01"


def test_c55_without_sts_morphology_is_not_an_sts(derive: Derive) -> None:
    p = derive(condition("ut", cm("C55"), onset="2022-01-01", morphology="8140/3"), liver_met())
    assert p["sts"].is_no
    assert p["histology"].state is State.UNKNOWN


@pytest.mark.parametrize(
    ("morphology", "category"),
    [
        ("8890/3", "leiomyosarcoma"),
        ("88903", "leiomyosarcoma"),
        ("M8890/3", "leiomyosarcoma"),
        ("8890/3 3", "leiomyosarcoma"),
        ("8852/3", "myxoid_liposarcoma"),
        ("8858/3", "liposarcoma"),
        ("9581/3", "asps"),
        ("9044/3", "clear_cell_sarcoma"),
        ("9120/3", "angiosarcoma"),
        ("9041/3", "synovial_sarcoma"),
        ("8804/3", "epithelioid_sarcoma"),
        ("8910/3", "rhabdomyosarcoma"),
        ("8830/3", "ups"),
        ("8811/3", "other_sts"),
    ],
)
def test_histology_category_from_icdo3_morphology(
    derive: Derive, morphology: str, category: str
) -> None:
    p = derive(condition("prim", cm("C49.4"), onset="2022-01-01", morphology=morphology))
    assert p["histology"].value == category


def test_histology_from_snomed_disorder_code(derive: Derive) -> None:
    p = derive(condition("prim", sct("443719001"), onset="2022-01-01"))
    assert p["histology"].value == "leiomyosarcoma"


def test_conflicting_histologies_are_indeterminate(derive: Derive) -> None:
    p = derive(
        condition("prim", cm("C49.4"), onset="2022-01-01", morphology="8890/3"),
        observation("h", (LOINC, "31206-6"), valueCodeableConcept=concept((ICDO3, "9581/3"))),
    )
    assert p["histology"].state is State.INDETERMINATE
    assert "asps" in (p["histology"].reason or "")
    assert "leiomyosarcoma" in (p["histology"].reason or "")


def test_history_code_z85831_counts_as_sts_but_unconfirmed(derive: Derive) -> None:
    p = derive(condition("hx", cm("Z85.831"), onset="2015-01-01"), liver_met())
    assert p["sts"].is_yes
    assert p["sts"].unconfirmed
    assert "GIST" in (p["sts"].note or "")


def test_unconfirmed_primary_counts_and_is_flagged(derive: Derive) -> None:
    p = derive(condition("prim", cm("C49.4"), onset="2022-01-01", verification="differential"))
    assert p["sts"].is_yes
    assert p["sts"].unconfirmed
    assert any("Condition/prim" in u for u in p.unconfirmed)


def test_refuted_primary_does_not_count(derive: Derive) -> None:
    p = derive(condition("prim", cm("C49.4"), onset="2022-01-01", verification="refuted"))
    assert p["sts"].is_no


def test_no_conditions_supplied_leaves_tumour_facts_unknown(derive: Derive) -> None:
    p = derive(omit=["conditions"])
    for name in ("sts", "gist", "histology"):
        assert p[name].state is State.UNKNOWN
        assert p[name].reason


def test_uterine_primary_identified_by_a_histology_observation(derive: Derive) -> None:
    p = derive(
        condition("ut", cm("C55"), onset="2022-01-01"),
        observation("h", (LOINC, "31206-6"), valueCodeableConcept=concept((ICDO3, "88903"))),
        liver_met(),
    )
    assert p["sts"].is_yes
    assert p["histology"].value == "leiomyosarcoma"
    assert p["primary_diagnosis_date"].value == "2022-01-01"


def test_an_earlier_colorectal_cancer_is_not_dated_as_the_sarcoma(derive: Derive) -> None:
    """A histology Observation belongs to the sarcoma, not to every malignant primary: an old
    colorectal cancer must not become the STS primary and lengthen the DFI (3.1 asks exactly
    whether such a history makes the liver lesion's origin uncertain)."""
    p = derive(
        condition("crc", cm("C18.7"), onset="2015-04-01", clinical="resolved"),
        condition("prim", cm("C49.4"), onset="2023-06-01"),
        observation("h", (LOINC, "31206-6"), valueCodeableConcept=concept((ICDO3, "8890/3"))),
        liver_met(onset="2024-03-01"),
    )
    assert p["primary_diagnosis_date"].value == "2023-06-01"
    assert p["dfi_months"].value == 9
    assert p["long_dfi"].is_no
    assert p["colorectal_cancer_history"].is_yes
    assert all(e.ref != "Condition/crc" for e in p["sts"].evidence)


def test_a_cancer_code_the_service_does_not_read_keeps_sts_open_in_clinical_words(
    derive: Derive,
) -> None:
    """REVIEW6 m6 (example 57): what it is coded as, that the service does not read it as a
    sarcoma, and what to record; no "value sets" (system language)."""
    p = derive(condition("x", cm("D48.1"), onset="2025-09-03"), liver_met())
    assert p["sts"].state is State.INDETERMINATE
    reason = p["sts"].reason or ""
    assert reason.startswith("a soft tissue sarcoma cannot be ruled out: the cancer is coded '")
    assert reason.endswith(
        "(Condition/x), a code the service does not read as a soft tissue sarcoma; "
        "record the histology"
    )
    assert "value sets" not in reason
