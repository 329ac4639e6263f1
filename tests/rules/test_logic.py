"""Three-valued (Kleene) evaluation: unknown facts give UNKNOWN and are named, never "no"."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from sarcoma_cds.clinical.facts import Fact
from sarcoma_cds.rules.logic import TV, evaluate, fact_names
from sarcoma_cds.rules.schema import RuleCondition

COND: TypeAdapter[RuleCondition] = TypeAdapter(RuleCondition)
FACTS = {
    "yes": Fact.of(True),
    "no": Fact.of(False),
    "unk": Fact.unknown("no lesion count recorded"),
    "ind": Fact.indeterminate("dated only '2023'"),
    "n5": Fact.of(5),
    "cat": Fact.of("metachronous"),
    "sites": Fact.of(("liver", "lung")),
    "na": Fact.not_applicable("no liver recurrence after local treatment"),
}


def ev(raw: dict[str, Any]) -> TV:
    return evaluate(COND.validate_python(raw), FACTS).value


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ({"fact": "yes", "is": True}, TV.TRUE),
        ({"fact": "no", "is": True}, TV.FALSE),
        ({"fact": "unk", "is": True}, TV.UNKNOWN),
        ({"fact": "unk", "is": False}, TV.UNKNOWN),  # unknown is never "no"
        ({"fact": "ind", "is": False}, TV.UNKNOWN),
        ({"not": {"fact": "unk", "is": True}}, TV.UNKNOWN),
        ({"all": [{"fact": "yes", "is": True}, {"fact": "unk", "is": True}]}, TV.UNKNOWN),
        ({"all": [{"fact": "no", "is": True}, {"fact": "unk", "is": True}]}, TV.FALSE),
        ({"any": [{"fact": "yes", "is": True}, {"fact": "unk", "is": True}]}, TV.TRUE),
        ({"any": [{"fact": "no", "is": True}, {"fact": "unk", "is": True}]}, TV.UNKNOWN),
        ({"fact": "unk", "any_of": ["unknown", "indeterminate"]}, TV.TRUE),
        ({"fact": "ind", "any_of": ["yes"]}, TV.FALSE),
        ({"fact": "unk", "known": False}, TV.TRUE),
        ({"fact": "n5", "le": 5}, TV.TRUE),
        ({"fact": "n5", "gt": 5}, TV.FALSE),
        ({"fact": "unk", "le": 5}, TV.UNKNOWN),
        ({"fact": "cat", "equals": "metachronous"}, TV.TRUE),
        ({"fact": "cat", "in": ["synchronous"]}, TV.FALSE),
        ({"fact": "sites", "contains": "lung"}, TV.TRUE),
        # not applicable is not missing data: every comparison on it is false
        ({"fact": "na", "is": True}, TV.FALSE),
        ({"fact": "na", "is": False}, TV.FALSE),
        ({"fact": "na", "gt": 12}, TV.FALSE),
        ({"fact": "na", "le": 12}, TV.FALSE),
        ({"fact": "na", "equals": "metachronous"}, TV.FALSE),
        ({"fact": "na", "in": ["synchronous"]}, TV.FALSE),
        ({"fact": "na", "contains": "lung"}, TV.FALSE),
        ({"not": {"fact": "na", "is": True}}, TV.TRUE),
        ({"all": [{"fact": "na", "is": True}, {"fact": "unk", "is": True}]}, TV.FALSE),
        ({"any": [{"fact": "na", "is": True}, {"fact": "unk", "is": True}]}, TV.UNKNOWN),
        ({"fact": "na", "known": False}, TV.TRUE),
        ({"fact": "na", "any_of": ["not_applicable"]}, TV.TRUE),
        ({"fact": "na", "any_of": ["no", "unknown", "indeterminate"]}, TV.FALSE),
        ({"fact": "unk", "any_of": ["not_applicable"]}, TV.FALSE),
    ],
)
def test_truth_table(raw: dict[str, Any], want: TV) -> None:
    assert ev(raw) is want


def test_unknown_outcome_names_the_missing_facts() -> None:
    raw = {
        "all": [
            {"fact": "yes", "is": True},
            {"fact": "unk", "is": True},
            {"fact": "ind", "is": True},
        ]
    }
    out = evaluate(COND.validate_python(raw), FACTS)
    assert out.value is TV.UNKNOWN
    assert set(out.missing) == {"unk", "ind"}
    assert out.missing["unk"].reason == "no lesion count recorded"


def test_a_not_applicable_fact_is_never_named_as_missing() -> None:
    raw = {"any": [{"fact": "na", "gt": 12}, {"fact": "unk", "is": True}]}
    out = evaluate(COND.validate_python(raw), FACTS)
    assert out.value is TV.UNKNOWN
    assert set(out.missing) == {"unk"}


def test_decided_outcome_names_nothing_missing() -> None:
    out = evaluate(
        COND.validate_python({"any": [{"fact": "yes", "is": True}, {"fact": "unk", "is": True}]}),
        FACTS,
    )
    assert out.missing == {}


def test_fact_names_walks_the_tree() -> None:
    raw = {"all": [{"fact": "yes", "is": True}, {"not": {"any": [{"fact": "n5", "gt": 1}]}}]}
    assert fact_names(COND.validate_python(raw)) == ["yes", "n5"]


def test_no_condition_is_true() -> None:
    assert evaluate(None, FACTS).value is TV.TRUE


def test_a_condition_reused_across_calls_keeps_no_state_between_them() -> None:
    """Conditions are compiled once and shared by every request (issue 18): one call's unknown
    facts must never leak into the next call's outcome."""
    cond = COND.validate_python({"all": [{"fact": "a", "is": True}, {"fact": "b", "le": 5}]})
    first = evaluate(cond, {"a": Fact.unknown("no a recorded"), "b": Fact.of(3)})
    second = evaluate(cond, {"a": Fact.of(True), "b": Fact.unknown("no b recorded")})
    third = evaluate(cond, {"a": Fact.of(True), "b": Fact.of(4)})
    assert (first.value, list(first.missing)) == (TV.UNKNOWN, ["a"])
    assert (second.value, list(second.missing)) == (TV.UNKNOWN, ["b"])
    assert (third.value, third.missing, third.used) == (TV.TRUE, {}, ["a", "b"])
    assert first.missing["a"].reason == "no a recorded"
