"""Card building mechanics on synthetic rules: unknown statements say what is missing, the most
urgent statement leads the summary, scope gates, and citations."""

from __future__ import annotations

from typing import Any

import yaml

from sarcoma_cds.cards.builder import build_card, build_cards, scope_of
from sarcoma_cds.clinical.dictionary import default_dictionary
from sarcoma_cds.clinical.facts import Fact
from sarcoma_cds.clinical.profile import MetastaticProfile
from sarcoma_cds.rules.loader import RuleSet
from sarcoma_cds.rules.schema import RuleFile

RULE = yaml.safe_load(
    """
id: demo
version: "1.0.0"
topic: demo
order: 1
title: Demo
recommendations: ["9.1", "7.1"]
applies_when: {fact: liver_recurrence, is: true}
summary: "Default summary"
statements:
  - id: needs-tfi
    when: {fact: tfi_favourable, is: true}
    text: "Re-resection may be considered."
    on_unknown: "Re-resection needs a TFI over 12 months."
    recommendations: ["9.1"]
    summary: "Info summary"
  - id: flr
    when: {fact: flr_below_threshold, is: true}
    text: "FLR is low."
    recommendations: ["7.1"]
    indicator: warning
    summary: "Warning summary"
examples:
  - name: x
    facts: {liver_recurrence: "yes"}
    expect: {fires: true}
"""
)


def profile(**facts: Fact) -> MetastaticProfile:
    base = {n: Fact.unknown(f"{n} missing") for n in default_dictionary()}
    base.update(facts)
    return MetastaticProfile(facts=base, data_gaps=(), unconfirmed=())


def card(ruleset: RuleSet, **facts: Fact) -> dict[str, Any] | None:
    rule = RuleFile.model_validate(RULE)
    built = build_card(rule, profile(**facts), ruleset.recommendations, "p1", "h1")
    return built.to_json() if built else None


def test_unknown_statement_says_what_is_missing(ruleset: RuleSet) -> None:
    c = card(
        ruleset,
        liver_recurrence=Fact.of(True),
        tfi_favourable=Fact.unknown("no dated cancer-directed treatment before the recurrence"),
    )
    assert c is not None
    assert "**Needs data**" in c["detail"]
    assert "Re-resection needs a TFI over 12 months (9.1 · V-B · 100%)." in c["detail"]
    assert "Missing: no dated cancer-directed treatment before the recurrence." in c["detail"]
    assert "Re-resection may be considered" not in c["detail"]
    assert c["summary"] == "Default summary"


def test_warning_statement_leads_the_summary(ruleset: RuleSet) -> None:
    c = card(
        ruleset,
        liver_recurrence=Fact.of(True),
        tfi_favourable=Fact.of(True),
        flr_below_threshold=Fact.of(True),
    )
    assert c is not None
    assert c["indicator"] == "warning"
    assert c["summary"] == "Warning summary"
    assert c["extension"]["org.sarcoma-cds"]["recommendations"] == ["9.1", "7.1"]


def test_gate_false_or_unknown_is_silent(ruleset: RuleSet) -> None:
    assert card(ruleset, liver_recurrence=Fact.of(False)) is None
    assert card(ruleset, liver_recurrence=Fact.unknown("no procedures were supplied")) is None


def test_a_card_with_nothing_to_say_is_not_sent(ruleset: RuleSet) -> None:
    assert card(ruleset, liver_recurrence=Fact.of(True), tfi_favourable=Fact.of(False)) is None


def test_scope() -> None:
    yes, no = Fact.of(True), Fact.of(False)
    assert scope_of(profile(liver_metastasis_ever=yes, sts=yes, gist=no)) == "sts-liver"
    assert scope_of(profile(liver_metastasis_ever=yes, sts=yes, gist=yes)) == "gist"
    assert scope_of(profile(liver_metastasis_ever=no, sts=yes, gist=no)) is None
    assert scope_of(profile(liver_metastasis_ever=yes, sts=no, gist=no)) is None
    assert scope_of(profile(liver_metastasis_ever=yes, sts=Fact.unknown("x"), gist=no)) is None
    # Issue 12: something to see but nothing settled -> the data-quality card, never silence.
    unread = Fact.indeterminate("uncoded diagnosis 'Leiomyosarcoma'")
    assert scope_of(profile(liver_metastasis_ever=yes, sts=unread, gist=no)) == "data-quality"
    assert scope_of(profile(liver_metastasis_ever=unread, sts=yes, gist=no)) == "data-quality"
    assert scope_of(profile(liver_metastasis_ever=unread, sts=unread, gist=no)) == "data-quality"
    assert scope_of(profile(liver_metastasis_ever=unread, sts=no, gist=no)) is None
    assert scope_of(profile(liver_metastasis_ever=unread, sts=unread, gist=yes)) is None


def test_no_cards_without_sts_or_liver_metastasis(ruleset: RuleSet) -> None:
    p = profile(liver_metastasis_ever=Fact.of(False), sts=Fact.of(True), gist=Fact.of(False))
    assert build_cards(ruleset, p, "p1") == []


def test_board_only_guidance_stays_off_the_card(ruleset: RuleSet) -> None:
    """General guidance (how to operate) goes to the tumour-board view, in the extension."""
    data = yaml.safe_load(yaml.safe_dump(RULE))
    data["statements"][0]["board_only"] = True
    rule = RuleFile.model_validate(data)
    p = profile(liver_recurrence=Fact.of(True), tfi_favourable=Fact.of(True))
    c = build_card(rule, p, ruleset.recommendations, "p1", "h1")
    assert c is not None
    assert c.detail is None or "Re-resection may be considered" not in c.detail
    assert c.extension is not None
    assert c.extension["org.sarcoma-cds"]["board"] == [
        "Re-resection may be considered (9.1 · V-B · 100%)."
    ]
    assert c.extension["org.sarcoma-cds"]["recommendations"] == ["9.1"]
