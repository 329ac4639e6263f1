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

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from sarcoma_cds.clinical.facts import Fact, State
from sarcoma_cds.rules.schema import All, Not, RuleCondition, Test


class TV(Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass(slots=True)
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


Compiled = Callable[[Mapping[str, Fact]], Outcome]


def evaluate(cond: RuleCondition | None, facts: Mapping[str, Fact]) -> Outcome:
    """The condition's outcome on these facts (no condition: TRUE)."""
    if cond is None:
        return Outcome(TV.TRUE)
    return compiled(cond)(facts)


def compiled(cond: RuleCondition) -> Compiled:
    """The condition as one closure, built the first time it is evaluated and kept on the
    (frozen, loaded-once) condition: the operator dispatch and the tree walk happen once per
    loaded rule, not on every call (issue 18)."""
    fn: Compiled | None = cond.__dict__.get(_KEY)
    if fn is None:
        fn = _compile(cond)
        cond.__dict__[_KEY] = fn  # a cache beside the fields, as functools.cached_property does
    return fn


_KEY = "_compiled"


def _compile(cond: RuleCondition) -> Compiled:
    if isinstance(cond, Test):
        return _compile_test(cond)
    if isinstance(cond, Not):
        return _compile_not(compiled(cond.not_))
    if isinstance(cond, All):
        return _compile_junction(tuple(compiled(c) for c in cond.all), TV.FALSE)
    return _compile_junction(tuple(compiled(c) for c in cond.any), TV.TRUE)


def _compile_test(t: Test) -> Compiled:
    name, op = t.fact, t.operator
    if op == "known":
        want = t.known
        return lambda facts: _outcome(facts[name].known == want, name)
    if op == "any_of":
        assert t.any_of is not None
        labels = frozenset(t.any_of)
        return lambda facts: _outcome(label(facts[name]) in labels, name)
    holds = _comparison(t)

    def test(facts: Mapping[str, Fact]) -> Outcome:
        fact = facts[name]
        state = fact.state
        if state is State.KNOWN:
            return _outcome(holds(fact.value), name)
        if state is State.NOT_APPLICABLE:
            return _outcome(False, name)
        return Outcome(TV.UNKNOWN, {name: fact}, [name])

    return test


def _comparison(t: Test) -> Callable[[object], bool]:
    """The test of a known value; a number test on a value that is not a number is false."""
    op = t.operator
    if op == "is_":
        target = t.is_
        return lambda v: v is target
    if op == "equals":
        equals = t.equals
        return lambda v: v == equals
    if op == "in_":
        assert t.in_ is not None
        members = t.in_
        return lambda v: v in members
    if op == "contains":
        item = t.contains
        return lambda v: isinstance(v, tuple) and item in v
    bound: float = getattr(t, op)
    compare: Callable[[float, float], bool] = _NUMBER_TESTS[op]

    def number(v: object) -> bool:
        if not isinstance(v, int | float) or isinstance(v, bool):
            return False
        return compare(float(v), bound)

    return number


_NUMBER_TESTS: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _outcome(b: bool, name: str) -> Outcome:
    return Outcome(TV.TRUE if b else TV.FALSE, {}, [name])


_FLIP = {TV.TRUE: TV.FALSE, TV.FALSE: TV.TRUE, TV.UNKNOWN: TV.UNKNOWN}


def _compile_not(inner: Compiled) -> Compiled:
    def negation(facts: Mapping[str, Fact]) -> Outcome:
        out = inner(facts)
        return Outcome(_FLIP[out.value], out.missing, out.used)

    return negation


def _compile_junction(parts: tuple[Compiled, ...], decisive: TV) -> Compiled:
    """`all` (decisive FALSE) or `any` (decisive TRUE), in Kleene logic."""
    settled = TV.TRUE if decisive is TV.FALSE else TV.FALSE  # when no part is decisive or unknown

    def junction(facts: Mapping[str, Fact]) -> Outcome:
        outs = [p(facts) for p in parts]
        used = [u for o in outs for u in o.used]
        if any(o.value is decisive for o in outs):
            if decisive is TV.TRUE:  # an `any` that holds rests only on its true branches
                used = [u for o in outs if o.value is TV.TRUE for u in o.used]
            return Outcome(decisive, {}, used)
        unknown = [o for o in outs if o.value is TV.UNKNOWN]
        if unknown:
            return Outcome(TV.UNKNOWN, {k: v for o in unknown for k, v in o.missing.items()}, used)
        return Outcome(settled, {}, used)

    return junction


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
