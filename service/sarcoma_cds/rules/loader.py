"""Load, validate and compile the rules folder once, at start-up.

Any problem stops start-up with the file, the path inside it and what is wrong: a service that
runs with a broken rule would give wrong cards, which is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sarcoma_cds.clinical.profile import FACT_KINDS, required_valuesets
from sarcoma_cds.clinical.valuesets import ValueSetError, ValueSets
from sarcoma_cds.rules.logic import tests
from sarcoma_cds.rules.schema import (
    PLACEHOLDER,
    Condition,
    Recommendation,
    RecommendationsFile,
    RuleFile,
)

_BOOL_LABELS = {"yes", "no", "unknown", "indeterminate"}
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
    "known": set(FACT_KINDS.values()),
}


M = TypeVar("M", bound=BaseModel)


class RulesError(Exception):
    """An invalid rules folder: names the file, the path inside it and the problem."""


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[RuleFile, ...]  # in card order
    recommendations: dict[str, Recommendation]
    valuesets: ValueSets
    folder: Path


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise RulesError(f"{path}: cannot be read: {exc}") from exc


def _validate(model: type[M], raw: Any, path: Path) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append(f"at {where}: {err['msg']}")
        raise RulesError(f"{path}: " + "; ".join(problems)) from exc


def load_recommendations(path: Path) -> dict[str, Recommendation]:
    f = _validate(RecommendationsFile, _read_yaml(path), path)
    recs = {r.id: r for r in f.recommendations}
    if len(recs) != len(f.recommendations):
        raise RulesError(f"{path}: duplicate recommendation ids")
    return recs


def load_rules(folder: Path) -> RuleSet:
    """Everything under `folder`: recommendations.yaml, valuesets/, rules/."""
    if not folder.is_dir():
        raise RulesError(f"{folder}: rules folder not found (setting SARCOMA_CDS_RULES_DIR)")
    recs = load_recommendations(folder / "recommendations.yaml")
    try:
        valuesets = ValueSets.load_dir(folder / "valuesets")
        valuesets.require(required_valuesets())
    except ValueSetError as exc:
        raise RulesError(str(exc)) from exc
    rule_files = sorted((folder / "rules").glob("*.yaml"))
    if not rule_files:
        raise RulesError(f"{folder / 'rules'}: no rule files (*.yaml)")
    rules = [load_rule_file(p, recs) for p in rule_files]
    topics = [r.topic for r in rules]
    dupes = sorted({t for t in topics if topics.count(t) > 1})
    if dupes:
        raise RulesError(f"{folder / 'rules'}: more than one rule file for topic(s) {dupes}")
    return RuleSet(
        rules=tuple(sorted(rules, key=lambda r: (r.order, r.topic))),
        recommendations=recs,
        valuesets=valuesets,
        folder=folder,
    )


def load_rule_file(path: Path, recs: dict[str, Recommendation]) -> RuleFile:
    rule = _validate(RuleFile, _read_yaml(path), path)
    if rule.id != path.stem:
        raise RulesError(f"{path}: at id: {rule.id!r} differs from the file name {path.stem!r}")
    check_rule(rule, recs, path)
    return rule


def check_rule(rule: RuleFile, recs: dict[str, Recommendation], path: Path) -> None:
    """Cross-references the schema cannot see: facts, operators, recommendations, templates."""

    def fail(where: str, problem: str) -> NoReturn:
        raise RulesError(f"{path}: at {where}: {problem}")

    cited = {r for st in rule.statements for r in st.recommendations}
    for i, rid in enumerate(rule.recommendations):
        if rid not in recs:
            fail(f"recommendations.{i}", f"unknown recommendation {rid!r}")
        if rid not in cited:
            fail(f"recommendations.{i}", f"{rid!r} is listed but no statement cites it")
    conditions: list[tuple[str, Condition | None]] = [("applies_when", rule.applies_when)]
    conditions += [(f"statements.{i}.when", s.when) for i, s in enumerate(rule.statements)]
    conditions += [(f"suggestions.{i}.when", s.when) for i, s in enumerate(rule.suggestions)]
    for where, cond in conditions:
        for t in tests(cond):
            kind = FACT_KINDS.get(t.fact)
            if kind is None:
                fail(where, f"unknown fact {t.fact!r}")
            op = t.operator
            if kind not in _OPERATOR_KINDS[op]:
                fail(where, f"operator '{op.rstrip('_')}' does not apply to {kind} fact {t.fact!r}")
            if op == "any_of" and kind == "bool" and not set(t.any_of or ()) <= _BOOL_LABELS:
                fail(where, f"any_of on {t.fact!r} takes {sorted(_BOOL_LABELS)}")
    for i, name in enumerate(rule.show_facts):
        if name not in FACT_KINDS:
            fail(f"show_facts.{i}", f"unknown fact {name!r}")
    ids = [s.id for s in rule.statements]
    if len(set(ids)) != len(ids):
        fail("statements", "duplicate statement ids")
    sug_ids = [s.id for s in rule.suggestions]
    if len(set(sug_ids)) != len(sug_ids):
        fail("suggestions", "duplicate suggestion ids")
    texts = [("summary", rule.summary)]
    for i, s in enumerate(rule.statements):
        texts += [(f"statements.{i}.text", s.text)]
        if s.on_unknown:
            texts += [(f"statements.{i}.on_unknown", s.on_unknown)]
        if s.summary:
            texts += [(f"statements.{i}.summary", s.summary)]
        for j, rid in enumerate(s.recommendations):
            if rid not in rule.recommendations:
                fail(
                    f"statements.{i}.recommendations.{j}",
                    f"{rid!r} is not in the rule's recommendations list",
                )
    for where, text in texts:
        for m in PLACEHOLDER.finditer(text):
            if m[1] not in FACT_KINDS:
                fail(where, f"template names unknown fact {m[1]!r}")
        if "<" in text and re.search(r"<[a-zA-Z/]", text):
            fail(where, "raw HTML is not allowed in card text (plain GitHub markdown only)")
    for i, ex in enumerate(rule.examples):
        for name in ex.facts:
            if name not in FACT_KINDS:
                fail(f"examples.{i}.facts", f"unknown fact {name!r}")
        for sid in (
            ex.expect.statements + ex.expect.unknown_statements + ex.expect.absent_statements
        ):
            if sid not in ids:
                fail(f"examples.{i}.expect", f"unknown statement {sid!r}")
        for sid in ex.expect.suggestions or ():
            if sid not in sug_ids:
                fail(f"examples.{i}.expect.suggestions", f"unknown suggestion {sid!r}")
