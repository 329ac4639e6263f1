"""Load, validate and compile the rules folder once, at start-up.

Any problem stops start-up with the file, the path inside it and what is wrong: a service that
runs with a broken rule would give wrong cards, which is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sarcoma_cds.clinical.datafile import load_yaml, read_yaml, validate
from sarcoma_cds.clinical.dictionary import (
    FactDictionary,
    FactDictionaryError,
    default_dictionary,
    load_fact_dictionary,
)
from sarcoma_cds.clinical.params import (
    ClinicalParameters,
    ParameterError,
    ParameterTable,
    default_parameters,
    default_table,
    load_parameters,
)
from sarcoma_cds.clinical.profile import required_valuesets
from sarcoma_cds.clinical.valuesets import ValueSetError, ValueSets
from sarcoma_cds.rules.logic import compiled, located_tests
from sarcoma_cds.rules.references import BadReference, resolve
from sarcoma_cds.rules.schema import (
    PLACEHOLDER,
    Recommendation,
    RecommendationsFile,
    RuleCondition,
    RuleFile,
    Test,
)

_BOOL_VALUES = {"yes", "no"}
# what `any_of` may name besides values: the fact states other than known
_STATE_LABELS = {"unknown", "indeterminate", "not_applicable"}
_OPERATOR_KINDS: dict[str, set[str]] = {
    "is_": {"bool"},
    "equals": {"category", "text", "date"},
    "in_": {"category", "text"},
    "gt": {"int", "float"},
    "ge": {"int", "float"},
    "lt": {"int", "float"},
    "le": {"int", "float"},
    "contains": {"list"},
    "any_of": {"bool", "category"},
    "known": {"bool", "int", "float", "category", "date", "list", "text"},
}


class RulesError(Exception):
    """An invalid rules folder: names the file, the path inside it and the problem."""


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[RuleFile, ...]  # in card order
    recommendations: dict[str, Recommendation]
    valuesets: ValueSets
    folder: Path
    facts: FactDictionary
    # the values in force, already written into rules and facts; parameters.yaml itself
    params: ClinicalParameters = field(default_factory=default_parameters)
    parameters: ParameterTable = field(default_factory=default_table)


def load_recommendations(path: Path) -> dict[str, Recommendation]:
    f = load_yaml(path, RecommendationsFile, RulesError)
    recs = {r.id: r for r in f.recommendations}
    if len(recs) != len(f.recommendations):
        raise RulesError(f"{path}: duplicate recommendation ids")
    return recs


def load_rules(folder: Path, overrides: Mapping[str, float | None] | None = None) -> RuleSet:
    """Everything under `folder`: parameters.yaml (with `overrides` from the settings, each
    within its range), facts.yaml, recommendations.yaml, valuesets/, rules/."""
    if not folder.is_dir():
        raise RulesError(f"{folder}: rules folder not found (setting SARCOMA_CDS_RULES_DIR)")
    try:
        table = load_parameters(folder / "parameters.yaml")
        params = table.build(overrides)
        facts = load_fact_dictionary(folder / "facts.yaml", params)
    except (ParameterError, FactDictionaryError) as exc:
        raise RulesError(str(exc)) from exc
    recs = load_recommendations(folder / "recommendations.yaml")
    try:
        valuesets = ValueSets.load_dir(folder / "valuesets")
        valuesets.require(required_valuesets())
    except ValueSetError as exc:
        raise RulesError(str(exc)) from exc
    rule_files = sorted((folder / "rules").glob("*.yaml"))
    if not rule_files:
        raise RulesError(f"{folder / 'rules'}: no rule files (*.yaml)")
    rules = [load_rule_file(p, recs, facts, params) for p in rule_files]
    topics = [r.topic for r in rules]
    dupes = sorted({t for t in topics if topics.count(t) > 1})
    if dupes:
        raise RulesError(f"{folder / 'rules'}: more than one rule file for topic(s) {dupes}")
    return RuleSet(
        rules=tuple(sorted(rules, key=lambda r: (r.order, r.topic))),
        recommendations=recs,
        valuesets=valuesets,
        folder=folder,
        facts=facts,
        params=params,
        parameters=table,
    )


def load_rule_file(
    path: Path,
    recs: dict[str, Recommendation],
    facts: FactDictionary | None = None,
    params: ClinicalParameters | None = None,
) -> RuleFile:
    """One rule file, its parameter and consensus references replaced, validated and checked."""
    try:
        raw = resolve(read_yaml(path, RulesError), params or default_parameters(), recs, path)
    except BadReference as exc:
        raise RulesError(str(exc)) from exc
    rule = validate(RuleFile, raw, path, RulesError)
    if rule.id != path.stem:
        raise RulesError(f"{path}: at id: {rule.id!r} differs from the file name {path.stem!r}")
    check_rule(rule, recs, path, facts)
    for _, cond in _conditions(rule):
        if cond is not None:
            compiled(cond)  # at start-up, not on the first call (issue 18)
    return rule


def check_rule(
    rule: RuleFile,
    recs: dict[str, Recommendation],
    path: Path,
    facts: FactDictionary | None = None,
) -> None:
    """Cross-references the schema cannot see: facts, operators, category values,
    recommendations, templates, examples. Raises RulesError naming file, path and problem."""
    dictionary = facts if facts is not None else default_dictionary()
    try:
        _check_recommendations(rule, recs)
        _check_conditions(rule, dictionary)
        _check_unique_ids(rule)
        _check_texts(rule, dictionary)
        _check_examples(rule, dictionary)
    except _Problem as p:
        raise RulesError(f"{path}: at {p.where}: {p.problem}") from None


class _Problem(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where, self.problem = where, problem


def _check_recommendations(rule: RuleFile, recs: dict[str, Recommendation]) -> None:
    """Every listed recommendation exists and is cited; statements cite only listed ones."""
    cited = {r for st in rule.statements for r in st.recommendations}
    for i, rid in enumerate(rule.recommendations):
        if rid not in recs:
            raise _Problem(f"recommendations.{i}", f"unknown recommendation {rid!r}")
        if rid not in cited:
            raise _Problem(f"recommendations.{i}", f"{rid!r} is listed but no statement cites it")
    for i, s in enumerate(rule.statements):
        for j, rid in enumerate(s.recommendations):
            if rid not in rule.recommendations:
                raise _Problem(
                    f"statements.{i}.recommendations.{j}",
                    f"{rid!r} is not in the rule's recommendations list",
                )


def _conditions(rule: RuleFile) -> list[tuple[str, RuleCondition | None]]:
    out: list[tuple[str, RuleCondition | None]] = [("applies_when", rule.applies_when)]
    out += [(f"statements.{i}.when", s.when) for i, s in enumerate(rule.statements)]
    out += [(f"suggestions.{i}.when", s.when) for i, s in enumerate(rule.suggestions)]
    return out


def _check_conditions(rule: RuleFile, facts: FactDictionary) -> None:
    for where, cond in _conditions(rule):
        for at, t in located_tests(cond, where):
            check_test(t, at, facts)
    for i, name in enumerate(rule.show_facts):
        if name not in facts:
            raise _Problem(f"show_facts.{i}", f"unknown fact {name!r}")


def check_test(t: Test, where: str, facts: FactDictionary) -> None:
    """The fact exists, the operator fits its kind, and every value it names is allowed."""
    kind = facts.kind(t.fact)
    if kind is None:
        raise _Problem(where, f"unknown fact {t.fact!r}")
    op = t.operator
    if kind not in _OPERATOR_KINDS[op]:
        raise _Problem(
            where, f"operator '{op.rstrip('_')}' does not apply to {kind} fact {t.fact!r}"
        )
    at = f"{where}.{op.rstrip('_')}"
    if op == "any_of":
        allowed = _STATE_LABELS | (_BOOL_VALUES if kind == "bool" else set(facts.allowed(t.fact)))
        _check_values(t.fact, t.any_of or (), allowed, at)
    elif kind == "category" and op in ("equals", "in_"):
        values = (t.equals,) if op == "equals" else (t.in_ or ())
        _check_values(t.fact, values, set(facts.allowed(t.fact)), at)


def _check_values(fact: str, values: Iterable[str | None], allowed: set[str], where: str) -> None:
    for v in values:
        if v not in allowed:
            raise _Problem(
                where, f"{v!r} is not an allowed value of {fact!r} (allowed: {sorted(allowed)})"
            )


def _check_unique_ids(rule: RuleFile) -> None:
    for what, ids in (
        ("statements", [s.id for s in rule.statements]),
        ("suggestions", [s.id for s in rule.suggestions]),
    ):
        if len(set(ids)) != len(ids):
            raise _Problem(what, f"duplicate {what[:-1]} ids")


def _texts(rule: RuleFile) -> list[tuple[str, str]]:
    texts = [("summary", rule.summary)]
    for i, s in enumerate(rule.statements):
        texts += [(f"statements.{i}.text", s.text)]
        if s.on_unknown:
            texts += [(f"statements.{i}.on_unknown", s.on_unknown)]
        if s.summary:
            texts += [(f"statements.{i}.summary", s.summary)]
    return texts


def _check_texts(rule: RuleFile, facts: FactDictionary) -> None:
    """Placeholders name known facts; no raw HTML (cards are plain GitHub markdown)."""
    for where, text in _texts(rule):
        for m in PLACEHOLDER.finditer(text):
            if m[1] not in facts:
                raise _Problem(where, f"template names unknown fact {m[1]!r}")
        if "<" in text and re.search(r"<[a-zA-Z/]", text):
            raise _Problem(
                where, "raw HTML is not allowed in card text (plain GitHub markdown only)"
            )


def _check_examples(rule: RuleFile, facts: FactDictionary) -> None:
    """Examples name known facts with allowed values, and known statements and suggestions."""
    ids = {s.id for s in rule.statements}
    sug_ids = {s.id for s in rule.suggestions}
    for i, ex in enumerate(rule.examples):
        for name, value in ex.facts.items():
            if name not in facts:
                raise _Problem(f"examples.{i}.facts", f"unknown fact {name!r}")
            if facts.kind(name) == "category" and isinstance(value, str):
                allowed = _STATE_LABELS | set(facts.allowed(name))
                _check_values(name, (value,), allowed, f"examples.{i}.facts.{name}")
        exp = ex.expect
        for sid in exp.statements + exp.unknown_statements + exp.absent_statements:
            if sid not in ids:
                raise _Problem(f"examples.{i}.expect", f"unknown statement {sid!r}")
        for sid in exp.suggestions or ():
            if sid not in sug_ids:
                raise _Problem(f"examples.{i}.expect.suggestions", f"unknown suggestion {sid!r}")
