"""Rules × profile → CDS Hooks cards (clinical-logic §2).

Each rule that fires gives a section (`cards.sections`); the layout (`cards.layout`) gathers the
sections into at most four cards, most urgent first; this module writes each card as CDS Hooks
JSON. The summary card carries the derived facts once, in words and dates, the data gaps, and the
machine-readable facts in its extension; the other cards say what to do and why, citing each
recommendation compactly.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sarcoma_cds import GUIDELINE_DOI_URL, GUIDELINE_LABEL
from sarcoma_cds.cards.layout import SUMMARY_TOPIC, arrange
from sarcoma_cds.cards.sections import RANK, Section, build_section, suggestion_uuid
from sarcoma_cds.cards.summary_facts import facts_paragraph
from sarcoma_cds.cards.wording import plurals, without_refs
from sarcoma_cds.cds_hooks.cards import Card
from sarcoma_cds.clinical.facts import Fact, State
from sarcoma_cds.clinical.profile import MetastaticProfile
from sarcoma_cds.rules.loader import RuleSet
from sarcoma_cds.rules.schema import Recommendation, RuleFile

EXTENSION_KEY = "org.sarcoma-cds"
TOPIC_SYSTEM = "http://example.org/fhir/sarcoma-cds/CodeSystem/card-topic"
_NAMESPACE = uuid.UUID("0f6d2f6e-2c1b-5d8e-9a57-5a7c0de5a2c1")


# Topics whose card carries the facts and the data gaps.
_FACT_TOPICS = (SUMMARY_TOPIC, "data-quality")


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
    sections = [
        s
        for rule in rules.rules
        if rule.scope == scope
        and (
            s := build_section(
                rule, profile.facts, profile.dictionary, rules.recommendations, patient_id
            )
        )
    ]
    groups = arrange(sections)
    # The summary's own facts (histology, sites, lesion count) always head its Facts line: a
    # board reads the patient there first. Each other fact once: the summary lists the facts the
    # cards rest on that no bullet names.
    said = {name for g in groups for s in g for name in s.said}
    ordered = [s for g in groups for s in g]
    pinned = [n for s in ordered if s.rule.topic in _FACT_TOPICS for n in s.rule.show_facts]
    others = [n for s in ordered for n in s.rule.show_facts if n not in said]
    shown_facts = list(dict.fromkeys([*pinned, *others]))
    return [_card(g, profile, hook_instance, shown_facts, pinned) for g in groups]


def build_card(
    rule: RuleFile,
    profile: MetastaticProfile,
    recs: Mapping[str, Recommendation],
    patient_id: str,
    hook_instance: str | None = None,
) -> Card | None:
    """One rule's own card (the rules' inline examples check it)."""
    section = build_section(rule, profile.facts, profile.dictionary, recs, patient_id)
    if section is None:
        return None
    facts = [n for n in rule.show_facts if n not in section.said]
    return _card([section], profile, hook_instance, facts)


def _card_uuid(hook_instance: str | None, topic: str) -> uuid.UUID:
    # Deterministic per hook instance: a retried call gives the same uuids, so feedback matches.
    if hook_instance:
        return uuid.uuid5(_NAMESPACE, f"{hook_instance}/{topic}")
    return uuid.uuid4()


def _card(
    sections: Sequence[Section],
    profile: MetastaticProfile,
    hook_instance: str | None,
    shown_facts: Sequence[str],
    pinned: Sequence[str] = (),
) -> Card:
    lead = sections[0]  # the most urgent section names the card
    card_id = _card_uuid(hook_instance, lead.rule.topic)
    is_summary = any(s.rule.topic in _FACT_TOPICS for s in sections)
    card: dict[str, Any] = {
        "uuid": str(card_id),
        "summary": lead.summary,
        "detail": _detail(sections, profile, shown_facts if is_summary else (), pinned),
        "indicator": max((s.indicator for s in sections), key=RANK.__getitem__),
        "source": {
            "label": GUIDELINE_LABEL,
            "url": GUIDELINE_DOI_URL,
            "topic": {"system": TOPIC_SYSTEM, "code": lead.rule.topic, "display": lead.rule.title},
        },
        "extension": {EXTENSION_KEY: _extension(sections, profile, is_summary)},
    }
    suggestions = [
        {"label": sug["label"], "uuid": suggestion_uuid(card_id, s, sug["id"])}
        | {k: v for k, v in sug.items() if k not in ("id", "label")}
        for s in sections
        for sug in s.suggestions
    ]
    if suggestions:
        card["suggestions"] = suggestions
        card["selectionBehavior"] = "any"
    reasons = {
        (c.system, c.code): {"code": c.code, "system": c.system, "display": c.display}
        for s in sections
        for c in s.rule.override_reasons
    }
    if reasons:
        card["overrideReasons"] = list(reasons.values())
    # Built as JSON, checked once against the CDS Hooks card contract (a broken card raises).
    return Card.model_validate(card)


def _detail(
    sections: Sequence[Section],
    profile: MetastaticProfile,
    shown_facts: Sequence[str],
    pinned: Sequence[str] = (),
) -> str:
    lines = [f"- {b}" for s in sections for b in s.bullets]
    needs = [f"- {n}" for s in sections for n in s.needs]
    if needs:
        lines += ["", "**Needs data**", *needs]
    if not shown_facts:
        return "\n".join(lines)
    if profile.unconfirmed:
        named = "; ".join(plurals(without_refs(u)) for u in profile.unconfirmed)
        lines += ["", f"**Unconfirmed** (counted, to be confirmed): {named}"]
    if paragraph := facts_paragraph(shown_facts, profile.facts, profile.dictionary, pinned):
        lines += ["", f"**Facts**: {paragraph}"]
    if profile.data_gaps:
        lines += [
            "",
            f"**Data gaps**: {'; '.join(plurals(without_refs(g)) for g in profile.data_gaps)}",
        ]
    return "\n".join(lines)


def _extension(
    sections: Sequence[Section], profile: MetastaticProfile, is_summary: bool
) -> dict[str, Any]:
    lead = sections[0]
    ext: dict[str, Any] = {"topic": lead.rule.topic, "rule": f"{lead.rule.id}@{lead.rule.version}"}
    cited = list(dict.fromkeys(r for s in sections for r in s.cited))
    if cited:
        ext["recommendations"] = cited
    if board := [b for s in sections for b in s.board]:
        ext["board"] = board  # general guidance the tumour-board view shows with the card
    if len(sections) > 1:
        ext["sections"] = [
            {"topic": s.rule.topic, "rule": f"{s.rule.id}@{s.rule.version}"} for s in sections
        ]
    if is_summary:
        ext["facts"] = profile.compact()
    return ext
