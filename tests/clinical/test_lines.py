"""Lines of systemic therapy from Procedures and medication resources (clinical/lines.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from tests.clinical.conftest import Derive
from tests.support.fhir_data import (
    DOCETAXEL,
    DOXORUBICIN,
    GEMCITABINE,
    PID,
    PROGRESSED,
    RADLEX,
    RXNORM,
    SNOMED,
    STABLE,
    TRABECTEDIN,
    cycles,
    disease_status,
    drug,
    given,
    liver_met,
    lms_primary,
    procedure,
    sct,
    taking,
)

from sarcoma_cds.clinical.facts import State
from sarcoma_cds.clinical.params import default_parameters

TODAY = date(2026, 6, 1)
# A Synthea-style doxorubicin order, stopped, with no cycles recorded (example 51).
STOPPED_ORDER = {
    "resourceType": "MedicationRequest",
    "id": "dox-order",
    "status": "stopped",
    "intent": "order",
    "medicationCodeableConcept": drug(DOXORUBICIN),
    "subject": {"reference": f"Patient/{PID}"},
    "authoredOn": "2025-03-24",
}


def test_administrations_of_a_combination_are_one_line(derive: Derive) -> None:
    gem = cycles(GEMCITABINE, "2026-01-12", "2026-02-02", "2026-02-23", "2026-03-16")
    p = derive(
        lms_primary(),
        liver_met(onset="2025-12-01"),
        *gem,
        taking("doc", DOCETAXEL, "2026-01-19"),  # day 8 of the same regimen, still going on
        disease_status("s", STABLE, "2026-05-15"),
        today=TODAY,
        omit=("procedures",),
    )
    assert p["systemic_therapy_lines"].value == 1
    assert len(p["systemic_therapy_lines"].evidence) == 5
    assert p["latest_systemic_line"].value == (
        "gemcitabine + docetaxel (2026-01-12 – ongoing, 4 months and 20 days)"
    )
    assert p["systemic_progression"].is_no
    assert p["systemic_progression"].note == "stable on gemcitabine + docetaxel (line 1)"
    # On therapy since the regimen began, not since the docetaxel of day 8 (REVIEW7 n1).
    assert p["on_systemic_therapy"].note == "since 2026-01-12"


def test_progression_after_a_medication_line_and_the_next_line(derive: Derive) -> None:
    dox = cycles(DOXORUBICIN, "2025-06-02", "2025-06-23", "2025-07-14", "2025-08-04")
    base = (lms_primary(), liver_met(onset="2025-05-01"), *dox)
    after = derive(*base, disease_status("s", PROGRESSED, "2025-10-01"), today=TODAY)
    assert after["systemic_therapy_lines"].value == 1
    assert after["latest_systemic_line"].value == (
        "doxorubicin (2025-06-02 – 2025-08-04, 2 months and 2 days)"
    )
    assert after["systemic_progression"].is_yes
    assert after["systemic_progression"].note == "progressed after doxorubicin (line 1)"

    # Second line started after the progression, not yet assessed: never "progressed on" it.
    nxt = derive(
        *base,
        disease_status("s", PROGRESSED, "2025-10-01"),
        taking("trab", TRABECTEDIN, "2025-10-20"),
        today=TODAY,
    )
    assert nxt["systemic_therapy_lines"].value == 2
    assert (
        nxt["latest_systemic_line"].value
        == "trabectedin (2025-10-20 – ongoing, 7 months and 12 days)"
    )
    assert nxt["systemic_progression"].note == (
        "progressed on line 1; trabectedin (line 2, from 2025-10-20) not yet assessed"
    )

    # Assessed on the second line: the response is read against it.
    on_second = derive(
        *base,
        disease_status("s1", PROGRESSED, "2025-10-01"),
        taking("trab", TRABECTEDIN, "2025-10-20"),
        disease_status("s2", STABLE, "2026-02-01"),
        today=TODAY,
    )
    assert on_second["systemic_progression"].is_no
    assert on_second["systemic_progression"].note == "stable on trabectedin (line 2)"


def test_a_long_break_starts_a_new_line_even_with_the_same_drug(derive: Derive) -> None:
    first = cycles(DOXORUBICIN, "2025-01-06", "2025-01-27")
    rechallenge = [given("dox-late", DOXORUBICIN, "2025-06-02")]  # > 90 days after 2025-01-27
    p = derive(lms_primary(), liver_met(), *first, *rechallenge, today=TODAY)
    assert p["systemic_therapy_lines"].value == 2
    shorter_gap = replace(default_parameters(), line_gap_days=180)
    p = derive(lms_primary(), liver_met(), *first, *rechallenge, today=TODAY, params=shorter_gap)
    assert p["systemic_therapy_lines"].value == 1


def test_a_new_agent_after_the_regimen_window_is_a_new_line(derive: Derive) -> None:
    dox = cycles(DOXORUBICIN, "2025-06-02", "2025-06-23", "2025-07-14")
    gem = [given("gem", GEMCITABINE, "2025-08-04")]  # within the gap, after the 28-day window
    p = derive(lms_primary(), liver_met(), *dox, *gem, today=TODAY)
    assert p["systemic_therapy_lines"].value == 2
    assert p["latest_systemic_line"].value == "gemcitabine (on 2025-08-04)"


def test_medications_within_a_recorded_course_are_that_course(derive: Derive) -> None:
    course = procedure("chemo", sct("367336001"), period=("2025-06-01", "2025-10-01"))
    dox = cycles(DOXORUBICIN, "2025-06-02", "2025-06-23", "2025-07-14", "2025-08-04")
    p = derive(lms_primary(), liver_met(), course, *dox, today=TODAY)
    assert p["systemic_therapy_lines"].value == 1
    # The course dates, and the agent the medication records name.
    assert p["latest_systemic_line"].value == "doxorubicin (2025-06-01 – 2025-10-01, 4 months)"


def test_no_line_is_zero_only_when_every_source_was_read(derive: Derive) -> None:
    read = derive(lms_primary(), liver_met(), today=TODAY)
    assert read["systemic_therapy_lines"].value == 0
    unsent = derive(
        lms_primary(),
        liver_met(),
        today=TODAY,
        omit=("medicationRequests", "medicationAdministrations", "medicationStatements"),
    )
    assert unsent["systemic_therapy_lines"].state is State.UNKNOWN
    assert "medication" in (unsent["systemic_therapy_lines"].reason or "")
    uncoded = {
        "resourceType": "MedicationAdministration",
        "id": "x",
        "status": "completed",
        "medicationCodeableConcept": {"text": "doxorubicin 75 mg/m2"},
        "subject": {"reference": f"Patient/{PID}"},
        "effectiveDateTime": "2025-06-02",
    }
    doubt = derive(lms_primary(), liver_met(), uncoded, today=TODAY)
    assert doubt["systemic_therapy_lines"].state is State.INDETERMINATE
    assert not doubt["systemic_progression"].known


def test_a_line_is_never_zero_months(derive: Derive) -> None:
    short = cycles(DOXORUBICIN, "2025-06-02", "2025-06-23")
    p = derive(lms_primary(), liver_met(), *short, today=TODAY)
    assert p["latest_systemic_line"].value == "doxorubicin (2025-06-02 – 2025-06-23, 21 days)"
    order = STOPPED_ORDER
    p = derive(lms_primary(), liver_met(), order, today=TODAY)
    assert p["latest_systemic_line"].value == (
        "doxorubicin (ordered 2025-03-24 and stopped; cycles not recorded)"
    )
    active = order | {"id": "dox-active", "status": "completed"}
    p = derive(lms_primary(), liver_met(), active, today=TODAY)
    assert p["latest_systemic_line"].value == (
        "doxorubicin (ordered 2025-03-24; cycles not recorded)"
    )


def test_a_line_lasts_to_the_day_as_every_interval(derive: Derive) -> None:
    """3 months and 26 days is not "3 months" (REVIEW3 47); under a month it is days."""
    p = derive(
        lms_primary(),
        liver_met(onset="2025-11-01"),
        *cycles(DOXORUBICIN, "2025-12-15", "2026-02-01", "2026-03-15", "2026-04-10"),
        today=TODAY,
    )
    assert p["latest_systemic_line"].value == (
        "doxorubicin (2025-12-15 – 2026-04-10, 3 months and 26 days)"
    )
    short = derive(
        lms_primary(),
        liver_met(onset="2025-11-01"),
        *cycles(DOXORUBICIN, "2025-12-15", "2026-01-05"),
        today=TODAY,
    )
    assert short["latest_systemic_line"].value == "doxorubicin (2025-12-15 – 2026-01-05, 21 days)"


def test_an_improvement_is_said_in_the_degree_the_record_codes(derive: Derive) -> None:
    """Partial and complete responses are named (REVIEW3 47); a bare "improved" stays so."""
    base = (
        lms_primary(),
        liver_met(onset="2025-05-01"),
        *cycles(DOXORUBICIN, "2025-06-02", "2025-06-23"),
    )
    for code, words in (
        ((SNOMED, "551001000124108"), "in partial response"),
        ((RADLEX, "RID11513"), "in partial response"),
        ((SNOMED, "103338009"), "in complete response"),
        ((SNOMED, "268910001"), "improved"),
    ):
        p = derive(*base, disease_status("s", code, "2025-08-01"), today=TODAY)
        assert p["response_to_systemic_therapy"].value == "improved"
        assert p["response_at_least_stable"].is_yes
        assert p["systemic_progression"].note == f"{words} after doxorubicin (line 1)"


def test_the_progression_is_dated_and_its_site_named(derive: Derive) -> None:
    """A disease status says when, and where only if the record says (REVIEW3 46)."""
    base = (lms_primary(), liver_met(onset="2025-05-01"), *cycles(DOXORUBICIN, "2025-06-02"))
    p = derive(*base, disease_status("s", PROGRESSED, "2025-09-15"), today=TODAY)
    assert p["response_to_systemic_therapy"].note == "2025-09-15 (site not recorded)"
    status = disease_status("s", PROGRESSED, "2025-09-15")
    status["bodySite"] = {"coding": [{"system": SNOMED, "code": "10200004"}], "text": "Liver"}
    sited = derive(*base, status, today=TODAY)
    assert sited["response_to_systemic_therapy"].note == "2025-09-15 (Liver)"


def test_therapy_that_ended_before_the_first_metastasis_is_not_a_line(derive: Derive) -> None:
    """REVIEW5 M1 (example 51): a stopped order that predates the liver metastasis treated the
    primary. It is no line for the metastases and no "systemic therapy received" for them; it
    is kept, once, as peri-operative therapy for the primary."""
    p = derive(lms_primary("2025-03-03"), liver_met(onset="2025-12-15"), STOPPED_ORDER, today=TODAY)
    assert p["perioperative_systemic_therapy"].value == (
        "doxorubicin (ordered 2025-03-24 and stopped; cycles not recorded)"
    )
    assert [e.ref for e in p["perioperative_systemic_therapy"].evidence] == [
        "MedicationRequest/dox-order"
    ]
    received = p["systemic_therapy_received"]
    assert received.is_no
    assert received.note == "none for the metastatic disease (only therapy for the primary)"
    assert p["systemic_therapy_lines"].value == 0
    assert p["latest_systemic_line"].state is State.UNKNOWN
    assert p["systemic_progression"].state is State.UNKNOWN


def test_no_procedures_leaves_therapy_for_the_metastases_open(derive: Derive) -> None:
    """Never a silent known "no": without Procedures a chemotherapy course after the first
    metastasis may be missing, so therapy for the metastases is unknown, not "no"."""
    p = derive(
        lms_primary("2025-03-03"),
        liver_met(onset="2025-12-15"),
        STOPPED_ORDER,
        today=TODAY,
        omit=("procedures",),
    )
    assert p["systemic_therapy_received"].state is State.UNKNOWN
    assert p["perioperative_systemic_therapy"].known


def test_a_line_going_on_across_the_first_metastasis_counts_for_it(derive: Derive) -> None:
    """A line that started before the first metastasis and continues after it treats the
    metastases too; a line after the metastasis is a line, as before."""
    ongoing = taking("dox", DOXORUBICIN, "2025-03-24")
    going = derive(lms_primary("2025-03-03"), liver_met(onset="2025-12-15"), ongoing, today=TODAY)
    assert going["systemic_therapy_lines"].value == 1
    assert going["systemic_therapy_received"].is_yes
    assert going["perioperative_systemic_therapy"].state is State.NOT_APPLICABLE
    across = taking("dox", DOXORUBICIN, "2025-11-01", "2026-01-20")
    p = derive(lms_primary("2025-03-03"), liver_met(onset="2025-12-15"), across, today=TODAY)
    assert p["systemic_therapy_lines"].value == 1
    later = derive(
        lms_primary("2025-03-03"), liver_met(onset="2025-02-01"), STOPPED_ORDER, today=TODAY
    )
    assert later["systemic_therapy_lines"].value == 1
    assert later["latest_systemic_line"].value == (
        "doxorubicin (ordered 2025-03-24 and stopped; cycles not recorded)"
    )


def test_only_lines_after_the_first_metastasis_are_counted(derive: Derive) -> None:
    """Adjuvant doxorubicin for the primary, then gemcitabine for the metastases: line 1 is
    gemcitabine, and the progression is on it."""
    p = derive(
        lms_primary("2024-01-10"),
        *cycles(DOXORUBICIN, "2024-03-01", "2024-03-22", "2024-04-12"),
        liver_met(onset="2025-06-01"),
        *cycles(GEMCITABINE, "2025-07-01", "2025-07-22"),
        disease_status("s", PROGRESSED, "2026-05-01"),
        today=TODAY,
    )
    assert p["systemic_therapy_lines"].value == 1
    assert p["systemic_progression"].note == "progressed after gemcitabine (line 1)"
    assert str(p["perioperative_systemic_therapy"].value).startswith("doxorubicin (2024-03-01 – ")


def test_a_chemotherapy_procedure_is_not_named_as_a_regimen(derive: Derive) -> None:
    """REVIEW4 m5: the generic chemotherapy code's display ("Chemotherapy") names no agent."""
    course = procedure("chemo", sct("367336001"), period=("2025-10-20", "2026-02-23"))
    p = derive(lms_primary(), liver_met(onset="2025-10-01"), course, today=TODAY)
    assert p["latest_systemic_line"].value == (
        "chemotherapy, agents not recorded (2025-10-20 – 2026-02-23, 4 months and 3 days)"
    )
    planned = procedure("plan", sct("367336001"), status="preparation")
    p = derive(lms_primary(), liver_met(onset="2025-10-01"), planned, today=TODAY)
    assert p["systemic_therapy_planned"].note == "chemotherapy, agents not recorded"


@pytest.mark.parametrize(
    ("rxcui", "product", "agent"),
    [("1719003", "gemcitabine 1000 MG Injection", "gemcitabine"),
     ("1734919", "cyclophosphamide 1000 MG Injection", "cyclophosphamide"),
     ("1734340", "etoposide 100 MG Injection", "etoposide"),
     ("900173", "{2 (60 ML ifosfamide 50 MG/ML Injection) / 6 (mesna 100 MG/ML Injectable "
      "Solution) } Pack", "ifosfamide"),
     ("597195", "carboplatin 10 MG/ML Injectable Solution", "carboplatin")],
)  # fmt: skip
def test_the_product_codes_ehrs_order_make_a_line_named_by_its_agent(
    derive: Derive, rxcui: str, product: str, agent: str
) -> None:
    # EHR orders carry the RxNorm clinical drug, not the ingredient: the line is still read,
    # and named by the agent, never by the product string.
    p = derive(
        lms_primary(),
        liver_met(onset="2025-12-01"),
        given("g1", (RXNORM, rxcui, product), "2026-01-12"),
        today=TODAY,
        omit=("procedures",),
    )
    assert p["systemic_therapy_received"].is_yes
    assert p["latest_systemic_line"].value == f"{agent} (on 2026-01-12)"


def test_on_therapy_dates_the_metastatic_events_grouped_on_their_own(derive: Derive) -> None:
    # A line for the primary (doxorubicin, ended before the first metastasis) that started
    # after a metastatic one (trabectedin, ended after it): without the doxorubicin line, the
    # trabectedin taken again joins its first course, so "on systemic therapy" is dated from
    # that course's start, though the line count keeps the two trabectedin lines apart.
    p = derive(
        lms_primary(),
        liver_met(onset="2025-06-01"),
        taking("a", TRABECTEDIN, "2025-01-06", "2025-08-01"),
        given("b", DOXORUBICIN, "2025-03-03"),
        taking("e", TRABECTEDIN, "2025-07-07"),
        today=TODAY,
        omit=("procedures",),
    )
    assert p["perioperative_systemic_therapy"].value == "doxorubicin (on 2025-03-03)"
    assert p["systemic_therapy_lines"].value == 2
    assert p["on_systemic_therapy"].note == "since 2025-01-06"
