"""One rule × the patient's facts → a section: the bullets, the needs-data lines, the
recommendations cited and the suggestions of one topic (clinical-logic §2).

A section is what one rule says; the layout (`cards.layout`) decides which sections share a card.
A statement whose condition holds is a bullet; one whose condition is unknown says what data
would settle it (never a guess). Facts are named once, on the summary card, not here.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sarcoma_cds.cards.orders import service_request
from sarcoma_cds.cards.render import fill, sentence
from sarcoma_cds.cards.wording import clip, plurals, with_citation, without_refs
from sarcoma_cds.clinical.dictionary import FactDictionary
from sarcoma_cds.clinical.facts import Fact
from sarcoma_cds.rules.logic import TV, evaluate
from sarcoma_cds.rules.schema import PLACEHOLDER, Recommendation, RuleFile, Statement

RANK = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class RuleResult:
    shown: list[tuple[Statement, str]]  # statements that hold, with their text filled in
    needs: list[tuple[Statement, str, dict[str, Fact]]]  # unknown ones, with the missing facts
    used: list[str]  # facts the statements rest on


@dataclass(frozen=True)
class Section:
    rule: RuleFile
    indicator: str
    summary: str
    bullets: list[str]
    needs: list[str]
    cited: list[str]
    board: list[str] = field(default_factory=list)  # for the tumour-board view only
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    said: frozenset[str] = frozenset()  # facts its text already names in words

    @property
    def rank(self) -> int:
        return RANK[self.indicator]


def evaluate_rule(
    rule: RuleFile, facts: Mapping[str, Fact], dictionary: FactDictionary | None = None
) -> RuleResult | None:
    """What a rule says about these facts, or None when it stays silent."""
    if evaluate(rule.applies_when, facts).value is not TV.TRUE:
        return None
    shown: list[tuple[Statement, str]] = []
    needs: list[tuple[Statement, str, dict[str, Fact]]] = []
    used: list[str] = list(rule.show_facts)
    for st in rule.statements:
        out = evaluate(st.when, facts)
        if out.value is TV.TRUE:
            shown.append((st, sentence(st.text, facts, dictionary)))
            used += out.used
        elif out.value is TV.UNKNOWN and st.on_unknown:
            needs.append((st, sentence(st.on_unknown, facts, dictionary), out.missing))
            used += list(out.missing)
    if not shown and not needs:
        return None
    return RuleResult(shown, needs, used)


def build_section(
    rule: RuleFile,
    facts: Mapping[str, Fact],
    dictionary: FactDictionary,
    recs: Mapping[str, Recommendation],
    patient_id: str,
) -> Section | None:
    result = evaluate_rule(rule, facts, dictionary)
    if result is None:
        return None
    return Section(
        rule=rule,
        indicator=_indicator(rule, result),
        summary=_summary(rule, result, facts, dictionary),
        bullets=[_text(t, st, recs) for st, t in result.shown if not st.board_only],
        board=[_text(t, st, recs) for st, t in result.shown if st.board_only],
        needs=[_needs_line(st, t, missing, recs) for st, t, missing in result.needs],
        cited=_cited(rule, result),
        suggestions=_suggestions(rule, facts, patient_id),
        said=frozenset(
            m[1]
            for text in [st.text for st, _ in result.shown if not st.board_only]
            + [st.on_unknown or "" for st, _, _ in result.needs]
            for m in PLACEHOLDER.finditer(text)
        ),
    )


def _indicator(rule: RuleFile, result: RuleResult) -> str:
    ranks = [RANK[st.indicator] for st, _ in result.shown if st.indicator]
    best = max([RANK[rule.indicator], *ranks])
    return next(name for name, rank in RANK.items() if rank == best)


def _summary(
    rule: RuleFile, result: RuleResult, facts: Mapping[str, Fact], dictionary: FactDictionary
) -> str:
    # The most urgent statement's summary leads (a warning must not hide behind an info line).
    with_summary = [st for st, _ in result.shown if st.summary]
    with_summary.sort(key=lambda st: -RANK[st.indicator or "info"])
    template = (with_summary[0].summary if with_summary else None) or rule.summary
    return clip(plurals(without_refs(fill(template, facts, dictionary))))


def _text(text: str, st: Statement, recs: Mapping[str, Recommendation]) -> str:
    return with_citation(plurals(without_refs(text)), st.recommendations, recs)


def _needs_line(
    st: Statement, text: str, missing: dict[str, Fact], recs: Mapping[str, Recommendation]
) -> str:
    """The unknown statement, and what is missing unless its text already says so."""
    line = _text(text, st, recs)
    reasons = [without_refs(f.reason or name) for name, f in missing.items()]
    unsaid = [r for r in dict.fromkeys(reasons) if r not in line]
    return f"{line} Missing: {'; '.join(unsaid)}." if unsaid else line


def _cited(rule: RuleFile, result: RuleResult) -> list[str]:
    statements = [st for st, _ in result.shown] + [st for st, _, _ in result.needs]
    cited = {r for st in statements for r in st.recommendations}
    return [r for r in rule.recommendations if r in cited]


def _suggestions(
    rule: RuleFile, facts: Mapping[str, Fact], patient_id: str
) -> list[dict[str, Any]]:
    """The rule's suggestions that apply, without uuids (the card gives them)."""
    out = []
    for s in rule.suggestions:
        if evaluate(s.when, facts).value is not TV.TRUE:
            continue
        sug: dict[str, Any] = {
            "id": s.id,
            "label": s.label,
            "actions": [
                {
                    "type": "create",
                    "description": f"{s.label}: {o.code.display}",
                    "resource": service_request(o, patient_id),
                }
                for o in s.orders
            ],
        }
        if s.recommended:
            sug["isRecommended"] = True
        out.append(sug)
    return out


def suggestion_uuid(card_id: uuid.UUID, section: Section, suggestion_id: str) -> str:
    return str(uuid.uuid5(card_id, f"{section.rule.topic}/{suggestion_id}"))
