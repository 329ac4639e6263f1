"""Treatment history: resections, systemic therapy, liver recurrence, TFI, response (§1.3, §1.5)."""

from __future__ import annotations

import pytest
from tests.clinical.conftest import Derive
from tests.support.fhir_data import (
    CPT,
    LIVER_SITE,
    PCS,
    RADLEX,
    SNOMED,
    Code,
    Json,
    cm,
    condition,
    disease_status,
    liver_met,
    lms_primary,
    procedure,
    sct,
)

from sarcoma_cds.clinical.facts import State

CHEMO = sct("367336001")
HEPATECTOMY = sct("107963000")


def test_liver_recurrence_after_resection_with_long_tfi(derive: Derive) -> None:
    p = derive(
        lms_primary("2020-01-10"),
        liver_met("m1", onset="2021-06-01", clinical="resolved"),
        procedure("hx", HEPATECTOMY, performed="2021-08-01"),
        liver_met("m2", onset="2023-03-01"),
    )
    assert p["liver_recurrence"].is_yes
    assert p["tfi_months"].value == 19
    # What ended when (REVIEW5 m4): the summary says "TFI 19 months (liver resection …)".
    assert p["tfi_months"].note == "19 months (liver resection 2021-08-01 → recurrence 2023-03-01)"
    assert p["tfi_favourable"].is_yes
    assert p["prior_liver_resections"].value == 1
    assert p["last_liver_metastasectomy_date"].value == "2021-08-01"


def test_short_tfi_after_adjuvant_chemotherapy(derive: Derive) -> None:
    p = derive(
        lms_primary("2020-01-10"),
        procedure("hx", HEPATECTOMY, performed="2021-08-01"),
        procedure("chemo", CHEMO, period=("2021-09-01", "2022-01-15")),
        liver_met("m2", onset="2022-09-01"),
    )
    assert p["liver_recurrence"].is_yes
    assert p["tfi_months"].value == 7
    assert p["tfi_favourable"].is_no
    # To the day, from the end of a therapy given over a period, against the threshold in force
    # (REVIEW6 m3).
    assert p["tfi_months"].note == (
        "7 months and 17 days since systemic therapy ended (2022-01-15)"
    )
    assert p["tfi_favourable"].note == (
        "TFI 7 months and 17 days since systemic therapy ended (2022-01-15), below 12 months"
    )
    assert p["adjuvant_after_first_liver_resection"].is_yes


def test_therapy_ongoing_at_recurrence_gives_tfi_zero(derive: Derive) -> None:
    p = derive(
        lms_primary("2020-01-10"),
        procedure("hx", HEPATECTOMY, performed="2021-08-01"),
        procedure("chemo", CHEMO, period=("2022-01-01", None), status="in-progress"),
        liver_met("m2", onset="2022-09-01"),
    )
    assert p["tfi_months"].value == 0
    assert p["tfi_favourable"].is_no
    assert "ongoing" in (p["tfi_favourable"].note or "")
    assert p["on_systemic_therapy"].is_yes
    # Said with its start, never "On systemic therapy: yes (…)" (REVIEW6 m4).
    assert p["on_systemic_therapy"].note == "since 2022-01-01"


def test_tfi_exactly_at_the_threshold_is_not_over_it(derive: Derive) -> None:
    """9.1 asks for a TFI longer than the threshold: exactly 12 months is "not over 12", and a
    one-day resection reads "since liver resection (…)", not "ended"."""
    p = derive(
        lms_primary("2018-01-10"),
        procedure("hx", HEPATECTOMY, performed="2021-08-01"),
        liver_met("m2", onset="2022-08-01"),
    )
    assert p["tfi_favourable"].is_no
    assert p["tfi_favourable"].note == (
        "TFI 12 months since liver resection (2021-08-01), not over 12 months"
    )
    assert p["tfi_months"].note == "12 months (liver resection 2021-08-01 → recurrence 2022-08-01)"


def test_tfi_straddling_the_threshold_is_indeterminate(derive: Derive) -> None:
    p = derive(
        lms_primary("2020-01-10"),
        procedure("hx", HEPATECTOMY, performed="2021-08-01"),
        liver_met("m2", onset="2022-08"),
    )
    assert p["liver_recurrence"].is_yes
    assert p["tfi_favourable"].state is State.INDETERMINATE
    assert "2022-08" in (p["tfi_favourable"].reason or "")


def test_no_recurrence_when_the_liver_metastasis_predates_treatment(derive: Derive) -> None:
    p = derive(
        lms_primary("2020-01-10"),
        liver_met("m1", onset="2021-06-01"),
        procedure("abl", (CPT, "47382"), performed="2021-08-01"),
    )
    assert p["liver_recurrence"].is_no
    for name in ("tfi_months", "tfi_favourable"):
        assert p[name].state is State.NOT_APPLICABLE
        assert p[name].reason == "no liver recurrence after local treatment"


def test_tfi_is_unknown_not_inapplicable_when_procedures_were_not_supplied(
    derive: Derive,
) -> None:
    p = derive(lms_primary("2020-01-10"), liver_met("m1", onset="2021-06-01"), omit=["procedures"])
    assert p["liver_recurrence"].state is State.UNKNOWN
    for name in ("tfi_months", "tfi_favourable", "adjuvant_after_first_liver_resection"):
        assert p[name].state is State.UNKNOWN, name
        assert p[name].reason == "no procedures were supplied"
    assert p["last_liver_metastasectomy_date"].state is State.UNKNOWN


@pytest.mark.parametrize(
    ("proc", "local"),
    [
        (procedure("x", (PCS, "0F503ZZ"), performed="2021-08-01"), "ablation"),
        (procedure("x", (PCS, "04L33DZ"), performed="2021-08-01"), "embolisation"),
        (procedure("x", (CPT, "77373"), performed="2021-08-01", body_site=LIVER_SITE), "sbrt"),
        (
            procedure("x", sct("1217123003"), performed="2021-08-01", body_site=LIVER_SITE),
            "rt course",
        ),
    ],
)
def test_every_kind_of_liver_directed_treatment_can_precede_a_recurrence(
    derive: Derive, proc: Json, local: str
) -> None:
    p = derive(lms_primary("2020-01-10"), proc, liver_met("m2", onset="2023-03-01"))
    assert p["liver_recurrence"].is_yes, local
    # The recurrence card words it by the kind of the last treatment.
    kind = {"rt course": "sbrt"}.get(local, local)
    assert p["last_local_treatment"].value == kind


def test_last_local_treatment_is_the_latest_kind(derive: Derive) -> None:
    p = derive(
        lms_primary("2020-01-10"),
        procedure("hx", HEPATECTOMY, performed="2021-01-10"),
        procedure("rfa", (CPT, "47382"), performed="2022-05-01"),
        liver_met("m2", onset="2023-03-01"),
    )
    assert p["last_local_treatment"].value == "ablation"
    assert not derive(lms_primary(), liver_met())["last_local_treatment"].known


def test_primary_in_place_in_synchronous_disease(derive: Derive) -> None:
    sync = [lms_primary("2024-01-10"), liver_met(onset="2024-02-01")]
    assert derive(*sync)["primary_in_place"].is_yes
    resected = procedure("r", sct("370611004"), performed="2024-03-01")
    assert derive(*sync, resected)["primary_in_place"].is_no
    assert derive(lms_primary("2020-01-10"), liver_met())["primary_in_place"].is_no
    assert not derive(*sync, omit=["procedures"])["primary_in_place"].known


def test_lines_of_systemic_therapy_and_progression_after_them(derive: Derive) -> None:
    first = procedure("l1", CHEMO, period=("2024-03-01", "2024-08-01"))
    second = procedure("l2", CHEMO, period=("2024-10-01", None), status="in-progress")
    p = derive(
        lms_primary(), liver_met(), first, disease_status("s", sct("271299001"), "2024-09-15")
    )
    assert p["systemic_therapy_lines"].value == 1
    assert p["systemic_progression"].is_yes
    assert "after" in (p["systemic_progression"].note or "")
    assert "2024-03-01 – 2024-08-01" in str(p["latest_systemic_line"].value)
    p = derive(
        lms_primary(),
        liver_met(),
        first,
        second,
        disease_status("s", sct("268910001"), "2025-03-15"),
    )
    assert p["systemic_therapy_lines"].value == 2
    assert p["systemic_progression"].is_no
    assert "ongoing" in str(p["latest_systemic_line"].value)
    assert "improved on" in (p["systemic_progression"].note or "")
    none = derive(lms_primary(), liver_met())
    assert none["systemic_therapy_lines"].value == 0
    assert not none["systemic_progression"].known


def test_lung_sbrt_is_not_liver_directed(derive: Derive) -> None:
    p = derive(
        lms_primary("2020-01-10"),
        procedure("x", (CPT, "77373"), performed="2021-08-01", body_site=sct("39607008")),
        liver_met("m2", onset="2023-03-01"),
    )
    assert p["liver_recurrence"].is_no


def test_no_procedures_supplied_is_unknown_not_no(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met(), omit=["procedures"])
    for name in (
        "liver_recurrence",
        "primary_resected",
        "systemic_therapy_received",
        "prior_liver_resections",
    ):
        assert p[name].state is State.UNKNOWN
        assert p[name].reason == "no procedures were supplied"


def test_none_recorded_is_no_when_procedures_were_supplied(derive: Derive) -> None:
    p = derive(lms_primary(), liver_met())
    assert p["liver_recurrence"].is_no
    assert p["primary_resected"].is_no
    assert p["systemic_therapy_received"].is_no
    assert p["prior_liver_resections"].value == 0


def test_adjuvant_after_first_resection_absent_and_not_applicable(derive: Derive) -> None:
    later_chemo = derive(
        lms_primary("2020-01-10"),
        procedure("chemo", CHEMO, period=("2021-01-01", "2021-05-01")),
        procedure("hx", HEPATECTOMY, performed="2021-08-01"),
        procedure("hx2", (CPT, "47122"), performed="2023-08-01"),
        procedure("chemo2", CHEMO, period=("2023-09-01", "2023-12-01")),
    )
    assert later_chemo["adjuvant_after_first_liver_resection"].is_yes  # chemo2 after the first
    assert later_chemo["prior_liver_resections"].value == 2
    assert later_chemo["last_liver_metastasectomy_date"].value == "2023-08-01"

    none_after = derive(
        lms_primary("2020-01-10"),
        procedure("chemo", CHEMO, period=("2021-01-01", "2021-05-01")),
        procedure("hx", HEPATECTOMY, performed="2021-08-01"),
    )
    assert none_after["adjuvant_after_first_liver_resection"].is_no

    no_resection = derive(lms_primary("2020-01-10"))
    for name in ("adjuvant_after_first_liver_resection", "last_liver_metastasectomy_date"):
        assert no_resection[name].state is State.NOT_APPLICABLE
        assert no_resection[name].reason == "no liver resection recorded"

    undated = derive(lms_primary("2020-01-10"), procedure("hx", HEPATECTOMY))
    assert undated["adjuvant_after_first_liver_resection"].state is State.UNKNOWN
    assert "without a date" in (undated["adjuvant_after_first_liver_resection"].reason or "")


def test_systemic_therapy_received_ongoing_planned(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        procedure("done", CHEMO, period=("2022-01-01", "2022-06-01")),
        procedure("plan", CHEMO, status="preparation"),
    )
    assert p["systemic_therapy_received"].is_yes
    assert p["on_systemic_therapy"].is_no
    assert p["on_systemic_therapy"].note == "none recorded as ongoing"
    assert p["systemic_therapy_planned"].is_yes
    # Nothing recorded at all: "none recorded", the note the summary says (REVIEW4 m3).
    nothing = derive(lms_primary())
    assert nothing["on_systemic_therapy"].is_no
    assert nothing["on_systemic_therapy"].note == "none recorded"


def test_chemotherapy_history_condition_counts_as_received(derive: Derive) -> None:
    p = derive(lms_primary(), condition("z", cm("Z92.21"), onset="2022-01-01"))
    assert p["systemic_therapy_received"].is_yes


@pytest.mark.parametrize("dropped", ["not-done", "entered-in-error"])
def test_not_done_and_entered_in_error_procedures_are_ignored(derive: Derive, dropped: str) -> None:
    p = derive(lms_primary(), procedure("hx", HEPATECTOMY, performed="2022-01-01", status=dropped))
    assert p["prior_liver_resections"].value == 0


def test_primary_resection_of_an_intra_abdominal_primary_is_an_abdominal_surgery(
    derive: Derive,
) -> None:
    p = derive(
        condition("rps", cm("C48.0"), onset="2020-01-01"),
        procedure("res", sct("370611004"), performed="2020-02-01"),
        procedure("hx", HEPATECTOMY, performed="2022-02-01"),
    )
    assert p["primary_resected"].is_yes
    assert p["prior_abdominal_surgeries"].value == 2


@pytest.mark.parametrize(
    ("code", "response", "at_least_stable"),
    [
        ((SNOMED, "268910001"), "improved", True),
        ((SNOMED, "359746009"), "stable", True),
        ((SNOMED, "271299001"), "progressed", False),
        ((RADLEX, "RID11513"), "improved", True),
        ((RADLEX, "RID11514"), "stable", True),
        ((RADLEX, "RID11515"), "progressed", False),
    ],
)
def test_response_to_systemic_therapy(
    derive: Derive, code: Code, response: str, at_least_stable: bool
) -> None:
    p = derive(
        lms_primary(),
        procedure("chemo", CHEMO, period=("2024-01-01", "2024-04-01")),
        disease_status(
            "before", (SNOMED, "271299001"), "2023-12-01"
        ),  # before therapy: not a response
        disease_status("after", code, "2024-05-01"),
    )
    assert p["response_to_systemic_therapy"].value == response
    assert p["response_at_least_stable"].value is at_least_stable
    assert p["response_to_systemic_therapy"].evidence[0].ref == "Observation/after"


def test_undetermined_response_is_indeterminate_and_no_assessment_is_unknown(
    derive: Derive,
) -> None:
    undetermined = derive(
        lms_primary(),
        procedure("chemo", CHEMO, period=("2024-01-01", "2024-04-01")),
        disease_status("s", (SNOMED, "709137006"), "2024-05-01"),
    )
    assert undetermined["response_to_systemic_therapy"].state is State.INDETERMINATE
    missing = derive(lms_primary(), procedure("chemo", CHEMO, period=("2024-01-01", None)))
    assert missing["response_to_systemic_therapy"].state is State.UNKNOWN
    assert "97509-4" in (missing["response_to_systemic_therapy"].reason or "")


ATC_NAMES = {"L01BC05": "gemcitabine", "L01CD02": "docetaxel", "L01XX58": "trabectedin"}


def _administration(rid: str, atc: str, start: str, end: str | None = None) -> Json:
    coding = {"system": "http://www.whocc.no/atc", "code": atc, "display": ATC_NAMES[atc]}
    return {
        "resourceType": "MedicationAdministration",
        "id": rid,
        "status": "completed",
        "medicationCodeableConcept": {"coding": [coding]},
        "subject": {"reference": "Patient/p1"},
        "effectivePeriod": {"start": start, "end": end or start},
    }


def test_a_regimen_recorded_per_drug_and_cycle_is_one_line(derive: Derive) -> None:
    """Gemcitabine day 1 + docetaxel day 8, gemcitabine every 3 weeks: one line; trabectedin
    three months after the last cycle: a second line (issue 21: a regimen is one line)."""
    gem_doc = [
        _administration("g1", "L01BC05", "2025-01-06"),
        _administration("d1", "L01CD02", "2025-01-13"),
        _administration("g2", "L01BC05", "2025-01-27"),
        _administration("g3", "L01BC05", "2025-02-17"),
    ]
    p = derive(lms_primary(), liver_met(), *gem_doc)
    assert p["systemic_therapy_lines"].value == 1
    line = str(p["latest_systemic_line"].value).lower()
    assert line.startswith("gemcitabine + docetaxel (2025-01-06 – 2025-02-17")
    trabectedin = _administration("t1", "L01XX58", "2025-05-20", "2025-08-20")
    p = derive(lms_primary(), liver_met(), *gem_doc, trabectedin)
    assert p["systemic_therapy_lines"].value == 2
    assert str(p["latest_systemic_line"].value).lower().startswith("trabectedin (2025-05-20")
