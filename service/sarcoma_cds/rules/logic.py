"""Three-valued (Kleene) evaluation of rule conditions over the profile's facts.

A test on an unknown or indeterminate fact is UNKNOWN, and the evaluation remembers which facts
made it so, so that the card can say what data would settle it.

A not-applicable fact is not missing data: every comparison on it (`is`, `equals`, `in`, `gt`…,
`contains`) is FALSE — "TFI > 12 months" is false when there is no recurrence to time — so it
never makes a statement "need data". `known` is false for it, and `any_of: [not_applicable]`
tests for it by name. `not` flips FALSE to TRUE as usual: write `any_of` when "not applicable"
must not count as "no".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from sarcoma_cds.clinical.facts import Fact, State
from sarcoma_cds.rules.schema import All, Not, RuleCondition, Test


class TV(Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass
class Outcome:
    value: TV
    missing: dict[str, Fact] = field(default_factory=dict)  # facts that were unknown
    # facts the outcome rests on, in order (for a true `any`, only its true branches)
    used: list[str] = field(default_factory=list)


def label(fact: Fact) -> str:
    """The yes/no (or category value) or unknown/indeterminate/not_applicable label `any_of`
    compares with."""
    if fact.state is not State.KNOWN:
        return fact.state.value
    if isinstance(fact.value, bool):
        return "yes" if fact.value else "no"
    return str(fact.value)


def _test(t: Test, facts: Mapping[str, Fact]) -> Outcome:
    fact = facts[t.fact]
    out = Outcome(TV.UNKNOWN, used=[t.fact])
    op = t.operator
    if op == "known":
        return _tv(fact.known == t.known, out)
    if op == "any_of":
        assert t.any_of is not None
        return _tv(label(fact) in t.any_of, out)
    if fact.state is State.NOT_APPLICABLE:
        return _tv(False, out)
    if not fact.known:
        out.missing[t.fact] = fact
        return out
    v = fact.value
    if op == "is_":
        return _tv(v is t.is_, out)
    if op == "equals":
        return _tv(v == t.equals, out)
    if op == "in_":
        assert t.in_ is not None
        return _tv(v in t.in_, out)
    if op == "contains":
        return _tv(isinstance(v, tuple) and t.contains in v, out)
    num = float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
    if num is None:
        return _tv(False, out)
    bound = getattr(t, op)
    result = {
        "gt": num > bound,
        "ge": num >= bound,
        "lt": num < bound,
        "le": num <= bound,
    }[op]
    return _tv(result, out)


def _tv(b: bool, out: Outcome) -> Outcome:
    out.value = TV.TRUE if b else TV.FALSE
    return out


def evaluate(cond: RuleCondition | None, facts: Mapping[str, Fact]) -> Outcome:
    if cond is None:
        return Outcome(TV.TRUE)
    if isinstance(cond, Test):
        return _test(cond, facts)
    if isinstance(cond, Not):
        inner = evaluate(cond.not_, facts)
        flip = {TV.TRUE: TV.FALSE, TV.FALSE: TV.TRUE, TV.UNKNOWN: TV.UNKNOWN}
        return Outcome(flip[inner.value], inner.missing, inner.used)
    parts = [evaluate(c, facts) for c in (cond.all if isinstance(cond, All) else cond.any)]
    used = [u for p in parts for u in p.used]
    decisive = TV.FALSE if isinstance(cond, All) else TV.TRUE
    if any(p.value is decisive for p in parts):
        if decisive is TV.TRUE:  # an `any` that holds rests only on its true branches
            used = [u for p in parts if p.value is TV.TRUE for u in p.used]
        return Outcome(decisive, used=used)
    unknown = [p for p in parts if p.value is TV.UNKNOWN]
    if unknown:
        missing = {k: v for p in unknown for k, v in p.missing.items()}
        return Outcome(TV.UNKNOWN, missing, used)
    return Outcome(TV.TRUE if isinstance(cond, All) else TV.FALSE, used=used)


def fact_names(cond: RuleCondition | None) -> list[str]:
    if cond is None:
        return []
    if isinstance(cond, Test):
        return [cond.fact]
    if isinstance(cond, Not):
        return fact_names(cond.not_)
    return [n for c in (cond.all if isinstance(cond, All) else cond.any) for n in fact_names(c)]


def located_tests(cond: RuleCondition | None, where: str) -> list[tuple[str, Test]]:
    """Every test with its path inside the rule file ("statements.3.when.all.1")."""
    if cond is None:
        return []
    if isinstance(cond, Test):
        return [(where, cond)]
    if isinstance(cond, Not):
        return located_tests(cond.not_, f"{where}.not")
    key, parts = ("all", cond.all) if isinstance(cond, All) else ("any", cond.any)
    return [lt for i, c in enumerate(parts) for lt in located_tests(c, f"{where}.{key}.{i}")]
