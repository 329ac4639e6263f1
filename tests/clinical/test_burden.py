"""Burden: sites incl. the diffuse ones, lesion count, oligometastatic (§1.4; 1.1, 1.2)."""

from __future__ import annotations

import pytest
from tests.clinical.conftest import Derive
from tests.support.fhir_data import (
    ICD10,
    ICD10CM_OID,
    LIVER_SITE,
    LUNG_SITE,
    Code,
    cm,
    condition,
    lesion_count,
    liver_met,
    lms_primary,
    procedure,
    sct,
    tumour_size,
)

from sarcoma_cds.clinical.facts import State

PERITONEUM = sct("118762006")
PERICARDIUM = sct("76848001")


def test_liver_only_with_a_lesion_count_is_oligometastatic(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(), lesion_count("lc", 3))
    assert p["metastatic_sites"].value == ("liver",)
    assert p["site_count"].value == 1
    assert p["lesion_count"].value == 3
    assert p["oligometastatic"].is_yes
    assert "MDT must confirm" in (p["oligometastatic"].note or "")
    assert p["liver_only"].is_yes
    assert p["liver_and_lung_only"].is_no


@pytest.mark.parametrize(
    "code",
    [cm("C78.7"), cm("C787"), (ICD10CM_OID, "C78.7"), (ICD10, "C78.7"), sct("94381002.0")],
)
def test_liver_metastasis_in_every_spelling(derive: Derive, code: Code) -> None:
    p = derive(lms_primary(), condition("m", code, onset="2024-01-01"))
    assert p["metastatic_sites"].value == ("liver",)
    assert p["liver_metastasis_current"].is_yes


def test_multi_coded_condition_counts_once(derive: Derive) -> None:
    p = derive(lms_primary(), condition("m", cm("C78.7"), sct("94381002"), onset="2024-01-01"))
    assert p["metastatic_sites"].value == ("liver",)
    assert p["site_count"].value == 1


def test_both_lungs_are_one_site_and_liver_plus_lung_is_recognised(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        liver_met(),
        condition("l1", cm("C78.01"), onset="2024-01-01"),
        condition("l2", cm("C78.02"), onset="2024-01-01"),
        lesion_count("lc1", 2),
        lesion_count("lc2", 2, site=LUNG_SITE),
    )
    assert p["metastatic_sites"].value == ("liver", "lung")
    assert p["liver_and_lung_only"].is_yes
    assert p["liver_only"].is_no
    assert p["lesion_count"].value == 4
    assert p["oligometastatic"].is_yes


def test_three_sites_are_not_oligometastatic(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        liver_met(),
        condition("lung", cm("C78.00"), onset="2024-01-01"),
        condition("bone", cm("C79.51"), onset="2024-01-01"),
    )
    assert p["site_count"].value == 3
    assert p["oligometastatic"].is_no
    assert "3 metastatic sites" in (p["oligometastatic"].note or "")
    assert p["lesion_count"].state is State.UNKNOWN  # no is still decided without it


def test_more_than_five_lesions_are_not_oligometastatic(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(), lesion_count("lc", 6))
    assert p["oligometastatic"].is_no
    assert "6 lesions" in (p["oligometastatic"].note or "")


def test_latest_lesion_count_per_organ_is_summed(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        liver_met(),
        condition("lung", cm("C78.00"), onset="2024-01-01"),
        lesion_count("old", 7, when="2024-01-01"),
        lesion_count("new", 2, when="2025-05-01"),
        lesion_count("lung", 3, when="2025-04-15", site=LUNG_SITE),
    )
    assert p["lesion_count"].value == 5
    assert {e.ref for e in p["lesion_count"].evidence} == {"Observation/new", "Observation/lung"}
    assert p["oligometastatic"].is_yes
    # A sum over organs is only as current as its oldest part.
    assert p["burden_assessed_date"].value == "2025-04-15"


def test_a_site_without_a_count_gives_unknown_with_a_lower_bound(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        liver_met(),
        condition("lung", cm("C78.00"), onset="2024-01-01"),
        lesion_count("lc", 2),
    )
    assert p["lesion_count"].state is State.UNKNOWN
    assert "at least 3 lesions" in (p["lesion_count"].reason or "")
    assert "lung" in (p["lesion_count"].reason or "")
    assert p["oligometastatic"].state is State.INDETERMINATE


def test_lesion_count_from_tumour_size_foci_on_the_latest_imaging_date(derive: Derive) -> None:
    focus = [{"reference": "BodyStructure/a"}]
    p = derive(
        lms_primary(),
        liver_met(),
        tumour_size("old1", 20, when="2024-06-01"),
        tumour_size("old2", 20, when="2024-06-01"),
        tumour_size("old3", 20, when="2024-06-01"),
        tumour_size("s1", 25, when="2025-01-10", focus=focus),
        tumour_size("s1b", 24, when="2025-01-10", focus=focus),  # same lesion, two readings
        tumour_size("s2", 15, when="2025-01-10", focus=[{"reference": "BodyStructure/b"}]),
    )
    assert p["lesion_count"].value == 2
    assert "2025-01-10" in (p["lesion_count"].note or "")


def test_no_lesion_data_leaves_the_count_unknown_and_omd_indeterminate(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met())
    assert p["lesion_count"].state is State.UNKNOWN
    assert "at least 1" in (p["lesion_count"].reason or "")
    omd = p["oligometastatic"]
    assert omd.state is State.INDETERMINATE
    assert (omd.reason or "").endswith(
        "the number of lesions is not recorded (the diagnoses show at least 1); record it from "
        "the staging CT"
    )


# --- diffuse sites (1.2) and the ambiguous codes ----------------------------------------------


@pytest.mark.parametrize(
    ("code", "body_site", "site"),
    [
        (sct("94627008"), None, "peritoneal"),
        (cm("R18.0"), None, "peritoneal"),
        (sct("236005001"), None, "peritoneal"),
        (cm("C78.6"), PERITONEUM, "peritoneal"),
        (cm("C78.2"), None, "pleural"),
        (cm("J91.0"), None, "pleural"),
        (sct("94493005"), None, "pleural"),
        (cm("I31.31"), None, "pericardial"),
        (cm("C79.89"), PERICARDIUM, "pericardial"),
        (sct("230156002"), None, "leptomeningeal"),
    ],
)
def test_each_diffuse_site_makes_omd_no(
    derive: Derive, code: Code, body_site: Code | None, site: str
) -> None:
    p = derive(
        lms_primary(),
        liver_met(),
        condition("d", code, onset="2024-02-01", body_site=body_site),
        lesion_count("lc", 1),
    )
    sites = p["metastatic_sites"].value
    assert isinstance(sites, tuple)
    assert site in sites
    assert p["diffuse_involvement"].is_yes
    assert p["oligometastatic"].is_no
    assert site in (p["oligometastatic"].note or "")


def test_c786_alone_is_a_site_and_makes_omd_indeterminate_not_yes(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        liver_met(),
        condition("c786", cm("C78.6"), onset="2024-02-01"),
        lesion_count("lc", 1),
        lesion_count("lc2", 1, site=sct("82849001")),  # retroperitoneal structure: not an organ
    )
    assert p["site_count"].value == 2
    assert p["diffuse_involvement"].state is State.INDETERMINATE
    reason = p["diffuse_involvement"].reason or ""
    # Said in clinical words with the step that settles it, not as a code (REVIEW2 finding 5).
    assert "'retroperitoneum or peritoneum', with no site recorded" in reason
    assert "record the site from the abdominal CT" in reason
    assert "C78.6" not in reason
    assert p["oligometastatic"].state is State.INDETERMINATE
    assert "peritoneal" in (p["oligometastatic"].reason or "")


def test_c7932_is_possible_leptomeningeal(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        liver_met(),
        condition("c7932", cm("C79.32"), onset="2024-02-01"),
        lesion_count("lc", 1),
    )
    assert p["diffuse_involvement"].state is State.INDETERMINATE
    assert "leptomeningeal" in (p["diffuse_involvement"].reason or "")
    assert not p["oligometastatic"].known


def test_generic_metastasis_without_body_site_makes_omd_indeterminate(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        condition("gen", cm("C79.9"), onset="2024-02-01"),
        lesion_count("lc", 1),
    )
    assert p["metastatic_sites"].state is State.INDETERMINATE
    assert "bodySite" in (p["metastatic_sites"].reason or "")
    assert p["oligometastatic"].state is State.INDETERMINATE
    assert p["liver_only"].state is State.INDETERMINATE
    assert p["metastatic"].is_yes


def test_generic_metastasis_with_liver_body_site_is_a_liver_metastasis(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        condition("gen", cm("C79.9"), onset="2024-02-01", body_site=LIVER_SITE),
        lesion_count("lc", 2),
    )
    assert p["metastatic_sites"].value == ("liver",)
    assert p["liver_metastasis_current"].is_yes
    assert p["oligometastatic"].is_yes


# --- which conditions count (§1.1) ------------------------------------------------------------


def test_unconfirmed_metastasis_is_counted_and_flagged(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(verification="provisional"), lesion_count("lc", 1))
    assert p["liver_metastasis_current"].is_yes
    assert p["liver_metastasis_current"].unconfirmed
    # Named once, with its date, by the summary's own bullet; not listed again (REVIEW5 m7).
    assert p["liver_metastasis_confirmed"].is_no
    assert "Condition/met-liver" not in " ".join(p.unconfirmed)


@pytest.mark.parametrize("status", ["refuted", "entered-in-error"])
def test_refuted_and_entered_in_error_metastases_are_dropped(derive: Derive, status: str) -> None:
    p = derive(lms_primary(), liver_met(verification=status))
    assert p["liver_metastasis_ever"].is_no
    assert p["metastatic"].is_no
    assert p["timing"].state is State.UNKNOWN


def test_resolved_metastasis_is_history_not_a_current_site(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(clinical="resolved"))
    assert p["liver_metastasis_ever"].is_yes
    assert p["liver_metastasis_current"].is_no
    assert p["metastatic_sites"].value == ()
    # No current metastasis is not a count of 0 lesions (REVIEW4 m1).
    assert p["lesion_count"].state is State.NOT_APPLICABLE
    assert p["lesion_count"].reason == "not recorded (no current metastasis recorded)"


def test_no_current_disease_lesion_count_is_dated_from_the_metastasectomy(
    derive: Derive,
) -> None:
    """REVIEW4 m1 (examples 31, 45, 53): never a bare 0 nobody counted; a count read since
    the operation is the count, 0 included."""
    treated = (
        lms_primary(),
        liver_met(onset="2024-03-01", clinical="resolved"),
        procedure("hx", sct("107963000"), performed="2024-05-20"),
    )
    p = derive(*treated, lesion_count("before", 2, when="2024-04-01"))
    assert p["lesion_count"].state is State.NOT_APPLICABLE
    assert p["lesion_count"].reason == "not recorded since the metastasectomy (2024-05-20)"
    read = derive(*treated, lesion_count("after", 0, when="2025-01-10"))
    assert read["lesion_count"].value == 0
    assert read["lesion_count"].evidence[0].ref == "Observation/after"


def test_a_partly_counted_burden_is_said_as_a_sentence(derive: Derive) -> None:
    """REVIEW2 #5 (example 12): which sites were counted and which were not, in words."""
    p = derive(
        lms_primary(),
        liver_met(),
        condition("lung", cm("C78.00"), onset="2024-03-01"),
        lesion_count("lc", 2),
    )
    assert p["lesion_count"].state is State.UNKNOWN
    assert p["lesion_count"].reason == (
        "at least 3 lesions, 2 counted in the liver and at least 1 in the lung not yet counted"
    )


def test_other_patients_metastases_are_ignored_and_named_as_a_gap(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(subject="Patient/someone-else"))
    assert p["liver_metastasis_ever"].is_no
    assert any("another patient" in g for g in p.data_gaps)


def test_no_conditions_supplied_is_unknown_never_no(derive: Derive) -> None:
    p = derive(lesion_count("lc", 1), omit=["conditions"])
    for name in ("metastatic", "liver_metastasis_ever", "liver_metastasis_current"):
        assert p[name].state is State.UNKNOWN
        assert p[name].reason == "no conditions were supplied"
    assert "Conditions were not sent by the EHR" in p.data_gaps


# --- lesion size and location findings --------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "unit", "sub", "large", "mm"),
    [
        (8, "mm", True, False, 8.0),
        (0.8, "cm", True, False, 8.0),
        (10, "mm", False, False, 10.0),
        (101, "mm", False, True, 101.0),
        (10.5, "cm", False, True, 105.0),
        (10, "cm", False, False, 100.0),
    ],
)
def test_lesion_size_flags_in_mm_and_cm(
    derive: Derive, size: float, unit: str, sub: bool, large: bool, mm: float
) -> None:
    p = derive(lms_primary(), liver_met(), tumour_size("s", size, unit))
    assert p["largest_liver_lesion_mm"].value == pytest.approx(mm)
    assert p["subcentimetre_lesion"].value is sub
    assert p["large_lesion"].value is large


def test_lesion_size_from_the_latest_imaging_date_only(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        liver_met(),
        tumour_size("old", 120, when="2024-01-01"),
        tumour_size("new", 40, when="2025-01-01"),
    )
    assert p["large_lesion"].is_no
    assert p["largest_liver_lesion_mm"].value == 40


def test_size_of_a_lung_lesion_does_not_count_as_liver(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(), tumour_size("lung", 5, body_site=LUNG_SITE))
    assert p["subcentimetre_lesion"].state is State.UNKNOWN
    assert p["subcentimetre_lesion"].reason == "size of the liver lesions not recorded"


@pytest.mark.parametrize("finding", ["bilobar", "central-location", "vascular-involvement"])
def test_location_findings_read_the_latest_boolean(derive: Derive, finding: str) -> None:
    from tests.support.fhir_data import LOCAL, observation

    name = finding.replace("-", "_")
    p = derive(
        lms_primary(),
        liver_met(),
        observation("a", (LOCAL, finding), when="2024-01-01", valueBoolean=True),
        observation("b", (LOCAL, finding), when="2025-01-01", valueBoolean=False),
    )
    assert p[name].is_no
    assert p[name].evidence[0].ref == "Observation/b"
    assert p[name].note == "2025-01-01"  # the card dates the finding (REVIEW2 #17)
    missing = derive(lms_primary(), liver_met())
    assert missing[name].state is State.UNKNOWN
    assert "not recorded" in (missing[name].reason or "")


def test_no_current_metastasis_makes_omd_and_confirmation_not_applicable(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(clinical="resolved"))
    assert p["liver_metastasis_ever"].is_yes
    assert p["liver_metastasis_current"].is_no
    assert p["site_count"].value == 0
    assert p["oligometastatic"].state is State.NOT_APPLICABLE
    assert p["oligometastatic"].reason == "no current metastasis recorded"
    assert p["liver_metastasis_confirmed"].state is State.NOT_APPLICABLE
    assert p["liver_metastasis_confirmed"].reason == "no current liver metastasis recorded"


def test_without_conditions_confirmation_is_unknown_not_inapplicable(derive: Derive) -> None:
    p = derive(omit=["conditions"])
    assert p["liver_metastasis_confirmed"].state is State.UNKNOWN
    assert p["liver_metastasis_confirmed"].reason == "no conditions were supplied"
    assert p["oligometastatic"].state is not State.NOT_APPLICABLE
