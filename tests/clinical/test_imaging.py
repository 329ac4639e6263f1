"""Imaging already done recently, so that staging suggests only what is missing (4.1–4.3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from tests.clinical.conftest import Derive
from tests.support.fhir_data import CPT, LIVER_SITE, LOINC, Code, lms_primary, procedure, sct

from sarcoma_cds.clinical.facts import State
from sarcoma_cds.clinical.params import default_parameters

TODAY = date(2025, 6, 1)  # the 90-day window starts 2025-03-03


@pytest.mark.parametrize(
    ("code", "fact", "body_site"),
    [
        ((LOINC, "79103-8"), "recent_ct_abdomen", None),
        ((CPT, "74177"), "recent_ct_abdomen", None),
        ((CPT, "74183"), "recent_liver_mri", None),
        (sct("113091000"), "recent_liver_mri", LIVER_SITE),
        (sct("443271005"), "recent_pet_ct", None),
        ((CPT, "78815"), "recent_pet_ct", None),
        ((LOINC, "24590-2"), "recent_brain_mri", None),
        ((CPT, "72157"), "recent_spine_mri", None),
    ],
)
def test_each_study_is_recognised_within_the_window(
    derive: Derive, code: Code, fact: str, body_site: Code | None
) -> None:
    recent = derive(
        lms_primary(),
        procedure("s", code, performed="2025-04-01", body_site=body_site),
        today=TODAY,
    )
    assert recent[fact].is_yes
    old = derive(
        lms_primary(),
        procedure("s", code, performed="2025-01-01", body_site=body_site),
        today=TODAY,
    )
    assert old[fact].is_no


def test_a_generic_mri_of_another_organ_is_not_a_liver_mri(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        procedure("s", sct("113091000"), performed="2025-04-01", body_site=sct("39607008")),
        today=TODAY,
    )
    assert p["recent_liver_mri"].is_no


def test_partial_date_straddling_the_window_is_indeterminate(derive: Derive) -> None:
    p = derive(lms_primary(), procedure("s", (LOINC, "79103-8"), performed="2025-03"), today=TODAY)
    assert p["recent_ct_abdomen"].state is State.INDETERMINATE
    assert "2025-03" in (p["recent_ct_abdomen"].reason or "")


def test_window_follows_the_setting(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        procedure("s", (LOINC, "79103-8"), performed="2025-01-01"),
        today=TODAY,
        params=replace(default_parameters(), imaging_recent_days=180),
    )
    assert p["recent_ct_abdomen"].is_yes


def test_planned_study_is_not_a_study_done(derive: Derive) -> None:
    p = derive(lms_primary(), procedure("s", (CPT, "78815"), status="preparation"), today=TODAY)
    assert p["recent_pet_ct"].is_no


def test_not_supplied_is_unknown_and_none_recorded_is_no(derive: Derive) -> None:
    none = derive(lms_primary(), today=TODAY)
    absent = derive(lms_primary(), today=TODAY, omit=["procedures"])
    for fact in ("recent_ct_abdomen", "recent_liver_mri", "recent_pet_ct"):
        assert none[fact].is_no
        assert absent[fact].state is State.UNKNOWN
        assert absent[fact].reason == "no procedures were supplied"
