"""The inline examples of every rule file, run as tests: facts in, card out."""

from __future__ import annotations

import pytest
from tests.conftest import ROOT

from sarcoma_cds.cards.examples import check_example
from sarcoma_cds.rules.loader import RuleSet, load_rules
from sarcoma_cds.rules.schema import Example, RuleFile

_RULES = load_rules(ROOT / "cql-free-rules")
CASES = [(r, ex) for r in _RULES.rules for ex in r.examples]


@pytest.mark.parametrize(("rule", "example"), CASES, ids=[f"{r.id}: {e.name}" for r, e in CASES])
def test_rule_example(rule: RuleFile, example: Example, ruleset: RuleSet) -> None:
    assert check_example(rule, example, ruleset) == []


def test_a_wrong_expectation_is_reported(ruleset: RuleSet) -> None:
    rule = next(r for r in ruleset.rules if r.id == "follow-up")
    example = rule.examples[0].model_copy(
        update={"expect": rule.examples[0].expect.model_copy(update={"indicator": "info"})}
    )
    assert check_example(rule, example, ruleset) == ["indicator warning, expected info"]


def test_every_rule_has_a_firing_and_a_silent_example() -> None:
    for rule in _RULES.rules:
        fires = {ex.expect.fires for ex in rule.examples}
        if rule.scope == "gist":
            assert True in fires
            continue
        assert fires == {True, False}, f"{rule.id} needs both a firing and a silent example"
