"""The layout: sections gather into at most four cards, the most urgent first; the limit check
names every card that grows past the reading limits."""

from __future__ import annotations

import yaml

from sarcoma_cds.cards.builder import build_cards
from sarcoma_cds.cards.layout import MAX_CARDS, arrange, limit_problems
from sarcoma_cds.cards.sections import Section
from sarcoma_cds.clinical.dictionary import default_dictionary
from sarcoma_cds.clinical.facts import Fact
from sarcoma_cds.clinical.profile import MetastaticProfile
from sarcoma_cds.rules.loader import RuleSet
from sarcoma_cds.rules.schema import RuleFile


def rule(topic: str, order: int, text: str = "Say it.", indicator: str = "info") -> RuleFile:
    return RuleFile.model_validate(
        yaml.safe_load(
            f"""
id: {topic}
version: "1.0.0"
topic: {topic}
order: {order}
title: {topic}
applies_when: {{fact: liver_metastasis_ever, is: true}}
summary: "{topic} summary"
statements:
  - id: s
    text: "{text}"
    indicator: {indicator}
examples:
  - name: x
    facts: {{liver_metastasis_ever: "yes"}}
    expect: {{fires: true}}
"""
        )
    )


def section(topic: str, order: int, indicator: str = "info") -> Section:
    return Section(
        rule=rule(topic, order),
        indicator=indicator,
        summary=topic,
        bullets=["b"],
        needs=[],
        cited=[],
    )


def topics(cards: list[list[Section]]) -> list[list[str]]:
    return [[s.rule.topic for s in card] for card in cards]


def test_work_up_and_plan_gather_their_topics() -> None:
    cards = arrange(
        [
            section("summary", 0),
            section("staging-imaging", 10),
            section("biopsy", 20),
            section("liver-recurrence", 35),
            section("mdt-referral", 50),
            section("follow-up", 60),
        ]
    )
    assert topics(cards) == [
        ["summary"],
        ["staging-imaging", "biopsy"],
        ["liver-recurrence", "mdt-referral"],
        ["follow-up"],
    ]


def test_the_most_urgent_card_comes_first_and_leads_its_card() -> None:
    cards = arrange(
        [
            section("summary", 0),
            section("treatment-pathway", 30),
            section("mdt-referral", 50, "warning"),
            section("follow-up", 60, "warning"),
        ]
    )
    assert topics(cards) == [["mdt-referral", "treatment-pathway"], ["follow-up"], ["summary"]]


def test_a_fifth_card_folds_into_the_least_urgent_one_before_it() -> None:
    """A topic the layout does not know (a new rule, a data-quality card) gets its own card;
    the patient still sees at most four."""
    cards = arrange(
        [
            section("summary", 0),
            section("data-quality", 1, "warning"),
            section("staging-imaging", 10),
            section("treatment-pathway", 30),
            section("follow-up", 60),
        ]
    )
    assert len(cards) == MAX_CARDS
    assert topics(cards) == [
        ["data-quality"],
        ["summary"],
        ["staging-imaging"],
        ["treatment-pathway", "follow-up"],
    ]


def profile(**facts: Fact) -> MetastaticProfile:
    base = {n: Fact.unknown(f"{n} missing") for n in default_dictionary()}
    base.update(facts)
    return MetastaticProfile(facts=base, data_gaps=(), unconfirmed=())


def test_the_limit_check_fails_a_rule_that_grows_a_card(ruleset: RuleSet) -> None:
    long = "Consider this carefully. " * 40  # 1,000 characters in one statement
    rules = RuleSet(
        rules=(rule("summary", 0), rule("treatment-pathway", 30, long)),
        recommendations=ruleset.recommendations,
        valuesets=ruleset.valuesets,
        folder=ruleset.folder,
        facts=ruleset.facts,
    )
    p = profile(liver_metastasis_ever=Fact.of(True), sts=Fact.of(True), gist=Fact.of(False))
    cards = [c.to_json() for c in build_cards(rules, p, "p1", "h1")]
    problems = limit_problems(cards)
    assert len(problems) == 1
    assert "'treatment-pathway summary': detail" in problems[0]
    assert limit_problems(cards[:1]) == []
    assert limit_problems(cards[:1] * 5) == ["5 cards (at most 4)"]
