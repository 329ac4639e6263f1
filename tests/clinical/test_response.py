"""Disease status after the first metastasis (clinical/response.py): the response to therapy
for the metastases, a progression before any such therapy, and the age of a progression."""

from __future__ import annotations

from datetime import date

from tests.clinical.conftest import Derive
from tests.support.fhir_data import (
    DOXORUBICIN,
    GEMCITABINE,
    LOCAL,
    PROGRESSED,
    SNOMED,
    cycles,
    disease_status,
    drug,
    given,
    liver_met,
    lms_primary,
    observation,
)

from sarcoma_cds.clinical.facts import State

TODAY = date(2026, 6, 1)
IMPROVED = (SNOMED, "268910001")
# Example 51: doxorubicin ordered around the primary, stopped; liver metastasis 9 months later.
ADJUVANT = {
    "resourceType": "MedicationRequest",
    "id": "dox-order",
    "status": "stopped",
    "intent": "order",
    "medicationCodeableConcept": drug(DOXORUBICIN),
    "subject": {"reference": "Patient/p1"},
    "authoredOn": "2025-03-24",
}
RELAPSE = (lms_primary("2025-03-03"), liver_met(onset="2025-12-15"), ADJUVANT)


def test_a_worsening_before_any_therapy_for_the_metastases_is_no_progression_on_a_line(
    derive: Derive,
) -> None:
    """REVIEW5 M1 (51B): "worsened" after a relapse that was never treated is not a
    progression after doxorubicin (line 1); it is an untreated progression, dated."""
    p = derive(*RELAPSE, disease_status("s", PROGRESSED, "2026-05-10"), today=TODAY)
    assert p["systemic_progression"].state is State.UNKNOWN
    assert p["response_to_systemic_therapy"].state is State.UNKNOWN
    assert "only therapy for the primary" in (p["response_to_systemic_therapy"].reason or "")
    untreated = p["progression_untreated"]
    assert untreated.is_yes
    assert untreated.note == "2026-05-10 (site not recorded)"
    assert [e.ref for e in untreated.evidence] == ["Observation/s"]


def test_metastases_did_not_improve_on_a_drug_given_before_them(derive: Derive) -> None:
    """REVIEW5 M1 (51C): an "improved" status is no response to the adjuvant drug."""
    p = derive(*RELAPSE, disease_status("s", IMPROVED, "2026-05-10"), today=TODAY)
    assert p["response_to_systemic_therapy"].state is State.UNKNOWN
    assert p["response_at_least_stable"].state is State.UNKNOWN
    assert p["progression_untreated"].is_no


def test_a_status_from_before_the_first_metastasis_says_nothing_about_it(
    derive: Derive,
) -> None:
    p = derive(*RELAPSE, disease_status("s", PROGRESSED, "2025-06-01"), today=TODAY)
    assert p["progression_untreated"].state is State.UNKNOWN


def test_untreated_progression_does_not_apply_once_the_metastases_are_treated(
    derive: Derive,
) -> None:
    p = derive(
        *RELAPSE,
        *cycles(DOXORUBICIN, "2026-01-10", "2026-01-31"),
        disease_status("s", PROGRESSED, "2026-05-10"),
        today=TODAY,
    )
    assert p["progression_untreated"].state is State.NOT_APPLICABLE
    assert p["systemic_progression"].is_yes


PROGRESSED_46 = (
    lms_primary("2023-03-01"),
    liver_met(onset="2025-02-10"),
    *cycles(DOXORUBICIN, "2025-03-01", "2025-08-01"),
)


def test_an_old_progression_is_dated_with_nothing_since(derive: Derive) -> None:
    """REVIEW5 m2 (example 46): a progression 8½ months old, nothing recorded since, is said as
    such; the staging window (90 days) is the rule, as for the lesion count."""
    p = derive(*PROGRESSED_46, disease_status("s", PROGRESSED, "2025-09-15"), today=TODAY)
    stale = p["progression_stale"]
    assert stale.is_yes
    assert stale.note == (
        "recorded 2025-09-15 (site not recorded), 8 months and 17 days ago (more than 90 days), "
        "no treatment recorded since"
    )


def test_an_old_progression_names_what_followed_it(derive: Derive) -> None:
    p = derive(
        *PROGRESSED_46,
        disease_status("s", PROGRESSED, "2025-09-15"),
        given("gem", GEMCITABINE, "2025-11-03"),
        today=TODAY,
    )
    assert p["progression_stale"].is_yes
    assert (p["progression_stale"].note or "").endswith(
        "(more than 90 days), treatment since: gemcitabine from 2025-11-03"
    )


def test_a_recent_progression_is_not_stale(derive: Derive) -> None:
    p = derive(*PROGRESSED_46, disease_status("s", PROGRESSED, "2026-05-10"), today=TODAY)
    assert p["progression_stale"].is_no
    no_progression = derive(*PROGRESSED_46, today=TODAY)
    assert no_progression["progression_stale"].state is State.UNKNOWN


def test_therapy_for_the_primary_still_counts_for_the_liver_remnant(derive: Derive) -> None:
    """§3.7 "after extensive chemotherapy": the liver bore the adjuvant drug too."""
    flr = observation(
        "flr", (LOCAL, "future-liver-remnant"), valueQuantity={"value": 35, "unit": "%"}
    )
    p = derive(*RELAPSE, flr, today=TODAY)
    assert p["systemic_therapy_received"].is_no
    assert p["flr_needs_liver_workup"].is_yes


def test_an_unreadable_medication_leaves_an_untreated_progression_open(derive: Derive) -> None:
    """Never a silent "untreated": a medication that may be systemic therapy but cannot be
    read (cytotoxic methotrexate, ATC L01BA01) may have treated the metastases."""
    cytotoxic = {
        "resourceType": "MedicationStatement",
        "id": "mtx",
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.whocc.no/atc", "code": "L01BA01"}]
        },
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-01-10",
    }
    p = derive(*RELAPSE, cytotoxic, disease_status("s", PROGRESSED, "2026-05-10"), today=TODAY)
    assert p["systemic_therapy_received"].state is State.INDETERMINATE
    assert p["progression_untreated"].state is State.INDETERMINATE
    assert (p["progression_therapy_unknown"].note or "").endswith(
        "is unknown (a medication could not be read)"
    )


def test_a_progression_without_procedures_is_open_never_untreated(derive: Derive) -> None:
    """REVIEW6 M1 (51B): Procedures not sent, so chemotherapy recorded only as a Procedure may
    have treated the metastases: the progression is open, never "untreated"."""
    worse = disease_status("s", PROGRESSED, "2026-05-10")
    p = derive(*RELAPSE, worse, today=TODAY, omit=("procedures",))
    assert p["systemic_therapy_received"].state is State.UNKNOWN
    assert p["progression_untreated"].state is State.INDETERMINATE
    open_ = p["progression_therapy_unknown"]
    assert open_.is_yes
    assert open_.note == (
        "2026-05-10 (site not recorded); whether systemic therapy was given for the metastases "
        "is unknown (Procedures not sent)"
    )
    assert [e.ref for e in open_.evidence] == ["Observation/s"]
    # Every source read: the untreated progression is known, nothing is open.
    known = derive(*RELAPSE, worse, today=TODAY)
    assert known["progression_untreated"].is_yes
    assert known["progression_therapy_unknown"].is_no


def test_an_open_therapy_without_a_progression_is_no_open_progression(derive: Derive) -> None:
    p = derive(
        *RELAPSE, disease_status("s", IMPROVED, "2026-05-10"), today=TODAY, omit=("procedures",)
    )
    assert p["progression_therapy_unknown"].is_no
    nothing = derive(*RELAPSE, today=TODAY, omit=("procedures",))
    assert nothing["progression_therapy_unknown"].state is State.UNKNOWN
