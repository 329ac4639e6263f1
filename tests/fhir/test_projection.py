"""The slim projection: the elements the facts need, typed; everything else ignored."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from tests.clinical.conftest import cm, condition, observation, sct, tumour_size

from sarcoma_cds.fhir.projection import CodeableConcept, Coding, Condition, Observation, project


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
def test_wrong_types_and_invalid_dates_raise_validation_error(broken: dict[str, object]) -> None:
    raw = condition("c", cm("C78.7")) | broken
    with pytest.raises(ValidationError):
        project(raw)


def test_label_prefers_text_then_display_then_code() -> None:
    coding = Coding(system="s", code="C78.7", display="Secondary malignant neoplasm of liver")
    assert CodeableConcept(coding=(coding,), text="Liver mets").label() == "Liver mets"
    assert CodeableConcept(coding=(coding,)).label().startswith("Secondary")
    assert CodeableConcept(coding=(Coding(code="C78.7"),)).label() == "C78.7"
    assert CodeableConcept().label() == "uncoded"
