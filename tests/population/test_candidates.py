"""The first pass's candidate test reads a line's `Head`: every element of the deciding types
that can hold a coding the projection reads, however the line is shaped."""

from __future__ import annotations

from typing import Any

import msgspec
import orjson
import pytest

from sarcoma_cds.fhir import projection
from sarcoma_cds.pipeline import Engine
from sarcoma_cds.population.candidates import (
    CODED,
    DECIDING_TYPES,
    HEAD,
    LOOSE_HEAD,
    CodeFilter,
    Head,
    LooseHead,
)

LIVER = {"system": "http://snomed.info/sct", "code": "10200004"}  # bodysite-liver
CREATININE = {"system": "http://loinc.org", "code": "2160-0"}


@pytest.fixture(scope="module")
def code_filter(engine: Engine) -> CodeFilter:
    return CodeFilter(engine.rules.valuesets)


def _instance(t: msgspec.inspect.Type, coding: dict[str, str]) -> Any:
    """JSON for a projection type with `coding` at every Coding it can hold."""
    if isinstance(t, msgspec.inspect.StructType):
        if t.cls is projection.Coding:
            return coding
        out = {}
        for f in t.fields:
            value = _instance(f.type, coding)
            if value is not None:
                out[f.encode_name] = value
        return out or None
    if isinstance(t, msgspec.inspect.UnionType):
        values = [v for u in t.types if (v := _instance(u, coding)) is not None]
        return values[0] if values else None
    if isinstance(t, msgspec.inspect.VarTupleType):
        item = _instance(t.item_type, coding)
        return None if item is None else [item]
    return None


def _elements() -> list[tuple[str, str, Any]]:
    out = []
    for rtype in sorted(DECIDING_TYPES):
        info = msgspec.inspect.type_info(getattr(projection, rtype))
        assert isinstance(info, msgspec.inspect.StructType)
        for f in info.fields:
            if f.encode_name in CODED[rtype]:
                out.append((rtype, f.encode_name, f.type))
    return out


def test_the_coded_elements_are_the_projections() -> None:
    assert CODED["Observation"] == (
        "code",
        "bodySite",
        "valueCodeableConcept",
        "component",
        "extension",
    )
    assert {"code", "bodySite", "extension", "category"} <= set(CODED["Condition"])
    assert {"location", "morphology"} <= set(CODED["BodyStructure"])
    assert len(_elements()) == sum(len(v) for v in CODED.values())


@pytest.mark.parametrize(("rtype", "name", "kind"), _elements(), ids=lambda v: str(v)[:20])
def test_a_value_set_code_in_any_coded_element_makes_a_candidate(
    code_filter: CodeFilter, rtype: str, name: str, kind: Any
) -> None:
    for coding, expected in ((LIVER, True), (CREATININE, False)):
        resource = {
            "resourceType": rtype,
            "subject": {"reference": "Patient/p"},
            name: _instance(kind, coding),
        }
        line = orjson.dumps(resource)
        head = HEAD.decode(line)
        assert type(head) is Head
        assert code_filter.is_candidate(rtype, head, line) is expected, (name, coding)
        # The same answer a second time, from the cache.
        assert code_filter.is_candidate(rtype, HEAD.decode(line), line) is expected


def test_an_odd_shape_is_read_as_json(code_filter: CodeFilter) -> None:
    """A `coding` that is one object instead of a list, a code that is a number: the typed
    head refuses the line, the loose head reads it as the parsed JSON is walked."""
    line = orjson.dumps(
        {
            "resourceType": "Observation",
            "subject": {"reference": "Patient/p"},
            "code": {"coding": [CREATININE, {"system": "x", "code": 5}]},
            "bodySite": {"coding": [LIVER]},
        }
    )
    with pytest.raises(msgspec.ValidationError):
        HEAD.decode(line)
    head = LOOSE_HEAD.decode(line)
    assert type(head) is LooseHead
    assert code_filter.is_candidate("Observation", head, line)


def test_contained_resources_read_every_code_of_the_line(code_filter: CodeFilter) -> None:
    line = orjson.dumps(
        {
            "resourceType": "Condition",
            "subject": {"reference": "Patient/p"},
            "contained": [{"resourceType": "BodyStructure", "location": {"coding": [LIVER]}}],
        }
    )
    assert code_filter.is_candidate("Condition", HEAD.decode(line), line)


def test_a_condition_with_cancer_words_only_is_a_candidate(code_filter: CodeFilter) -> None:
    def line(text: str) -> bytes:
        return orjson.dumps(
            {
                "resourceType": "Condition",
                "subject": {"reference": "Patient/p"},
                "code": {"text": text},
            }
        )

    sarcoma, cough = line("Leiomyosarcoma of the uterus"), line("Cough")
    assert code_filter.is_candidate("Condition", HEAD.decode(sarcoma), sarcoma)
    assert not code_filter.is_candidate("Condition", HEAD.decode(cough), cough)


def test_the_words_of_a_conditions_coding_display_count(code_filter: CodeFilter) -> None:
    """The honesty check reads the code's text and its codings' displays."""
    line = orjson.dumps(
        {
            "resourceType": "Condition",
            "subject": {"reference": "Patient/p"},
            "code": {
                "coding": [
                    {"system": "http://example.org/x", "code": "1", "display": "Hepatic mass"}
                ]
            },
        }
    )
    assert code_filter.is_candidate("Condition", HEAD.decode(line), line)
