"""Timing of metastatic disease, DFI and its date sources (clinical-logic §1.2, §1.3)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from tests.clinical.conftest import Derive
from tests.support.fhir_data import ASSERTED_DATE, cm, condition, liver_met, lms_primary, sct

from sarcoma_cds.clinical.facts import State
from sarcoma_cds.clinical.params import default_parameters


def test_first_metastasis_exactly_six_calendar_months_after_diagnosis_is_synchronous(
    derive: Derive,
) -> None:
    p = derive(lms_primary("2024-01-31"), liver_met(onset="2024-07-31"))
    assert p["timing"].value == "synchronous"
    assert p["dfi_months"].value == 6
    assert p["long_dfi"].is_no
    assert {e.ref for e in p["timing"].evidence} == {"Condition/prim", "Condition/met-liver"}
    assert p["dfi_at_synchronous_limit"].is_yes  # 2.1 says synchronous, 8.1 (DFI ≥ 6) metachronous


def test_one_day_after_six_months_is_metachronous(derive: Derive) -> None:
    p = derive(lms_primary("2024-01-31"), liver_met(onset="2024-08-01"))
    assert p["timing"].value == "metachronous"
    assert p["dfi_months"].value == 6  # six completed months, but one day past the boundary
    assert p["dfi_at_synchronous_limit"].is_no


def test_metastasis_found_with_the_primary_is_synchronous_with_dfi_zero(derive: Derive) -> None:
    p = derive(lms_primary("2024-03-10"), liver_met(onset="2024-03-10"))
    assert (p["timing"].value, p["dfi_months"].value) == ("synchronous", 0)


def test_metastasis_dated_before_the_primary_counts_as_dfi_zero(derive: Derive) -> None:
    p = derive(lms_primary("2024-05-01"), liver_met(onset="2024-04-01"))
    assert (p["timing"].value, p["dfi_months"].value) == ("synchronous", 0)


@pytest.mark.parametrize("coarse", ["2024-07", "2024"])
def test_partial_metastasis_date_straddling_the_threshold_is_indeterminate(
    derive: Derive, coarse: str
) -> None:
    p = derive(lms_primary("2024-01-15"), liver_met(onset=coarse))
    for name in ("timing", "dfi_months"):
        assert p[name].state is State.INDETERMINATE
        assert p[name].value is None
        assert f"first metastasis is dated only '{coarse}'" in (p[name].reason or "")


def test_partial_primary_date_is_named_in_the_reason(derive: Derive) -> None:
    p = derive(lms_primary("2023"), liver_met(onset="2023-09-01"))
    assert p["timing"].state is State.INDETERMINATE
    # Said once, with the other date (REVIEW4 m4): the card's sentence says timing cannot be set.
    assert p["timing"].reason == "the primary is dated only '2023' (first metastasis 2023-09-01)"
    assert p["primary_diagnosis_date"].state is State.INDETERMINATE
    assert "2023" in (p["primary_diagnosis_date"].reason or "")


def test_partial_dates_that_cannot_straddle_the_threshold_still_classify(derive: Derive) -> None:
    p = derive(lms_primary("2019"), liver_met(onset="2023-05"))
    assert p["timing"].value == "metachronous"
    assert p["long_dfi"].is_yes
    assert p["dfi_months"].state is State.INDETERMINATE  # 40 to 52 months
    assert "between 40 and 52 months" in (p["dfi_months"].reason or "")


def test_long_dfi_is_strictly_more_than_the_threshold_and_follows_the_setting(
    derive: Derive,
) -> None:
    twelve = derive(lms_primary("2022-03-15"), liver_met(onset="2023-03-15"))
    assert twelve["long_dfi"].is_no
    thirteen = derive(lms_primary("2022-03-15"), liver_met(onset="2023-04-16"))
    assert thirteen["long_dfi"].is_yes
    longer_setting = derive(
        lms_primary("2022-03-15"),
        liver_met(onset="2023-04-16"),
        params=replace(default_parameters(), long_dfi_months=18),
    )
    assert longer_setting["long_dfi"].is_no


def test_missing_primary_date_makes_timing_unknown_and_says_which(derive: Derive) -> None:
    p = derive(condition("prim", cm("C49.4")), liver_met())
    for name in ("timing", "dfi_months", "long_dfi"):
        assert p[name].state is State.UNKNOWN
        assert "no primary STS diagnosis date recorded" in (p[name].reason or "")


def test_no_primary_at_all_is_unknown_not_metachronous(derive: Derive) -> None:
    p = derive(liver_met())
    assert p["timing"].state is State.UNKNOWN
    assert p["timing"].reason == "no primary STS diagnosis recorded"


def test_undated_metastasis_makes_timing_unknown(derive: Derive) -> None:
    p = derive(lms_primary(), condition("m", cm("C78.7")))
    assert p["timing"].state is State.UNKNOWN
    assert p["timing"].reason == "no date on any metastasis"


def test_a_resolved_metastasis_still_dates_the_first_metastasis(derive: Derive) -> None:
    p = derive(
        lms_primary("2020-01-10"),
        condition("old-lung", cm("C78.01"), onset="2020-03-01", clinical="resolved"),
        liver_met(onset="2024-02-01"),
    )
    assert p["first_metastasis_date"].value == "2020-03-01"
    assert p["timing"].value == "synchronous"
    assert p["first_liver_metastasis_date"].value == "2024-02-01"


def test_repeated_encounter_diagnoses_take_the_earliest(derive: Derive) -> None:
    p = derive(
        lms_primary("2021-06-01"),
        lms_primary("2021-02-01") | {"id": "prim-enc"},
        liver_met(onset="2021-09-01"),
    )
    assert p["primary_diagnosis_date"].value == "2021-02-01"
    assert p["timing"].value == "metachronous"


# --- date sources, in order: onset[x], assertedDate extension, recordedDate ------------------


def _primary(**fields: Any) -> dict[str, Any]:
    res = condition("prim", cm("C49.4"))
    res.update(fields)
    return res


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"onsetDateTime": "2022-02-03T08:00:00Z", "recordedDate": "2022-05-01"}, "2022-02-03"),
        ({"onsetPeriod": {"start": "2022-02-03"}}, "2022-02-03"),
        ({"onsetString": "Feb 3, 2022", "recordedDate": "2022-05-01"}, "2022-02-03"),
        (
            {
                "extension": [{"url": ASSERTED_DATE, "valueDateTime": "2022-02-04"}],
                "recordedDate": "2022-05-01",
            },
            "2022-02-04",
        ),
        ({"recordedDate": "2022-05-01"}, "2022-05-01"),
    ],
)
def test_diagnosis_date_sources_in_order(
    derive: Derive, fields: dict[str, Any], expected: str
) -> None:
    p = derive(_primary(**fields), liver_met())
    assert p["primary_diagnosis_date"].value == expected


def test_onset_age_uses_the_birth_date_and_is_as_coarse_as_a_year_of_age(derive: Derive) -> None:
    age = {
        "onsetAge": {
            "value": 62,
            "unit": "years",
            "system": "http://unitsofmeasure.org",
            "code": "a",
        }
    }
    p = derive(_primary(**age), liver_met(onset="2024-03-01"), birth="1960-03-15")
    # Aged 62 from 2022-03-15 to 2023-03-14: the diagnosis date is a year-long interval.
    assert p["primary_diagnosis_date"].state is State.INDETERMINATE
    assert "age 62" in (p["primary_diagnosis_date"].reason or "")
    assert p["timing"].value == "metachronous"  # any day of that year is > 6 months before


def test_onset_age_without_birth_date_falls_back_to_recorded_date(derive: Derive) -> None:
    age = {"onsetAge": {"value": 62, "code": "a"}, "recordedDate": "2022-04-01"}
    p = derive(_primary(**age), liver_met(), birth=None)
    assert p["primary_diagnosis_date"].value == "2022-04-01"


def test_snomed_coded_primary_dates_the_timing_too(derive: Derive) -> None:
    p = derive(
        condition("prim", sct("443719001"), onset="2023-01-01"),
        condition("met", sct("94381002.0"), onset="2023-03-01"),
    )
    assert p["timing"].value == "synchronous"


def test_an_onset_period_is_the_interval_from_start_to_end(derive: Derive) -> None:
    """clinical-logic §1.2 (revised): the onset lies somewhere in start..end."""
    p = derive(
        _primary(onsetPeriod={"start": "2022-02-03", "end": "2022-03-01"}),
        liver_met(onset="2022-06-15"),
    )
    assert p["primary_diagnosis_date"].state is State.INDETERMINATE
    assert "2022-02-03 to 2022-03-01" in (p["primary_diagnosis_date"].reason or "")
    # 2022-06-15 is within 6 months of every day of the period: synchronous all the same.
    assert p["timing"].value == "synchronous"


def test_onset_text_that_is_not_a_date_is_named(derive: Derive) -> None:
    p = derive(_primary(onsetString="in childhood"), liver_met(onset="2022-06-15"))
    assert p["primary_diagnosis_date"].state is State.UNKNOWN
    assert "in childhood" in (p["timing"].reason or "")


def test_borderline_timing_is_open_when_the_dates_are_too_coarse(derive: Derive) -> None:
    p = derive(lms_primary("2024"), liver_met(onset="2024-07-31"))
    assert not p["dfi_at_synchronous_limit"].known


def test_both_coarse_dates_are_named_once(derive: Derive) -> None:
    p = derive(lms_primary("2023"), liver_met(onset="2023-10"))
    assert p["timing"].reason == (
        "the primary is dated only '2023' and the first metastasis only '2023-10'"
    )
