"""EHR habits that must not make a wrong card: a resected metastasis left "active", and an
encounter diagnosis repeated at every visit (input profile: "Encounter diagnoses repeat: take
the earliest")."""

from __future__ import annotations

from typing import Any

from tests.clinical.conftest import Derive
from tests.support.fhir_data import cm, condition, lms_primary, procedure, sct

HEPATECTOMY = sct("107963000")
ENCOUNTER = [
    {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                "code": "encounter-diagnosis",
            }
        ]
    }
]


def encounter_met(rid: str, recorded: str, clinical: str = "active") -> dict[str, Any]:
    return condition(rid, cm("C78.7"), recorded=recorded, clinical=clinical, category=ENCOUNTER)


def test_active_metastasis_older_than_its_resection_is_unclear(derive: Derive) -> None:
    p = derive(
        lms_primary(onset="2022-01-15"),
        encounter_met("met", "2024-03-01"),
        procedure("hx", HEPATECTOMY, performed="2024-05-10"),
    )
    fact = p["liver_metastasis_current"]
    assert fact.state.value == "indeterminate"
    assert "mark it resolved" in (fact.reason or "")
    assert p["liver_recurrence"].is_no


def test_a_repeated_encounter_diagnosis_is_not_a_recurrence(derive: Derive) -> None:
    p = derive(
        lms_primary(onset="2022-01-15"),
        encounter_met("met-visit-1", "2024-03-01"),
        procedure("hx", HEPATECTOMY, performed="2024-05-10"),
        encounter_met("met-visit-2", "2024-09-01"),  # coded again at a follow-up visit
    )
    recurrence = p["liver_recurrence"]
    assert recurrence.state.value == "indeterminate"
    assert "repeated coding or a recurrence" in (recurrence.reason or "")
    assert p["liver_metastasis_current"].state.value == "indeterminate"
    # the repeat does not move the first metastasis date either
    assert p["first_metastasis_date"].value == "2024-03-01"


def test_a_new_episode_after_a_resolved_one_is_a_recurrence(derive: Derive) -> None:
    p = derive(
        lms_primary(onset="2022-01-15"),
        encounter_met("met-first", "2024-03-01", clinical="resolved"),
        procedure("hx", HEPATECTOMY, performed="2024-05-10"),
        encounter_met("met-again", "2025-09-01"),
    )
    assert p["liver_recurrence"].is_yes
    assert p["liver_metastasis_current"].is_yes
    assert p["tfi_months"].value == 15


def test_a_dated_new_problem_after_resection_is_a_recurrence(derive: Derive) -> None:
    p = derive(
        lms_primary(onset="2022-01-15"),
        condition("met-first", cm("C78.7"), onset="2024-03-01"),
        procedure("hx", HEPATECTOMY, performed="2024-05-10"),
        condition("met-new", cm("C78.7"), onset="2025-09-01"),
    )
    assert p["liver_recurrence"].is_yes
    assert p["liver_metastasis_current"].is_yes
