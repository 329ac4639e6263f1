"""Performance status, ASA, surgical candidacy, FLR, HCC risk and colorectal history (§1.5)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.clinical.conftest import Derive
from tests.support.fhir_data import (
    LOCAL,
    LOINC,
    SNOMED,
    Json,
    cm,
    concept,
    condition,
    liver_met,
    lms_primary,
    observation,
    procedure,
    sct,
)

from sarcoma_cds.clinical.facts import State


def ecog(rid: str, when: str = "2025-01-10", **value: Any) -> Json:
    return observation(rid, (LOINC, "89247-1"), when=when, **value)


def asa(rid: str, when: str = "2025-01-10", **value: Any) -> Json:
    return observation(rid, (SNOMED, "302132005"), when=when, **value)


@pytest.mark.parametrize(
    "value",
    [
        {"valueInteger": 1},
        {"valueCodeableConcept": concept((LOINC, "LA9623-5"))},
        {"valueString": "ECOG 1"},
        {"valueString": "ecog: 1"},
    ],
)
def test_ecog_as_integer_loinc_answer_or_text(derive: Derive, value: dict[str, Any]) -> None:
    p = derive(lms_primary(), ecog("e", **value))
    assert p["ecog"].value == 1
    assert p["good_performance_status"].is_yes
    assert p["not_surgical_candidate"].is_no
    # What the "no" rests on, with its value: the summary says "(ECOG 1, 2025-01-10)".
    assert [(e.what, e.date) for e in p["not_surgical_candidate"].evidence] == [
        ("ECOG 1", "2025-01-10")
    ]


def test_latest_ecog_wins(derive: Derive) -> None:
    p = derive(
        lms_primary(), ecog("old", "2024-01-01", valueInteger=0), ecog("new", valueInteger=2)
    )
    assert p["ecog"].value == 2
    assert p["good_performance_status"].is_no


def test_entered_in_error_ecog_is_ignored(derive: Derive) -> None:
    bad = ecog("bad", valueInteger=4) | {"status": "entered-in-error"}
    p = derive(lms_primary(), ecog("ok", "2024-01-01", valueInteger=1), bad)
    assert p["ecog"].value == 1


@pytest.mark.parametrize(("score", "good"), [(70, True), (60, False)])
def test_karnofsky_when_no_ecog(derive: Derive, score: int, good: bool) -> None:
    p = derive(lms_primary(), observation("k", (LOINC, "89243-0"), valueInteger=score))
    assert p["karnofsky"].value == score
    assert p["good_performance_status"].value is good


@pytest.mark.parametrize(
    ("value", "cls"),
    [
        ({"valueCodeableConcept": concept((SNOMED, "413497009"))}, 3),
        ({"valueCodeableConcept": concept((SNOMED, "413498004.0"))}, 4),
        ({"valueString": "ASA III"}, 3),
        ({"valueString": "ASA IV"}, 4),
        ({"valueCodeableConcept": {"text": "ASA II"}}, 2),
    ],
)
def test_asa_as_snomed_answer_or_text(derive: Derive, value: dict[str, Any], cls: int) -> None:
    p = derive(lms_primary(), asa("a", **value))
    assert p["asa_class"].value == cls
    assert p["not_surgical_candidate"].value is (cls >= 4)


def test_not_surgical_candidate_by_local_finding(derive: Derive) -> None:
    p = derive(lms_primary(), condition("nsc", (LOCAL, "not-surgical-candidate")))
    assert p["not_surgical_candidate"].is_yes
    assert p["not_surgical_candidate"].evidence[0].ref == "Condition/nsc"
    # Dated, not "Not a surgical candidate (recorded as not a surgical candidate)" (REVIEW5 m6).
    dated = derive(
        lms_primary(), condition("nsc", (LOCAL, "not-surgical-candidate"), onset="2026-03-03")
    )
    assert (
        dated["not_surgical_candidate"].note == "Recorded as not a surgical candidate (2026-03-03)"
    )


def test_not_surgical_candidate_by_ecog_three(derive: Derive) -> None:
    p = derive(lms_primary(), ecog("e", valueInteger=3))
    assert p["not_surgical_candidate"].is_yes
    # The score beside its date, then the conclusion; never the threshold (REVIEW6 m5).
    assert p["not_surgical_candidate"].note == "ECOG 3 (2025-01-10): not a surgical candidate"


def test_not_surgical_candidate_by_asa_four(derive: Derive) -> None:
    p = derive(lms_primary(), asa("a", valueString="ASA IV"))
    assert p["not_surgical_candidate"].is_yes
    assert p["not_surgical_candidate"].note == "ASA IV (2025-01-10): not a surgical candidate"


def test_surgical_candidacy_unknown_without_any_data(derive: Derive) -> None:
    p = derive(lms_primary())
    assert p["not_surgical_candidate"].state is State.UNKNOWN
    assert p["ecog"].reason == "no ECOG recorded"
    absent = derive(lms_primary(), omit=["observations"])
    assert absent["ecog"].reason == "no observations were supplied"


def test_future_liver_remnant_with_and_without_prior_chemotherapy(derive: Derive) -> None:
    flr = observation(
        "flr", (LOCAL, "future-liver-remnant"), valueQuantity={"value": 35, "unit": "%"}
    )
    plain = derive(lms_primary(), flr)
    assert plain["future_liver_remnant_percent"].value == 35.0
    assert plain["flr_below_threshold"].is_no
    assert plain["flr_needs_liver_workup"].is_no
    after_chemo = derive(
        lms_primary(), flr, procedure("c", sct("367336001"), performed="2024-01-01")
    )
    assert after_chemo["flr_needs_liver_workup"].is_yes
    low = observation("f2", (LOCAL, "future-liver-remnant"), valueQuantity={"value": 20})
    assert derive(lms_primary(), low)["flr_below_threshold"].is_yes
    assert derive(lms_primary())["future_liver_remnant_percent"].state is State.UNKNOWN


def test_an_old_future_liver_remnant_is_named_as_old(derive: Derive) -> None:
    """Volumetry from beyond the staging window is shown with its date and 'redo it'."""
    old = observation(
        "flr", (LOCAL, "future-liver-remnant"), when="2025-01-10", valueQuantity={"value": 22}
    )
    assert derive(lms_primary(), old)["future_liver_remnant_percent"].note == (
        "2025-01-10, > 90 days old: redo it"
    )
    recent = observation(
        "flr", (LOCAL, "future-liver-remnant"), when="2025-05-01", valueQuantity={"value": 22}
    )
    assert derive(lms_primary(), recent)["future_liver_remnant_percent"].note == "2025-05-01"


@pytest.mark.parametrize(
    "code", [cm("K74.60"), cm("K70.31"), cm("B18.1"), cm("B18.2"), sct("19943007")]
)
def test_hcc_risk_factors(derive: Derive, code: tuple[str, str]) -> None:
    p = derive(lms_primary(), liver_met(), condition("r", code, onset="2010-01-01"))
    assert p["hcc_risk_factors"].is_yes
    assert derive(lms_primary())["hcc_risk_factors"].is_no


@pytest.mark.parametrize("code", [cm("C18.7"), cm("C20"), cm("Z85.038"), sct("363406005")])
def test_colorectal_cancer_history(derive: Derive, code: tuple[str, str]) -> None:
    p = derive(lms_primary(), condition("crc", code, onset="2010-01-01", clinical="resolved"))
    assert p["colorectal_cancer_history"].is_yes
    none_supplied = derive(omit=["conditions"])
    assert none_supplied["colorectal_cancer_history"].state is State.UNKNOWN


@pytest.mark.parametrize(
    ("resources", "limited"),
    [
        ([ecog("e", valueInteger=2)], True),
        ([ecog("e", valueInteger=1)], False),
        ([observation("k", (LOINC, "89243-0"), valueInteger=60)], True),
        ([observation("k", (LOINC, "89243-0"), valueInteger=80)], False),
        ([ecog("e", valueInteger=1), asa("a", valueString="ASA III")], True),
    ],
)
def test_performance_limited(derive: Derive, resources: list[Json], limited: bool) -> None:
    fact = derive(lms_primary(), *resources)["performance_limited"]
    assert fact.is_yes is limited and fact.known


def test_performance_limited_unknown_without_data(derive: Derive) -> None:
    assert not derive(lms_primary())["performance_limited"].known


def test_age_from_birth_date(derive: Derive) -> None:
    assert derive(lms_primary(), birth="1947-05-02")["age_years"].value == 78
    assert not derive(lms_primary(), birth=None)["age_years"].known
    assert derive(lms_primary(), birth="1947")["age_years"].state is State.INDETERMINATE
