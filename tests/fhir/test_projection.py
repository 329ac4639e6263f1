"""The slim projection: the elements the facts need, typed; everything else ignored."""

from __future__ import annotations

import json

import pytest
from tests.support.fhir_data import cm, condition, observation, sct, tumour_size

from sarcoma_cds.fhir.projection import (
    CodeableConcept,
    Coding,
    Condition,
    Observation,
    Resource,
    UnreadableResource,
    project,
    project_as,
    project_many,
)


def test_condition_projection_keeps_what_the_facts_need() -> None:
    raw = condition(
        "c", cm("C78.7"), sct("94381002"), onset="2024-01-01", body_site=sct("10200004")
    )
    raw["note"] = [{"text": "ignored: not needed by any fact"}]
    res = project(raw)
    assert isinstance(res, Condition)
    assert [c.code for c in res.code.coding] == ["C78.7", "94381002"]  # type: ignore[union-attr]
    assert res.onsetDateTime == "2024-01-01"
    assert res.bodySite[0].coding[0].code == "10200004"


def test_observation_components_and_values() -> None:
    res = project(tumour_size("s", 12, "mm"))
    assert isinstance(res, Observation)
    assert res.component[0].valueQuantity is not None
    assert res.component[0].valueQuantity.value == 12
    ecog = project(observation("e", ("http://loinc.org", "89247-1"), valueInteger=1))
    assert isinstance(ecog, Observation)
    assert ecog.valueInteger == 1


def test_unused_resource_types_project_to_none() -> None:
    assert project({"resourceType": "Encounter", "id": "e"}) is None
    assert project({"id": "no type"}) is None


@pytest.mark.parametrize(
    "broken",
    [
        {"onsetDateTime": "2024-02-30"},
        {"onsetDateTime": "last spring"},
        {"recordedDate": 2024},
        {"code": "C78.7"},
        {"bodySite": {"coding": "x"}},
        {"onsetPeriod": {"start": "2024-13"}},
    ],
)
def test_a_broken_element_is_dropped_and_named_the_rest_is_kept(
    broken: dict[str, object],
) -> None:
    raw = condition("c", cm("C78.7"), onset="2024-01-01") | broken
    before = json.dumps(raw, sort_keys=True)
    res = project(raw)
    assert isinstance(res, Condition)
    (element,) = broken
    assert any(u.startswith(element) for u in res.unreadable), res.unreadable
    assert json.dumps(raw, sort_keys=True) == before  # the input is never modified
    if element != "code":
        assert res.code is not None
        assert res.code.coding[0].code == "C78.7"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ({"valueQuantity": {"value": float("nan"), "unit": "mm"}}, "valueQuantity.value"),
        ({"valueQuantity": {"value": 1e300, "unit": "mm"}}, "valueQuantity.value"),
        ({"valueQuantity": {"value": "12", "unit": "mm"}}, "valueQuantity.value"),
        ({"valueInteger": "3"}, "valueInteger"),
        ({"valueInteger": 2**40}, "valueInteger"),
        ({"valueBoolean": "yes"}, "valueBoolean"),
    ],
)
def test_numbers_and_booleans_must_be_json_numbers_and_plausible(
    value: dict[str, object], why: str
) -> None:
    res = project(observation("o", ("http://loinc.org", "21889-1")) | value)
    assert isinstance(res, Observation)
    assert any(u.startswith(why) for u in res.unreadable)
    assert res.valueInteger is None
    assert res.valueBoolean is None
    assert res.valueQuantity is None or res.valueQuantity.value is None
    assert res.code is not None


def test_label_prefers_text_then_display_then_code() -> None:
    coding = Coding(system="s", code="C78.7", display="Secondary malignant neoplasm of liver")
    assert CodeableConcept(coding=(coding,), text="Liver mets").label() == "Liver mets"
    assert CodeableConcept(coding=(coding,)).label().startswith("Secondary")
    assert CodeableConcept(coding=(Coding(code="C78.7"),)).label() == "C78.7"
    assert CodeableConcept().label() == "uncoded"


@pytest.mark.parametrize(
    ("display", "shown"),
    [
        (
            "History of cancer metastatic to liver (situation)",
            "History of cancer metastatic to liver",
        ),
        ("Synovial sarcoma (disorder)", "Synovial sarcoma"),
        ("Resection of liver (procedure)", "Resection of liver"),
        ("Leiomyosarcoma (morphologic abnormality)", "Leiomyosarcoma"),
        ("Patient's condition improved (finding)", "Patient's condition improved"),
        ("Sarcoma (soft tissue)", "Sarcoma (soft tissue)"),  # not a semantic tag: kept
    ],
)
def test_a_label_drops_the_snomed_semantic_tag(display: str, shown: str) -> None:
    """REVIEW5 m8: "(situation)" is a SNOMED semantic tag, not card wording."""
    assert CodeableConcept(coding=(Coding(display=display),)).label() == shown
    assert CodeableConcept(text=display).label() == shown


def test_many_at_once_read_as_one_at_a_time() -> None:
    """`project_many` (one msgspec call for a searchset, issue 18) gives what `project_as` gives
    for each, whether or not one of them is broken; None for an unreadable one."""
    good = condition("c", cm("C78.7"), onset="2024-01-01")
    sneaky = good | {"__sarcoma_cds_unreadable__": ["made up"]}  # ours to set, never theirs
    broken = condition("b", cm("C78.7"), onset="2024-02-30")
    hopeless = good | {
        k: 7 for k in ("id", "code", "subject", "category", "bodySite", "onsetPeriod")
    }
    hopeless |= {k: "x" for k in ("onsetDateTime", "recordedDate", "abatementDateTime")}
    for raws in ([good, sneaky], [good, broken, hopeless, sneaky]):
        one_by_one: list[Resource | None] = []
        for raw in raws:
            try:
                one_by_one.append(project_as(raw, Condition))
            except UnreadableResource:
                one_by_one.append(None)
        assert project_many(raws, Condition) == one_by_one
        assert one_by_one[0] is not None
        assert one_by_one[-1] == one_by_one[0]  # the made-up unreadable list is dropped
    assert one_by_one[1] is not None
    assert one_by_one[1].unreadable == ("onsetDateTime '2024-02-30'",)
    assert one_by_one[2] is None
