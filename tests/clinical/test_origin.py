"""origin_uncertain and its settlement by liver histology (clinical-logic §1.3; 3.1)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.clinical.conftest import Derive
from tests.support.fhir_data import (
    ICDO3,
    LIVER_SITE,
    LOINC,
    cm,
    condition,
    liver_met,
    lms_primary,
    observation,
    procedure,
    sct,
)

from sarcoma_cds.clinical.params import default_parameters

HBV = condition("hbv", cm("B18.1"), onset="2010-01-01")


def histology(rid: str = "hist", when: str = "2024-03-10", **kw: Any) -> dict[str, Any]:
    return observation(
        rid,
        (LOINC, "31206-6"),
        when=when,
        valueCodeableConcept={"coding": [{"system": ICDO3, "code": "8890/6"}]},
        **kw,
    )


def test_hcc_risk_makes_the_origin_uncertain(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(), HBV)
    assert p["origin_uncertain"].is_yes
    assert "HCC risk factors" in (p["origin_uncertain"].note or "")
    assert p["liver_histology_sarcoma"].is_no


def test_liver_histology_settles_the_origin_despite_hepatitis_b(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(), HBV, histology(body_site=LIVER_SITE))
    assert p["liver_histology_sarcoma"].is_yes
    origin = p["origin_uncertain"]
    assert origin.is_no
    assert "settled by liver histology" in (origin.note or "")
    assert "HCC risk factors" in (origin.note or "")  # still named for the work-up (7.1)


def test_histology_linked_to_a_liver_biopsy_or_the_metastasis_counts(derive: Derive) -> None:
    biopsy = procedure("bx", sct("86259008"), performed="2024-03-08")
    part_of = histology(partOf=[{"reference": "Procedure/bx"}])
    assert derive(lms_primary(), liver_met(), HBV, biopsy, part_of)["origin_uncertain"].is_no
    focus = histology(focus=[{"reference": "Condition/met-liver"}])
    assert derive(lms_primary(), liver_met(), HBV, focus)["origin_uncertain"].is_no


def test_histology_of_another_specimen_does_not_settle_it(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(), HBV, histology())
    assert p["origin_uncertain"].is_yes


def test_a_pathology_report_of_the_liver_biopsy_settles_it(derive: Derive) -> None:
    biopsy = procedure("bx", sct("86259008"), performed="2024-03-08")
    biopsy["report"] = [{"reference": "DiagnosticReport/path"}]
    report = {
        "resourceType": "DiagnosticReport",
        "id": "path",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "60567-5"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2024-03-12",
        "conclusionCode": [{"coding": [{"system": ICDO3, "code": "8890/6"}]}],
    }
    p = derive(lms_primary(), liver_met(), HBV, biopsy, report)
    assert p["origin_uncertain"].is_no
    assert any(e.ref == "DiagnosticReport/path" for e in p["origin_uncertain"].evidence)


def test_a_confirmed_metastasis_citing_the_report_settles_it(derive: Derive) -> None:
    met = liver_met(evidence=[{"detail": [{"reference": "DiagnosticReport/path"}]}])
    report = {
        "resourceType": "DiagnosticReport",
        "id": "path",
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2024-03-12",
        "conclusionCode": [{"coding": [{"system": ICDO3, "code": "8890/6"}]}],
    }
    assert derive(lms_primary(), met, HBV, report)["origin_uncertain"].is_no


def test_pathology_of_an_earlier_resection_does_not_settle_a_recurrence(derive: Derive) -> None:
    hx = procedure("hx", sct("107963000"), performed="2023-01-10")
    old = histology(when="2023-01-10", body_site=LIVER_SITE)
    recurrence = liver_met(onset="2024-06-01")
    p = derive(lms_primary(), recurrence, HBV, hx, old)
    assert p["origin_uncertain"].is_yes


def test_an_ordinary_relapse_after_a_year_is_not_doubted(derive: Derive) -> None:
    p = derive(lms_primary("2022-01-15"), liver_met(onset="2024-03-01"))
    assert p["long_dfi"].is_yes
    assert p["very_long_dfi"].is_no
    assert p["origin_uncertain"].is_no


def test_a_very_long_interval_makes_the_origin_uncertain(derive: Derive) -> None:
    p = derive(lms_primary("2019-01-15"), liver_met(onset="2024-03-01"))
    assert p["very_long_dfi"].is_yes
    assert p["origin_uncertain"].is_yes
    shorter = replace(default_parameters(), origin_long_dfi_months=72)
    p = derive(lms_primary("2019-01-15"), liver_met(onset="2024-03-01"), params=shorter)
    assert p["origin_uncertain"].is_no


def test_a_long_interval_since_the_last_liver_treatment_is_not_a_doubt(derive: Derive) -> None:
    # Example 29's shape: a long TFI after a hepatectomy favours re-resection (9.1); it is not
    # 3.1's long DFI, which ends with the first metastasis.
    first = liver_met("first", onset="2020-09-12", clinical="resolved")
    hx = procedure("hx", sct("107963000"), performed="2020-11-10")
    recurrence = liver_met("again", onset="2026-04-15")
    p = derive(lms_primary("2019-04-08"), first, hx, recurrence)
    assert p["very_long_dfi"].is_no
    assert "not the first metastasis" in (p["very_long_dfi"].note or "")
    assert p["origin_uncertain"].is_no


def test_unconfirmed_metastasis_is_a_doubt(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(verification="provisional"))
    assert p["origin_uncertain"].is_yes
    assert "unconfirmed" in (p["origin_uncertain"].note or "")


def test_no_current_liver_metastasis_makes_origin_not_applicable(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(clinical="resolved"))
    assert p["origin_uncertain"].state.value == "not_applicable"


def test_an_unconfirmed_diagnosis_alone_leaves_no_other_doubt(derive: Derive) -> None:
    """REVIEW5 m7: the summary names an unconfirmed diagnosis once, in its own bullet; the
    origin bullet (origin_other_doubts) names only the other doubts."""
    alone = derive(lms_primary(), liver_met(verification="provisional"))
    assert alone["origin_uncertain"].is_yes
    assert alone["origin_other_doubts"].is_no
    assert alone["liver_metastasis_confirmed"].note == "C78.7, 2024-03-01"
    with_hbv = derive(lms_primary(), liver_met(verification="provisional"), HBV)
    assert with_hbv["origin_other_doubts"].is_yes
    assert (with_hbv["origin_other_doubts"].note or "").startswith("HCC risk factors")
    assert "unconfirmed" not in (with_hbv["origin_other_doubts"].note or "")
    assert "unconfirmed" in (with_hbv["origin_uncertain"].note or "")
