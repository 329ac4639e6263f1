"""Lesion counting across sources, the date of the count and its staleness (clinical-logic §1.4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from tests.clinical.conftest import Derive
from tests.support.fhir_data import (
    LIVER_SITE,
    LOINC,
    cm,
    condition,
    lesion_count,
    liver_met,
    lms_primary,
    observation,
    tumour_size,
)

from sarcoma_cds.clinical.params import default_parameters


def test_seven_measurements_pointing_at_one_condition_are_seven_lesions(derive: Derive) -> None:
    sizes = [
        tumour_size(f"ts{i}", 10 + i, focus=[{"reference": "Condition/met-liver"}])
        for i in range(7)
    ]
    p = derive(lms_primary(), liver_met(), *sizes)
    assert p["lesion_count"].value == 7
    assert p["oligometastatic"].is_no
    assert "7 lesions" in (p["oligometastatic"].note or "")


def test_measurements_of_one_bodystructure_are_one_lesion(derive: Derive) -> None:
    sizes = [
        tumour_size("a", 12, focus=[{"reference": "BodyStructure/t1"}]),
        tumour_size("b", 11, focus=[{"reference": "BodyStructure/t1"}]),
        tumour_size("c", 30, focus=[{"reference": "BodyStructure/t2"}]),
    ]
    p = derive(lms_primary(), liver_met(), *sizes)
    assert p["lesion_count"].value == 2


def test_contained_bodystructures_are_told_apart_by_identifier(derive: Derive) -> None:
    def measured(rid: str, ident: str) -> dict[str, object]:
        return tumour_size(
            rid,
            15,
            focus=[{"reference": "#tumor"}],
            contained=[
                {
                    "resourceType": "BodyStructure",
                    "id": "tumor",
                    "identifier": [{"system": "urn:lesions", "value": ident}],
                }
            ],
        )

    p = derive(lms_primary(), liver_met(), measured("a", "L1"), measured("b", "L1"))
    assert p["lesion_count"].value == 1
    p = derive(lms_primary(), liver_met(), measured("a", "L1"), measured("b", "L2"))
    assert p["lesion_count"].value == 2


def test_the_largest_source_wins_and_the_disagreement_is_named(derive: Derive) -> None:
    sizes = [tumour_size(f"ts{i}", 20, when="2025-05-01") for i in range(3)]
    p = derive(lms_primary(), liver_met(), lesion_count("lc", 1, when="2025-05-01"), *sizes)
    assert p["lesion_count"].value == 3
    assert "disagree" in (p["lesion_count"].note or "")


def test_diagnoses_alone_give_a_lower_bound_not_a_count(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(), liver_met("met-liver-2", onset="2024-03-02"))
    assert not p["lesion_count"].known
    assert "at least 2" in (p["lesion_count"].reason or "")
    assert not p["burden_assessed_date"].known


def test_count_date_and_staleness(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(), lesion_count("lc", 2, when="2025-04-10"))
    assert p["burden_assessed_date"].value == "2025-04-10"
    assert p["burden_stale"].is_no
    assert p["oligometastatic"].is_yes

    old = derive(lms_primary(), liver_met(), lesion_count("lc", 2, when="2024-04-02"))
    assert old["burden_stale"].is_yes
    omd = old["oligometastatic"]
    assert omd.state.value == "indeterminate"
    assert "2024-04-02" in (omd.reason or "") and "restage" in (omd.reason or "")


def test_a_stale_count_does_not_undo_not_oligometastatic(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(), lesion_count("lc", 9, when="2024-04-02"))
    assert p["oligometastatic"].is_no


def test_a_count_in_a_coarse_month_straddling_the_window_is_indeterminate(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        liver_met(),
        lesion_count("lc", 2, when="2025-03"),
        today=date(2025, 6, 15),
    )
    assert p["burden_stale"].state.value == "indeterminate"
    assert p["oligometastatic"].state.value == "indeterminate"


def test_the_staging_window_is_a_setting(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        liver_met(),
        lesion_count("lc", 2, when="2025-01-10"),
        params=replace(default_parameters(), staging_window_days=365),
    )
    assert p["oligometastatic"].is_yes


def test_extrahepatic_sites_never_name_the_liver(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        liver_met(),
        condition("bone", cm("C79.51"), onset="2024-03-01"),
        lesion_count("lc", 2),
    )
    assert p["extrahepatic_sites"].value == ("bone",)
    assert p["extrapulmonary_extrahepatic"].is_yes
    lung = derive(lms_primary(), liver_met(), condition("lung", cm("C78.00"), onset="2024-03-01"))
    assert lung["extrahepatic_sites"].value == ("lung",)
    assert lung["extrapulmonary_extrahepatic"].is_no


def test_new_lung_metastasis_after_liver_surgery(derive: Derive) -> None:
    from tests.support.fhir_data import procedure, sct

    hepatectomy = procedure("hx", sct("107963000"), performed="2024-06-01")
    resolved = liver_met(clinical="resolved")
    lung = condition("lung", cm("C78.00"), onset="2025-03-01")
    p = derive(lms_primary(), resolved, hepatectomy, lung)
    assert p["new_extrahepatic_disease"].is_yes
    assert "lung" in (p["new_extrahepatic_disease"].note or "")
    before = condition("lung", cm("C78.00"), onset="2024-01-01")
    assert derive(lms_primary(), resolved, hepatectomy, before)["new_extrahepatic_disease"].is_no
    na = derive(lms_primary(), liver_met())["new_extrahepatic_disease"]
    assert na.state.value == "not_applicable"


def test_a_recent_chest_ct_is_not_ordered_again(derive: Derive) -> None:
    from tests.support.fhir_data import procedure

    recent = procedure("ct", (LOINC, "24627-2"), performed="2025-05-02")
    assert derive(lms_primary(), liver_met(), recent)["recent_ct_chest"].is_yes
    old = procedure("ct", (LOINC, "24627-2"), performed="2024-05-02")
    assert derive(lms_primary(), liver_met(), old)["recent_ct_chest"].is_no
    assert derive(lms_primary(), liver_met())["recent_ct_chest"].is_no


def test_lesion_count_observation_code_is_loinc_free(derive: Derive) -> None:
    """A TumorSize without a date cannot date the count: it is not used."""
    undated = observation("ts", (LOINC, "21889-1"), when=None, body_site=LIVER_SITE)
    p = derive(lms_primary(), liver_met(), undated)
    assert not p["lesion_count"].known
