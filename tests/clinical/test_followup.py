"""Surveillance after liver metastasectomy (13.1): interval now due, next CT, overdue."""

from __future__ import annotations

from datetime import date

import pytest
from tests.clinical.conftest import Derive
from tests.support.fhir_data import LOINC, liver_met, lms_primary, procedure, sct

from sarcoma_cds.clinical.facts import State
from sarcoma_cds.clinical.followup import interval_due
from sarcoma_cds.clinical.params import default_parameters

HEPATECTOMY = sct("107963000")
CT_ABDOMEN = (LOINC, "79103-8")
CT_CHEST = (LOINC, "24627-2")


@pytest.mark.parametrize(
    ("today", "months"),
    [
        (date(2022, 1, 1), 4),
        (date(2023, 12, 31), 4),
        (date(2024, 1, 1), 6),  # from the second anniversary
        (date(2026, 12, 31), 6),
        (date(2027, 1, 1), 12),  # after year 5
    ],
)
def test_interval_due_changes_at_two_and_five_years(today: date, months: int) -> None:
    assert interval_due(date(2022, 1, 1), today, default_parameters())[0] == months


def test_overdue_when_the_last_ct_is_older_than_the_interval(derive: Derive) -> None:
    p = derive(
        lms_primary("2022-01-10"),
        liver_met(onset="2023-06-01", clinical="resolved"),
        procedure("hx", HEPATECTOMY, performed="2024-01-15"),
        procedure("ct", CT_ABDOMEN, performed="2025-01-10"),
        procedure("ctc", CT_CHEST, performed="2025-01-10"),
    )
    assert p["followup_interval"].value.startswith("every 3–4 months")  # type: ignore[union-attr]
    assert p["last_surveillance_ct_date"].value == "2025-01-10"
    assert p["followup_next_due"].value == "2025-05-10"
    assert p["followup_overdue"].is_yes
    assert p["months_since_liver_metastasectomy"].value == 16
    assert p["months_since_liver_metastasectomy"].note == "16 months ago (2024-01-15)"


def test_on_schedule_when_the_last_ct_is_recent(derive: Derive) -> None:
    p = derive(
        lms_primary("2022-01-10"),
        procedure("hx", HEPATECTOMY, performed="2024-01-15"),
        procedure("ct", CT_CHEST, performed="2025-03-01"),
        procedure("cta", CT_ABDOMEN, performed="2025-03-01"),
    )
    assert p["followup_next_due"].value == "2025-07-01"
    assert p["followup_overdue"].is_no


def test_a_ct_of_one_region_does_not_complete_a_round(derive: Derive) -> None:
    """13.1 images chest and abdomen: an abdominal CT alone never moves the chest's due date."""
    p = derive(
        lms_primary("2022-01-10"),
        procedure("hx", HEPATECTOMY, performed="2025-01-15"),
        procedure("cta", CT_ABDOMEN, performed="2025-04-20"),
        today=date(2025, 5, 1),
    )
    assert p["last_surveillance_ct_date"].state is State.UNKNOWN
    assert "no complete chest and abdomen CT" in (p["last_surveillance_ct_date"].reason or "")
    assert p["followup_next_due"].value == "2025-05-15"  # 4 months from the operation
    assert "only" in (p["followup_overdue"].note or "")
    assert "2025-04-20" in (p["followup_overdue"].note or "")


def test_a_round_counts_from_the_older_of_its_two_regions(derive: Derive) -> None:
    p = derive(
        lms_primary("2022-01-10"),
        procedure("hx", HEPATECTOMY, performed="2024-01-15"),
        procedure("ctc", CT_CHEST, performed="2025-01-10"),
        procedure("cta", CT_ABDOMEN, performed="2025-03-01"),
        today=date(2025, 5, 1),
    )
    assert p["last_surveillance_ct_date"].value == "2025-01-10"
    assert p["followup_next_due"].value == "2025-05-10"


def test_a_ct_before_the_operation_is_not_surveillance(derive: Derive) -> None:
    p = derive(
        lms_primary("2022-01-10"),
        procedure("ct", CT_ABDOMEN, performed="2025-03-01"),
        procedure("hx", HEPATECTOMY, performed="2025-03-20"),
    )
    assert p["last_surveillance_ct_date"].state is State.UNKNOWN
    assert p["followup_next_due"].value == "2025-07-20"
    assert p["followup_overdue"].is_no


def test_partial_ct_date_straddling_the_due_date_is_indeterminate(derive: Derive) -> None:
    p = derive(
        lms_primary("2022-01-10"),
        procedure("hx", HEPATECTOMY, performed="2024-01-15"),
        procedure("ct", CT_ABDOMEN, performed="2025-02"),
        procedure("ctc", CT_CHEST, performed="2025-02"),
        today=date(2025, 6, 10),  # due some day between 2025-06-01 and 2025-06-28
    )
    assert p["followup_overdue"].state is State.INDETERMINATE
    assert "2025-02" in (p["followup_overdue"].reason or "")


def test_no_metastasectomy_makes_follow_up_not_applicable(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met())
    for name in (
        "followup_interval",
        "followup_next_due",
        "followup_overdue",
        "last_surveillance_ct_date",
        "months_since_liver_metastasectomy",
    ):
        assert p[name].state is State.NOT_APPLICABLE
        assert p[name].reason == "no liver metastasectomy recorded"


def test_follow_up_is_unknown_when_procedures_were_not_supplied(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(), omit=["procedures"])
    for name in ("followup_interval", "followup_overdue", "months_since_liver_metastasectomy"):
        assert p[name].state is State.UNKNOWN
        assert p[name].reason == "no procedures were supplied"


def test_partially_dated_metastasectomy_is_named(derive: Derive) -> None:
    p = derive(lms_primary(), procedure("hx", HEPATECTOMY, performed="2024"))
    assert p["last_liver_metastasectomy_date"].state is State.INDETERMINATE
    assert "'2024'" in (p["followup_overdue"].reason or "")


def test_no_next_surveillance_ct_while_disease_is_active(derive: Derive) -> None:
    """13.1 is disease-free follow-up: a liver metastasis after the operation suspends it."""
    p = derive(
        lms_primary("2022-01-10"),
        procedure("hx", HEPATECTOMY, performed="2024-01-15"),
        procedure("ct", CT_CHEST, performed="2025-03-01"),
        liver_met(onset="2025-03-01"),
    )
    assert p["liver_metastasis_current"].is_yes
    assert p["followup_next_due"].state is State.NOT_APPLICABLE
    assert "surveillance suspended: current liver metastasis" in (
        p["followup_next_due"].reason or ""
    )


def test_no_imaging_at_all_since_the_operation_is_said(derive: Derive) -> None:
    """REVIEW3 45 (example 45): the gap since the operation is the finding, not only the due
    date; a CT of one region since then keeps the usual wording."""
    p = derive(
        lms_primary("2022-01-10"),
        procedure("ct", CT_ABDOMEN, performed="2025-03-01"),  # before the operation
        procedure("hx", HEPATECTOMY, performed="2025-05-20"),
        today=date(2026, 6, 1),
    )
    assert p["followup_overdue"].is_yes
    assert p["followup_overdue"].note == (
        "no CT, MRI or PET/CT recorded in the 12 months and 12 days since the metastasectomy "
        "(2025-05-20); contrast CT was due by 2025-09-20 (4 months after it)"
    )
    imaged = derive(
        lms_primary("2022-01-10"),
        procedure("hx", HEPATECTOMY, performed="2025-05-20"),
        procedure("cta", CT_ABDOMEN, performed="2025-07-01"),
        today=date(2026, 6, 1),
    )
    assert imaged["followup_overdue"].note is not None
    assert "no CT, MRI or PET/CT" not in imaged["followup_overdue"].note
    assert "only" in imaged["followup_overdue"].note
