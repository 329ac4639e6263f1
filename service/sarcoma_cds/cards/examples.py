"""Run the inline examples of the rule files (the test suite and `sarcoma-cds rules check`)."""

from __future__ import annotations

from sarcoma_cds.cards.builder import build_card
from sarcoma_cds.cards.sections import evaluate_rule
from sarcoma_cds.clinical.dictionary import FactDictionary
from sarcoma_cds.clinical.facts import Fact, FactValue
from sarcoma_cds.clinical.profile import MetastaticProfile
from sarcoma_cds.rules.loader import RuleSet
from sarcoma_cds.rules.schema import Example, RuleFile, Scalar

_NOT_KNOWN = {
    "unknown": Fact.unknown,
    "indeterminate": Fact.indeterminate,
    "not_applicable": Fact.not_applicable,
}


def fact_from(name: str, value: Scalar | list[str], dictionary: FactDictionary) -> Fact:
    """An example's fact: "yes"/"no" for booleans, "unknown"/"indeterminate"/"not_applicable",
    or a value."""
    kind = dictionary[name].kind
    make = _NOT_KNOWN.get(value) if isinstance(value, str) and kind != "text" else None
    if make is not None:
        return make(f"{name} is {value} in this example", ())
    if kind == "bool" and value in ("yes", "no"):
        return Fact.of(value == "yes")
    v: FactValue = tuple(value) if isinstance(value, list) else value
    return Fact.of(v)


def example_profile(example: Example, dictionary: FactDictionary) -> MetastaticProfile:
    """Facts not listed in the example are unknown."""
    facts = {n: Fact.unknown(f"{n} is not given in this example") for n in dictionary}
    facts.update({n: fact_from(n, v, dictionary) for n, v in example.facts.items()})
    return MetastaticProfile(facts=facts, data_gaps=(), unconfirmed=(), dictionary=dictionary)


def check_example(rule: RuleFile, example: Example, rules: RuleSet) -> list[str]:
    """The ways the card differs from what the example expects (empty: it passes)."""
    profile = example_profile(example, rules.facts)
    result = evaluate_rule(rule, profile.facts, rules.facts)
    card = build_card(rule, profile, rules.recommendations, "example-patient", "example")
    exp = example.expect
    if (card is not None) is not exp.fires:
        return [f"expected fires={exp.fires}"]
    if card is None or result is None:
        return []
    problems = []
    shown = {st.id for st, _ in result.shown}
    needs = {st.id for st, _, _ in result.needs}
    if missing := set(exp.statements) - shown:
        problems.append(f"statements not shown: {sorted(missing)}")
    if missing := set(exp.unknown_statements) - needs:
        problems.append(f"statements not shown as needing data: {sorted(missing)}")
    if present := set(exp.absent_statements) & (shown | needs):
        problems.append(f"statements that should be absent: {sorted(present)}")
    if exp.indicator and card.indicator != exp.indicator:
        problems.append(f"indicator {card.indicator}, expected {exp.indicator}")
    if exp.suggestions is not None:
        got = [s.label for s in card.suggestions or ()]
        want = [s.label for s in rule.suggestions if s.id in exp.suggestions]
        if got != want:
            problems.append(f"suggestions {got}, expected {want}")
    if exp.summary_contains and exp.summary_contains not in card.summary:
        problems.append(f"summary {card.summary!r} lacks {exp.summary_contains!r}")
    return problems


def run_examples(rules: RuleSet) -> list[str]:
    """Every failing example, as "<rule>: <example>: <problem>"."""
    return [
        f"{rule.id}: {ex.name}: {problem}"
        for rule in rules.rules
        for ex in rule.examples
        for problem in check_example(rule, ex, rules)
    ]
