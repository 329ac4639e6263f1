"""Rules × profile → CDS Hooks cards (clinical-logic §2).

At most one card per topic. A card shows the statements whose conditions hold; a statement whose
condition is unknown says what data would settle it (never a guess). Every card names the facts
behind it and every recommendation it rests on.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sarcoma_cds import GUIDELINE_DOI_URL, GUIDELINE_LABEL
from sarcoma_cds.cards.orders import service_request
from sarcoma_cds.cards.render import cite, fact_line, fill, recommendation_line
from sarcoma_cds.cds_hooks.cards import Card
from sarcoma_cds.clinical.dictionary import FactDictionary
from sarcoma_cds.clinical.facts import Fact, State
from sarcoma_cds.clinical.profile import MetastaticProfile
from sarcoma_cds.rules.loader import RuleSet
from sarcoma_cds.rules.logic import TV, evaluate
from sarcoma_cds.rules.schema import Recommendation, RuleFile, Statement

EXTENSION_KEY = "org.sarcoma-cds"
TOPIC_SYSTEM = "http://example.org/fhir/sarcoma-cds/CodeSystem/card-topic"
_NAMESPACE = uuid.UUID("0f6d2f6e-2c1b-5d8e-9a57-5a7c0de5a2c1")
_RANK = {"info": 0, "warning": 1, "critical": 2}


def scope_of(profile: MetastaticProfile) -> str | None:
    """Which rules apply: `gist`, `sts-liver`, `data-quality` (the record suggests STS and liver
    disease but cannot settle either: clinical-logic §3, never silence where there is something
    to see), or none (no STS, or no liver metastasis ever)."""
    ever, sts = profile["liver_metastasis_ever"], profile["sts"]
    if ever.is_yes and profile["gist"].is_yes:
        return "gist"
    if ever.is_yes and sts.is_yes:
        return "sts-liver"
    if profile["gist"].is_yes:
        return None
    if _open(ever) and _open(sts):
        return "data-quality"
    return None


def _open(fact: Fact) -> bool:
    """Yes, or data that exist but could not be read."""
    return fact.is_yes or fact.state is State.INDETERMINATE


def build_cards(
    rules: RuleSet,
    profile: MetastaticProfile,
    patient_id: str,
    hook_instance: str | None = None,
) -> list[Card]:
    scope = scope_of(profile)
    if scope is None:
        return []
    cards = []
    for rule in rules.rules:
        if rule.scope != scope:
            continue
        card = build_card(rule, profile, rules.recommendations, patient_id, hook_instance)
        if card is not None:
            cards.append(card)
    return cards


def _card_uuid(hook_instance: str | None, topic: str) -> uuid.UUID:
    # Deterministic per hook instance: a retried call gives the same uuids, so feedback matches.
    if hook_instance:
        return uuid.uuid5(_NAMESPACE, f"{hook_instance}/{topic}")
    return uuid.uuid4()


@dataclass(frozen=True)
class RuleResult:
    shown: list[tuple[Statement, str]]  # statements that hold, with their text filled in
    needs: list[tuple[Statement, str, dict[str, Fact]]]  # unknown ones, with the missing facts
    used: list[str]  # facts the card should show


def evaluate_rule(
    rule: RuleFile, facts: Mapping[str, Fact], dictionary: FactDictionary | None = None
) -> RuleResult | None:
    """What a rule says about these facts, or None when its card stays silent."""
    gate = evaluate(rule.applies_when, facts)
    if gate.value is not TV.TRUE:
        return None
    shown: list[tuple[Statement, str]] = []
    needs: list[tuple[Statement, str, dict[str, Fact]]] = []
    used: list[str] = list(rule.show_facts)
    for st in rule.statements:
        out = evaluate(st.when, facts)
        if out.value is TV.TRUE:
            shown.append((st, fill(st.text, facts, dictionary)))
            used += out.used
        elif out.value is TV.UNKNOWN and st.on_unknown:
            needs.append((st, fill(st.on_unknown, facts, dictionary), out.missing))
            used += list(out.missing)
    if not shown and not needs:
        return None
    return RuleResult(shown, needs, used)


def build_card(
    rule: RuleFile,
    profile: MetastaticProfile,
    recs: Mapping[str, Recommendation],
    patient_id: str,
    hook_instance: str | None = None,
) -> Card | None:
    facts, dictionary = profile.facts, profile.dictionary
    result = evaluate_rule(rule, facts, dictionary)
    if result is None:
        return None
    shown, needs, used = result.shown, result.needs, result.used

    cited: list[str] = []
    for st in [s for s, _ in shown] + [s for s, _, _ in needs]:
        cited += [r for r in st.recommendations if r not in cited]
    cited = [r for r in rule.recommendations if r in cited]

    indicator = rule.indicator
    for st, _ in shown:
        if st.indicator and _RANK[st.indicator] > _RANK[indicator]:
            indicator = st.indicator
    # The most urgent statement's summary leads (a warning must not hide behind an info line).
    with_summary = [st for st, _ in shown if st.summary]
    with_summary.sort(key=lambda st: -_RANK[st.indicator or "info"])
    summary_tpl = (with_summary[0].summary if with_summary else None) or rule.summary
    summary = _clip(fill(summary_tpl, facts, dictionary))

    lines = [_cited(text, cite(st.recommendations, recs)) for st, text in shown]
    detail = [f"- {line}" for line in lines]
    if needs:
        detail += ["", "**Needs data**"]
        for st, text, missing in needs:
            why = "; ".join(f.reason or name for name, f in missing.items())
            detail.append(f"- {_cited(text, cite(st.recommendations, recs))} Missing: {why}.")
    if rule.topic in ("summary", "data-quality"):
        if profile.unconfirmed:
            detail += ["", "**Unconfirmed diagnoses** (counted, but to be confirmed)"]
            detail += [f"- {u}" for u in profile.unconfirmed]
        if profile.data_gaps:
            detail += ["", "**Data gaps**"] + [f"- {g}" for g in profile.data_gaps]
    names = [n for n in dictionary if n in set(used)]
    if names:
        detail += ["", "**Derived facts**"] + [fact_line(n, facts[n], dictionary) for n in names]
    if cited:
        detail += ["", "**Recommendations** (Ibero-American consensus, Cancers 2025;17:1295)"]
        detail += [recommendation_line(recs[r]) for r in cited]

    card_id = _card_uuid(hook_instance, rule.topic)
    ext: dict[str, Any] = {
        "topic": rule.topic,
        "rule": f"{rule.id}@{rule.version}",
    }
    if cited:
        ext["recommendations"] = cited
    if rule.topic == "summary":
        ext["facts"] = profile.compact()
    card: dict[str, Any] = {
        "uuid": str(card_id),
        "summary": summary,
        "detail": "\n".join(detail),
        "indicator": indicator,
        "source": {
            "label": GUIDELINE_LABEL,
            "url": GUIDELINE_DOI_URL,
            "topic": {"system": TOPIC_SYSTEM, "code": rule.topic, "display": rule.title},
        },
        "extension": {EXTENSION_KEY: ext},
    }
    suggestions = []
    for s in rule.suggestions:
        if evaluate(s.when, facts).value is not TV.TRUE:
            continue
        actions = [
            {
                "type": "create",
                "description": f"{s.label}: {o.code.display}",
                "resource": service_request(o, patient_id),
            }
            for o in s.orders
        ]
        sug: dict[str, Any] = {
            "label": s.label,
            "uuid": str(uuid.uuid5(card_id, s.id)),
            "actions": actions,
        }
        if s.recommended:
            sug["isRecommended"] = True
        suggestions.append(sug)
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "any"
    if rule.override_reasons:
        card["overrideReasons"] = [
            {"code": c.code, "system": c.system, "display": c.display}
            for c in rule.override_reasons
        ]
    # Built as JSON, checked once against the CDS Hooks card contract (a broken card raises).
    return Card.model_validate(card)


def _cited(text: str, citation: str) -> str:
    """Put the citation inside the sentence: "… resection (5.3, 8.1)." not "… resection. (5.3)".
    A text that already cites each of its recommendations inline is left as written."""
    ids = [
        part.split(",")[0].strip() for part in citation.strip(" ()").replace(";", ",").split(",")
    ]
    if citation and all(f"({i})" in text for i in ids if i and i[0].isdigit()):
        return text
    if citation and text.endswith("."):
        return f"{text[:-1]}{citation}."
    return f"{text}{citation}"


def _clip(text: str, limit: int = 139) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
