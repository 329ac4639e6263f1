"""The inline examples of every rule file, run as tests: facts in, card out."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import ROOT

from sarcoma_cds.cards.builder import build_card, evaluate_rule
from sarcoma_cds.clinical.facts import Fact
from sarcoma_cds.clinical.profile import FACT_KINDS, MetastaticProfile
from sarcoma_cds.rules.loader import RuleSet, load_rules
from sarcoma_cds.rules.schema import Example, RuleFile

_RULES = load_rules(ROOT / "cql-free-rules")
CASES = [(r, ex) for r in _RULES.rules for ex in r.examples]


def fact_from(value: Any, name: str) -> Fact:
    if value in ("unknown", "indeterminate") and FACT_KINDS[name] != "text":
        state = Fact.unknown if value == "unknown" else Fact.indeterminate
        return state(f"{name} {value} in this example")
    if value in ("yes", "no") and FACT_KINDS[name] == "bool":
        return Fact.of(value == "yes")
    if isinstance(value, list):
        return Fact.of(tuple(value))
    return Fact.of(value)


def profile_from(example: Example) -> MetastaticProfile:
    facts = {n: Fact.unknown(f"{n} not given in this example") for n in FACT_KINDS}
    facts.update({n: fact_from(v, n) for n, v in example.facts.items()})
    return MetastaticProfile(facts=facts, data_gaps=(), unconfirmed=())


@pytest.mark.parametrize(("rule", "example"), CASES, ids=[f"{r.id}: {e.name}" for r, e in CASES])
def test_rule_example(rule: RuleFile, example: Example, ruleset: RuleSet) -> None:
    profile = profile_from(example)
    result = evaluate_rule(rule, profile.facts)
    card = build_card(rule, profile, ruleset.recommendations, "pt-1", "hook-1")
    exp = example.expect
    assert (card is not None) is exp.fires, f"expected fires={exp.fires}"
    if card is None:
        return
    assert result is not None
    shown_ids = {st.id for st, _ in result.shown}
    needs_ids = {st.id for st, _, _ in result.needs}
    assert set(exp.statements) <= shown_ids, f"shown: {sorted(shown_ids)}"
    assert set(exp.unknown_statements) <= needs_ids, f"needs data: {sorted(needs_ids)}"
    assert not set(exp.absent_statements) & (shown_ids | needs_ids)
    if exp.indicator:
        assert card["indicator"] == exp.indicator
    if exp.suggestions is not None:
        got = [s["label"] for s in card.get("suggestions", [])]
        want = [s.label for s in rule.suggestions if s.id in exp.suggestions]
        assert got == want
    if exp.summary_contains:
        assert exp.summary_contains in card["summary"]


def test_every_rule_has_a_firing_and_a_silent_example() -> None:
    for rule in _RULES.rules:
        fires = {ex.expect.fires for ex in rule.examples}
        if rule.scope == "gist":
            assert True in fires
            continue
        assert fires == {True, False}, f"{rule.id} needs both a firing and a silent example"
